"""The translation model: a character-level encoder–decoder (the Keras lstm_seq2seq exercise,
and a better one for CPUs).

The encoder reads the source; its final state starts the decoder, which is trained with teacher
forcing. With ``attention`` (Luong's, over the encoder's outputs) the decoder's outputs look back
at the source after the recurrence, so training still runs the decoder as one fused LSTM call
over the whole target; with ``bidirectional`` the encoder reads both ways.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from engine.config import ModelConfig

State = tuple[torch.Tensor, torch.Tensor]


class Seq2Seq(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        h, e, v = config.hidden, config.embed_size, config.vocab_size
        directions = 2 if config.bidirectional else 1
        dropout = config.dropout if config.layers > 1 else 0.0
        self.src_embedding = nn.Embedding(v, e)
        self.tgt_embedding = nn.Embedding(v, e)
        # Both directions together are as wide as the decoder, so their final states join
        # into its starting state.
        self.encoder = nn.LSTM(e, h // directions, config.layers, batch_first=True,
                               dropout=dropout, bidirectional=config.bidirectional)
        self.decoder = nn.LSTM(e, h, config.layers, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(config.dropout)
        if config.attention:
            self.attend = nn.Linear(h, h, bias=False)  # Luong's "general" score
            self.combine = nn.Linear(2 * h, h)
        self.head = nn.Linear(h, v)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, State]:
        """src (B, S) ids, lengths (B,) → memory (B, S, H), mask (B, S), decoder start state."""
        packed = pack_padded_sequence(self.drop(self.src_embedding(src)), lengths.cpu(),
                                      batch_first=True, enforce_sorted=False)
        out, (h, c) = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        if self.config.bidirectional:  # (2L, B, H/2) → (L, B, H): forward and backward side by side
            h = torch.cat([h[0::2], h[1::2]], dim=-1)
            c = torch.cat([c[0::2], c[1::2]], dim=-1)
        mask = torch.arange(src.shape[1], device=src.device)[None, :] < lengths[:, None]
        return memory, mask, (h.contiguous(), c.contiguous())

    def decode(self, tgt: torch.Tensor, state: State, memory: torch.Tensor, mask: torch.Tensor,
               ) -> tuple[torch.Tensor, State]:
        """tgt (B, T) ids → logits (B, T, V) and the decoder state after them."""
        embedded = self.tgt_embedding(tgt)
        if self.training and self.config.target_drop:
            # Whole characters hidden, not single features: the decoder must guess the word
            # from the source where it cannot read its own previous characters.
            keep = torch.rand(tgt.shape, device=tgt.device) >= self.config.target_drop
            embedded = embedded * keep[..., None].to(embedded.dtype)
        out, state = self.decoder(self.drop(embedded), state)
        if self.config.attention:
            scores = out @ self.attend(memory).transpose(1, 2)  # (B, T, S)
            scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
            context = torch.softmax(scores.float(), dim=-1).to(memory.dtype) @ memory
            out = torch.tanh(self.combine(torch.cat([out, context], dim=-1)))
        return self.head(self.drop(out)), state

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt: torch.Tensor
                ) -> torch.Tensor:
        memory, mask, state = self.encode(src, lengths)
        logits, _ = self.decode(tgt, state, memory, mask)
        return logits
