"""A one-line input that empties after each entry and keeps the entries: ↑ and ↓ walk back
and forth through them, as a shell's history does."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class HistoryInput(Input):
    BINDINGS = [
        Binding("up", "recall(-1)", "Earlier", show=False, id="history_input.up"),
        Binding("down", "recall(1)", "Later", show=False, id="history_input.down"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[str] = []
        self.at = 0  # where ↑/↓ stand: len(entries) is the new, empty line

    def remember(self) -> None:
        """Keep what is typed as the newest entry and empty the line for the next."""
        if self.value and (not self.entries or self.entries[-1] != self.value):
            self.entries.append(self.value)
        self.at = len(self.entries)
        self.value = ""

    def action_recall(self, delta: int) -> None:
        at = max(0, min(len(self.entries), self.at + delta))
        if at != self.at:
            self.at = at
            self.value = self.entries[at] if at < len(self.entries) else ""
            self.cursor_position = len(self.value)
