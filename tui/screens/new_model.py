"""New model: a corpus (checked as you type), a level, a preset and the advanced settings,
with the parameter count and time per epoch shown before anything starts."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select

from corpora import CARDS
from engine.config import BUDGETS, CELLS
from engine.errors import PoetuiError
from engine.presets import PRESETS
from tui.messages import CorpusChecked, EstimateReady
from tui.widgets.corpus_check import CorpusReport, EstimateReport

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
]


def _row(label: str, widget) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, classes="field")


class NewModelScreen(Screen):
    HELP_TITLE = "New model"
    HELP_TEXT = ("Choose a corpus (or type the path of a text file), a preset, and change any "
                 "setting you like; empty fields keep the preset's value. ctrl+s creates the "
                 "model and starts training it.")
    BINDINGS = [
        Binding("ctrl+s", "create", "Create & train", id="new.create"),
        Binding("escape", "cancel", "Cancel", id="new.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.corpus_ok = False
        self._check_timer = None
        self._estimate_key: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="new-model"):
            with VerticalScroll(id="new-form"):
                choices = [(f"{c.name} ({'built-in' if c.builtin else 'catalog'})", c.name)
                           for c in CARDS] + [("your own file (type its path)", FILE)]
                yield _row("corpus", Select(choices, value=CARDS[0].name, allow_blank=False,
                                            compact=True, id="corpus-choice"))
                yield _row("file path", Input(placeholder="~/texts/poems.txt", compact=True,
                                              id="path"))
                yield _row("level", Select([("characters", "char"), ("words", "word")],
                                           value="char", allow_blank=False, compact=True,
                                           id="level"))
                yield _row("preset", Select([(f"{n}", n) for n in PRESETS], value="char",
                                            allow_blank=False, compact=True, id="preset"))
                yield _row("cell", Select([(c, c) for c in CELLS],
                                          prompt="preset's", compact=True, id="cell"))
                for field, label, kind in ADVANCED:
                    yield _row(label, Input(type=kind, compact=True, id=field))
                yield _row("budget", Input(type="number", compact=True, id="budget"))
                yield _row("budget in", Select([(b, b) for b in BUDGETS], value="steps",
                                               allow_blank=False, compact=True,
                                               id="budget-unit"))
                yield _row("name", Input(placeholder="made from the corpus", compact=True,
                                         id="name"))
                yield Button("Create and train (ctrl+s)", variant="primary", id="create")
            with Vertical(id="new-side"):
                yield CorpusReport(id="corpus-report")
                yield EstimateReport(id="estimate")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#new-side").border_title = "corpus and cost"
        self.show_preset()
        self.query_one("#corpus-choice").focus()
        self.schedule_check()

    # -- reading the form ---------------------------------------------------------------------

    def corpus_spec(self) -> str:
        choice = self.query_one("#corpus-choice", Select).value
        return self.query_one("#path", Input).value.strip() if choice == FILE else str(choice)

    def overrides(self) -> dict:
        """The fields the user filled in; a malformed number raises a one-sentence error."""
        values: dict = {"level": self.query_one("#level", Select).value}
        cell = self.query_one("#cell", Select).value
        if cell != Select.NULL:
            values["cell"] = cell
        for field, label, kind in ADVANCED + [("budget", "budget", "number")]:
            text = self.query_one(f"#{field}", Input).value.strip()
            if not text:
                continue
            try:
                value = int(text) if kind == "integer" else float(text)
            except ValueError:
                raise PoetuiError(f"'{text}' is not a valid {label}.") from None
            if field == "budget":
                unit = self.query_one("#budget-unit", Select).value
                values[unit] = int(value) if unit == "steps" else value
            else:
                values[field] = value
        return values

    def show_preset(self) -> None:
        preset = PRESETS[self.query_one("#preset", Select).value]
        settings = preset.for_budget(preset.settings.get("minutes"))
        for field, _, _ in ADVANCED:
            value = settings.get(field)
            self.query_one(f"#{field}", Input).placeholder = (
                "default" if value is None else f"{value:g}" if isinstance(value, float)
                else str(value))
        budget = next(((b, settings[b]) for b in BUDGETS if b in settings), None)
        self.query_one("#budget", Input).placeholder = (
            f"{budget[1]:g} {budget[0]}" if budget else "10 epochs")

    # -- checking as you type -----------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "path" and event.value.strip():
            # Typing a path means the corpus is that file.
            self.query_one("#corpus-choice", Select).value = FILE
        self.schedule_check()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "preset":
            self.show_preset()
            level = PRESETS[event.value].settings.get("level")
            if level:
                self.query_one("#level", Select).value = level
        self.schedule_check()

    def schedule_check(self) -> None:
        # Wait for a pause in typing, so a path is read once, not once per keystroke.
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(DEBOUNCE_SECONDS, self.start_check)

    def start_check(self) -> None:
        spec = self.corpus_spec()
        self.corpus_ok = False
        report = self.query_one(CorpusReport)
        if not spec:
            report.show(None, "Type the path of a UTF-8 text file, or choose a corpus above.")
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
        if self.corpus_ok:
            self.start_estimate()
        else:
            self._estimate_key = None
            self.query_one(EstimateReport).update("No estimate until the corpus checks out.")

    def start_estimate(self) -> None:
        report = self.query_one(EstimateReport)
        try:
            overrides = self.overrides()
        except PoetuiError as exc:
            report.show(None, str(exc))
            return
        preset = self.query_one("#preset", Select).value
        key = (self.corpus_spec(), preset, tuple(sorted(overrides.items())))
        if key == self._estimate_key:
            return
        self._estimate_key = key
        report.pending()
        self.estimate(key, self.corpus_spec(), preset, overrides)

    @work(thread=True, exclusive=True, group="estimate")
    def estimate(self, key: tuple, spec: str, preset: str, overrides: dict) -> None:
        # PyTorch is imported here, in a thread, the first time an estimate is needed.
        try:
            from engine.estimate import estimate

            result, error = estimate(spec, preset, **overrides), None
        except PoetuiError as exc:
            result, error = None, str(exc)
        self.post_message(EstimateReady(key, result, error))

    def on_estimate_ready(self, message: EstimateReady) -> None:
        if message.key == self._estimate_key:
            self.query_one(EstimateReport).show(message.estimate, message.error)

    # -- creating -------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()

    def action_create(self) -> None:
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
        self.notify("Creating the model…")
        self.create(self.corpus_spec(), name, preset, overrides)

    @work(thread=True, exclusive=True, group="create")
    def create(self, spec: str, name: str | None, preset: str, overrides: dict) -> None:
        try:
            from engine.job import create_model

            path = create_model(spec, name, preset, **overrides)
        except PoetuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.created, path.name)

    def created(self, name: str) -> None:
        self.app.pop_screen()
        self.app.start_run(name)

    def action_cancel(self) -> None:
        self.app.pop_screen()
