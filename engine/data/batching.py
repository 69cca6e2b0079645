"""Batches for the corpus kinds: TBPTT windows over parallel streams, or padded records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

IGNORE = -100  # target id that cross_entropy skips: padding never counts in the loss


@dataclass
class Batch:
    x: torch.Tensor  # (B, T) input ids
    y: torch.Tensor  # (B, T) target ids, IGNORE where padded
    tokens: int  # targets that count
    carry: bool  # whether the recurrent state continues from the previous batch
    index: int  # position within the epoch, for resuming
    src: torch.Tensor | None = None  # (B, S) source ids, pairs only
    src_lengths: torch.Tensor | None = None  # (B,)


class StreamBatches:
    """One long text cut into B contiguous streams, read in windows of T (char-rnn style).

    Stream b holds ids[b*n : (b+1)*n]; window w of every stream follows window w-1, so the
    recurrent state of one window is the right starting state for the next.
    """

    def __init__(self, ids: np.ndarray, batch: int, seq_len: int) -> None:
        batch = max(1, min(batch, (len(ids) - 1) // (seq_len + 1) or 1))
        n = len(ids) // batch
        if n < 2:
            raise ValueError("text too short for even one window")
        self.data = torch.from_numpy(np.asarray(ids[: n * batch], dtype=np.int64)).view(batch, n)
        self.batch, self.seq_len = batch, seq_len
        self.windows = (n - 1 + seq_len - 1) // seq_len

    def __len__(self) -> int:
        return self.windows

    def epoch(self, start: int = 0, seed: int = 0) -> Iterator[Batch]:
        for w in range(start, self.windows):
            t = w * self.seq_len
            span = min(self.seq_len, self.data.shape[1] - 1 - t)
            x = self.data[:, t : t + span]
            y = self.data[:, t + 1 : t + 1 + span]
            yield Batch(x, y, x.numel(), carry=w > 0, index=w + 1)


class RecordBatches:
    """One record per row, <bos> … <eos>, length-bucketed so padding stays small."""

    def __init__(
        self, records: list[np.ndarray], batch: int, bos: int, eos: int, pad: int,
        max_len: int = 512,
    ) -> None:
        self.seqs = [np.concatenate(([bos], r[: max_len - 2], [eos])) for r in records]
        self.batch, self.pad = max(1, batch), pad
        self.windows = (len(self.seqs) + self.batch - 1) // self.batch

    def __len__(self) -> int:
        return self.windows

    def _order(self, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        lengths = np.array([len(s) for s in self.seqs], dtype=np.float64)
        # Sort by length with jitter, cut into batches, then shuffle the batches: similar
        # lengths share a batch, yet each epoch sees a different order.
        order = np.argsort(lengths + rng.uniform(0, 2, len(lengths)), kind="stable")
        groups = [order[i : i + self.batch] for i in range(0, len(order), self.batch)]
        rng.shuffle(groups)
        return groups

    def epoch(self, start: int = 0, seed: int = 0) -> Iterator[Batch]:
        groups = self._order(seed)
        for w in range(start, len(groups)):
            seqs = [self.seqs[i] for i in groups[w]]
            width = max(len(s) for s in seqs) - 1
            x = np.full((len(seqs), width), self.pad, dtype=np.int64)
            y = np.full((len(seqs), width), IGNORE, dtype=np.int64)
            for row, s in enumerate(seqs):
                x[row, : len(s) - 1] = s[:-1]
                y[row, : len(s) - 1] = s[1:]
            tokens = int((y != IGNORE).sum())
            yield Batch(torch.from_numpy(x), torch.from_numpy(y), tokens, False, w + 1)


class PairBatches:
    """Translation pairs: sources padded, targets as <bos> … → … <eos>, bucketed by length."""

    def __init__(self, pairs: list[tuple[np.ndarray, np.ndarray]], batch: int, bos: int,
                 eos: int, pad: int, max_len: int = 512) -> None:
        self.pairs = [(s[:max_len], np.concatenate(([bos], t[: max_len - 2], [eos])))
                      for s, t in pairs]
        self.batch, self.pad = max(1, batch), pad
        self.windows = (len(self.pairs) + self.batch - 1) // self.batch

    def __len__(self) -> int:
        return self.windows

    def epoch(self, start: int = 0, seed: int = 0, shuffle: bool = True) -> Iterator[Batch]:
        rng = np.random.default_rng(seed)
        lengths = np.array([len(s) + len(t) for s, t in self.pairs], dtype=np.float64)
        # Similar lengths share a batch (little padding); the batches come in random order.
        jitter = rng.uniform(0, 2, len(lengths)) if shuffle else np.zeros(len(lengths))
        order = np.argsort(lengths + jitter, kind="stable")
        groups = [order[i : i + self.batch] for i in range(0, len(order), self.batch)]
        if shuffle:
            rng.shuffle(groups)
        for w in range(start, len(groups)):
            chosen = [self.pairs[i] for i in groups[w]]
            src_len = np.array([max(len(s), 1) for s, _ in chosen], dtype=np.int64)
            src = np.full((len(chosen), src_len.max()), self.pad, dtype=np.int64)
            width = max(len(t) for _, t in chosen) - 1
            x = np.full((len(chosen), width), self.pad, dtype=np.int64)
            y = np.full((len(chosen), width), IGNORE, dtype=np.int64)
            for row, (s, t) in enumerate(chosen):
                src[row, : len(s)] = s
                x[row, : len(t) - 1] = t[:-1]
                y[row, : len(t) - 1] = t[1:]
            yield Batch(torch.from_numpy(x), torch.from_numpy(y), int((y != IGNORE).sum()),
                        False, w + 1, torch.from_numpy(src), torch.from_numpy(src_len))


def eval_windows(ids: np.ndarray, batch: int, seq_len: int) -> Iterator[Batch]:
    """Windows in which every token after the first is a target exactly once.

    B streams overlap by one token (stream b's last input is stream b+1's first), so no token
    is skipped at a boundary; what does not divide evenly is scored as one last short row.
    """
    ids = np.asarray(ids, dtype=np.int64)
    n = (len(ids) - 1) // batch
    w = 0
    if n >= 1:
        rows = np.arange(batch)[:, None] * n + np.arange(n + 1)[None, :]
        data = torch.from_numpy(ids[rows])  # (B, n + 1)
        for t in range(0, n, seq_len):
            end = min(t + seq_len, n)
            w += 1
            yield Batch(data[:, t:end], data[:, t + 1 : end + 1], batch * (end - t), w > 1, w)
    rest = torch.from_numpy(ids[n * batch :])
    if len(rest) > 1:
        yield Batch(rest[:-1].unsqueeze(0), rest[1:].unsqueeze(0), len(rest) - 1, False, w + 1)
