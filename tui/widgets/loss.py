"""Loss over the run: two small sparklines that grow live (the chart is tui.widgets.run_chart)."""

from __future__ import annotations

from statistics import mean

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from engine import curves
from tui.widgets import format as fmt
from tui.widgets.repaint import put_text


class LossSparklines(Vertical):
    """Train loss per step and validation loss per evaluation, with their latest values."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="spark-row"):
            yield Label("train", classes="spark-label")
            # mean, not max, per column: a loss curve's spikes would otherwise hide its trend
            yield Sparkline([], summary_function=mean, id="train-spark")
        yield Label("", id="train-value", classes="spark-value")
        with Horizontal(classes="spark-row"):
            yield Label("val", classes="spark-label")
            yield Sparkline([], summary_function=mean, id="val-spark")
        yield Label("", id="val-value", classes="spark-value")

    def show(self, train: np.ndarray, val: np.ndarray, steps: int | None = None) -> None:
        """``steps``: how many the run has made, when ``train`` is a sample of a long run."""
        # Sparkline redraws only when given a new list; a long run is first cut to a few
        # hundred means (the sparkline would average it to its width in Python).
        self.query_one("#train-spark", Sparkline).data = curves.binned_means(train, 400)
        self.query_one("#val-spark", Sparkline).data = curves.binned_means(val, 400)
        put_text(self.query_one("#train-value", Label),
                 f"{steps or len(train):,} steps, now "
            f"{fmt.loss(float(train[-1]) if len(train) else None)}")
        put_text(self.query_one("#val-value", Label),
                 f"{len(val):,} evals, now {fmt.loss(float(val[-1]) if len(val) else None)}")
