"""What a newcomer reads at 80×24: the library, the dashboard, the desk, the info dialog, and the
theme under NO_COLOR. Over fixture data and stand-ins; no training process runs here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_for
from notices import RecordingApp
from screen_text import screen_lines, screen_runs
from textual.color import Color
from textual.command import CommandPalette

import engine.storage.folder
import engine.storage.store
import tui.screens.dashboard
from engine.events import StateEvent, StepEvent
from engine.generate.sampler import Written
from engine.storage import store
from engine.storage.runlock import RunLock
from engine.storage.runstore import RunWriter
from engine.train.job import create_model
from tui import settings
from tui.app import PoetuiApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.desk import DeskScreen
from tui.screens.dialogs import ConfirmDialog, InfoDialog
from tui.screens.library import LibraryScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.library import CorporaTable, ModelsTable
from tui.widgets.sampling import SamplingControls
from tui.widgets.token_stream import TokenStream

pytestmark = pytest.mark.timeout(120)
LONG_NAME = "a-very-long-model-nm"  # 20 characters


def record_run(name: str, **status: str) -> Path:
    """A few recorded steps and the given status, as a training process would leave them."""
    path = store.existing(name)
    writer = RunWriter(path)
    writer.record(StateEvent("training"))
    for step in range(1, 11):
        writer.record(StepEvent(step, 1, step / 10, step / 10, 3.0 - step / 10, 0.01, 0.5,
                                1000.0, step * 0.1, 1.0))
    writer.set_status(total="10 steps", device="cpu", **status)
    writer.close()
    return path


@pytest.fixture
def alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run looks alive, as if its process held the lock."""
    monkeypatch.setattr(tui.screens.dashboard, "is_locked", lambda path: True)
    monkeypatch.setattr(engine.storage.store, "is_locked", lambda path: True)
    monkeypatch.setattr(engine.storage.folder, "is_locked", lambda path: True)


# -- library ------------------------------------------------------------------------------------

async def test_models_table_fits_80_columns_with_a_long_name(pattern_file: Path) -> None:
    create_model(str(pattern_file), LONG_NAME, "tiny")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:2] == ["name", "state"]
        # Nothing runs off the right edge: no sideways scrolling, the state on screen.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        row = next(line for line in screen_lines(app) if LONG_NAME in line)
        assert re.search(rf"{LONG_NAME}\s+new\s", row)
        # Wider, the columns that gave way come back.
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: len(table.columns) == len(ModelsTable.COLUMNS))
        # A name longer than the narrowest window is cut, not the state.
        create_model(str(pattern_file), "x" * 60, "tiny")
        app.screen.reload()
        await pilot.resize_terminal(60, 20)
        await wait_for(pilot, lambda: table.row_count == 2 and len(table.columns) == 2)
        await pilot.pause()
        row = next(line for line in screen_lines(app) if "xxxxx" in line)
        assert re.search(r"x\s+new\s", row)


async def test_leaving_a_dashboard_returns_to_its_model(pattern_file: Path) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        library = app.screen
        # An empty library starts in the corpora; then models appear (made elsewhere).
        assert isinstance(library.focused, CorporaTable)
        for name in ("alpha", "beta", "gamma"):
            create_model(str(pattern_file), name, "tiny")
        library.reload()
        table = library.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        app.open_dashboard("beta")  # as from the command palette, the cursor on alpha
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen is library)
        await pilot.pause()
        assert isinstance(library.focused, ModelsTable)
        assert table.selected_name() == "beta"


async def test_delete_and_rename_refuse_a_training_model_before_asking(
        pattern_file: Path) -> None:
    path = create_model(str(pattern_file), "busy", "tiny")
    lock = RunLock(path)
    lock.acquire()  # as its training process would
    try:
        app = RecordingApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for key, doing in (("d", "deleting"), ("r", "renaming")):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, LibraryScreen)  # no dialog to answer first
                message = app.notices[-1]
                assert "training right now" in message and doing in message
            assert store.existing("busy")
            assert not isinstance(app.screen, ConfirmDialog)
    finally:
        lock.release()


async def test_evaluating_reads_as_training_in_the_library(pattern_file: Path,
                                                           alive) -> None:
    create_model(str(pattern_file), "judged", "tiny")
    record_run("judged", state="evaluating")
    app = PoetuiApp()
    app.watched_runs.add("judged")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert table.get_cell("judged", "state") == "training"


async def test_footers_keep_the_keys_needed_most(pattern_file: Path) -> None:
    create_model(str(pattern_file), "keys", "tiny")
    record_run("keys", state="done")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = screen_lines(app)[-1]
        for key in ("n New", "t Train", "g Write", "i Info", "d Delete", "f1 Help"):
            assert key in footer
        app.open_dashboard("keys")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: app.screen.polled)  # its first poll in, on a busy machine
        await pilot.pause()
        footer = screen_lines(app)[-1]
        # The run is done: its footer offers what can be done with it, not pause or stop.
        for key in ("d Detach", "w Write", "l Chart", "f1 Help"):
            assert key in footer
        assert "Pause" not in footer and "Stop" not in footer


async def test_a_click_on_a_footer_key_presses_it(pattern_file: Path) -> None:
    create_model(str(pattern_file), "clicked", "tiny")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        footer = app.screen.query_one(KeyFooter)
        column = screen_lines(app)[-1].index(" i Info")
        await pilot.click(KeyFooter, offset=(column + 4, 0))  # on "Info"
        await wait_for(pilot, lambda: isinstance(app.screen, InfoDialog))
        assert "clicked" in app.screen.text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InfoDialog))
        # Focus on the corpora: the footer shows their keys, and a click there acts on them.
        await pilot.press("tab")
        await wait_for(pilot, lambda: "Download" in screen_lines(app)[-1])
        assert footer.key_at(screen_lines(app)[-1].index("Download")).key == "f"
        await pilot.click(KeyFooter, offset=(screen_lines(app)[-1].index("palette"), 0))
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))


# -- dashboard ----------------------------------------------------------------------------------

async def test_dashboard_wraps_a_long_error_and_shows_threads(pattern_file: Path) -> None:
    create_model(str(pattern_file), "broke", "tiny")
    error = ("Model 'broke' has already used its whole budget; give a larger budget to "
             "train it further, in steps, epochs or minutes.")
    record_run("broke", state="error", message=error, threads="2")
    app = PoetuiApp(attach="broke")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.pause()
        status = app.screen.query_one("#run-status")
        assert status.size.height >= 2
        shown = " ".join(line.strip() for line in screen_lines(app)[1:1 + status.size.height])
        assert error in shown
        assert "2 threads" in shown


async def test_dashboard_drops_a_stale_message_and_says_evaluating(
        pattern_file: Path, alive, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui.screens.dashboard, "MESSAGE_SECONDS", 1.0)
    create_model(str(pattern_file), "live", "tiny")
    path = record_run("live", state="training")
    writer = RunWriter(path)
    app = PoetuiApp(attach="live")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        # Written once the dashboard is up: on a busy machine the app's start could take
        # longer than the news lasts here.
        writer.log("checkpoint", "latest checkpoint saved at step 10")
        status = app.screen.query_one("#run-status")
        await wait_for(pilot, lambda: "checkpoint saved" in str(status.render()))
        # News for a while, then gone: it does not stay after it stops being news.
        await wait_for(pilot, lambda: "checkpoint saved" not in str(status.render()))
        writer.set_status(state="evaluating")
        await wait_for(pilot, lambda: "evaluating…" in str(status.render()))
        writer.set_status(state="training")
        await wait_for(pilot, lambda: "evaluating" not in str(status.render()))
    writer.close()


# -- writing desk -------------------------------------------------------------------------------

class FakeKind:
    itemised = True


class FakeSampler:
    """Stands in for a loaded records model: each item is a fixed continuation."""

    kind = FakeKind()

    class Prime:
        notice = None

    def prime(self, prompt: str) -> Prime:
        return self.Prime()

    class vocab:  # noqa: N801 — stands in for the model's vocabulary
        level = "char"

    def written(self, prime, config, count: int, constraint=None, alternatives: int = 0
                ) -> Iterator[Iterator[Written]]:
        for i in range(count):
            yield iter([Written(0, "ab", "ab", 1.0, 0.0), Written(1, f"c{i}", f"c{i}", 1.0, 0.0)])


@pytest.fixture
def desk_app(monkeypatch: pytest.MonkeyPatch, pattern_file: Path) -> PoetuiApp:
    # A language model named "any" (so "write" opens the desk, not the translate screen),
    # loaded at once, as the real load's thread would report back.
    create_model(str(pattern_file), "any", "tiny")
    monkeypatch.setattr(DeskScreen, "load",
                        lambda desk: desk.call_after_refresh(desk.loaded, FakeSampler(), 7))
    return PoetuiApp()


async def test_desk_items_carry_the_prompt_once(desk_app: PoetuiApp, tmp_path: Path) -> None:
    app = desk_app
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_desk("any")
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen)
                       and app.screen.sampler is not None)
        desk = app.screen
        desk.query_one(SamplingControls).count = 2
        await pilot.press(*"春", "enter")
        await wait_for(pilot, lambda: len(desk.history) == 1)
        assert desk.query_one(TokenStream).text == "1. 春abc0\n2. 春abc1"
        desk.save_to(tmp_path / "out.txt", desk.query_one(TokenStream).text)
        assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "1. 春abc0\n2. 春abc1\n"
        # One item: the prompt and its continuation, no number.
        desk.query_one(SamplingControls).count = 1
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(desk.history) == 2)
        assert desk.query_one(TokenStream).text == "春abc0"


@pytest.mark.parametrize("width", [80, 60])
async def test_desk_controls_fit_the_width(desk_app: PoetuiApp, width: int) -> None:
    app = desk_app
    async with app.run_test(size=(width, 24)) as pilot:
        app.open_desk("any")
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen)
                       and app.screen.sampler is not None)
        controls = app.screen.query_one(SamplingControls)
        for focused in (False, True):
            if focused:
                controls.focus()
            await pilot.pause()
            top, bottom = controls.region.y, controls.region.bottom
            shown = " ".join(screen_lines(app)[top:bottom])
            for part in ("temp 0.8", "top-k off", "top-p 1.00", "length 120", "seed random",
                         "items 5"):
                assert part in shown
            hint = "shift+key lowers" if focused else "tab here to change these"
            assert hint in shown


# -- info and colour ----------------------------------------------------------------------------

async def test_model_info_reads_as_text(pattern_file: Path) -> None:
    path = create_model(str(pattern_file), "told", "tiny")
    (path / "ckpt" / "step-00000060").mkdir(parents=True)  # what the pointers name
    for which in ("latest", "best"):
        (path / f"{which}.json").write_text(json.dumps(
            {"dir": "step-00000060", "step": 60, "val_loss": 6.182148092963887,
             "time": 1_700_000_000.0}))
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InfoDialog))
        text = app.screen.text
        assert "6.182" in text and "6.1821" not in text
        assert re.search(r"last trained +\d{4}-\d\d-\d\d \d\d:\d\d", text)
        assert re.search(r"created +\d{4}-\d\d-\d\d \d\d:\d\d", text)
        assert "{" not in text and "null" not in text and "true" not in text
        assert re.search(r"^ +optimizer +adamw", text, re.MULTILINE)
        assert re.search(r"^ +hidden +64", text, re.MULTILINE)


def _colours(app: PoetuiApp, line: int) -> set[tuple[Color, Color]]:
    """(foreground, background) of the visible text on a screen row, after Textual's filters
    (NO_COLOR's among them) as the terminal would get it: read from the app's screenshot."""
    return {(run.color, run.background) for run in screen_runs(app)[line] if run.text.strip()}


async def test_no_color_is_readable_whatever_theme_was_saved(
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings.save(theme="ansi-dark")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"  # with colour, the saved theme applies
    monkeypatch.setenv("NO_COLOR", "1")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == settings.DEFAULT_THEME
        assert not any(theme.ansi for theme in app.available_themes.values())
        row = next(i for i, line in enumerate(screen_lines(app)) if "No models yet" in line)
        colours = _colours(app, row)
        assert colours and all(fg != bg for fg, bg in colours)
    assert settings.load()["theme"] == "ansi-dark"  # kept for sessions with colour
