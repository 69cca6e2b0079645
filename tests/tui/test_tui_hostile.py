"""The desk against hostile input: a page-long paste into the prompt. Over a real model trained
here for a second, the real sampler, Textual's pilot."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import pattern_text, wait_for
from notices import RecordingApp
from textual import events
from textual.widgets import Input

from engine.train.job import create_model
from engine.train.worker import run_training
from tui.screens.desk import PROMPT_LIMIT, DeskScreen
from tui.widgets.sampling import SamplingControls
from tui.widgets.token_stream import TokenStream

pytestmark = pytest.mark.timeout(120)
PROMPTLY = 1.0  # seconds: a key answered later than this reads as a frozen app


@pytest.fixture(scope="module")
def trained_pattern(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("pattern")
    corpus = where / "pattern.txt"
    corpus.write_text(pattern_text(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POETUI_HOME", str(where / "home"))
        path = create_model(str(corpus), name="p", preset="tiny", steps=20, eval_every=20)
        run_training(path)
    return path


@pytest.fixture
def model(trained_pattern: Path, poetui_home: Path) -> str:
    shutil.copytree(trained_pattern, poetui_home / "models" / "p")
    return "p"


async def until(done: Callable[[], bool], started: float | None = None) -> float:
    """Seconds (since ``started``, or now) until ``done()`` holds, letting the app run."""
    started = time.monotonic() if started is None else started
    while not done():
        if time.monotonic() - started > 30:
            raise AssertionError(f"timed out waiting for {done}")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


class Keys:
    """Presses keys and times each from the press to its effect. Measured from the effect, as
    pilot.press returns only once the app falls idle, and a writing desk is busy until the
    writing ends."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.presses: list[asyncio.Future] = []

    async def answered(self, key: str, done: Callable[[], bool]) -> float:
        started = time.monotonic()
        self.presses.append(asyncio.ensure_future(self.pilot.press(key)))
        return await until(done, started)

    async def settle(self) -> None:
        await asyncio.gather(*self.presses)


async def test_a_page_long_paste_is_cut_to_the_limit_and_the_app_stays_quick(model: str) -> None:
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_desk(model)
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen)
                       and app.screen.sampler is not None)
        desk = app.screen
        prompt = desk.query_one("#prompt", Input)
        keys = Keys(pilot)
        page = pattern_text(3000)[:50_000]
        prompt.post_message(events.Paste(page))  # what a terminal's bracketed paste sends
        await wait_for(pilot, lambda: bool(prompt.value))
        # The prompt keeps what the model can use, and says what it left out.
        assert prompt.value == page[:PROMPT_LIMIT]
        assert app.notices[-1] == (f"The prompt holds at most {PROMPT_LIMIT:,} characters; it "
                                   f"kept the first {PROMPT_LIMIT:,} of the 50,000 pasted.")
        assert await keys.answered("home", lambda: prompt.cursor_position == 0) < PROMPTLY
        assert await keys.answered("end", lambda: prompt.cursor_at_end) < PROMPTLY
        told = len(app.notices)
        # Typing past the limit: refused, and said.
        assert await keys.answered("x", lambda: len(app.notices) > told) < PROMPTLY
        assert prompt.value == page[:PROMPT_LIMIT]
        assert app.notices[-1] == f"The prompt holds at most {PROMPT_LIMIT:,} characters."

        # Writing from it: keys are answered at once while the model reads the prompt and
        # writes, and escape stops it within a second.
        desk.query_one(SamplingControls).length = 5000
        stream = desk.query_one(TokenStream)
        assert await keys.answered("enter", lambda: desk.streaming) < PROMPTLY
        # The model reads the prompt and writes past it (how soon is the machine's; the keys
        # below are timed, since a key answered late is a frozen app).
        await until(lambda: len(stream.text) > PROMPT_LIMIT)
        moved = PROMPT_LIMIT - 1
        assert await keys.answered("left", lambda: prompt.cursor_position == moved) < PROMPTLY
        assert desk.streaming, "the writing ended before escape could stop it"
        assert await keys.answered("escape", lambda: not desk.streaming) < PROMPTLY
        await keys.settle()
        assert isinstance(app.screen, DeskScreen)  # stopped, not gone back
        assert desk.history[-1]["prompt"] == page[:PROMPT_LIMIT]


async def test_a_paste_of_several_lines_keeps_the_first_and_says_so(model: str) -> None:
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_desk(model)
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen)
                       and app.screen.sampler is not None)
        prompt = app.screen.query_one("#prompt", Input)
        prompt.post_message(events.Paste("the cat\nsat on\nthe mat"))
        await wait_for(pilot, lambda: bool(prompt.value))
        assert prompt.value == "the cat"
        assert app.notices[-1] == "The prompt is one line; it kept the first of the 3 lines pasted."
        # A paste that fits is taken whole, and nothing is said.
        told = len(app.notices)
        prompt.post_message(events.Paste(" sat"))
        await wait_for(pilot, lambda: prompt.value == "the cat sat")
        assert len(app.notices) == told
