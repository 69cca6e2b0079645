"""The library's t with a new budget (the training process writes it, under the model's lock)
and a damaged model (its model.json unreadable): shown plainly, never taken for training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import wait_for
from notices import RecordingApp

import engine.train.worker
from engine.storage import store
from engine.train.job import create_model
from tui.app import PoetuiApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.dialogs import ConfirmDialog, InfoDialog, TextDialog
from tui.widgets.library import ModelsTable

pytestmark = pytest.mark.timeout(180)


def budget_of(name: str) -> dict:
    meta = json.loads((store.existing(name) / store.META).read_text(encoding="utf-8"))
    return {k: meta["train"].get(k) for k in ("steps", "epochs", "minutes")}


async def test_train_with_a_new_budget_hands_it_to_the_training_process(
        pattern_file: Path, runs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    create_model(str(pattern_file), "budget", "tiny", steps=10)
    before = budget_of("budget")
    spawned: list[tuple[str, dict | None, dict]] = []
    spawn = engine.train.worker.spawn

    def spy(name: str, changes: dict | None = None) -> int:
        # What model.json says at the moment the process is started: the app wrote nothing.
        spawned.append((name, changes, budget_of(name)))
        runs.append(name)
        return spawn(name, changes)

    monkeypatch.setattr(engine.train.worker, "spawn", spy)
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        assert "now 10 steps" in app.screen.prompt
        await pilot.press(*"25", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert spawned == [("budget", {"steps": 25}, before)]
        dash = app.screen
        await wait_for(pilot, lambda: dash.state == "done", timeout=150)
    assert budget_of("budget")["steps"] == 25  # written by the training process
    assert store.summary("budget").steps == 25


async def test_a_refused_budget_is_one_sentence_and_nothing_starts(
        pattern_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    create_model(str(pattern_file), "fussy", "tiny", steps=10)
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(ModelsTable).row_count == 1)
        await pilot.press("t", *"ten", "enter")
        await pilot.pause()
        messages = list(app.notices)
        assert messages == ["'ten' is not a number of steps; give a whole number such as 1000."]
        assert not isinstance(app.screen, DashboardScreen)
        assert budget_of("fussy")["steps"] == 10


async def test_a_damaged_model_is_shown_plainly_and_can_be_deleted(pattern_file: Path) -> None:
    path = create_model(str(pattern_file), "broken", "tiny")
    (path / store.META).write_text("{ not json", encoding="utf-8")
    app = RecordingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(ModelsTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert table.get_cell("broken", "state") == "damaged"
        assert table.get_cell("broken", "model") == "—"
        for key in ("t", "g", "o"):  # not taken for a run: one sentence, no dashboard
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.query_one(ModelsTable) is table
        messages = list(app.notices)
        assert messages and all("cannot be read" in m for m in messages)
        assert not any("training right now" in m for m in messages)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert not any(title.endswith(": broken") for title in commands)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InfoDialog))
        assert "damaged" in app.screen.text and str(path) in app.screen.text
        await pilot.press("escape")
        await pilot.press("d")  # deleting is what is left to do, and it is allowed
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: store.list_models() == [])
