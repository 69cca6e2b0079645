"""Compare runs: `o` on a chart lists the other models that have trained; the chosen ones are
read in a thread and overlaid on the chart, each in its own colour.

The run store keeps one run per model (a resumed run continues it, its history cut back to
the checkpoint it continues from), so the runs to compare are the other models' runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import SelectionList, Static

from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.folder import RunState
from engine.storage.history import read_history
from tui.widgets.run_chart import RunChart


class RunPicker(ModalScreen[list[str] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        # Over the list (where enter would toggle too): space marks, enter accepts.
        Binding("enter", "accept", "Compare", priority=True, id="picker.accept"),
    ]

    def __init__(self, names: list[str], chosen: list[str]) -> None:
        super().__init__()
        self.names, self.chosen = names, chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="run-picker"):
            yield Static("Compare with (space marks, enter overlays them):",
                         classes="dialog-text")
            yield SelectionList[str](*[(n, n, n in self.chosen) for n in self.names],
                                     id="picker-list")
            yield Static("space: mark · enter: compare · escape: cancel", classes="dialog-hint")

    def action_accept(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


def compare_runs(screen: Screen, chart: RunChart, own: str) -> None:
    """Open the picker over ``screen`` and overlay what is chosen on ``chart``."""
    # The models as the library last read them (in its thread): no disk read here.
    names = [m.name for m in screen.app.known_models
             if m.name != own and m.steps and m.state is not RunState.DAMAGED]
    if not names:
        screen.notify("There is no other trained model to compare with.", severity="warning")
        return

    def chosen(picked: list[str] | None) -> None:
        if picked is None:
            return
        for name in chart.compared:
            if name not in picked:
                chart.remove_run(name)
        for name in picked:
            if name not in chart.compared:
                _load(screen, chart, name)

    screen.app.push_screen(RunPicker(names, chart.compared), chosen)


def _load(screen: Screen, chart: RunChart, name: str) -> None:
    def read() -> None:
        try:
            history = read_history(store.existing(name))
        except (PoetuiError, OSError) as exc:
            screen.app.call_from_thread(screen.notify, str(exc), severity="error")
            return
        screen.app.call_from_thread(chart.add_run, name, history)

    screen.run_worker(read, thread=True, group="compare")
