"""Loss over the run: two small sparklines that grow live, and a larger chart on demand."""

from __future__ import annotations

from statistics import mean

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from tui.widgets import format as fmt


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

    def show(self, train: list[float], val: list[float]) -> None:
        # Sparkline redraws only when given a new list, so hand it a copy.
        self.query_one("#train-spark", Sparkline).data = list(train)
        self.query_one("#val-spark", Sparkline).data = list(val)
        self.query_one("#train-value", Label).update(
            f"{len(train):,} steps, now {fmt.loss(train[-1] if train else None)}")
        self.query_one("#val-value", Label).update(
            f"{len(val):,} evals, now {fmt.loss(val[-1] if val else None)}")


class LossChart(Vertical):
    """The training loss, tall: toggled with l on the dashboard."""

    def compose(self) -> ComposeResult:
        yield Label("", id="chart-top", classes="chart-axis")
        yield Sparkline([], summary_function=mean, id="chart-spark")
        yield Label("", id="chart-bottom", classes="chart-axis")

    def show(self, train: list[float], low: float | None, high: float | None) -> None:
        self.query_one("#chart-spark", Sparkline).data = list(train)
        self.query_one("#chart-top", Label).update(f"training loss  max {fmt.loss(high)}")
        self.query_one("#chart-bottom", Label).update(
            f"min {fmt.loss(low)}   {len(train):,} steps →")
