"""The run chart: the dashboard's l and the library's view of a finished run, driven by keys
over recorded runs (no training process runs here). Pilot tests of what the keys do, and SVG
snapshots: linear and log, two runs compared, the cursor with its sample."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import wait_for
from screen_text import screen_text

from engine.events import EvalEvent, SampleEvent, StateEvent, StepEvent
from engine.storage.runstore import RunWriter
from engine.train.job import create_model
from tui.app import PoetuiApp
from tui.screens.run_chart import RunChartScreen
from tui.widgets.library import ModelsTable
from tui.widgets.run_chart import RunChart

pytestmark = pytest.mark.timeout(120)
STAMP = 1_700_000_000.0


def recorded(name: str, steps: int, scale: float = 1.0, batch: int = 256) -> Path:
    """A finished run: a loss falling with a saw-tooth on it, ten evaluations, each with its
    sample; fixed figures (no clock on screen)."""
    path = create_model("python-docs", name, "tiny")
    (path / "ckpt" / f"step-{steps:08d}").mkdir(parents=True)
    for which in ("latest", "best"):
        (path / f"{which}.json").write_text(json.dumps(
            {"dir": f"step-{steps:08d}", "step": steps, "val_loss": 1.5, "time": STAMP}))
    writer = RunWriter(path)
    writer.set_status(total=f"{steps} steps", device="cpu")
    writer.record(StateEvent("training"))
    for s in range(1, steps + 1):
        loss = scale * (1.0 + 3.0 / (1 + s / 30)) + 0.2 * ((s * 7) % 5 - 2) / 2
        lr = 0.003 * (0.5 + 0.5 * math.cos(math.pi * s / steps))
        writer.record(StepEvent(s, 1, s / steps, s / steps, loss, lr, 0.5 + (s % 9) / 10,
                                1000.0 + (s % 13) * 10, s * 0.5, (steps - s) * 0.5,
                                tokens=s * batch))
        if s % (steps // 10) == 0:
            val = scale * (1.1 + 3.0 / (1 + s / 30))
            writer.record(EvalEvent(s, val, math.exp(val), val / math.log(2), True))
            writer.record(SampleEvent(s, f"what {name} wrote at step {s}"))
    writer.set_status(state="done")
    writer.close()
    return path


@pytest.fixture
def runs(utc) -> None:
    recorded("sonnets", 300)
    recorded("odes", 200, scale=1.2, batch=512)


async def open_chart(pilot, name: str = "sonnets") -> RunChart:
    """From the library: o on a finished model opens its chart."""
    app = pilot.app
    table = app.screen.query_one(ModelsTable)
    await wait_for(pilot, lambda: table.row_count == 2)
    table.select(name)
    await pilot.press("o")
    await wait_for(pilot, lambda: isinstance(app.screen, RunChartScreen))
    chart = app.screen.query_one(RunChart)
    await wait_for(pilot, lambda: chart.runs and len(chart.runs[0].history) > 0)
    await pilot.pause()
    return chart


async def test_keys_change_what_the_chart_shows(runs) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = await open_chart(pilot)
        legend = chart.query_one("#chart-legend")
        assert "smoothing 0.6" in str(legend.render())
        await pilot.press("right_square_bracket")
        assert chart.weight == 0.8 and "smoothing 0.8" in str(legend.render())
        for _ in range(4):
            await pilot.press("left_square_bracket")
        assert chart.weight == 0.0 and "smoothing off" in str(legend.render())
        # Smoothing off: the "smoothed" line is the raw loss itself.
        own = chart.runs[0]
        assert (own.smoother.out.values == own.history.step_column("loss")).all()
        await pilot.press("right_square_bracket", "right_square_bracket")
        # Units: the legend's latest value converts (nats → bits → perplexity).
        nats = own.smoother.out.values[-1]
        await pilot.press("u")
        assert f"{nats / math.log(2):.3g}" in str(legend.render())
        assert "bits/token" in str(legend.render())
        await pilot.press("u")
        assert "perplexity" in str(legend.render())
        await pilot.press("u", "y")
        assert chart.log_y and "log y" in str(legend.render())
        # x cycles step → tokens → time; the axis labels follow.
        await pilot.press("x")
        assert chart.x_axis == "tokens"
        assert "76.8k" in str(chart.query_one("#chart-readout").render())  # 300 × 256 tokens
        await pilot.press("x")
        assert chart.x_axis == "time"
        await pilot.press("x")
        assert chart.x_axis == "step"
        # Zoom in about the right edge: the view keeps the latest step and follows the run.
        await pilot.press("plus")
        assert (chart.view.lo, chart.view.hi) == (150.5, 300) and chart.view.follow
        await pilot.press("shift+left")
        assert chart.view.hi < 300 and not chart.view.follow
        await pilot.press("0")
        assert (chart.view.lo, chart.view.hi) == (1, 300)


async def test_the_cursor_reads_its_step_and_the_sample_nearest_it(runs) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = await open_chart(pilot)
        readout = chart.query_one("#chart-readout")
        assert "latest" in str(readout.render())
        assert "what sonnets wrote at step 300" in screen_text(app)
        for _ in range(10):  # a column of the chart (some 5 steps) each
            await pilot.press("left")
        step = int(chart.cursor_step())
        assert 220 < step < 290
        shown = str(readout.render())
        assert "cursor" in shown and f"{step:,}" in shown
        nearest = min(range(30, 301, 30), key=lambda s: abs(s - step))
        assert f"what sonnets wrote at step {nearest}" in screen_text(app)
        assert f"val       {1.1 + 3.0 / (1 + nearest / 30):.3g} @{nearest}" in shown
        # The wheel zooms about the cursor: it stays where it is.
        before = chart.cursor
        await pilot.press("minus")
        assert chart.cursor == before


async def test_compare_overlays_another_run_from_the_picker(runs) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = await open_chart(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("space", "enter")
        await wait_for(pilot, lambda: chart.compared == ["odes"])
        await pilot.pause()
        legend = str(chart.query_one("#chart-legend").render())
        assert "odes" in legend and "sonnets" in legend
        assert chart.runs[1].colour != chart.runs[0].colour
        # In tokens, the run of twice the batch reaches further on the same x.
        await pilot.press("x")
        assert chart.extent() == (256, 200 * 512)
        # Another look gives odes the same colour.
        colour = chart.runs[1].colour
        chart.remove_run("odes")
        chart.add_run("odes", chart.runs[0].history)
        assert chart.runs[1].colour == colour


async def test_the_dashboards_l_shows_the_chart_with_its_keys_in_help(runs, tmp_path) -> None:
    app = PoetuiApp(attach="sonnets")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "polled", False))
        await pilot.press("l")
        chart = app.screen.query_one(RunChart)
        await wait_for(pilot, lambda: chart.display and app.focused is chart)
        await wait_for(pilot, lambda: "x X axis" in screen_text(app).splitlines()[-1])
        # Textual's own screenshot (the palette's "Screenshot") of the chart, as an SVG.
        app.action_screenshot("dashboard.svg", str(tmp_path))
        shot = tmp_path / "dashboard.svg"
        await wait_for(pilot, lambda: shot.exists() and shot.read_text().endswith("</svg>\n"))
        svg = shot.read_text()
        assert "sonnets" in svg and "learning" in svg
        assert any(0x2801 <= ord(ch) <= 0x28FF for ch in svg)  # the braille of the lines
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text").render())  # all of it, scrolled or not
        for words in ("Zoom in", "Cursor left", "Pan left", "More smoothing", "Units",
                      "Log y", "Compare", "Reset view"):
            assert words in text


# -- snapshots --------------------------------------------------------------------------------

def chart_then(*keys: str, compare: bool = False):
    async def run_before(pilot) -> None:
        await open_chart(pilot)
        if compare:
            await pilot.press("o")
            await pilot.pause()
            await pilot.press("space", "enter")
            chart = pilot.app.screen.query_one(RunChart)
            await wait_for(pilot, lambda: chart.compared)
        await pilot.press(*keys)
        await pilot.pause()
    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_chart_linear(snap_compare, runs, size) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=size, run_before=chart_then())


def test_chart_log(snap_compare, runs) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=(80, 24), run_before=chart_then("y"))


def test_chart_two_runs_compared(snap_compare, runs) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=(120, 40),
                        run_before=chart_then("x", compare=True))


def test_chart_cursor_with_its_sample(snap_compare, runs) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=(80, 24),
                        run_before=chart_then(*["left"] * 12))
