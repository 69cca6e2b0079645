"""Pilot-driven flows over real parts: real training processes, real SQLite, real sampler."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import wait_for, wait_until

from engine.storage import store
from engine.storage.runlock import is_locked
from engine.train.job import create_model
from engine.train.worker import spawn
from tui.app import PoetuiApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.desk import DeskScreen
from tui.screens.dialogs import QuitDialog
from tui.screens.library import LibraryScreen
from tui.screens.new_model import NewModelScreen
from tui.screens.too_small import TooSmallScreen
from tui.widgets.corpus_check import CorpusReport
from tui.widgets.library import ModelsTable
from tui.widgets.token_stream import TokenStream

pytestmark = pytest.mark.timeout(180)


async def test_create_train_stop_generate(pattern_file: Path, runs: list[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Count what reaches the token stream and how often it is painted.
    counts = {"pushes": 0, "paints": 0}
    push, flush = TokenStream.push, TokenStream.flush

    def counted_push(stream, piece):
        counts["pushes"] += 1
        push(stream, piece)

    def counted_flush(stream):
        before = stream.text
        flush(stream)
        counts["paints"] += stream.text != before

    monkeypatch.setattr(TokenStream, "push", counted_push)
    monkeypatch.setattr(TokenStream, "flush", counted_flush)
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewModelScreen))
        new = app.screen
        # corpus choice → file path: type the made-up corpus's path
        await pilot.press("tab", *str(pattern_file))
        # → level → preset: open the list, type to find tiny, choose it
        await pilot.press("tab", "tab", "enter", *"tiny", "enter")
        # → cell → layers hidden dropout seq batch lr threads → budget (in tiny's steps)
        await pilot.press(*["tab"] * 9, *"400")
        await pilot.press("tab", "tab", *"cat")
        await wait_for(pilot, lambda: new.corpus_ok)
        assert new.query_one("#preset").value == "tiny"
        assert new.overrides()["steps"] == 400
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        runs.append("cat")
        dash = app.screen
        assert dash.model_name == "cat"
        # The loss panel fills from the run store as the separate process trains.
        await wait_for(pilot, lambda: len(dash.history) >= 5)
        spark = dash.query_one("#train-spark")
        seen = len(spark.data)
        assert seen >= 5
        await wait_for(pilot, lambda: len(dash.query_one("#train-spark").data) > seen)
        loss = dash.history.step_column("loss")
        assert loss[-1] < loss[0]
        await pilot.press("s")
        await wait_for(pilot, lambda: dash.state in ("stopped", "done"))
        assert not is_locked(store.existing("cat"))
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen))
        desk = app.screen
        await wait_for(pilot, lambda: desk.sampler is not None)
        await pilot.press(*"the ", "enter")
        await wait_for(pilot, lambda: len(desk.history) == 1)
        stream = desk.query_one(TokenStream)
        # Streamed: every token arrived on its own, and the screen was painted from them.
        assert counts["pushes"] > 10
        assert counts["paints"] >= 1
        assert stream.text.startswith("the ") and len(stream.text) > len("the ") + 10
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(desk.history) == 2)


def long_run(pattern_file: Path, runs: list[str], name: str) -> Path:
    """A run that trains far longer than any test, in its own process."""
    create_model(str(pattern_file), name, "tiny", steps=20000)
    spawn(name)
    runs.append(name)
    return store.existing(name)


async def test_attach_shows_missed_history_and_quit_stops(pattern_file: Path,
                                                          runs: list[str]) -> None:
    path = long_run(pattern_file, runs, "running")
    app = PoetuiApp(attach="running")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        dash = app.screen
        await wait_for(pilot, lambda: dash.last_step is not None and dash.last_step["step"] > 20)
        # Everything from step 1 on, though the dashboard opened later.
        assert len(dash.history) == dash.last_step["step"]
        assert dash.state == "training"
        await pilot.press("p")
        await wait_for(pilot, lambda: dash.state == "paused")
        await pilot.press("p")
        await wait_for(pilot, lambda: dash.state == "training")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog))
        await pilot.press("s")
    wait_until(lambda: not is_locked(path), 60, "the run to stop")


async def test_quit_can_detach_and_leave_the_run_going(pattern_file: Path,
                                                       runs: list[str]) -> None:
    path = long_run(pattern_file, runs, "bg")
    app = PoetuiApp(attach="bg")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: app.screen.state == "training")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog))
        await pilot.press("d")
    assert is_locked(path)  # still training after the app is gone


async def test_bad_file_path_says_so_in_one_sentence(tmp_path: Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewModelScreen))
        screen = app.screen
        report = screen.query_one(CorpusReport)
        await pilot.press("tab", *str(tmp_path / "missing.txt"))
        await wait_for(pilot, lambda: "There is no file" in str(report.render()))
        assert report.has_class("-error")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NewModelScreen)  # nothing was created
        assert store.list_models() == []
        screen.query_one("#path").value = ""
        await pilot.press(*str(binary))
        await wait_for(pilot, lambda: "binary" in str(report.render()))


async def test_tiny_terminal_says_how_large_it_needs_to_be() -> None:
    app = PoetuiApp()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "60×20" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))


async def test_empty_library_says_what_to_do_first() -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        empty = app.screen.query_one("#empty")
        assert empty.display and "Press n" in str(empty.render())
        assert not app.screen.query_one(ModelsTable).display


async def test_rename_and_delete_from_the_library(pattern_file: Path) -> None:
    create_model(str(pattern_file), "first", "tiny")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(ModelsTable)
        assert table.selected_name() == "first"
        await pilot.press("r", *["backspace"] * 5, *"second", "enter")
        await wait_for(pilot, lambda: table.selected_name() == "second")
        assert [m.name for m in store.list_models()] == ["second"]
        await pilot.press("d")
        await pilot.press("n")  # the dialog's "no" keeps it
        await pilot.pause()
        assert [m.name for m in store.list_models()] == ["second"]
        await pilot.press("d", "y")
        await wait_for(pilot, lambda: store.list_models() == [])
        await wait_for(pilot, lambda: app.screen.query_one("#empty").display)
