"""The language model: embedding → stacked RNN/GRU/LSTM → linear head."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

CELLS = ("lstm", "gru", "rnn")
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


@dataclass
class ModelConfig:
    vocab_size: int
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 512
    embed: int = 0  # 0: same as hidden
    dropout: float = 0.0  # between recurrent layers and before the head
    tie_weights: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if self.layers < 1 or self.hidden < 1:
            raise ValueError("layers and hidden must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        if self.tie_weights and self.embed_size != self.hidden:
            raise ValueError("tied weights need the embedding size to equal the hidden size")

    @property
    def embed_size(self) -> int:
        return self.embed or self.hidden

    def to_json(self) -> dict:
        return asdict(self)


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
        self.head = nn.Linear(config.hidden, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embedding.weight

    def init_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        shape = (self.config.layers, batch, self.config.hidden)
        h = torch.zeros(shape, device=device)
        return (h, torch.zeros(shape, device=device)) if self.config.cell == "lstm" else h

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        # x: (B, T) ids → logits (B, T, V)
        out, state = self.rnn(self.embedding(x), state)
        return self.head(self.drop(out)), state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def detach_state(state: State | None) -> State | None:
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)  # type: ignore[return-value]
    return state.detach()


def count_parameters(config: ModelConfig) -> int:
    """Parameter count without building the model (for the new-model screen's estimate)."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[config.cell]
    e, h, v = config.embed_size, config.hidden, config.vocab_size
    rnn = sum(gates * h * ((e if i == 0 else h) + h + 2) for i in range(config.layers))
    head = (0 if config.tie_weights else v * h) + v
    return v * e + rnn + head
