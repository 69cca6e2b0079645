"""Catalog downloads in the app, over real HTTP from 127.0.0.1: the library's f, the
new-model screen's offer and ctrl+f, the bar as bytes arrive, escape to cancel (the part
stays and the next download resumes it), and the sentence when the server says no."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from corpus_server import TEXT, CorpusServer, serving
from helpers import wait_for
from notices import RecordingApp
from screen_text import region_lines, screen_text
from textual.widgets import ProgressBar, Select

import corpora.cards
import engine.train.estimate
from corpora.cards import Card, Source
from engine.data import cache
from tui.app import PoetuiApp
from tui.screens.dialogs import ConfirmDialog
from tui.screens.library import LibraryScreen
from tui.screens.new_model import NewModelScreen
from tui.widgets.corpus_check import CorpusReport
from tui.widgets.download import DownloadPanel
from tui.widgets.library import CorporaTable

pytestmark = pytest.mark.timeout(120)
HOLD = 100_000  # bytes the server sends before it waits for the test


@pytest.fixture
def server() -> Iterator[CorpusServer]:
    with serving() as state:
        state.bodies["/text.txt"] = TEXT
        yield state


@pytest.fixture
def card(server: CorpusServer, monkeypatch: pytest.MonkeyPatch) -> Card:
    """The catalog with one more card, served from the local server."""
    card = server.card("/text.txt")
    monkeypatch.setattr(corpora.cards, "CARDS", (*corpora.cards.CARDS, card))
    return card


def notes(app: RecordingApp) -> list[str]:
    return app.notices


async def menu(pilot, choice: Select) -> list[str]:
    """A Select's options as its menu shows them when opened (enter, as a user does), one per
    row; the menu is closed again after."""
    choice.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: choice.expanded)
    await pilot.pause()
    shown = pilot.app.screen.focused  # the open menu has the keys
    assert shown is not choice and choice in shown.ancestors
    rows = [row.strip() for row in region_lines(pilot.app, shown.region)]
    await pilot.press("escape")
    await wait_for(pilot, lambda: not choice.expanded)
    return rows


async def test_library_downloads_a_card_with_a_bar_and_shows_its_new_state(
        server: CorpusServer, card: Card) -> None:
    server.hold_after = HOLD
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(CorporaTable)
        await wait_for(pilot, lambda: card.name in table.rows)
        # The row comes before its state and size are read ("…").
        await wait_for(pilot, lambda: table.get_cell(card.name, "state") == "to download")
        assert str(table.get_cell(card.name, "size")).strip() == "218.9 kB"
        # An empty library starts in the corpora (focus moves once the first read is shown).
        await wait_for(pilot, lambda: app.screen.focused is table)
        table.move_cursor(row=table.get_row_index(card.name))
        await pilot.press("f")
        panel = app.screen.query_one(DownloadPanel)
        bar = panel.query_one(ProgressBar)
        await wait_for(pilot, lambda: (bar.progress or 0) >= 65_536)
        assert bar.total == len(TEXT)
        assert "Downloading test-text" in screen_text(app)
        assert "esc Cancel download" in screen_text(app).splitlines()[-1]
        # The screen answers keys while the bytes wait: the cursor moves.
        row = table.cursor_row
        await pilot.press("up")
        await wait_for(pilot, lambda: table.cursor_row == row - 1)
        server.go.set()
        await wait_for(pilot, lambda: table.get_cell(card.name, "state") == "downloaded")
        assert not panel.display
        assert cache.corpus_file(card, "text").read_bytes() == TEXT
        assert "Downloaded 'test-text'; it is ready to train on (n)." in notes(app)
        # The footer drops the cancel key once it has re-read the bindings.
        await wait_for(pilot, lambda: "Cancel download" not in screen_text(app).splitlines()[-1])


async def test_library_says_in_one_sentence_when_the_server_refuses(
        server: CorpusServer, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = replace(server.card("/text.txt", name="gone"),
                   sources=(Source(server.url("/gone.txt"), size=1000),))
    monkeypatch.setattr(corpora.cards, "CARDS", (*corpora.cards.CARDS, gone))
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(CorporaTable)
        await wait_for(pilot, lambda: "gone" in table.rows)
        await wait_for(pilot, lambda: app.screen.focused is table)  # f is the corpora's key
        table.move_cursor(row=table.get_row_index("gone"))
        await pilot.press("f")
        panel = app.screen.query_one(DownloadPanel)
        await wait_for(pilot, lambda: panel.has_class("-error"))
        shown = " ".join(screen_text(app).split())
        assert "/gone.txt answered HTTP 404" in shown and "Traceback" not in shown
        assert table.get_cell("gone", "state") == "to download"
        await pilot.press("escape")  # puts the sentence away
        await wait_for(pilot, lambda: not panel.display)
        assert isinstance(app.screen, LibraryScreen)


class FixedEstimate:
    def __call__(self, spec, preset=None, probe=True, **overrides) -> dict:
        return {"parameters": 1000, "vocab_size": 50, "steps_per_epoch": 100,
                "seconds_per_step": 0.5, "seconds_per_epoch": 50.0}


async def test_new_model_offers_the_download_escape_cancels_and_ctrl_f_resumes(
        server: CorpusServer, card: Card, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.train.estimate, "estimate", FixedEstimate())  # its probe trains
    server.hold_after = HOLD
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewModelScreen))
        screen = app.screen
        choice = screen.query_one("#corpus-choice", Select)
        assert "test-text · to download, 218.9 kB" in await menu(pilot, choice)
        choice.value = card.name  # as picking it from the list does
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "not downloaded yet. Download it now (218.9 kB)?" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen)
        panel = screen.query_one(DownloadPanel)
        bar = panel.query_one(ProgressBar)
        await wait_for(pilot, lambda: (bar.progress or 0) >= 65_536)
        # Typing goes on while it downloads.
        screen.query_one("#name").focus()
        await pilot.press(*"bard")
        assert screen.query_one("#name").value == "bard"
        await pilot.press("ctrl+s")  # not before the corpus is here
        await pilot.pause()
        assert "Wait for the corpus to download (escape cancels it)." in notes(app)
        await pilot.press("escape")
        # The cancel is seen while the read still waits on the held response: no need for the
        # server to send more (nor to wait out the socket's 30 s timeout).
        await wait_for(pilot, lambda: not panel.busy, timeout=5)
        server.go.set()
        assert isinstance(app.screen, NewModelScreen)  # escape cancelled, did not leave
        cancelled = ("The download of 'test-text' was cancelled; ctrl+f resumes it where it "
                     "stopped.")
        await wait_for(pilot, lambda: cancelled in notes(app))  # said as the worker ends
        kept = cache.partial_file(card, "text").stat().st_size
        assert 0 < kept < len(TEXT) and cache.state(card) == "to download"
        report = screen.query_one(CorpusReport)
        await wait_for(pilot, lambda: "ctrl+f" in str(report.render()))

        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: screen.corpus_ok, timeout=60)
        assert server.ranges[-1] == f"bytes={kept}-"  # resumed, not started over
        assert cache.corpus_file(card, "text").read_bytes() == TEXT
        assert "test-text  (stream)" in str(report.render())
        assert "test-text · downloaded, 218.9 kB" in await menu(pilot, choice)
        assert choice.value == card.name
        # The chosen corpus's label, as far as the closed list has room for it.
        shown = region_lines(app, choice.region)
        assert any(row.strip().startswith("test-text · downloaded") for row in shown), shown
