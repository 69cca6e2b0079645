"""SVG snapshots of the main screens at 80×24 and 120×40, over fixed fixture data.

Nothing moves with the clock: the recorded run's elapsed times and ETAs are fixed data, dates
are fixed and shown in UTC, and no process is alive."""

from __future__ import annotations

import json

import pytest

from engine.data import cache
from engine.events import EvalEvent, SampleEvent, StateEvent, StepEvent
from engine.storage import store
from engine.storage.runstore import RunWriter
from engine.train.job import create_model
from tui.app import PoetuiApp
from tui.widgets.library import CorporaTable

pytestmark = pytest.mark.timeout(120)
SIZES = [(80, 24), (120, 40)]
STAMP = 1_700_000_000.0


@pytest.fixture(autouse=True)
def fixed_builtin_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in corpora's sizes depend on the Python installed: fixed figures here."""
    monkeypatch.setattr(cache, "card_size",
                        lambda card: 1_234_567 if card.builtin else card.download_size)


async def sizes_shown(pilot) -> None:
    """The library's corpora with their sizes (measured in a thread) in place."""
    from helpers import wait_for

    table = pilot.app.screen.query_one(CorporaTable)
    # The store is read in a thread too: the tables fill when that read comes in.
    await wait_for(pilot, lambda: table.builtin_sizes and table.row_count)
    await pilot.pause()


@pytest.fixture
def fixture_model(utc) -> str:
    """A model with a recorded run: 60 steps, 3 evaluations, a sample; finished. On a
    built-in corpus, so no temporary path shows on screen."""
    path = create_model("python-docs", "sonnets", "tiny")
    (path / "ckpt" / "step-00000060").mkdir(parents=True)  # what the pointers name
    for which in ("latest", "best"):
        (path / f"{which}.json").write_text(json.dumps(
            {"dir": "step-00000060", "step": 60, "val_loss": 1.234, "time": STAMP}))
    writer = RunWriter(path)
    writer.set_status(total="60 steps", device="cpu")
    writer.record(StateEvent("training"))
    for step in range(1, 61):
        loss = 3.5 / (1 + step / 10) + (0.05 if step % 7 == 0 else 0.0)
        writer.record(StepEvent(step, 1 + step // 40, (step % 40) / 40, step / 60, loss,
                                0.01, 0.5 + step / 100, 12_345.0, step * 0.1, 6 - step * 0.1))
        if step % 20 == 0:
            val = 3.2 / (1 + step / 12)
            writer.record(EvalEvent(step, val, 2.718 ** val, val / 0.693, True))
    writer.record(SampleEvent(60, "shall i compare thee to a summer's day?\nthou art more "
                                  "lovely and more temperate", novelty=0.87))
    writer.set_status(state="done")
    writer.close()
    return "sonnets"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_library(snap_compare, fixture_model: str, size) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=size, run_before=sizes_shown)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_library(snap_compare, size) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=size, run_before=sizes_shown)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard(snap_compare, fixture_model: str, size) -> None:
    assert store.existing(fixture_model)
    # Opened as `poetui attach sonnets` opens it.
    assert snap_compare(PoetuiApp(attach=fixture_model), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_new_model_with_a_bad_path(snap_compare, size) -> None:
    async def type_path(pilot) -> None:
        from helpers import wait_for

        await pilot.press("n")
        await pilot.pause()
        await pilot.press("tab", *"/no/such/poems.txt")
        pilot.app.screen.query_one("#path").cursor_blink = False  # a blink is not a change
        report = pilot.app.screen.query_one("#corpus-report")
        # The report of the whole path: one of a half-typed path ("/n") can come first.
        await wait_for(pilot, lambda: "There is no file" in str(report.render())
                       and "poems.txt" in str(report.render()))

    assert snap_compare(PoetuiApp(), terminal_size=size, run_before=type_path)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, size) -> None:
    assert snap_compare(PoetuiApp(), terminal_size=size, press=["f1"], run_before=sizes_shown)
