"""Batches of labelled examples: images as (B, 28, 28) pixels in [0, 1], read one row per step,
or texts as padded token ids with their lengths; one target class per example."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from engine.data.labelled import SIDE, Examples

EVAL_BATCH = 256


@dataclass
class LabelBatch:
    x: torch.Tensor  # (B, 28, 28) float pixels, or (B, T) token ids
    y: torch.Tensor  # (B, 1): one target per example, so losses flatten as a model's (B, T)
    tokens: int  # examples that count (B)
    carry: bool  # never: each example starts from a fresh state
    index: int  # position within the epoch, for resuming
    lengths: torch.Tensor | None = None  # (B,) texts' lengths; None for images


class LabelBatches:
    """An epoch of examples in a seeded order; images moved by a fresh random ``shift`` of up
    to that many pixels each time they are read (training only)."""

    def __init__(self, examples: Examples, batch: int, shift: int = 0, pad: int = 0,
                 max_len: int = 512, rotate: float = 0.0, elastic: float = 0.0,
                 scale: float = 0.0) -> None:
        self.examples, self.batch = examples, max(1, batch)
        self.shift, self.pad, self.max_len, self.rotate = shift, pad, max_len, rotate
        self.elastic, self.scale = elastic, scale
        self.windows = (len(examples) + self.batch - 1) // self.batch

    def __len__(self) -> int:
        return self.windows

    def epoch(self, start: int = 0, seed: int = 0, shuffle: bool = True) -> Iterator[LabelBatch]:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(self.examples)) if shuffle \
            else np.arange(len(self.examples))
        for w in range(start, self.windows):
            chosen = order[w * self.batch: (w + 1) * self.batch]
            part = self.examples.take(chosen)
            y = torch.from_numpy(part.targets.astype(np.int64)).unsqueeze(1)
            if part.images is not None:
                if self.rotate or self.elastic or self.scale:
                    x = turned(part.images, self.shift, self.rotate, rng, self.elastic,
                               self.scale)
                else:
                    images = shifted(part.images, self.shift, rng) if self.shift \
                        else part.images
                    x = torch.from_numpy(images.astype(np.float32) / 255.0)
                yield LabelBatch(x, y, len(chosen), False, w + 1)
            else:
                assert part.ids is not None
                seqs = [s[: self.max_len] if len(s) else np.array([self.pad]) for s in part.ids]
                lengths = np.array([len(s) for s in seqs], dtype=np.int64)
                x = np.full((len(seqs), lengths.max()), self.pad, dtype=np.int64)
                for row, s in enumerate(seqs):
                    x[row, : len(s)] = s
                yield LabelBatch(torch.from_numpy(x), y, len(chosen), False, w + 1,
                                 torch.from_numpy(lengths))


def shifted(images: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by its own (dy, dx) in [-shift, shift], the background filling in."""
    n = len(images)
    padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift)))
    dy, dx = rng.integers(0, 2 * shift + 1, size=(2, n))
    rows = dy[:, None] + np.arange(SIDE)[None, :]  # (N, 28)
    cols = dx[:, None] + np.arange(SIDE)[None, :]
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def _spread(knots: int) -> torch.Tensor:
    """(28, knots): how much each of ``knots`` evenly spaced points weighs at each pixel (a
    smooth bump per point), so a few random moves make one smooth field."""
    at = torch.linspace(0, knots - 1, SIDE)[:, None] - torch.arange(knots)[None, :]
    return torch.cos(at.clamp(-1, 1) * (torch.pi / 2)) ** 2  # weights sum to 1 at each pixel


_SPREAD = _spread(4)


def turned(images: np.ndarray, shift: int, degrees: float, rng: np.random.Generator,
           elastic: float = 0.0, scale: float = 0.0) -> torch.Tensor:
    """(N, 28, 28) in [0, 1]: each image turned by its own angle in ±``degrees`` about its
    centre, grown or shrunk by up to ``scale`` (a fraction), moved by up to ``shift`` pixels,
    and warped by a smooth random field that moves pixels by up to about ``elastic`` pixels
    (bilinear, the background filling in)."""
    import torch.nn.functional as F

    n = len(images)
    angle = torch.from_numpy(rng.uniform(-degrees, degrees, n) * np.pi / 180).float()
    move = torch.from_numpy(rng.uniform(-shift, shift, (n, 2)) * 2 / SIDE).float()
    size = torch.from_numpy(1 + rng.uniform(-scale, scale, n)).float()
    cos, sin = torch.cos(angle) / size, torch.sin(angle) / size
    theta = torch.stack([torch.stack([cos, -sin, move[:, 0]], 1),
                         torch.stack([sin, cos, move[:, 1]], 1)], 1)  # (N, 2, 3)
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if elastic:
        # Simard et al.'s elastic distortion, cheaply: random moves at a 4×4 lattice spread
        # smoothly over the image by two small matrix products, rather than a Gaussian blur
        # of per-pixel noise (a tenth of the cost).
        coarse = torch.from_numpy(rng.uniform(-elastic, elastic, (n, 4, 4, 2))).float()
        field = torch.einsum("yi,nijc,xj->nyxc", _SPREAD, coarse, _SPREAD)  # (N, 28, 28, 2)
        grid = grid + field * (2 / SIDE)
    return F.grid_sample(x, grid, align_corners=False).squeeze(1)
