"""The library: the models in the store and the corpora; the first screen the app shows."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from engine import store
from engine.errors import PoetuiError
from tui.messages import ModelsChanged
from tui.screens.dialogs import ConfirmDialog, InfoDialog, TextDialog
from tui.widgets.library import CorporaTable, ModelsTable

EMPTY = (
    "No models yet. Press [b]n[/b] to make one: pick a corpus (a built-in one, or any UTF-8 "
    "text file of yours), a preset (try [b]tiny[/b] for a first run of a few seconds), and "
    "watch it learn. ctrl+p lists everything the app can do; f1 shows the keys."
)


class LibraryScreen(Screen):
    HELP_TITLE = "Library"
    HELP_TEXT = "The models in your store and the corpora you can train on."
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Create a model", id="library.new"),
        Binding("t", "train", "Train", tooltip="Train or resume the model", id="library.train"),
        Binding("g", "generate", "Write", id="library.generate"),
        Binding("o", "watch", "Watch", id="library.watch"),
        Binding("i", "inspect", "Info", id="library.inspect"),
        Binding("r", "rename", "Rename", id="library.rename"),
        Binding("d,delete", "delete", "Delete", key_display="d", id="library.delete"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="library"):
            yield Label("Models", classes="section")
            yield Static(EMPTY, id="empty")
            yield ModelsTable(id="models")
            yield Label("Corpora", classes="section")
            yield CorporaTable(id="corpora")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        # Run states change from other processes; a cheap re-read every two seconds.
        self.set_interval(2.0, self.reload)

    def on_screen_resume(self) -> None:
        self.reload()

    def on_models_changed(self, _: ModelsChanged) -> None:
        self.reload()

    def reload(self) -> None:
        models = store.list_models()
        states = {m.name: self.state_label(m) for m in models}
        table = self.query_one(ModelsTable)
        table.show(models, states)
        self.query_one(CorporaTable).show(models)
        empty = not models
        self.query_one("#empty").display = empty
        table.display = not empty
        if empty:
            self.query_one(CorporaTable).focus()
        elif self.focused is None or not self.focused.display:
            table.focus()

    def state_label(self, m: store.ModelSummary) -> str:
        if m.state == "idle":
            return "idle" if m.steps else "new"
        if m.name not in self.app.watched_runs:
            return "detached"  # training in a process nobody here is watching
        return m.state

    # -- actions -------------------------------------------------------------------------------

    def selected(self) -> str | None:
        name = self.query_one(ModelsTable).selected_name()
        if name is None:
            self.notify("There is no model yet; press n to make one.", severity="warning")
        return name

    def action_new(self) -> None:
        self.app.open_new_model()

    def action_train(self) -> None:
        name = self.selected()
        if name is None:
            return
        summary = store.summary(name)
        if summary.state != "idle":
            self.app.open_dashboard(name)
            return
        meta = store.read_json(summary.path / store.META)
        budget = meta.get("train", {}).get("steps")
        hint = f" (now {budget}, trained {summary.steps})" if budget else ""

        def answered(value: str | None) -> None:
            if value is not None:
                self.resume(name, value)

        self.app.push_screen(TextDialog(
            f"Train '{name}': total budget in steps{hint}; leave empty to keep the budget.",
            placeholder="e.g. 1000"), answered)

    def resume(self, name: str, steps: str) -> None:
        try:
            if steps:
                if not steps.isdigit() or int(steps) < 1:
                    raise PoetuiError(f"'{steps}' is not a number of steps; give a whole "
                                      "number such as 1000.")
                from engine.job import update_budget  # torch-free: it rewrites model.json

                update_budget(name, {"steps": int(steps)})
        except PoetuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.start_run(name)

    def action_generate(self) -> None:
        name = self.selected()
        if name is None:
            return
        if not store.summary(name).steps:
            self.notify(f"'{name}' has not been trained yet; press t to train it first.",
                        severity="warning")
            return
        self.app.open_desk(name)

    def action_watch(self) -> None:
        name = self.selected()
        if name is None:
            return
        if store.summary(name).state == "idle":
            self.notify(f"'{name}' is not training; press t to train it.", severity="warning")
            return
        self.app.open_dashboard(name)

    def action_inspect(self) -> None:
        name = self.selected()
        if name is None:
            return
        m = store.summary(name)
        meta = store.read_json(m.path / store.META)
        lines = [
            f"corpus        {m.corpus} ({m.kind}, {m.level} level)",
            f"model         {m.size}, {m.parameters:,} parameters",
            f"preset        {meta.get('preset', '—')}",
            f"steps         {m.steps:,}",
            f"best val loss {m.best_val_loss if m.best_val_loss is not None else '—'}",
            f"state         {m.state}",
            f"folder        {m.path}",
            "",
            "model settings " + json.dumps(meta.get("model", {})),
            "train settings " + json.dumps(meta.get("train", {})),
        ]
        self.app.push_screen(InfoDialog(f"Model '{name}'", "\n".join(lines)))

    def action_rename(self) -> None:
        name = self.selected()
        if name is None:
            return

        def answered(new: str | None) -> None:
            if not new or new == name:
                return
            try:
                store.rename(name, new)
            except PoetuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Renamed '{name}' to '{new}'.")
            self.reload()

        self.app.push_screen(TextDialog(f"New name for '{name}':", name), answered)

    def action_delete(self) -> None:
        name = self.selected()
        if name is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                store.delete(name)
            except PoetuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Deleted '{name}'.")
            self.reload()

        self.app.push_screen(ConfirmDialog(
            f"Delete model '{name}' with its checkpoints and history? This cannot be undone.",
            yes="Delete"), answered)
