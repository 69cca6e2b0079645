"""The dashboard (and so `poetui attach`) of a data-parallel run shows its processes."""

from __future__ import annotations

from pathlib import Path

from helpers import wait_for
from screen_text import screen_lines
from test_tui_screens import record_run

from engine.train.job import create_model
from tui.app import PoetuiApp
from tui.screens.dashboard import DashboardScreen


async def test_dashboard_shows_the_processes_and_their_threads(pattern_file: Path) -> None:
    create_model(str(pattern_file), "wide", "tiny")
    record_run("wide", state="done", threads="1", processes="2")
    app = PoetuiApp(attach="wide")
    # Wide: at 80 columns the one-row status line keeps what is new and cuts the threads.
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: "2 processes × 1 thread" in " ".join(screen_lines(app)))
