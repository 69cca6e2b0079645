"""The new-model form: what a field shows is what training uses, and the cost is the budget's.

The estimate is replaced by a fixed, fast one (its probe trains a few real steps); the corpus
check is the real one, on a built-in corpus."""

from __future__ import annotations

import threading

import pytest
from helpers import wait_for

import engine.train.estimate
import engine.train.job
from engine.errors import PoetuiError
from engine.presets import PRESETS
from tui.app import PoetuiApp
from tui.screens.new_model import ADVANCED, NewModelScreen
from tui.widgets.corpus_check import EstimateReport

pytestmark = pytest.mark.timeout(120)

# 0.5 s a step, 100 steps an epoch: every total below is easy to check by hand.
FIXED = {"parameters": 1000, "vocab_size": 50, "steps_per_epoch": 100,
         "seconds_per_step": 0.5, "seconds_per_epoch": 50.0}


class FakeEstimate:
    """Stands in for engine.train.estimate.estimate; counts calls and can hold one back."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, spec, preset=None, probe=True, **overrides) -> dict:
        self.calls.append(overrides)
        self.gate.wait(30)
        return dict(FIXED)


@pytest.fixture
def fake_estimate(monkeypatch: pytest.MonkeyPatch):
    fake = FakeEstimate()
    monkeypatch.setattr(engine.train.estimate, "estimate", fake)
    yield fake
    fake.gate.set()  # never leave a worker thread waiting (the app could not exit)


async def open_form(pilot) -> NewModelScreen:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewModelScreen))
    return pilot.app.screen


async def type_into(pilot, screen: NewModelScreen, field: str, text: str) -> None:
    screen.query_one(f"#{field}").focus()
    await pilot.pause()
    await pilot.press(*text)


def report_text(screen: NewModelScreen) -> str:
    return str(screen.query_one(EstimateReport).render())


async def test_budget_unit_is_minutes_and_follows_the_preset(fake_estimate) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        unit, budget = screen.query_one("#budget-unit"), screen.query_one("#budget")
        # The default preset's budget is 5 minutes: the select says minutes too.
        assert (unit.value, budget.placeholder) == ("minutes", "5 minutes")
        await type_into(pilot, screen, "budget", "1")
        overrides = screen.overrides()
        assert overrides["minutes"] == 1.0 and "steps" not in overrides
        budget.value = ""
        for preset, shown in [("tiny", ("steps", "150 steps")),
                              ("char-rnn", ("epochs", "50 epochs")),
                              ("char", ("minutes", "5 minutes"))]:
            screen.query_one("#preset").value = preset
            await wait_for(pilot, lambda shown=shown: (unit.value, budget.placeholder) == shown)
        # Another unit than the preset's, with no number: nothing silently falls back.
        unit.value = "steps"
        await wait_for(pilot, lambda: budget.placeholder == "number of steps")
        with pytest.raises(PoetuiError, match="Type a number of steps"):
            screen.overrides()


async def test_empty_number_fields_do_not_look_like_errors(fake_estimate) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        fields = [field for field, _, _ in ADVANCED] + ["budget"]
        for field in fields:  # focus each in turn and leave it empty, as tab would
            screen.query_one(f"#{field}").focus()
            await pilot.pause()
        screen.query_one("#name").focus()
        await pilot.pause()
        assert [f for f in fields if screen.query_one(f"#{f}").has_class("-invalid")] == []
        # Only a malformed value looks like an error.
        await type_into(pilot, screen, "layers", "-")
        screen.query_one("#name").focus()
        await wait_for(pilot, lambda: screen.query_one("#layers").has_class("-invalid"))


async def test_the_form_says_what_the_chosen_preset_is(fake_estimate) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        about = screen.query_one("#preset-about")
        for preset in ("char", "tiny", "ptb-small"):
            screen.query_one("#preset").value = preset
            await wait_for(pilot, lambda p=preset: str(about.render()) == PRESETS[p].about)
            # Wrapped inside the form at 80 columns, not cut at its edge.
            await pilot.pause()
            assert about.size.height >= 2
            assert about.region.right <= screen.query_one("#new-form").region.right


async def test_estimate_is_for_the_whole_budget_and_holds_while_typing(fake_estimate) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        report = screen.query_one(EstimateReport)
        screen.query_one("#preset").value = "tiny"  # 150 steps
        await wait_for(pilot, lambda: "150 steps" in report_text(screen))
        # 150 steps × 0.5 s; 150 of 100 steps an epoch.
        assert "75 seconds" in report_text(screen) and "1.5 epochs" in report_text(screen)
        calls = len(fake_estimate.calls)
        fake_estimate.gate.clear()
        await type_into(pilot, screen, "budget", "400")
        await wait_for(pilot, lambda: len(fake_estimate.calls) == calls + 1)
        # While the new figure is worked out, the last one stays, marked as updating.
        assert "75 seconds" in report_text(screen)
        assert "updating" in str(report.border_title)
        fake_estimate.gate.set()
        await wait_for(pilot, lambda: "3 minutes" in report_text(screen))  # 400 × 0.5 s
        assert "4.0 epochs" in report_text(screen)
        assert "updating" not in str(report.border_title)
        # One estimate for three keystrokes.
        assert len(fake_estimate.calls) == calls + 1
        screen.query_one("#budget").value = "2"
        screen.query_one("#budget-unit").value = "epochs"  # 2 × 50 s, 2 × 100 steps
        await wait_for(pilot, lambda: "200 steps" in report_text(screen))
        assert "2 minutes" in report_text(screen)
        screen.query_one("#budget-unit").value = "minutes"
        # 60 s, less the tenth a time budget may spend evaluating, / 0.5 s
        screen.query_one("#budget").value = "1"
        await wait_for(pilot, lambda: "108 steps" in report_text(screen))
        assert "1.1 epochs" in report_text(screen)


async def test_threads_field_is_the_threads_setting(fake_estimate,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict] = []

    def create_model(spec, name=None, preset=None, **overrides):
        made.append(overrides)
        raise PoetuiError("Not made in this test.")

    monkeypatch.setattr(engine.train.job, "create_model", create_model)
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        assert screen.query_one("#threads").placeholder == "automatic"
        assert "threads" not in screen.overrides()  # empty: the run picks
        await type_into(pilot, screen, "threads", "2")
        await wait_for(pilot, lambda: screen.corpus_ok)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: made)
        assert made[0]["threads"] == 2


async def test_a_budget_that_changes_the_model_says_so_where_it_is_typed(fake_estimate) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        note = screen.query_one("#budget-note")
        assert screen.query_one("#preset").value == "char" and not note.display
        await type_into(pilot, screen, "budget", "2")  # under the preset's 3-minute tier
        await pilot.pause()
        text = str(note.render())
        assert note.display and "A budget of 2 minutes changes the char preset's model" in text
        for change in ("hidden 640 → 256", "dropout 0.4 → 0", "learn rate 0.005 → 0.01"):
            assert change in text
        assert screen.query_one("#hidden").placeholder == "256"  # what the note says is used
        # A value the user types is theirs: the note leaves it out.
        await type_into(pilot, screen, "hidden", "300")
        await pilot.pause()
        assert "hidden" not in str(note.render()) and "dropout 0.4 → 0" in str(note.render())
        screen.query_one("#budget").value = "4"  # the preset's own tier again
        await pilot.pause()
        assert not note.display


async def test_the_cost_panel_shows_nothing_until_the_new_corpus_checks_out(
        fake_estimate, tmp_path) -> None:
    poems = tmp_path / "poems.txt"
    poems.write_text("roses are red, violets are blue. " * 200, encoding="utf-8")
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot)
        await wait_for(pilot, lambda: "1,000 parameters" in report_text(screen))  # python-docs'
        fake_estimate.gate.clear()  # the next estimate is held back
        await type_into(pilot, screen, "path", str(tmp_path / "po"))
        await wait_for(pilot, lambda: "There is no file" in str(
            screen.query_one("#corpus-report").render()))
        # Half a path: no figures (the last ones were another corpus's), no estimate asked.
        shown = report_text(screen)
        assert "1,000 parameters" not in shown and "steps per epoch" not in shown
        calls = len(fake_estimate.calls)
        await pilot.press(*"ems.txt")
        await wait_for(pilot, lambda: len(fake_estimate.calls) == calls + 1)
        assert "1,000 parameters" not in report_text(screen)  # nothing while it is worked out
        fake_estimate.gate.set()
        await wait_for(pilot, lambda: "1,000 parameters" in report_text(screen))
        assert fake_estimate.calls[-1]["level"] == "char"


def test_the_estimate_says_when_the_machine_is_busy() -> None:
    from tui.widgets.corpus_check import EstimateReport

    report = EstimateReport()
    report.show({**FIXED, "cores": 2, "busy": 1.6}, None, ("minutes", 1.0, False),
                engine.train.estimate.budget_cost(FIXED, "minutes", 1.0))
    assert "The machine is busy: other work uses 1.6 of its 2 cores" in str(report.render())
    report.show({**FIXED, "cores": 2, "busy": None}, None, ("minutes", 1.0, False),
                engine.train.estimate.budget_cost(FIXED, "minutes", 1.0))
    assert "busy" not in str(report.render())
