"""engine.curves: the chart's maths, against plain loops and hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import curves
from engine.curves import Smoother, View


def ema_by_hand(values: list[float], w: float) -> list[float]:
    """TensorBoard's loop: s = s·w + (1−w)·x, shown as s / (1 − wⁿ)."""
    s, out = 0.0, []
    for n, x in enumerate(values, 1):
        s = s * w + (1 - w) * x
        out.append(s / (1 - w ** n) if w else x)
    return out


@pytest.mark.parametrize("w", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999])
def test_smoother_matches_the_loop_taken_in_pieces(w: float) -> None:
    rng = np.random.default_rng(1)
    values = 3 + rng.standard_normal(10_000)
    smoother = Smoother(w)
    # The points arrive in polls of uneven size, as from the run store.
    for piece in np.split(values, [1, 2, 70, 5_000, 5_001]):
        smoother.extend(piece)
    assert np.allclose(smoother.out.values, ema_by_hand(values.tolist(), w), rtol=1e-10)
    # The first point is itself (debiased), not pulled towards zero.
    assert smoother.out.values[0] == pytest.approx(values[0])


def test_refill_starts_over_with_a_new_weight() -> None:
    values = np.linspace(1, 2, 300)
    smoother = Smoother(0.9)
    smoother.extend(values)
    smoother.weight = 0.5
    smoother.refill(values[:100])
    assert np.allclose(smoother.out.values, ema_by_hand(values[:100].tolist(), 0.5))


def test_scan_is_a_linear_recurrence() -> None:
    b = np.arange(1, 500, dtype=float)
    s, expected = 0.0, []
    for x in b:
        s = 0.97 * s + x
        expected.append(s)
    assert np.allclose(curves.scan(0.97, b), expected)


def test_weight_ladder_runs_from_off_to_0999() -> None:
    assert curves.next_weight(0.6, up=True) == 0.8
    assert curves.next_weight(0.6, up=False) == 0.3
    assert curves.next_weight(0.0, up=False) == 0.0
    assert curves.next_weight(0.999, up=True) == 0.999


def test_units() -> None:
    assert curves.in_unit(math.log(2), "bits") == pytest.approx(1.0)
    assert curves.in_unit(math.log(50), "perplexity") == pytest.approx(50.0)
    assert curves.in_unit(1.5, "nats") == 1.5


def test_envelope_keeps_each_columns_extremes_and_ends() -> None:
    x = np.arange(1000, dtype=float)
    y = np.sin(x / 30)
    y[500] = 9.0  # a spike a mean would hide
    env = curves.envelope(x, y, 0, 999, 10)
    assert env.columns.tolist() == list(range(10))
    assert env.high[5] == 9.0
    column = np.minimum(np.floor(x / 999 * 10), 9)  # x = 999, the right edge, is in the last
    for c in range(10):
        inside = y[column == c]
        assert env.low[c] == inside.min() and env.first[c] == inside[0]
        assert env.last[c] == inside[-1]


def test_envelope_of_a_zoomed_stretch_reaches_past_both_edges() -> None:
    x = np.array([0.0, 10, 20, 30, 40])
    env = curves.envelope(x, x * 2, 15, 25, 4)
    # 10 and 30 lie outside the view: kept at columns -1 and 4 so the line reaches the edges.
    assert env.columns.tolist() == [-1, 2, 4]
    assert env.first.tolist() == [20.0, 40.0, 60.0]


def test_envelope_skips_missing_values() -> None:
    env = curves.envelope(np.arange(4.0), np.array([1, np.nan, 3, np.nan]), 0, 3, 4)
    assert env.columns.tolist() == [0, 2]


def test_nearest_and_at_or_before() -> None:
    x = np.array([10.0, 20, 40])
    assert [curves.nearest(x, v) for v in (0, 14, 16, 31, 99)] == [0, 0, 1, 2, 2]
    assert curves.at_or_before(x, 5) is None and curves.at_or_before(x, 39) == 1
    assert curves.nearest(np.empty(0), 3) is None


def test_nice_ticks() -> None:
    assert curves.nice_ticks(0, 10, 6) == [0, 2, 4, 6, 8, 10]
    assert curves.nice_ticks(1.234, 1.61, 5) == [1.3, 1.4, 1.5, 1.6]
    assert curves.nice_ticks(0, 1_000_000, 5) == [0, 500_000, 1_000_000]  # 1-2-5 steps only
    # Seconds fall on whole minutes.
    assert curves.nice_ticks(0, 400, 4, time=True) == [0, 120, 240, 360]


def test_log_ticks() -> None:
    assert curves.log_ticks(0.5, 300, 6) == [1, 10, 100]
    # Under a decade: round linear values, placed on the log axis.
    assert curves.log_ticks(1.1, 9, 6) == [2, 4, 6, 8]
    many = curves.log_ticks(1e-6, 1e6, 5)
    assert len(many) <= 5 and all(math.log10(t).is_integer() for t in many)


def test_scale_maps_to_dots_linear_and_log() -> None:
    assert curves.Scale(0, 10, 11).position(np.array([0, 5, 10])).tolist() == [0, 5, 10]
    assert curves.Scale(1, 100, 3, log=True).position(np.array([1, 10, 100])).tolist() == \
        [0, 1, 2]


def test_view_follows_zooms_about_a_point_and_clamps() -> None:
    view = View.whole(0, 100)
    assert view.grown(0, 200) == View(0, 200, True)  # the whole run stays whole
    zoomed = view.zoomed(0.5, 80, 0, 100)  # 80 stays where it was on screen (80 %)
    assert (zoomed.lo, zoomed.hi) == (40, 90) and not zoomed.follow
    assert zoomed.grown(0, 200) == zoomed  # not at the edge: stays put
    edge = zoomed.panned(1.0, 0, 100)  # pan right onto the edge: follows from then on
    assert (edge.lo, edge.hi, edge.follow) == (50, 100, True)
    assert edge.grown(0, 150) == View(100, 150, True)  # slides, keeping its width
    assert view.panned(-1, 0, 100) == View(0, 100, True)  # nothing left of the start


def test_an_envelope_from_blocks_matches_the_one_from_every_point() -> None:
    rng = np.random.default_rng(4)
    n = 200_000 + 37  # an incomplete last block too
    x = np.arange(n, dtype=float)
    y = np.cumsum(rng.standard_normal(n))
    blocks = curves.Blocks()
    for piece in np.split(np.arange(n), [10, 5_000, 150_001]):  # as points arrive
        blocks.update(y[:piece[-1] + 1])
    assert blocks.points == n // curves.BLOCK * curves.BLOCK
    for lo, hi, columns in ((0, n - 1, 200), (1_000.5, 190_000, 120), (150_000, n - 1, 90)):
        exact = curves.envelope(x, y, lo, hi, columns)
        fast = curves.envelope(x, y, lo, hi, columns, blocks)
        inside = [[c for c in env.columns.tolist() if 0 <= c < columns] for env in (fast, exact)]
        assert inside[0] == inside[1] == list(range(columns))
        # A block is counted in the column its first point falls in: within a block's width
        # of the column's own extremes.
        inner = slice(1, -1)
        width = curves.BLOCK * 2  # the steps of a block and its neighbour
        for c, high in zip(fast.columns[inner], fast.high[inner], strict=True):
            left = lo + c * (hi - lo) / columns
            right = lo + (c + 1) * (hi - lo) / columns
            near = y[int(max(left - width, 0)):int(min(right + width, n))]
            assert near.min() <= high <= near.max()
