"""Epoch progress and overall progress with the engine's ETA."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

from tui.widgets import format as fmt
from tui.widgets.repaint import put_text


class RunProgress(Vertical):
    def compose(self) -> ComposeResult:
        with Horizontal(classes="progress-row"):
            yield Label("epoch", classes="progress-label")
            # A total is given so the bar never animates on its own (an indeterminate bar
            # repaints 15 times a second forever).
            yield ProgressBar(total=1.0, show_eta=False, id="epoch-bar")
        with Horizontal(classes="progress-row"):
            yield Label("overall", classes="progress-label")
            yield ProgressBar(total=1.0, show_eta=False, id="overall-bar")
            yield Label("", id="eta")

    def show(self, step: dict | None) -> None:
        if not step:
            return
        self.query_one("#epoch-bar", ProgressBar).update(progress=step["epoch_progress"])
        self.query_one("#overall-bar", ProgressBar).update(progress=step["progress"])
        eta = fmt.duration(step.get("eta"))
        put_text(self.query_one("#eta", Label), f" ETA {eta}")
