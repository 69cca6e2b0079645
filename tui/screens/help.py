"""Help: the keys of the screen underneath and of the whole app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GLOBAL_KEYS = [
    ("ctrl+p", "command palette: every action, and the themes"),
    ("ctrl+q", "quit (asks first if a run is going)"),
    ("f1 / ?", "this help"),
    ("tab / shift+tab", "move focus"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        lines = [f"[b]{getattr(self.under, 'HELP_TITLE', 'poetui')}[/b]", ""]
        about = getattr(self.under, "HELP_TEXT", "")
        if about:
            lines += [about, ""]
        # A screen's own keys, then those of a widget it shows (HELP_BINDINGS: the chart's).
        for binding in [*self.under.BINDINGS, *getattr(self.under, "HELP_BINDINGS", ())]:
            if isinstance(binding, Binding) and binding.description:
                keys = binding.key_display or binding.key.replace(",", " / ")
                lines.append(f"  [b]{keys:<16}[/b] {binding.description}")
        lines += ["", "[b]Everywhere[/b]"]
        lines += [f"  [b]{k:<16}[/b] {what}" for k, what in GLOBAL_KEYS]
        with VerticalScroll(id="help-box"):
            yield Static("\n".join(lines), id="help-text")
        yield Static("escape closes", id="help-hint")
