"""A run's curves made ready to draw: smoothing, envelopes, units, axis ticks and the view.

Pure numpy, no UI: the dashboard's chart asks this module every number it draws, so the maths
is tested here and the widget only places characters. Everything is sized by what is drawn
(columns of the chart), never by the run's length, except the one pass that takes in new
points as they arrive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LN2 = math.log(2.0)
UNITS = ("nats", "bits", "perplexity")  # what `u` cycles: nats/token, bits/token, exp(nats)
X_AXES = ("step", "tokens", "time")  # what `x` cycles: step, tokens seen, training time (s)
# Blocked scans: a block this long is one small matrix product; the carries between blocks are
# the same scan again on a series this many times shorter.
_BLOCK = 64


class Column:
    """A float64 array that grows at its end (amortised doubling) and can be cut back."""

    def __init__(self) -> None:
        self._data = np.empty(1024)
        self.size = 0

    @property
    def values(self) -> np.ndarray:
        return self._data[:self.size]

    def extend(self, values: np.ndarray) -> None:
        need = self.size + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)))
            grown[:self.size] = self.values
            self._data = grown
        self._data[self.size:need] = values
        self.size = need

    def truncate(self, size: int) -> None:
        self.size = min(self.size, size)


# -- smoothing ------------------------------------------------------------------------------------

def scan(a: float, b: np.ndarray) -> np.ndarray:
    """s[i] = a·s[i-1] + b[i] with s[-1] = 0, for 0 ≤ a ≤ 1, in blocks: within a block it is
    one product with the matrix of powers of a (all ≤ 1, so nothing overflows), and the
    block ends carry over by the same scan with a^block."""
    n = len(b)
    if n <= _BLOCK:
        out, s = np.empty(n), 0.0
        for i, x in enumerate(b.tolist()):
            s = a * s + x
            out[i] = s
        return out
    blocks = -(-n // _BLOCK)
    padded = np.zeros(blocks * _BLOCK)
    padded[:n] = b
    j = np.arange(_BLOCK)
    powers = np.where(j[:, None] <= j[None, :], a ** np.maximum(j[None, :] - j[:, None], 0), 0.0)
    local = padded.reshape(blocks, _BLOCK) @ powers  # (blocks, block): sums within each block
    ends = scan(a ** _BLOCK, local[:, -1])  # s at each block's last element
    local[1:] += ends[:-1, None] * (a ** (j + 1))[None, :]
    return local.reshape(-1)[:n]


class Smoother:
    """TensorBoard's debiased exponential moving average, taken in as points arrive:
    s = s·w + (1−w)·x, shown as s / (1 − wⁿ) (n points so far), so the first points are not
    pulled towards zero. Weight 0 shows the raw values."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self.state, self.count = 0.0, 0
        self.out = Column()

    def extend(self, values: np.ndarray) -> None:
        w, n = self.weight, len(values)
        if n == 0:
            return
        if w == 0.0:
            self.out.extend(values)
        else:
            k = np.arange(1, n + 1)
            biased = scan(w, (1 - w) * values) + self.state * w ** k
            self.state = float(biased[-1])
            self.out.extend(biased / (1 - w ** (self.count + k)))
        self.count += n

    def refill(self, values: np.ndarray) -> None:
        """Start again over ``values`` (a new weight, or history cut back)."""
        self.state, self.count = 0.0, 0
        self.out.truncate(0)
        self.extend(values)


def next_weight(weight: float, up: bool) -> float:
    """The next smoothing weight `]` (up) or `[` gives: 0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99,
    0.995, 0.999 — each step halves or doubles about how many points the average spans."""
    ladder = (0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
    i = min(range(len(ladder)), key=lambda k: abs(ladder[k] - weight))
    return ladder[min(i + 1, len(ladder) - 1)] if up else ladder[max(i - 1, 0)]


# -- units ----------------------------------------------------------------------------------------

def in_unit(nats: np.ndarray | float, unit: str) -> np.ndarray | float:
    """A loss in nats per token as bits per token or perplexity (both increasing in nats, so
    a min/max envelope converts point by point)."""
    if unit == "bits":
        return nats / LN2
    if unit == "perplexity":
        return np.exp(np.minimum(nats, 700.0))  # beyond e^700 a float overflows
    return nats


# -- envelopes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Envelope:
    """Per drawn column holding points: its index, the first, last, lowest and highest value
    (M4 downsampling: a line through these looks as the line through every point does)."""

    columns: np.ndarray
    first: np.ndarray
    last: np.ndarray
    low: np.ndarray
    high: np.ndarray


BLOCK = 64  # points per block of a Blocks summary


class Blocks:
    """A long series summarised in blocks of BLOCK points: each complete block's first, last,
    lowest and highest value, kept up to date as points arrive. A view holding many points per
    column is reduced from these instead of from every point: its cost is the run's length
    over 64 (a million steps: some 16,000 blocks), and a block spans less than a column."""

    def __init__(self) -> None:
        self.first, self.last, self.low, self.high = Column(), Column(), Column(), Column()

    @property
    def points(self) -> int:
        """How many points the complete blocks cover."""
        return self.first.size * BLOCK

    def update(self, y: np.ndarray) -> None:
        """Take in the complete blocks of ``y`` not yet summarised (``y`` only ever grows;
        after a cut or a refill, ``reset`` first)."""
        done, whole = self.points, len(y) // BLOCK * BLOCK
        if whole <= done:
            return
        part = y[done:whole].reshape(-1, BLOCK)
        with np.errstate(invalid="ignore"):
            self.first.extend(part[:, 0])
            self.last.extend(part[:, -1])
            self.low.extend(np.nanmin(part, axis=1) if np.isnan(part).any() else part.min(1))
            self.high.extend(np.nanmax(part, axis=1) if np.isnan(part).any() else part.max(1))

    def reset(self) -> None:
        for column in (self.first, self.last, self.low, self.high):
            column.truncate(0)


def envelope(x: np.ndarray, y: np.ndarray, lo: float, hi: float, columns: int,
             blocks: Blocks | None = None) -> Envelope:
    """Reduce the points with lo ≤ x ≤ hi (x ascending) to one entry per column of ``columns``
    equal columns across [lo, hi]; one point just outside either edge is kept (at column −1
    or ``columns``) so the line reaches the edge. With ``blocks`` (y's summary), a view of
    more than four blocks per column is reduced from the blocks (and the points past the last
    complete block): the same envelope to within a block's width."""
    start = max(int(np.searchsorted(x, lo, "left")) - 1, 0)
    stop = min(int(np.searchsorted(x, hi, "right")) + 1, len(x))
    if blocks is not None and stop - start > 4 * BLOCK * columns and blocks.points:
        return _block_envelope(x, y, start, stop, lo, hi, columns, blocks)
    return _reduce(x[start:stop], y[start:stop], y[start:stop], y[start:stop],
                   y[start:stop], lo, hi, columns)


def _block_envelope(x: np.ndarray, y: np.ndarray, start: int, stop: int, lo: float, hi: float,
                    columns: int, blocks: Blocks) -> Envelope:
    b0, b1 = start // BLOCK, min(-(-stop // BLOCK), blocks.first.size)
    tail = max(b1 * BLOCK, start)  # the points past the last complete block in the view
    at = np.r_[np.arange(b0, b1) * BLOCK, np.arange(tail, stop)]
    pick = slice(b0, b1)
    rest = y[tail:stop]
    return _reduce(x[at], np.r_[blocks.first.values[pick], rest],
                   np.r_[blocks.last.values[pick], rest], np.r_[blocks.low.values[pick], rest],
                   np.r_[blocks.high.values[pick], rest], lo, hi, columns)


def _reduce(xs: np.ndarray, first: np.ndarray, last: np.ndarray, low: np.ndarray,
            high: np.ndarray, lo: float, hi: float, columns: int) -> Envelope:
    """M4 over entries (a point, or a block: its first, last, lowest and highest value) at
    ascending ``xs``."""
    keep = ~np.isnan(low)
    if not keep.all():
        xs, first, last, low, high = xs[keep], first[keep], last[keep], low[keep], high[keep]
    if len(xs) == 0:
        empty = np.empty(0)
        return Envelope(empty.astype(int), empty, empty, empty, empty)
    span = max(hi - lo, 1e-12)
    col = np.floor((xs - lo) / span * columns).astype(np.int64)
    col = np.clip(col, -1, columns)
    col[(xs <= hi) & (col == columns)] = columns - 1  # x == hi belongs to the last column
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    ends = np.r_[starts[1:], len(col)] - 1
    return Envelope(col[starts], first[starts], last[ends],
                    np.minimum.reduceat(low, starts), np.maximum.reduceat(high, starts))


def binned_means(values: np.ndarray, bins: int) -> list[float]:
    """At most ``bins`` means of consecutive runs of ``values`` (NaN left out), as a list."""
    values = values[~np.isnan(values)]
    if len(values) <= bins:
        return values.tolist()
    edges = np.linspace(0, len(values), bins + 1).astype(np.int64)
    return (np.add.reduceat(values, edges[:-1]) / np.diff(edges)).tolist()


def along(steps: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values`` (given at ascending ``steps``) at the steps ``at``: where an evaluation
    falls in tokens seen or in time."""
    if len(steps) == 0:
        return np.full(len(at), np.nan)
    return np.interp(at, steps, values)


def nearest(x: np.ndarray, value: float) -> int | None:
    """Index of the point of ascending ``x`` nearest ``value``; None when there is none."""
    if len(x) == 0:
        return None
    i = int(np.searchsorted(x, value))
    if i == 0:
        return 0
    if i == len(x):
        return len(x) - 1
    return i if x[i] - value < value - x[i - 1] else i - 1


def at_or_before(x: np.ndarray, value: float) -> int | None:
    """Index of the last point of ascending ``x`` at or before ``value``."""
    i = int(np.searchsorted(x, value, "right")) - 1
    return i if i >= 0 else None


# -- axes -----------------------------------------------------------------------------------------

TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
              43200, 86400)


def nice_ticks(lo: float, hi: float, most: int, time: bool = False) -> list[float]:
    """As many round values in [lo, hi] as fit in ``most``: steps of 1, 2 or 5 times a power
    of ten (or, for seconds, whole seconds, minutes and hours), the finest that fits."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or most < 1:
        return []
    if hi <= lo:
        return [lo]

    def count(step: float) -> int:
        return math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1

    power = 10.0 ** math.floor(math.log10((hi - lo) / most))
    steps = [m * power * 10.0 ** k for k in range(4) for m in (1, 2, 5)]
    if time and hi - lo <= TIME_STEPS[-1] * most:
        steps = [float(s) for s in TIME_STEPS] + [s for s in steps if s > TIME_STEPS[-1]]
    step = next((s for s in steps if count(s) <= most), steps[-1])
    first = math.ceil(lo / step - 1e-9)
    return [round((first + k) * step, 12) for k in range(max(count(step), 1))]


def log_ticks(lo: float, hi: float, most: int) -> list[float]:
    """Ticks for a log axis over [lo, hi] (both > 0): powers of ten (every k-th when there are
    many decades), or 1-2-5 within each decade when there are few; round linear values when
    the range is too short for either."""
    if lo <= 0 or hi <= lo:
        return nice_ticks(lo, hi, most)
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [m * 10.0 ** e for e in decades for m in mantissas if lo <= m * 10.0 ** e <= hi]
        if len(ticks) > most:
            if mantissas == (1,):
                return ticks[::math.ceil(len(ticks) / most)]
            break
        if len(ticks) >= 3:
            return ticks
    return nice_ticks(lo, hi, most)


@dataclass(frozen=True)
class Scale:
    """Maps values on an axis to dot positions 0..dots-1 (log or linear)."""

    lo: float
    hi: float
    dots: int
    log: bool = False

    def position(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        if self.log:
            lo, hi = math.log10(self.lo), math.log10(self.hi)
            v = np.log10(np.maximum(v, self.lo * 1e-6))
        else:
            lo, hi = self.lo, self.hi
        span = hi - lo if hi > lo else 1.0
        return np.round((v - lo) / span * (self.dots - 1)).astype(np.int64)


def value_range(lows: list[np.ndarray], highs: list[np.ndarray], log: bool) -> tuple[float, float]:
    """The y range that holds every drawn envelope, with a little room; for a log axis, only
    values above zero count."""
    low = [a for a in lows if len(a)]
    high = [a for a in highs if len(a)]
    if not low:
        return (0.1, 1.0) if log else (0.0, 1.0)
    lo = min(float(np.min(a[a > 0])) if log and np.any(a > 0) else float(np.min(a))
             for a in low)
    hi = max(float(np.max(a)) for a in high)
    if log:
        lo = max(lo, 1e-12)
        hi = max(hi, lo * 1.0001)
        pad = (math.log10(hi) - math.log10(lo)) * 0.04 or 0.02
        return 10 ** (math.log10(lo) - pad), 10 ** (math.log10(hi) + pad)
    pad = (hi - lo) * 0.04 or max(abs(hi) * 0.05, 0.05)
    return lo - pad, hi + pad


# -- the view -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """Which stretch of x is shown: [lo, hi] within the run's [start, end]. ``follow``: the
    view's right edge is the run's end and moves with it as the run grows."""

    lo: float
    hi: float
    follow: bool = True

    @staticmethod
    def whole(start: float, end: float) -> View:
        return View(start, max(end, start + 1e-9), True)

    def grown(self, start: float, end: float) -> View:
        """The view once the run reaches ``end``: a followed view slides (keeping its width,
        or its left edge when it shows the whole run); any other view stays put."""
        if not self.follow:
            return self
        if self.lo <= start:
            return View.whole(start, end)
        width = self.hi - self.lo
        return View(max(end - width, start), max(end, start + 1e-9), True)

    def zoomed(self, factor: float, about: float, start: float, end: float) -> View:
        """Zoom by ``factor`` (< 1 zooms in) keeping ``about`` where it is on screen."""
        width = min((self.hi - self.lo) * factor, end - start)
        width = max(width, min(end - start, 2.0) if end > start else 1e-9)  # two steps at least
        frac = (about - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 1.0
        lo = about - frac * width
        return View(lo, lo + width, False).clamped(start, end)

    def panned(self, fraction: float, start: float, end: float) -> View:
        shift = (self.hi - self.lo) * fraction
        return View(self.lo + shift, self.hi + shift, False).clamped(start, end)

    def clamped(self, start: float, end: float) -> View:
        width = self.hi - self.lo
        lo = min(max(self.lo, start), max(end - width, start))
        hi = min(lo + width, max(end, start + 1e-9))
        return View(lo, hi, hi >= end)
