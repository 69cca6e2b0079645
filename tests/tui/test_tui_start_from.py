"""The new-model form offers to start from a model of the library (continuing it)."""

from __future__ import annotations

import pytest
from helpers import wait_for, wait_until
from test_tui_new_model import fake_estimate, open_form  # noqa: F401 — the fixture is used
from textual.widgets import Select
from textual.widgets.select import InvalidSelectValueError

from engine.storage import store
from engine.train import job
from engine.train.assemble import open_trainer
from tui.app import PoetuiApp

pytestmark = pytest.mark.timeout(120)


async def test_start_from_a_library_model(fake_estimate, pattern_file, runs) -> None:  # noqa: F811
    old = job.create_model(str(pattern_file), "cats", layers=1, hidden=16, batch=4,
                           seq_len=16, steps=3, threads=1)
    open_trainer(old).run(lambda e: None)
    job.create_model(str(pattern_file), "untrained", layers=1, hidden=16, steps=3)
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        start = screen.query_one("#start-from")
        await wait_for(pilot, lambda: offered(start, "cats"))
        assert not offered(start, "untrained")  # only a model with weights can be continued
        start.value = "cats"
        screen.query_one("#budget-unit").value = "steps"
        screen.query_one("#budget").value = "2"
        screen.query_one("#path").value = str(pattern_file)  # the new text
        screen.query_one("#name").value = "cats-more"
        await wait_for(pilot, lambda: screen.corpus_ok)
        runs.append("cats-more")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: store.model_path("cats-more").exists(), timeout=60)
    folder = store.open_model("cats-more")
    assert folder.origin["model"] == "cats"
    assert folder.model_settings["hidden"] == 16  # the old model's shape, not the preset's
    assert folder.train_settings["steps"] == 2
    wait_until(lambda: store.summary("cats-more").steps == 2, what="the continued run")


def offered(select: Select, value: str) -> bool:
    """Whether ``value`` is one of the select's choices (setting any other value is refused)."""
    before = select.value
    try:
        select.value = value
    except InvalidSelectValueError:
        return False
    select.value = before
    return True
