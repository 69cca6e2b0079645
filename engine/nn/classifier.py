"""The sequence classifier: a recurrent stack reads a sequence (token ids through an embedding,
or one vector per step — an image's rows of pixels) and a linear head names its class from the
last step's output, or from the outputs pooled over the steps."""

from __future__ import annotations

import torch
from torch import nn

from engine.config import ModelConfig


class SequenceClassifier(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config.cell]
        self.embedding = None if config.inputs else nn.Embedding(config.vocab_size,
                                                                 config.embed_size)
        width = config.inputs or config.embed_size
        self.rnn = rnn_class(width, config.hidden, num_layers=config.layers, batch_first=True,
                             dropout=config.dropout if config.layers > 1 else 0.0,
                             bidirectional=config.bidirectional)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden * (2 if config.bidirectional else 1),
                              config.classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, inputs) vectors or (B, T) ids; lengths (B,) of padded texts → (B, C)."""
        inputs = self.embedding(x) if self.embedding is not None else x
        if lengths is None:
            out, _ = self.rnn(inputs)  # (B, T, H·directions)
        else:
            # Packed, so neither direction reads the padding of a shorter text.
            packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths.cpu(), batch_first=True,
                                                       enforce_sorted=False)
            out, _ = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                      total_length=x.shape[1])
        return self.head(self.drop(self.pooled(out, lengths)))

    def pooled(self, out: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """(B, H·directions): the outputs of the steps made into one, padding left out."""
        b, t, _ = out.shape
        lengths = lengths.to(out.device) if lengths is not None \
            else torch.full((b,), t, device=out.device)
        if self.config.pool == "last":
            last = out[torch.arange(b, device=out.device), lengths - 1]
            if not self.config.bidirectional:
                return last
            # The backward direction has read the whole sequence at the first step.
            h = self.config.hidden
            return torch.cat([last[:, :h], out[:, 0, h:]], dim=1)
        mask = (torch.arange(t, device=out.device)[None, :] < lengths[:, None]).unsqueeze(2)
        if self.config.pool == "mean":
            return (out * mask).sum(1) / lengths[:, None].clamp(min=1)
        return out.masked_fill(~mask, float("-inf")).amax(1)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
