"""The library: the models in the store and the corpora; the first screen the app shows."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Label, Static
from textual.worker import get_current_worker

from corpora import cards as catalog
from corpora.cards import find_card
from engine.data import cache
from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.folder import ModelFolder, ModelSummary, RunState
from tui.messages import DownloadFinished, FetchRequested, LibraryRead, ModelsChanged
from tui.screens.dialogs import ConfirmDialog, InfoDialog, TextDialog
from tui.widgets import format as fmt
from tui.widgets.download import DownloadPanel
from tui.widgets.key_footer import KeyFooter
from tui.widgets.library import CorporaTable, ModelsTable

# Run states change in other processes: the store is read again this often (in a thread).
RELOAD_SECONDS = 2.0

EMPTY = (
    "No models yet. Press [b]n[/b] to make one: pick a corpus (a built-in one, or any UTF-8 "
    "text file of yours), a preset (try [b]tiny[/b] for a first run of a few seconds), and "
    "watch it learn. ctrl+p lists everything the app can do; f1 shows the keys."
)


def read_library() -> LibraryRead:
    """Every model's summary and each card's state and size (a built-in's is measured apart)."""
    cards = {card.name: (cache.state(card), None if card.builtin else cache.card_size(card))
             for card in catalog.CARDS}
    return LibraryRead(store.list_folders(), cards)


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
        Binding("o", "watch", "Watch", tooltip="The live dashboard, or a finished run's chart",
                id="library.watch"),
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
        yield KeyFooter()

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[str, ModelSummary] = {}  # the last read, by name
        self.folders: dict[str, ModelFolder] = {}  # the same read's folders
        self.info = InfoDialog()  # one, shown again for each model (see InfoDialog)

    def on_mount(self) -> None:
        self.app.install_screen(self.info, "model-info")  # installed: closing it keeps it
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.tick)

    def tick(self) -> None:
        # Under a dashboard or desk: no reads, so keys there stay quick. (Not is_current,
        # which Textual also answers True for the screen just under the top one.)
        if self.app.screen is self:
            self.reload()

    def on_screen_resume(self) -> None:
        # Back from a dashboard or desk, or after a while away: read the store again. Not
        # after a dialog closes at once: the timer's next read is soon enough, and 50 models
        # read in a thread as the dialog goes would hold back the repaint (the GIL).
        name, self.app.came_from = self.app.came_from, None
        if name is not None or time.monotonic() - self.read_at >= RELOAD_SECONDS:
            self.reload()
        # Back from a dashboard or desk: the keys act on the model the user was looking at.
        table = self.query_one(ModelsTable)
        if name is not None and table.select(name):
            table.focus()

    def on_models_changed(self, _: ModelsChanged) -> None:
        self.reload()

    # -- reading the store (in a thread: the UI never waits on the disk) ---------------------------

    read_once = False
    last_read: tuple | None = None
    read_at = 0.0  # when the last read began (monotonic)

    @work(thread=True, exclusive=True, group="library")
    def reload(self) -> None:
        """Read the store in a thread and post what it holds when that changed (the store hands
        back the same folder object while its files are unchanged). A read still going when the
        next starts is cancelled, so a burst of reloads paints once."""
        self.read_at = time.monotonic()
        read = read_library()
        if get_current_worker().is_cancelled or (read.folders, read.cards) == self.last_read:
            return
        self.last_read = (read.folders, read.cards)
        self.post_message(read)

    def on_library_read(self, message: LibraryRead) -> None:
        self.read_once = True
        models = message.models
        self.models = {m.name: m for m in models}
        self.folders = {f.summary().name: f for f in message.folders}
        self.app.known_models = models
        states = {m.name: self.state_label(m) for m in models}
        table = self.query_one(ModelsTable)
        with self.app.batch_update():
            table.show(models, states)
            self.query_one(CorporaTable).show(models, message.cards)
            empty = not models
            appearing = table.display is False and not empty
            self.query_one("#empty").display = empty
            table.display = not empty
        if empty:
            self.query_one(CorporaTable).focus()
        elif appearing or self.focused is None or not self.focused.display:
            # The first model has just appeared: the model keys act on it, so focus is there.
            table.focus()

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
        self.reload()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_download":
            panels = self.query(DownloadPanel)  # asked before compose, too
            return bool(panels) and panels.first().showing
        return True

    def action_cancel_download(self) -> None:
        self.query_one(DownloadPanel).cancel()
        self.refresh_bindings()

    # -- what a model's state reads as -------------------------------------------------------------

    def state_label(self, m: ModelSummary) -> str:
        state = m.state
        if state.live and m.name not in self.app.watched_runs:
            return "detached"  # training in a process nobody here is watching
        if state is RunState.EVALUATING:
            return "training"  # an evaluation is part of training; the dashboard says which
        if state is RunState.NEW and m.steps:
            return "trained"  # weights from before the run store kept its state
        return state.words

    def refuse_while_training(self, m: ModelSummary, doing: str) -> bool:
        """Say at once, before any dialog, that a running model cannot be changed."""
        if not m.state.live:
            return False
        self.notify(f"'{m.name}' is training right now; stop its run (s on its dashboard) "
                    f"before {doing} it.", severity="warning")
        return True

    def refuse_damaged(self, m: ModelSummary) -> bool:
        """A model whose settings cannot be read can only be deleted; say so in one sentence."""
        if m.state is not RunState.DAMAGED:
            return False
        self.notify(m.message, severity="error")
        return True

    # -- actions -------------------------------------------------------------------------------

    def selected(self) -> ModelSummary | None:
        """The model under the cursor, as the last read saw it."""
        if not self.read_once:  # a key before the first read came in waits for it
            self.on_library_read(read_library())
        name = self.query_one(ModelsTable).selected_name()
        if name is None or name not in self.models:
            self.notify("There is no model yet; press n to make one.", severity="warning")
            return None
        return self.models[name]

    def action_new(self) -> None:
        self.app.open_new_model()

    def action_train(self) -> None:
        m = self.selected()
        if m is None or self.refuse_damaged(m):
            return
        if m.state.live:
            self.app.open_dashboard(m.name)
            return
        self.read_folder(m.name, self.ask_budget)

    def ask_budget(self, folder: ModelFolder) -> None:
        try:
            budget = folder.train_config().budget_text()
        except PoetuiError:
            budget = "unreadable"  # the run itself will say what is wrong with the settings
        steps = folder.summary().steps
        name = folder.name

        def answered(value: str | None) -> None:
            if value is not None:
                self.resume(name, value)

        self.app.push_screen(TextDialog(
            f"Train '{name}': total budget in steps (now {budget}, trained {steps:,} steps); "
            "leave empty to keep the budget.", placeholder="e.g. 1000"), answered)

    @work(thread=True, group="folder")
    def read_folder(self, name: str, then) -> None:
        """Read one model's folder in a thread, then hand it to ``then`` on the UI thread."""
        try:
            folder = store.open_model(name)
            folder.summary()  # its pointers and run state, read here rather than on the UI
        except PoetuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(then, folder)

    def resume(self, name: str, steps: str) -> None:
        if steps and (not steps.isdigit() or int(steps) < 1):
            self.notify(f"'{steps}' is not a number of steps; give a whole number such as "
                        "1000.", severity="error")
            return
        # The training process writes the new budget once it holds the model's lock, so the
        # settings never change under a run that is still going.
        self.app.start_run(name, {"steps": int(steps)} if steps else None)

    def action_generate(self) -> None:
        m = self.selected()
        if m is None or self.refuse_damaged(m):
            return
        if not m.steps:
            self.notify(f"'{m.name}' has not been trained yet; press t to train it first.",
                        severity="warning")
            return
        self.app.open_desk(m.name, m.translates, classifies=m.classifies)

    def action_watch(self) -> None:
        m = self.selected()
        if m is None or self.refuse_damaged(m):
            return
        if not m.state.live:
            if not m.steps:
                self.notify(f"'{m.name}' has not trained yet; press t to train it.",
                            severity="warning")
                return
            # A finished run: its chart, to read and compare (t trains it further).
            from tui.screens.run_chart import RunChartScreen

            self.app.came_from = m.name
            self.app.push_screen(RunChartScreen(m.name))
            return
        self.app.open_dashboard(m.name)

    def action_inspect(self) -> None:
        m = self.selected()
        if m is None:
            return
        if m.state is RunState.DAMAGED:
            # What there is to know: where it lies, so its checkpoints can still be looked at.
            self.app.push_screen(self.info.show(f"Model '{m.name}'", fmt.aligned([
                ("state", "damaged: its settings (model.json) cannot be read"),
                ("why", m.message),
                ("folder", str(m.path)),
            ])))
            return
        # The last read's folder (at most a poll old, as the table is): no disk read on a key.
        self.show_info(self.folders[m.name])

    def show_info(self, folder: ModelFolder) -> None:
        m = folder.summary()
        about = [
            ("corpus", f"{m.corpus} ({m.kind}, {m.level} level)"),
            ("model", f"{m.size}, {m.parameters:,} parameters"),
            ("preset", folder.preset or fmt.DASH),
            *([("from", fmt.origin_words(folder.origin))] if folder.origin else []),
            ("steps", f"{m.steps:,}"),
            ("best val loss", fmt.loss(m.best_val_loss)),
            *([("held-out chrF", fmt.loss(m.chrf))] if m.translates else []),
            ("created", fmt.when(folder.created)),
            ("last trained", fmt.when(m.last_trained)),
            ("state", self.state_label(m)),
            *([("why", m.message)] if m.message else []),
            ("folder", str(m.path)),
        ]
        text = "\n".join([
            fmt.aligned(about),
            "",
            "Model settings",
            fmt.aligned(fmt.settings(folder.model_settings), columns=2, indent=2),
            "",
            "Training settings",
            fmt.aligned(fmt.settings(folder.train_settings), columns=2, indent=2),
        ])
        self.app.push_screen(self.info.show(f"Model '{m.name}'", text))

    def change(self, act, done: str) -> None:
        """Rename or delete: the store's sentence if it refuses, else ``done``, then re-read."""
        try:
            act()
        except PoetuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(done)
        self.reload()

    def action_rename(self) -> None:
        m = self.selected()
        if m is None or self.refuse_while_training(m, "renaming"):
            return
        name = m.name

        def answered(new: str | None) -> None:
            if new and new != name:
                self.change(lambda: store.rename(name, new), f"Renamed '{name}' to '{new}'.")

        self.app.push_screen(TextDialog(f"New name for '{name}':", name), answered)

    def action_delete(self) -> None:
        m = self.selected()
        if m is None or self.refuse_while_training(m, "deleting"):
            return
        name = m.name

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(lambda: store.delete(name), f"Deleted '{name}'.")

        self.app.push_screen(ConfirmDialog(
            f"Delete model '{name}' with its checkpoints and history? This cannot be undone.",
            yes="Delete"), answered)
