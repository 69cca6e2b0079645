"""A finished run's chart, from the library (o on a model that is not training): the same
chart as the dashboard's `l`, read once from the run store in a thread, with its compare."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.history import RunHistory, read_history
from tui.screens.run_picker import compare_runs
from tui.widgets.key_footer import KeyFooter
from tui.widgets.run_chart import RunChart


class RunChartScreen(Screen):
    HELP_TITLE = "Run chart"
    HELP_TEXT = ("The recorded run of a model that is not training: loss, validation, "
                 "learning rate, gradient norm and tokens per second, with the sample "
                 "nearest the cursor.")
    BINDINGS = [Binding("d,escape", "back", "Library", key_display="d", id="run_chart.back")]
    HELP_BINDINGS = RunChart.BINDINGS  # listed in help with the screen's own

    def __init__(self, name: str) -> None:
        super().__init__()
        self.model_name = name

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"[b]{self.model_name}[/b] · reading its run…", id="run-status")
        yield RunChart(id="chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        chart = self.query_one(RunChart)
        chart.set_run(self.model_name, RunHistory())
        chart.show_and_focus()
        self.run_worker(self.read, thread=True, group="run-chart")

    def read(self) -> None:
        try:
            history = read_history(store.existing(self.model_name))
        except (PoetuiError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.show, history)

    def show(self, history: RunHistory) -> None:
        chart = self.query_one(RunChart)
        chart.set_run(self.model_name, history)
        chart.redraw()
        self.query_one("#run-status", Static).update(
            f"[b]{self.model_name}[/b] · {len(history):,} steps recorded · "
            f"{len(history.eval_column('step')):,} evaluations")

    def on_run_chart_compare_requested(self, _: RunChart.CompareRequested) -> None:
        compare_runs(self, self.query_one(RunChart), self.model_name)

    def action_back(self) -> None:
        self.app.pop_screen()
