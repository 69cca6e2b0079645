"""The library's tables: the models in the store and the corpora to train on."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from corpora import CARDS
from engine.store import ModelSummary
from tui.widgets import format as fmt


class ModelsTable(DataTable):
    COLUMNS = ("name", "corpus", "model", "params", "best val", "last trained", "state")
    _shown: list[tuple] | None = None

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*self.COLUMNS)

    def show(self, models: list[ModelSummary], states: dict[str, str]) -> None:
        """Replace the rows, keeping the cursor on the same model when it still exists."""
        rows = [(m.name, Path(m.corpus).name, m.size, fmt.params(m.parameters),
                 fmt.loss(m.best_val_loss), fmt.when(m.last_trained),
                 states.get(m.name, m.state)) for m in models]
        if rows == self._shown:  # the timer re-reads often; repaint only on a change
            return
        self._shown = rows
        selected = self.selected_name()
        self.clear()
        for row in rows:
            self.add_row(*row, key=row[0])
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))

    def selected_name(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value


class CorporaTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("corpus", "kind", "source", "about")

    def show(self, models: list[ModelSummary]) -> None:
        own = sorted({m.corpus for m in models} - {c.name for c in CARDS})
        if self.row_count and own == getattr(self, "_own", None):
            return
        self._own = own
        self.clear()
        for card in CARDS:
            self.add_row(card.name, card.kind, "built-in" if card.builtin else "catalog",
                         card.title[:44], key=card.name)
        # The user's own corpora are the files their models were trained on.
        for path in own:
            self.add_row(Path(path).name, "", "your file", path, key=path)

    def selected_spec(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
