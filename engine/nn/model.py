"""The language model: embedding → stacked RNN/GRU/LSTM → linear head."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from engine.config import VERSE_FEATURES, ModelConfig
from engine.nn.verse_context import CONTEXT, VerseContext

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
# The head's first weight on what the rules ask (nats on the logit of each character that
# fits). At 1, 400 steps of tang-wujue wrote 6.7 % regulated and 28 % rhyming poems (300 at
# temperature 0.8); at 3, 15 % and 52 %: Adam moves it by about the learning rate a step, too
# slowly to get there from 1 within the preset's minutes.
CONTEXT_START = 3.0


class LanguageModel(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config.cell]
        self.embedding = nn.Embedding(config.vocab_size, config.embed_size)
        self.rnn = rnn_class(
            config.embed_size, config.hidden, num_layers=config.layers, batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.embed_drop = nn.Dropout(config.embed_dropout)
        tied_narrow = config.tie_weights and config.embed_size != config.hidden
        self.project = nn.Linear(config.hidden, config.embed_size, bias=False) \
            if tied_narrow else None
        self.head = nn.Linear(config.embed_size if config.tie_weights else config.hidden,
                              config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embedding.weight
        self.verse_in = self.verse_out = None
        if config.verse_features:
            # (V, F) 0/1: each token's tones and rhyme groups, filled from the vocabulary when
            # the model is made (engine.generate.verse) and kept with the weights.
            self.register_buffer("verse", torch.zeros(config.vocab_size, VERSE_FEATURES))
            self.verse_in = nn.Linear(VERSE_FEATURES, config.embed_size, bias=False)
            self.verse_out = nn.Linear(self.head.in_features, VERSE_FEATURES, bias=False)
            nn.init.zeros_(self.verse_out.weight)  # starts as the plain model does
        self.context_in = self.context_out = None
        if config.verse_context:
            # What the rules ask of the next character (engine.nn.verse_context), read from
            # the text so far: fed to the RNN, and straight to the head as one weight per tone
            # and rhyme group (a character's logit gains its features · weights · what is
            # asked), starting at CONTEXT_START: a prior that the rules mostly hold, which
            # the corpus then weighs.
            self.register_buffer("verse_role", torch.zeros(config.vocab_size, dtype=torch.long))
            self.context_in = nn.Linear(CONTEXT, config.embed_size, bias=False)
            self.context_out = nn.Parameter(torch.full((VERSE_FEATURES,), CONTEXT_START))
        if config.init_scale:
            for p in self.parameters():
                nn.init.uniform_(p, -config.init_scale, config.init_scale)

    def input_table(self) -> torch.Tensor:
        """(V, E): what each token feeds the RNN — its embedding, plus its verse features'."""
        table = self.embedding.weight
        if self.verse_in is not None:
            table = table + self.verse @ self.verse_in.weight.T
        return table

    def head_weight(self) -> torch.Tensor:
        """(V, H or E): the head's weights, plus each token's share of the features' ones."""
        weight = self.head.weight
        if self.verse_out is not None:
            weight = weight + self.verse @ self.verse_out.weight
        return weight

    def verse_context(self) -> VerseContext:
        """The tracker of what the rules ask next, over this model's vocabulary."""
        return VerseContext(self.verse.detach().cpu().numpy(),
                            self.verse_role.detach().cpu().numpy())

    def forward(self, x: torch.Tensor, state: State | None = None,
                context: torch.Tensor | None = None) -> tuple[torch.Tensor, State]:
        # x: (B, T) ids → logits (B, T, V). A model with verse context reads ``context``
        # (B, T, CONTEXT), or, when it is not given, x's own: records from their start.
        inputs = self.embedding(x) if self.verse_in is None \
            else F.embedding(x, self.input_table())
        if self.context_in is not None:
            if context is None:
                context = torch.from_numpy(self.verse_context().sequence(x.cpu().numpy()))
            context = context.to(inputs.device)
            inputs = inputs + self.context_in(context)
        inputs = self.embed_drop(inputs)
        if self.training and self.config.weight_drop:
            # A fresh mask on the recurrent weights per batch, the same for every time step.
            drop = self.config.weight_drop
            weights = {n: F.dropout(p, drop) if n.startswith("weight_hh") else p
                       for n, p in self.rnn.named_parameters()}
            out, state = functional_call(self.rnn, weights, (inputs, state))
        else:
            out, state = self.rnn(inputs, state)
        # The head as one 2-D product: on (B, T, H) straight from the RNN, matmul falls back
        # to a batched product with copies, 3× slower with a 6,000-token vocabulary.
        flat = self.drop(out).reshape(-1, out.shape[-1])
        if self.project is not None:
            flat = self.project(flat)
        logits = self.head(flat) if self.verse_out is None \
            else F.linear(flat, self.head_weight(), self.head.bias)
        if self.context_out is not None:
            asked = context[..., :VERSE_FEATURES].reshape(-1, VERSE_FEATURES)
            logits = logits + (asked * self.context_out) @ self.verse.T
        return logits.view(*out.shape[:-1], -1), state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build_model(config: ModelConfig) -> torch.nn.Module:
    """The model a configuration describes: a language model, a translation model or a
    sequence classifier."""
    if config.arch == "seq2seq":
        from engine.nn.seq2seq import Seq2Seq

        return Seq2Seq(config)
    if config.arch == "classifier":
        from engine.nn.classifier import SequenceClassifier

        return SequenceClassifier(config)
    return LanguageModel(config)


def detach_state(state: State | None) -> State | None:
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)  # type: ignore[return-value]
    return state.detach()
