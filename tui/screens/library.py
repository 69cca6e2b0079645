"""The library: the models in the store and the corpora; the first screen the app shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from corpora.cards import find_card
from engine.config import TrainConfig
from engine.data import cache
from engine.errors import PoetuiError
from engine.storage import store
from tui.app import running, translates
from tui.messages import DownloadFinished, FetchRequested, ModelsChanged
from tui.screens.dialogs import ConfirmDialog, InfoDialog, TextDialog
from tui.widgets import format as fmt
from tui.widgets.download import DownloadPanel
from tui.widgets.library import CorporaTable, ModelsTable

DAMAGED = "damaged"  # the store's state for a model whose model.json cannot be read

EMPTY = (
    "No models yet. Press [b]n[/b] to make one: pick a corpus (a built-in one, or any UTF-8 "
    "text file of yours), a preset (try [b]tiny[/b] for a first run of a few seconds), and "
    "watch it learn. ctrl+p lists everything the app can do; f1 shows the keys."
)


class LibraryScreen(Screen):
    HELP_TITLE = "Library"
    HELP_TEXT = ("The models in your store and the corpora you can train on. On the corpora "
                 "table, f downloads a catalog corpus marked 'to download' (escape cancels; "
                 "the next f resumes it). g opens the translate screen for a model trained "
                 "on sentence pairs.")
    BINDINGS = [
        # Only while a corpus downloads (or its failure is shown), and first in the footer
        # then: see check_action.
        Binding("escape", "cancel_download", "Cancel download", id="library.cancel_download"),
        Binding("n", "new", "New", tooltip="Create a model", id="library.new"),
        Binding("t", "train", "Train", tooltip="Train or resume the model", id="library.train"),
        Binding("g", "generate", "Write", id="library.generate"),
        Binding("o", "watch", "Watch", id="library.watch"),
        Binding("i", "inspect", "Info", id="library.inspect"),
        # Out of the footer, which holds seven keys at 80 columns; help lists it.
        Binding("r", "rename", "Rename", show=False, id="library.rename"),
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
            yield DownloadPanel(id="library-download")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        # Run states change from other processes; a cheap re-read every two seconds.
        self.set_interval(2.0, self.reload)

    def on_screen_resume(self) -> None:
        self.reload()
        # Back from a dashboard or desk: the keys act on the model the user was looking at.
        name, self.app.came_from = self.app.came_from, None
        table = self.query_one(ModelsTable)
        if name is not None and table.select(name):
            table.focus()

    def on_models_changed(self, _: ModelsChanged) -> None:
        self.reload()

    # -- downloading a catalog corpus ------------------------------------------------------------

    def on_fetch_requested(self, message: FetchRequested) -> None:
        card = find_card(message.name)
        if card is None:
            return
        if cache.is_cached(card):
            self.notify(f"'{card.name}' is downloaded already ({cache.state(card)}).")
            return
        panel = self.query_one(DownloadPanel)
        if not panel.start(card):
            self.notify(f"'{panel.card.name}' is downloading; wait for it, or escape cancels "
                        "it.", severity="warning")
            return
        self.refresh_bindings()

    def on_download_finished(self, message: DownloadFinished) -> None:
        if message.error is None:
            self.notify(f"Downloaded '{message.name}'; it is ready to train on (n).")
        elif message.cancelled:
            self.notify(f"The download of '{message.name}' was cancelled; f resumes it where "
                        "it stopped.")
        self.query_one(CorporaTable).show(store.list_models())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_download":
            panels = self.query(DownloadPanel)  # asked before compose, too
            return bool(panels) and panels.first().showing
        return True

    def action_cancel_download(self) -> None:
        self.query_one(DownloadPanel).cancel()
        self.refresh_bindings()

    def reload(self) -> None:
        models = store.list_models()
        states = {m.name: self.state_label(m) for m in models}
        table = self.query_one(ModelsTable)
        table.show(models, states)
        self.query_one(CorporaTable).show(models)
        empty = not models
        appearing = table.display is False and not empty
        self.query_one("#empty").display = empty
        table.display = not empty
        if empty:
            self.query_one(CorporaTable).focus()
        elif appearing or self.focused is None or not self.focused.display:
            # The first model has just appeared: the model keys act on it, so focus is there.
            table.focus()

    def state_label(self, m: store.ModelSummary) -> str:
        if m.state == DAMAGED:
            return DAMAGED
        if not running(m):
            return "idle" if m.steps else "new"
        if m.name not in self.app.watched_runs:
            return "detached"  # training in a process nobody here is watching
        # An evaluation is part of training; the dashboard says which phase it is in.
        return "training" if m.state == "evaluating" else m.state

    def refuse_while_training(self, name: str, doing: str) -> bool:
        """Say at once, before any dialog, that a running model cannot be changed."""
        if not running(store.summary(name)):
            return False
        self.notify(f"'{name}' is training right now; stop its run (s on its dashboard) "
                    f"before {doing} it.", severity="warning")
        return True

    def refuse_damaged(self, m: store.ModelSummary) -> bool:
        """A model whose settings cannot be read can only be deleted; say so in one sentence."""
        if m.state != DAMAGED:
            return False
        self.notify(f"The settings of '{m.name}' (its model.json) cannot be read, so it cannot "
                    "be trained or written with; d deletes it.", severity="error")
        return True

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
        if self.refuse_damaged(summary):
            return
        if running(summary):
            self.app.open_dashboard(name)
            return
        meta = store.read_json(summary.path / store.META)
        try:
            budget = TrainConfig.from_json(meta.get("train", {})).budget_text()
        except PoetuiError:
            budget = "unreadable"  # the run itself will say what is wrong with the settings
        hint = f" (now {budget}, trained {summary.steps:,} steps)"

        def answered(value: str | None) -> None:
            if value is not None:
                self.resume(name, value)

        self.app.push_screen(TextDialog(
            f"Train '{name}': total budget in steps{hint}; leave empty to keep the budget.",
            placeholder="e.g. 1000"), answered)

    def resume(self, name: str, steps: str) -> None:
        if steps and (not steps.isdigit() or int(steps) < 1):
            self.notify(f"'{steps}' is not a number of steps; give a whole number such as "
                        "1000.", severity="error")
            return
        # The training process writes the new budget once it holds the model's lock, so the
        # settings never change under a run that is still going.
        self.app.start_run(name, {"steps": int(steps)} if steps else None)

    def action_generate(self) -> None:
        name = self.selected()
        if name is None:
            return
        summary = store.summary(name)
        if self.refuse_damaged(summary):
            return
        if not summary.steps:
            self.notify(f"'{name}' has not been trained yet; press t to train it first.",
                        severity="warning")
            return
        self.app.open_desk(name)

    def action_watch(self) -> None:
        name = self.selected()
        if name is None:
            return
        summary = store.summary(name)
        if self.refuse_damaged(summary):
            return
        if not running(summary):
            self.notify(f"'{name}' is not training; press t to train it.", severity="warning")
            return
        self.app.open_dashboard(name)

    def action_inspect(self) -> None:
        name = self.selected()
        if name is None:
            return
        m = store.summary(name)
        if m.state == DAMAGED:
            # What there is to know: where it lies, so its checkpoints can still be looked at.
            self.app.push_screen(InfoDialog(f"Model '{name}'", fmt.aligned([
                ("state", "damaged: its settings (model.json) cannot be read"),
                ("folder", str(m.path)),
            ])))
            return
        meta = store.read_json(m.path / store.META)
        about = [
            ("corpus", f"{m.corpus} ({m.kind}, {m.level} level)"),
            ("model", f"{m.size}, {m.parameters:,} parameters"),
            ("preset", meta.get("preset", fmt.DASH)),
            ("steps", f"{m.steps:,}"),
            ("best val loss", fmt.loss(m.best_val_loss)),
            *([("held-out chrF", fmt.loss(m.chrf))] if translates(m) else []),
            ("created", fmt.when(meta.get("created"))),
            ("last trained", fmt.when(m.last_trained)),
            ("state", self.state_label(m)),
            ("folder", str(m.path)),
        ]
        text = "\n".join([
            fmt.aligned(about),
            "",
            "Model settings",
            fmt.aligned(fmt.settings(meta.get("model", {})), columns=2, indent=2),
            "",
            "Training settings",
            fmt.aligned(fmt.settings(meta.get("train", {})), columns=2, indent=2),
        ])
        self.app.push_screen(InfoDialog(f"Model '{name}'", text))

    def action_rename(self) -> None:
        name = self.selected()
        if name is None or self.refuse_while_training(name, "renaming"):
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
        if name is None or self.refuse_while_training(name, "deleting"):
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
