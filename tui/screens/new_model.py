"""New model: a corpus (checked as you type), a level, a preset and the advanced settings,
with the parameter count and the time the whole budget takes shown before anything starts."""

from __future__ import annotations

from dataclasses import fields

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Select, Static

from corpora import cards as catalog
from corpora.cards import Card
from engine.config import BUDGETS, CELLS, ModelConfig, TrainConfig
from engine.data import cache
from engine.data.fetch import needs_fetch
from engine.errors import PoetuiError
from engine.presets import PRESETS
from engine.train.estimate import budget_cost
from engine.train.job import resolve_settings
from tui.messages import CorpusChecked, DownloadFinished, EstimateReady
from tui.screens.dialogs import ConfirmDialog
from tui.widgets import format as fmt
from tui.widgets.corpus_check import CorpusReport, EstimateReport
from tui.widgets.download import DownloadPanel
from tui.widgets.key_footer import KeyFooter

FILE = "file"
DEBOUNCE_SECONDS = 0.4
# (field, label, Input type): empty means "the preset's value", shown as the placeholder.
ADVANCED = [
    ("layers", "layers", "integer"),
    ("hidden", "hidden", "integer"),
    ("dropout", "dropout", "number"),
    ("seq_len", "seq length", "integer"),
    ("batch", "batch", "integer"),
    ("lr", "learn rate", "number"),
    ("threads", "threads", "integer"),
]
FIELDS = {field for field, _, _ in ADVANCED}
# What a setting is when neither the preset nor the user gives it: the settings' own defaults.
DEFAULTS = {f.name: f.default for f in (*fields(ModelConfig), *fields(TrainConfig))}


def _row(label: str, widget) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, classes="field")


def _placeholder(field: str, value: object) -> str:
    if field == "threads" and not value:
        return "automatic"  # 0: the training process picks from the free cores
    return f"{value:g}" if isinstance(value, float) else str(value)


def corpus_choices() -> list[tuple[str, str]]:
    """The corpus list: each card with its state (and, for the catalog, its size), then a
    file of the user's."""
    choices = []
    for card in catalog.CARDS:
        # A built-in's size means reading it whole: the library shows it; here, no need.
        size = None if card.builtin else cache.card_size(card)
        label = f"{card.name} · {cache.state(card)}" + (f", {fmt.size(size)}" if size else "")
        choices.append((label, card.name))
    return [*choices, ("your own file (type its path)", FILE)]


class NewModelScreen(Screen):
    HELP_TITLE = "New model"
    HELP_TEXT = ("Choose a corpus (or type the path of a text file), a preset, and change any "
                 "setting you like; empty fields keep the preset's value. ctrl+s creates the "
                 "model and starts training it.")
    BINDINGS = [
        Binding("ctrl+s", "create", "Create & train", id="new.create"),
        # Shown only while the chosen corpus is a catalog card still to download.
        Binding("ctrl+f", "download", "Download", id="new.download"),
        Binding("escape", "cancel", "Cancel", id="new.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.corpus_ok = False
        self._check_timer = None
        self._checked_spec: str | None = None  # checked (or being checked) and not refused
        self._estimate_key: tuple | None = None
        self._estimate_budget: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="new-model"):
            with VerticalScroll(id="new-form"):
                yield _row("corpus", Select(corpus_choices(), value=catalog.CARDS[0].name,
                                            allow_blank=False, compact=True,
                                            id="corpus-choice"))
                yield _row("file path", Input(placeholder="~/texts/poems.txt", compact=True,
                                              id="path"))
                yield _row("level", Select([("characters", "char"), ("words", "word")],
                                           value="char", allow_blank=False, compact=True,
                                           id="level"))
                yield _row("preset", Select([(f"{n}", n) for n in PRESETS], value="char",
                                            allow_blank=False, compact=True, id="preset"))
                yield Static("", id="preset-about", classes="field-note")
                yield _row("cell", Select([(c, c) for c in CELLS],
                                          prompt="preset's", compact=True, id="cell"))
                # valid_empty: an empty field means "the preset's value", never an error.
                for field, label, kind in ADVANCED:
                    yield _row(label, Input(type=kind, valid_empty=True, compact=True,
                                            id=field))
                yield _row("budget", Input(type="number", valid_empty=True, compact=True,
                                           id="budget"))
                yield _row("budget in", Select([(b, b) for b in BUDGETS], value="minutes",
                                               allow_blank=False, compact=True,
                                               id="budget-unit"))
                # What a budget changes of the preset's model (its tiers), said where it does.
                yield Static("", id="budget-note", classes="field-note")
                yield _row("name", Input(placeholder="made from the corpus", compact=True,
                                         id="name"))
                # A model of the library to continue on this corpus (its shape and recipe
                # kept); filled in from a thread once the library has been read.
                yield _row("start from", Select([], prompt="new weights", compact=True,
                                                id="start-from"))
                yield Button("Create and train (ctrl+s)", variant="primary", id="create")
            with Vertical(id="new-side"):
                yield CorpusReport(id="corpus-report")
                yield DownloadPanel(id="new-download")
                yield EstimateReport(id="estimate")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#new-side").border_title = "corpus and cost"
        self.show_preset()
        self.query_one("#corpus-choice").focus()
        self.schedule_check()
        self.read_library()

    @work(thread=True, exclusive=True, group="library")
    def read_library(self) -> None:
        from engine.storage import store

        names = [m.name for m in store.list_models() if m.steps > 0]
        self.app.call_from_thread(
            self.query_one("#start-from", Select).set_options, [(n, n) for n in names])

    # -- reading the form ---------------------------------------------------------------------

    def corpus_spec(self) -> str:
        choice = self.query_one("#corpus-choice", Select).value
        return self.query_one("#path", Input).value.strip() if choice == FILE else str(choice)

    def preset_budget(self) -> tuple[str, float]:
        """(unit, amount) of the chosen preset's own budget."""
        preset = self.query_one("#preset", Select).value
        level = self.query_one("#level", Select).value
        settings = resolve_settings(preset, {"level": level})[1]
        budget = next(((b, settings[b]) for b in BUDGETS if settings.get(b)), None)
        # A preset without a budget trains for the one TrainConfig gives itself.
        return budget or ("epochs", TrainConfig().epochs)

    def budget(self) -> tuple[str, float, bool]:
        """(unit, amount, the preset's?) that training will use; one sentence if malformed."""
        unit = self.query_one("#budget-unit", Select).value
        text = self.query_one("#budget", Input).value.strip()
        if not text:
            preset_unit, amount = self.preset_budget()
            if unit != preset_unit:
                # The unit shown must be the unit used: no silent fall-back to another unit.
                raise PoetuiError(f"Type a number of {unit}, or choose {preset_unit} to keep "
                                  f"the preset's {amount:g} {preset_unit}.")
            return unit, amount, True
        try:
            amount = int(text) if unit == "steps" else float(text)
        except ValueError:
            raise PoetuiError(f"'{text}' is not a valid number of {unit}.") from None
        if amount <= 0:
            raise PoetuiError("The budget must be more than zero.")
        return unit, amount, False

    def overrides(self) -> dict:
        """The fields the user filled in; a malformed number raises a one-sentence error."""
        values: dict = {"level": self.query_one("#level", Select).value}
        cell = self.query_one("#cell", Select).value
        if cell != Select.NULL:
            values["cell"] = cell
        for field, label, kind in ADVANCED:
            text = self.query_one(f"#{field}", Input).value.strip()
            if not text:
                continue
            try:
                values[field] = int(text) if kind == "integer" else float(text)
            except ValueError:
                raise PoetuiError(f"'{text}' is not a valid {label}.") from None
        unit, amount, from_preset = self.budget()
        if not from_preset:
            values[unit] = amount
        return values

    def show_preset(self) -> None:
        """A preset was chosen: say what it is, and follow its budget's unit."""
        preset = self.query_one("#preset", Select).value
        self.query_one("#preset-about", Static).update(PRESETS[preset].about)
        self.query_one("#budget-unit", Select).value = self.preset_budget()[0]
        self.show_placeholders()

    def show_placeholders(self) -> None:
        """Each empty field shows the value it stands for, as the engine resolves the preset
        (a time budget can change the model's size)."""
        preset = self.query_one("#preset", Select).value
        try:
            overrides = self.overrides()
        except PoetuiError:
            overrides = {"level": self.query_one("#level", Select).value}
        try:
            settings = resolve_settings(preset, overrides)[1]
        except PoetuiError:
            settings = resolve_settings(preset, {})[1]
        for field, _, _ in ADVANCED:
            self.query_one(f"#{field}", Input).placeholder = _placeholder(
                field, settings.get(field, DEFAULTS.get(field)))
        unit = self.query_one("#budget-unit", Select).value
        preset_unit, amount = self.preset_budget()
        self.query_one("#budget", Input).placeholder = (
            f"{amount:g} {unit}" if unit == preset_unit else f"number of {unit}")
        self.show_budget_note(preset, settings, overrides)

    def show_budget_note(self, preset: str, settings: dict, overrides: dict) -> None:
        """Say which of the preset's settings the budget changed (a time budget picks one of
        its tiers), so no field changes behind the user's back."""
        own = resolve_settings(preset, {"level": overrides.get("level", "char")})[1]
        changed = [f"{label} {_placeholder(field, own.get(field, DEFAULTS.get(field)))} → "
                   f"{_placeholder(field, settings.get(field, DEFAULTS.get(field)))}"
                   for field, label, _ in ADVANCED
                   if field not in overrides
                   and own.get(field, DEFAULTS.get(field)) != settings.get(field,
                                                                         DEFAULTS.get(field))]
        note = self.query_one("#budget-note", Static)
        try:
            unit, amount, _ = self.budget()
        except PoetuiError:
            changed = []  # a malformed budget changes nothing yet (the cost panel says why)
        note.display = bool(changed)
        if changed:
            note.update(f"A budget of {fmt.count(amount, unit, 'g')} changes the {preset} "
                        f"preset's model: {', '.join(changed)} (type a value above to keep "
                        "your own).")

    # -- checking as you type -----------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "path" and event.value.strip():
            # Typing a path means the corpus is that file.
            self.query_one("#corpus-choice", Select).value = FILE
        if event.input.id == "budget" or event.input.id in FIELDS:
            self.show_placeholders()  # and the budget's note, which leaves typed values out
        self.schedule_check()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "corpus-choice":
            card = needs_fetch(str(event.value)) if event.value != FILE else None
            if card is not None:
                self.offer_download(card)
        if event.select.id == "preset":
            level = PRESETS[event.value].settings.get("level")
            if level:
                self.query_one("#level", Select).value = level
            self.show_preset()
        elif event.select.id == "budget-unit":
            self.show_placeholders()
        self.schedule_check()

    def schedule_check(self) -> None:
        # Wait for a pause in typing, so a path is read once, not once per keystroke.
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(DEBOUNCE_SECONDS, self.start_check)

    def start_check(self) -> None:
        spec = self.corpus_spec()
        if spec and spec == self._checked_spec:
            # Only the settings changed: the corpus stands (or its check is under way).
            if self.corpus_ok:
                self.start_estimate()
            return
        self.corpus_ok = False
        self._checked_spec = spec or None
        self.refresh_bindings()  # ctrl+f shows for a card still to download
        # Another corpus: the last figures were not for it, so none until this one checks out
        # (while a path is typed, the file at a half-typed path is not the one meant).
        self._estimate_key = None
        self.query_one(EstimateReport).clear("")
        report = self.query_one(CorpusReport)
        if not spec:
            report.show(None, "Type the path of a UTF-8 text file, or choose a corpus above.")
            return
        card = needs_fetch(spec)
        if card is not None:
            # Nothing to check until it is here; checked as soon as its download finishes.
            self._checked_spec = None
            report.offer(card)
            self._estimate_key = None
            self.query_one(EstimateReport).clear("No estimate until the corpus is downloaded.")
            return
        report.checking(spec)
        self.check_corpus(spec)

    @work(thread=True, exclusive=True, group="check")
    def check_corpus(self, spec: str) -> None:
        from engine.corpus import describe, load_corpus  # torch-free

        try:
            info, error = describe(load_corpus(spec)), None
        except PoetuiError as exc:
            info, error = None, str(exc)
        self.post_message(CorpusChecked(spec, info, error))

    def on_corpus_checked(self, message: CorpusChecked) -> None:
        if message.spec != self.corpus_spec():
            return  # the user has typed on since; a newer check is coming
        self.query_one(CorpusReport).show(message.info, message.error)
        self.corpus_ok = message.error is None
        suggested = (message.info or {}).get("preset")  # labelled examples: a classifier's
        if suggested and self.query_one("#preset", Select).value != suggested:
            self.query_one("#preset", Select).value = suggested
        if self.corpus_ok:
            self.start_estimate()
        else:
            self._checked_spec = None  # checked again on the next change (the file may be fixed)
            self._estimate_key = None
            self.query_one(EstimateReport).clear("No estimate until the corpus checks out.")

    def start_estimate(self) -> None:
        report = self.query_one(EstimateReport)
        try:
            overrides = self.overrides()
            budget = self.budget()
        except PoetuiError as exc:
            self._estimate_key = None
            report.show(None, str(exc))
            return
        preset = self.query_one("#preset", Select).value
        key = (self.corpus_spec(), preset, tuple(sorted(overrides.items())), budget)
        if key == self._estimate_key:
            return
        self._estimate_key, self._estimate_budget = key, budget
        report.pending()
        self.estimate(key, self.corpus_spec(), preset, overrides)

    @work(thread=True, exclusive=True, group="estimate")
    def estimate(self, key: tuple, spec: str, preset: str, overrides: dict) -> None:
        # PyTorch is imported here, in a thread, the first time an estimate is needed.
        try:
            from engine.train.estimate import estimate

            result, error = estimate(spec, preset, **overrides), None
        except PoetuiError as exc:
            result, error = None, str(exc)
        self.post_message(EstimateReady(key, result, error))

    def on_estimate_ready(self, message: EstimateReady) -> None:
        if message.key != self._estimate_key:
            return  # settings changed since; the newer estimate replaces this one
        unit, amount, from_preset = self._estimate_budget
        cost = budget_cost(message.estimate, unit, amount) if message.estimate else None
        self.query_one(EstimateReport).show(message.estimate, message.error,
                                            (unit, amount, from_preset), cost)

    # -- downloading a catalog corpus -------------------------------------------------------------

    def offer_download(self, card: Card) -> None:
        """Picking a card that is not here yet asks at once whether to download it."""
        if self.query_one(DownloadPanel).busy:
            return
        size = f" ({fmt.size(card.download_size)})" if card.download_size else ""

        def answered(yes: bool | None) -> None:
            if yes and self.corpus_spec() == card.name:
                self.download(card)

        self.app.push_screen(ConfirmDialog(
            f"'{card.name}' is in the catalog but not downloaded yet. Download it now{size}? "
            "It is kept, so this happens once.", yes="Download", danger=False), answered)

    def download(self, card: Card) -> None:
        panel = self.query_one(DownloadPanel)
        if not panel.start(card):
            self.notify(f"'{panel.card.name}' is downloading; wait for it, or escape cancels "
                        "it.", severity="warning")
            return
        self.query_one(CorpusReport).offer(card, downloading=True)
        self.refresh_bindings()

    def action_download(self) -> None:
        card = needs_fetch(self.corpus_spec())
        if card is None:
            self.notify("The chosen corpus needs no download.", severity="warning")
            return
        self.download(card)

    def on_download_finished(self, message: DownloadFinished) -> None:
        if message.error is None:
            self.notify(f"Downloaded '{message.name}'.")
        elif message.cancelled:
            self.notify(f"The download of '{message.name}' was cancelled; ctrl+f resumes it "
                        "where it stopped.")
        # The list shows the new state; the corpus is checked now that it is here.
        choice = self.query_one("#corpus-choice", Select)
        value = choice.value
        with self.prevent(Select.Changed):
            choice.set_options(corpus_choices())
            choice.value = value
        self._checked_spec = None
        self.start_check()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "download":
            panels = self.query(DownloadPanel)  # asked before compose, too
            return (bool(panels) and not panels.first().busy
                    and needs_fetch(self.corpus_spec()) is not None)
        return True

    # -- creating -------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()

    def action_create(self) -> None:
        if self.query_one(DownloadPanel).busy:
            self.notify("Wait for the corpus to download (escape cancels it).",
                        severity="warning")
            return
        if needs_fetch(self.corpus_spec()) is not None:
            self.notify("Download the corpus first: ctrl+f.", severity="warning")
            return
        if not self.corpus_ok:
            self.notify("Choose a corpus that checks out first (see the right-hand side).",
                        severity="warning")
            return
        try:
            overrides = self.overrides()
        except PoetuiError as exc:
            self.notify(str(exc), severity="error")
            return
        name = self.query_one("#name", Input).value.strip() or None
        preset = self.query_one("#preset", Select).value
        origin = self.query_one("#start-from", Select).value
        self.notify("Creating the model…")
        self.create(self.corpus_spec(), name, preset, overrides,
                    None if origin == Select.NULL else str(origin))

    @work(thread=True, exclusive=True, group="create")
    def create(self, spec: str, name: str | None, preset: str, overrides: dict,
               origin: str | None = None) -> None:
        try:
            from engine.train.job import create_model

            if origin is not None:
                from engine.train.continuation import continue_model

                # The level (always set in the form) is the old model's; other shape fields
                # given here are refused in a sentence.
                overrides.pop("level", None)
                path = continue_model(spec, origin, name, **overrides)
            else:
                path = create_model(spec, name, preset, **overrides)
        except PoetuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.created, path.name)

    def created(self, name: str) -> None:
        self.app.pop_screen()
        self.app.start_run(name)

    def action_cancel(self) -> None:
        panel = self.query_one(DownloadPanel)
        if panel.showing:
            # First escape stops the download (or puts its error away); the next one leaves.
            panel.cancel()
            self.refresh_bindings()
            return
        self.app.pop_screen()
