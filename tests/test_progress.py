"""The live progress of `poetui train`: what a model writes is printed as text, never read as
Rich markup."""

from __future__ import annotations

from pathlib import Path

from engine.events import SampleEvent, StepEvent
from engine.storage.folder import ModelSummary, RunState
from tui.cli.progress import TrainingProgress

MODEL = ModelSummary("m", Path("m"), RunState.NEW, cell="lstm", layers=1, hidden=8)


def test_samples_with_markup_characters_print_as_they_are(capsys):
    progress = TrainingProgress(MODEL)
    with progress:
        progress.update(StepEvent(1, 1, 0.1, 0.1, 2.0, 0.01, 1.0, 100.0, 1.0, 9.0))
        progress.update(SampleEvent(1, "a [/] b [bold c [red]d"))
        progress.update(SampleEvent(2, "closing [/] more [/] than opened"))
    err = capsys.readouterr().err
    assert "a [/] b [bold c [red]d" in err
    assert "closing [/] more [/] than opened" in err
