"""What a newcomer met on the dashboard and in the palette: a finished run's keys, the screen's
own keys in the palette, a status line that stays one row at 80 columns, and a layout that uses
a tall terminal. Over run stores written here (no training process runs)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import wait_for
from screen_text import screen_lines
from textual.widgets import Sparkline

import engine.storage.folder
import engine.storage.store
import tui.screens.dashboard
from engine.events import SampleEvent, StateEvent, StepEvent
from engine.storage import store
from engine.storage.runstore import RunWriter
from engine.train.job import create_model
from tui.app import PoetuiApp, screen_commands
from tui.screens.dashboard import DashboardScreen
from tui.widgets.run_chart import RunChart
from tui.widgets.samples import SamplePanel

pytestmark = pytest.mark.timeout(120)
RUN_KEYS = {"Pause/resume", "Stop", "Checkpoint", "Sample now"}


def record_run(pattern_file: Path, name: str, log: str | None = None, **status: str) -> None:
    """A model whose run store holds a few steps, a sample and the given status."""
    create_model(str(pattern_file), name, "tiny")
    writer = RunWriter(store.existing(name))
    writer.record(StateEvent("training"))
    for step in range(1, 11):
        writer.record(StepEvent(step, 1, step / 10, step / 10, 3.0 - step / 10, 0.01, 0.5,
                                1000.0, step * 0.1, 1.0))
    writer.record(SampleEvent(10, "the cat sat on the mat."))
    if log:
        writer.log("checkpoint", log)
    writer.set_status(total="1,000,000 steps", device="cpu", threads="2", **status)
    writer.close()


@pytest.fixture
def alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run looks alive, as if its process held the lock."""
    monkeypatch.setattr(tui.screens.dashboard, "is_locked", lambda path: True)
    monkeypatch.setattr(engine.storage.store, "is_locked", lambda path: True)
    monkeypatch.setattr(engine.storage.folder, "is_locked", lambda path: True)


async def open_dashboard(app: PoetuiApp, pilot, name: str) -> DashboardScreen:
    app.open_dashboard(name)
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.polled)
    await pilot.pause()
    return app.screen


async def test_a_finished_run_offers_no_pause_or_stop(pattern_file: Path) -> None:
    record_run(pattern_file, "over", state="done")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        dash = await open_dashboard(app, pilot, "over")
        assert not dash.state.live
        footer = screen_lines(app)[-1]
        assert "Pause" not in footer and "Stop" not in footer
        assert "Write" in footer and "Chart" in footer
        offered = {command.title for command in screen_commands(dash)}
        assert not offered & RUN_KEYS
        assert {"Detach", "Write", "Chart"} <= offered
        await pilot.press("p")  # a hidden key does nothing, not even a warning
        assert dash.state.words == "done"


async def test_the_palette_offers_every_key_of_the_screen(pattern_file: Path, alive) -> None:
    record_run(pattern_file, "going", state="training")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        # The library's own keys, those left out of its footer (rename) too.
        library = {command.title for command in screen_commands(app.screen)}
        assert {"New", "Train", "Write", "Watch", "Info", "Rename", "Delete"} <= library
        dash = await open_dashboard(app, pilot, "going")
        offered = [command.title for command in app.get_system_commands(dash)]
        assert RUN_KEYS | {"Detach", "Write", "Chart"} <= set(offered)
        assert offered[0] == "Pause/resume"  # the screen's own first, before Textual's
        # Chosen in the palette, an entry does what its key does.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"chart")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is dash and dash.query_one(RunChart).display)


async def test_the_status_line_stays_one_row_at_80_columns(pattern_file: Path, alive) -> None:
    # A long name, a budget, the device, the threads and a fresh log line: more than 80
    # columns. The line is cut with …, the newest news before the fixed facts.
    record_run(pattern_file, "tang-wujue-longer-name", state="training",
               log="latest checkpoint saved at step 2,466")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        dash = await open_dashboard(app, pilot, "tang-wujue-longer-name")
        assert time.time() - dash.last_log["time"] < 15
        status = dash.query_one("#run-status")
        assert status.size.height == 1
        row = screen_lines(app)[1]
        assert "latest checkpoint saved at step 2,466" in row and row.rstrip().endswith("…")
        # A failed run's sentence is read whole: it wraps.
        dash.status = {**dash.status, "state": "error",
                       "message": "Training diverged and nothing was saved over the good "
                                  "weights; lower the learning rate and train again."}
        dash.alive = False
        dash.show_status()
        await pilot.pause()
        assert status.size.height > 1


async def test_a_tall_terminal_gives_the_loss_the_room(pattern_file: Path, alive) -> None:
    record_run(pattern_file, "roomy", state="training")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        dash = await open_dashboard(app, pilot, "roomy")
        train = dash.query_one("#train-spark", Sparkline)
        sample = dash.query_one(SamplePanel)
        small = (train.size.height, sample.size.height)
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.3)
        # The 16 more rows go to the loss, not to empty rows under a one-line sample.
        assert train.size.height >= small[0] + 5
        assert sample.size.height <= small[1] + 1
        lines = screen_lines(app)
        assert sum(1 for line in lines if line.strip() in ("┃" * 2, "")) < 5
