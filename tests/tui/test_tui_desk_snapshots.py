"""SVG snapshots of the desk's ways of writing at 80×24, over a real model trained with a fixed
seed and sampled with one: the text coloured by surprisal, picking the next token, branches,
and co-writing with a suggestion on show."""

from __future__ import annotations

import pytest
from helpers import wait_for
from textual.widgets import Input

from tui.app import PoetuiApp
from tui.screens.desk import DeskScreen
from tui.widgets.sampling import SamplingControls
from tui.widgets.writing.cowrite import CoWriter
from tui.widgets.writing.loom import LoomMode

pytestmark = pytest.mark.timeout(180)
SIZE = (80, 24)


async def desk(pilot, prompt: str = "the c") -> DeskScreen:
    pilot.app.open_desk("cat")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DeskScreen)
                   and pilot.app.screen.sampler is not None)
    screen = pilot.app.screen
    controls = screen.query_one(SamplingControls)
    controls.seed, controls.length = 0, 60
    prompt_input = screen.query_one("#prompt", Input)
    prompt_input.value, prompt_input.cursor_blink = prompt, False
    return screen


def test_probabilities(snap_compare, writer: str) -> None:
    async def coloured(pilot) -> None:
        screen = await desk(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(screen.history) == 1)
        await pilot.press("ctrl+t", "left", "left", "left")
        await pilot.pause()

    assert snap_compare(PoetuiApp(), terminal_size=SIZE, run_before=coloured)


def test_pick(snap_compare, writer: str) -> None:
    async def picked(pilot) -> None:
        await desk(pilot)
        await pilot.press("f3", "1", "2", "1")
        await pilot.pause()

    assert snap_compare(PoetuiApp(), terminal_size=SIZE, run_before=picked)


def test_branches(snap_compare, writer: str) -> None:
    async def grown(pilot) -> None:
        screen = await desk(pilot, "the ")
        await pilot.press("f4", "b")
        loom = screen.query_one(LoomMode)
        await wait_for(pilot, lambda: not loom.busy and len(loom.loom.nodes) == 5)
        await pilot.press("down", "k")
        await pilot.pause()

    assert snap_compare(PoetuiApp(), terminal_size=SIZE, run_before=grown)


def test_co_writing(snap_compare, writer: str) -> None:
    async def suggested(pilot) -> None:
        screen = await desk(pilot)
        await pilot.press("f5")
        editor = screen.query_one(CoWriter)
        editor.cursor_blink = False
        await pilot.press(*"the cat sat on t", "tab")
        await wait_for(pilot, lambda: bool(editor.suggestion) and editor.complete)
        await pilot.pause()

    assert snap_compare(PoetuiApp(), terminal_size=SIZE, run_before=suggested)
