"""The library's tables: the models in the store and the corpora to train on."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from corpora import cards as catalog
from engine.data import cache
from engine.storage.folder import ModelSummary, RunState
from tui.messages import CorpusSizes, FetchRequested
from tui.widgets import format as fmt


class ModelsTable(DataTable):
    """The models, fitted to the width: name and state always show; the other columns give way
    (least useful first) rather than push the state off the right edge."""

    COLUMNS = ("name", "state", "corpus", "model", "params", "best val", "last trained")
    # Only with a translation model in the store: its held-out chrF (0–1), beside the loss.
    CHRF = "chrF"
    DROP_FIRST = ("params", "corpus", "model", "last trained", CHRF, "best val")
    _shown: tuple | None = None
    _last: tuple[list[ModelSummary], dict[str, str]] = ([], {})

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True

    def on_resize(self) -> None:
        self.show(*self._last)

    def show(self, models: list[ModelSummary], states: dict[str, str]) -> None:
        """Replace the rows, keeping the cursor on the same model when it still exists."""
        self._last = (models, states)
        names = list(self.COLUMNS)
        if any(m.translates for m in models):
            names.insert(names.index("best val") + 1, self.CHRF)
        rows = [dict(zip(names, self.cells(m, states.get(m.name, m.state), names),
                         strict=True)) for m in models]
        columns = self.fitting(rows, names)
        shown = (columns, [tuple(row[c] for c in columns) for row in rows])
        if shown == self._shown:  # the timer re-reads often; repaint only on a change
            return
        self._shown = shown
        selected = self.selected_name()
        self.clear(columns=True)
        for column in columns:
            self.add_column(column, key=column, width=self.name_width(rows, columns)
                            if column == "name" else None)
        for row in rows:
            self.add_row(*(row[c] for c in columns), key=row["name"])
        if selected is not None:
            self.select(selected)

    @staticmethod
    def cells(m: ModelSummary, state: str, names: list[str]) -> list[str]:
        if m.state is RunState.DAMAGED:  # nothing of it can be read but its name
            return [m.name, state, *([fmt.DASH] * (len(names) - 2))]
        values = {
            "name": m.name, "state": state, "corpus": Path(m.corpus).name, "model": m.size,
            "params": fmt.params(m.parameters), "best val": fmt.loss(m.best_val_loss),
            "chrF": fmt.loss(m.chrf) if m.translates else "", "last trained":
            fmt.when(m.last_trained),
        }
        return [values[name] for name in names]

    def fitting(self, rows: list[dict], names: list[str]) -> list[str]:
        width = self.scrollable_content_region.width
        columns = list(names)
        if not width:
            return columns  # not laid out yet; on_resize fits it
        for column in self.DROP_FIRST:
            if sum(self.need(rows, c) for c in columns) <= width:
                break
            if column in columns:
                columns.remove(column)
        return columns

    def name_width(self, rows: list[dict], columns: list[str]) -> int | None:
        """A name too long for the width is cut (the cursor still selects the model), so the
        state keeps its place on screen; None lets the column fit its names."""
        width = self.scrollable_content_region.width
        others = sum(self.need(rows, c) for c in columns if c != "name")
        room = width - others - 2 * self.cell_padding
        return room if width and self.need(rows, "name") > width - others else None

    def need(self, rows: list[dict], column: str) -> int:
        """Cells a column takes: its widest value or label, and the padding either side."""
        return (max(cell_len(str(value)) for value in (column, *(row[column] for row in rows)))
                + 2 * self.cell_padding)

    def select(self, name: str) -> bool:
        """Put the cursor on the model ``name``; False if it is not in the table."""
        if name not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(name))
        return True

    def selected_name(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value


class CorporaTable(DataTable):
    """The catalog with each card's state (built-in, downloaded, to download …) and size, then
    the user's own files. f downloads the card under the cursor."""

    BINDINGS = [Binding("f", "fetch", "Download", id="engine.data.fetch")]
    COLUMNS = ("corpus", "kind", "state", "size", "about")
    _shown: list | None = None

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Reading a built-in corpus to size it takes a moment (python-source is a few MB of
        # files): measured once, in a thread, and "…" until then.
        self.builtin_sizes: dict[str, int] = {}
        self._last: tuple[list[ModelSummary], dict[str, tuple[str, int | None]]] = ([], {})

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.measure_builtins()

    def on_resize(self) -> None:
        self._shown = None
        self.show(*self._last)

    @work(thread=True, exclusive=True, group="sizes")
    def measure_builtins(self) -> None:
        sizes = {card.name: cache.card_size(card) for card in catalog.CARDS if card.builtin}
        self.post_message(CorpusSizes(sizes))

    def on_corpus_sizes(self, message: CorpusSizes) -> None:
        self.builtin_sizes.update(message.sizes)
        self._shown = None
        self.show(*self._last)

    def show(self, models: list[ModelSummary], cards: dict[str, tuple[str, int | None]]) -> None:
        """Each card's (state, size) as the store was read (a download may have finished, here
        or in another poetui); repaint only on a change, keeping the cursor on its row."""
        self._last = (models, cards)
        rows = {}
        for card in catalog.CARDS:
            state, size = cards.get(card.name, ("…", None))
            size = self.builtin_sizes.get(card.name) if card.builtin else size
            shown = fmt.size(size) if size is not None else ("…" if card.builtin else "?")
            rows[card.name] = (card.name, card.kind, state, shown, card.title)
        # The user's own corpora are the files their models were trained on.
        for path in sorted({m.corpus for m in models if m.state is not RunState.DAMAGED}
                           - set(rows)):
            rows[path] = (Path(path).name, "", "your file", "", path)
        if list(rows.items()) == self._shown:
            return
        self._shown = list(rows.items())
        selected = self.selected_spec()
        self.clear(columns=True)
        about_width = self.about_width(list(rows.values()))
        for column in self.COLUMNS:
            self.add_column(column, key=column,
                            width=about_width if column == "about" else None)
        for key, row in rows.items():
            self.add_row(*row[:-1], self.cut(row[-1], about_width), key=key)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))

    def about_width(self, rows: list[tuple]) -> int | None:
        """What the other columns leave of the width: the title is cut to it rather than make
        the table scroll sideways."""
        width = self.scrollable_content_region.width
        if not width:
            return None
        others = sum(max(cell_len(str(v)) for v in (column, *(r[i] for r in rows)))
                     + 2 * self.cell_padding for i, column in enumerate(self.COLUMNS[:-1]))
        return max(8, width - others - 2 * self.cell_padding)

    @staticmethod
    def cut(text: str, width: int | None) -> str:
        if width is None or cell_len(text) <= width:
            return text
        return text[: width - 1] + "…"

    def selected_spec(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fetch":
            # One download at a time: while one goes, its cancel key takes the footer's room.
            from tui.widgets.download import DownloadPanel

            return not any(panel.busy for panel in self.screen.query(DownloadPanel))
        return True

    def action_fetch(self) -> None:
        spec = self.selected_spec()
        card = catalog.find_card(spec) if spec else None
        if card is None or card.builtin:
            what = f"'{card.name}' is built in" if card else "That is a file of yours"
            self.notify(f"{what}; it needs no download.", severity="warning")
            return
        self.post_message(FetchRequested(card.name))
