"""The translate screen over a real (tiny, briefly trained) translation model: greedy output
streamed character by character, beam search's n best with scores, the session's history, the
notice about unseen characters; the library's chrF, the dashboard's chrF, and "write" keys that
open the translate screen for a model that translates."""

from __future__ import annotations

import re

import pytest
from helpers import wait_for
from notices import RecordingApp
from screen_text import screen_text
from textual.widgets import Input, OptionList

from engine.events import EvalEvent, SampleEvent, StateEvent, StepEvent
from engine.loading import load_model
from engine.storage import store
from engine.storage.runstore import RunWriter
from tui.app import PoetuiApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.translate import BEAM_WIDTH, N_BEST, TranslateScreen
from tui.widgets.library import ModelsTable
from tui.widgets.metrics import MetricsPanel
from tui.widgets.token_stream import TokenStream

pytestmark = pytest.mark.timeout(180)


def shown(app: PoetuiApp, selector: str) -> str:
    """What a widget of the current screen shows ("" until the screen has composed it)."""
    found = app.screen.query(selector)
    return str(found.first().render()) if found else ""


async def test_translate_streams_then_searches_and_keeps_a_history(
        translator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = load_model(translator).translator()
    greedy = "".join(reference.stream("abc"))
    best = reference.beam(reference.source("abc"), width=BEAM_WIDTH, n_best=N_BEST)
    assert len(greedy) >= 2  # something to stream
    pushed: list[str] = []
    push = TokenStream.push
    monkeypatch.setattr(TokenStream, "push",
                        lambda stream, piece: (pushed.append(piece), push(stream, piece)))
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        # The library shows a translation model's held-out chrF.
        chrf = store.summary(translator).chrf
        assert chrf is not None
        assert table.get_cell(translator, "chrF") == f"{chrf:.3f}"
        await pilot.press("g")  # "write" opens the translate screen for this model
        await wait_for(pilot, lambda: isinstance(app.screen, TranslateScreen)
                       and app.screen.translator is not None)
        screen = app.screen
        output = screen.query_one(TokenStream)
        await pilot.press(*"abc", "enter")
        await wait_for(pilot, lambda: len(screen.history) == 1)
        assert output.text == f"abc\n→ {greedy}"
        assert pushed == list(greedy)  # one character at a time, as decoded
        # The line is empty for the next sentence; ↑ brings this one back, ↓ leaves it.
        source = screen.query_one("#source", Input)
        assert source.value == ""
        await pilot.press("up")
        assert source.value == "abc"
        await pilot.press("down")
        assert source.value == ""

        await pilot.press("ctrl+b")  # beam search, on the sentence still typed
        await wait_for(pilot, lambda: len(screen.history) == 2)
        lines = output.text.split("\n")
        assert lines[0] == "abc"
        for i, (text, score) in enumerate(best, start=1):
            mark = "▸" if i == 1 else " "  # the one taken: the best, at first
            assert re.fullmatch(rf"{mark}{i}\. {re.escape(text)} *  {score:7.3f}", lines[i])
        assert "beam search" in screen_text(app)
        assert len(pushed) == len(greedy)  # a beam is shown whole, not streamed

        # The n best are siblings: ctrl+↓/↑ walk them (round), the history keeps the one taken.
        history = screen.query_one("#history", OptionList)
        await pilot.press("ctrl+down")
        assert output.text.split("\n")[2].startswith("▸2. ")
        assert screen.history[-1].best == best[1][0]
        assert str(history.get_option_at_index(1).prompt) == f"#2 beam abc → {best[1][0][:12]}"
        await pilot.press("ctrl+up", "ctrl+up")
        assert output.text.split("\n")[N_BEST].startswith(f"▸{N_BEST}. ")
        assert screen.history[-1].best == best[-1][0]
        await pilot.press("ctrl+down")
        assert screen.history[-1].best == best[0][0]

        assert history.option_count == 2
        assert str(history.get_option_at_index(0).prompt) == f"#1 greedy abc → {greedy[:12]}"
        history.highlighted = 0
        await wait_for(pilot, lambda: output.text == f"abc\n→ {greedy}")
        await pilot.press("ctrl+down")  # a greedy translation has no siblings: said, not done
        await wait_for(pilot, lambda: any("from a beam search" in m for m in app.notices))
        assert output.text == f"abc\n→ {greedy}"

        # Characters the model never saw are named once and left out.
        # (Back to greedy with the line empty: the last sentence, the new way.)
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: len(screen.history) == 3)
        assert screen.history[-1].source == "abc" and screen.history[-1].mode == "greedy"
        await pilot.press(*"abz", "enter")
        await wait_for(pilot, lambda: len(screen.history) == 4)
        notices = [message for message in app.notices if "never seen" in message]
        assert notices == ["The model has never seen the characters 'z'; they were left out."]
        assert output.text == f"abz\n→ {''.join(reference.stream('ab'))}"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TranslateScreen))


async def test_dashboard_of_a_translation_run_shows_chrf_and_its_sample(
        translator: str) -> None:
    path = store.existing(translator)
    (path / "run.db").unlink(missing_ok=True)  # a fresh record, written here
    writer = RunWriter(path)
    writer.record(StateEvent("training"))
    for step in range(1, 6):
        writer.record(StepEvent(step, 1, step / 5, step / 5, 3.0 - step / 10, 0.01, 0.5,
                                1000.0, step * 0.1, 1.0))
    writer.record(EvalEvent(5, 2.5, 12.18, 3.6, True, chrf=0.4321))
    writer.record(SampleEvent(5, "abc → cba   (cba)"))
    writer.set_status(state="done")
    writer.close()
    app = PoetuiApp(attach=translator)  # as `poetui attach tr` opens it
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.pause()
        metrics = app.screen.query_one(MetricsPanel)
        await wait_for(pilot, lambda: "0.432" in str(metrics.render()))
        shown = screen_text(app)
        assert re.search(r"chrF +0\.432", shown)
        assert "abc → cba   (cba)" in shown
        await pilot.press("w")  # write with it: the translate screen, on the latest weights
        await wait_for(pilot, lambda: isinstance(app.screen, TranslateScreen))
        assert app.screen.which == "latest"
        await wait_for(pilot, lambda: app.screen.translator is not None)


async def test_a_language_model_still_opens_the_desk(pattern_file, translator) -> None:
    from engine.train.job import create_model
    from tui.screens.desk import DeskScreen

    create_model(str(pattern_file), "lm", "tiny")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_desk("lm")
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen)
                       and "no saved weights" in shown(app, "#desk-status"))
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Translate: tr" in commands and "Generate: tr" not in commands
