"""Translate: type a sentence; its translation appears character by character as it is
decoded, or, in beam-search mode, the n best translations with their scores.

The model loads in a thread (PyTorch is imported there, never on the UI thread). Greedy
decoding runs in another thread that pushes each character into the TokenStream's buffer, which
the UI paints at most 30 times a second; a beam search runs whole in a thread and reports once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Input, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from engine.nn.threads import on_model_thread
from tui.screens.model_screen import ModelScreen
from tui.widgets import format as fmt
from tui.widgets.history_input import HistoryInput
from tui.widgets.key_footer import KeyFooter
from tui.widgets.token_stream import TokenStream

BEAM_WIDTH = 5
N_BEST = 3
ARROW = "→ "


@dataclass
class Translation:
    """One entry of the session's history."""

    source: str
    mode: str  # greedy | beam
    text: str = ""  # as the output panel shows it
    best: str = ""  # the translation (of a beam: the one chosen among its n best)
    results: list[tuple[str, float]] = field(default_factory=list)  # a beam's n best
    chosen: int = 0  # which of them

    def label(self, number: int) -> str:
        return f"#{number} {self.mode} {self.source[:12]} → {self.best[:12]}"


class TranslateScreen(ModelScreen):
    AREA = "translate"
    OUTPUT_TITLE = "translation"
    WRITING = "translate"
    HELP_TITLE = "Translate"
    HELP_TEXT = ("Type a sentence and press enter: the translation appears character by "
                 "character as the model decodes it (greedy). ctrl+b switches to beam search, "
                 f"which shows the {N_BEST} best of a beam {BEAM_WIDTH} wide, each with its "
                 "score (log-probability per character: nearer 0 is surer), and back. The n "
                 "best are siblings, as a branch's are at the desk: ctrl+↓ and ctrl+↑ walk "
                 "them (▸ marks the one taken, which the history keeps). The history on the "
                 "right keeps the session's translations.")
    BINDINGS = [
        Binding("ctrl+b", "toggle_beam", "Beam/greedy", id="translate.beam"),
        Binding("ctrl+down", "sibling(1)", "Next of the n best", key_display="ctrl+↓",
                show=False, id="translate.next"),
        Binding("ctrl+up", "sibling(-1)", "Previous of the n best", key_display="ctrl+↑",
                show=False, id="translate.previous"),
        Binding("escape", "stop_or_back", "Stop/back", id="translate.stop"),
    ]

    def __init__(self, name: str, which: str = "best") -> None:
        super().__init__(name, which)
        self.translator = None
        self.beam_mode = False
        self.history: list[Translation] = []
        self.current: Translation | None = None  # being translated
        self.shown: Translation | None = None  # the entry the output shows
        self.weights_note = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="translate"):
            yield HistoryInput(placeholder="a sentence to translate (enter translates; ↑ "
                               "the ones before)", id="source")
            yield Static("", id="translate-mode")
            yield from self.output_and_history()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_mode()
        self.query_one("#source", Input).focus()
        self.begin_loading()

    def show_mode(self) -> None:
        if self.beam_mode:
            text = (f"[b]beam search[/b]: the {N_BEST} best of a beam {BEAM_WIDTH} wide · "
                    "ctrl+↑↓ walks them · ctrl+b: greedy")
        else:
            text = "[b]greedy[/b]: appears as it is decoded · ctrl+b: beam search"
        self.query_one("#translate-mode", Static).update(text)

    # -- loading ----------------------------------------------------------------------------------

    def prepare(self, loaded) -> tuple:
        chrf = loaded.folder.summary().chrf if self.which == "best" else None
        return loaded.translator(), loaded.state.get("step"), chrf

    def loaded(self, translator, step: int | None, chrf: float | None = None) -> None:
        """Ready: ``chrf`` is the held-out figure of the best weights (None: not known)."""
        self.translator = translator
        notes = [f"weights of step {step:,}"] if step is not None else []
        if chrf is not None:
            notes.append(f"held-out chrF {fmt.loss(chrf)}")
        self.weights_note = ", ".join(notes)
        self.set_status(f"'{self.model_name}' ready ({self.weights_note}); enter translates.")

    # -- translating ------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.start(event.value):
            # The line empties for the next sentence (typed on, it was appended to the last);
            # ↑ brings the earlier ones back.
            self.query_one(HistoryInput).remember()

    def action_toggle_beam(self) -> None:
        self.beam_mode = not self.beam_mode
        self.show_mode()
        # The sentence typed (or the last one translated) is translated again the new way, so
        # the two can be compared.
        text = self.query_one("#source", Input).value or (
            self.history[-1].source if self.history else "")
        if text.strip() and self.translator is not None and self.current is None:
            self.start(text)

    def start(self, text: str) -> bool:
        """Translate ``text``; False (and a notice saying why) if it cannot be now."""
        if self.translator is None:
            self.notify("The model is still loading.", severity="warning")
            return False
        if not text.strip():
            self.notify("Type a sentence to translate first.", severity="warning")
            return False
        if self.current is not None:
            self.notify("Still translating; escape stops it.", severity="warning")
            return False
        mode = "beam" if self.beam_mode else "greedy"
        self.current = Translation(text, mode)
        stream = self.query_one(TokenStream)
        if self.beam_mode:
            stream.show(f"{text}\n")
            self.set_status(f"Searching (a beam {BEAM_WIDTH} wide)… escape stops waiting.")
            self.search(text)
        else:
            stream.show(f"{text}\n{ARROW}")
            self.set_status("Translating… (escape stops)")
            self.decode(text, stream)
        return True

    # The model runs on the process's model thread, as the desk's batches do: PyTorch's
    # threads on a second thread would slow both (engine.nn.threads.on_model_thread).
    @work(thread=True, exclusive=True, group="translate")
    def decode(self, text: str, stream: TokenStream) -> str:
        worker = get_current_worker()
        source = self.translator.source(text)
        if source.notice:
            self.app.call_from_thread(self.notify, source.notice, severity="warning")

        def translate() -> str:
            decoded: list[str] = []
            for character in self.translator.stream(source):
                if worker.is_cancelled:
                    break
                stream.push(character)
                decoded.append(character)
            return "".join(decoded)

        return on_model_thread(translate)

    @work(thread=True, exclusive=True, group="translate")
    def search(self, text: str) -> list[tuple[str, float]]:
        source = self.translator.source(text)
        if source.notice:
            self.app.call_from_thread(self.notify, source.notice, severity="warning")
        return on_model_thread(
            lambda: self.translator.beam(source, width=BEAM_WIDTH, n_best=N_BEST))

    def finished(self, state: WorkerState, worker: Worker) -> None:
        stream = self.query_one(TokenStream)
        entry, self.current = self.current, None
        if state == WorkerState.ERROR:
            self.set_status(f"The translation failed: {worker.error}.")
            return
        if state == WorkerState.CANCELLED and entry.mode == "beam":
            self.set_status("Stopped waiting for the beam search.")
            return
        if entry.mode == "beam":
            entry.results = worker.result
            entry.best = entry.results[0][0] if entry.results else ""
            stream.show(self.beam_text(entry))
        elif state == WorkerState.SUCCESS:
            entry.best = worker.result
        else:  # stopped part-way: what was decoded so far
            entry.best = stream.text.split("\n", 1)[-1].removeprefix(ARROW)
        entry.text = stream.text
        self.history.append(entry)
        self.shown = entry
        self.query_one("#history", OptionList).add_option(entry.label(len(self.history)))
        if state == WorkerState.CANCELLED:
            self.set_status("Stopped. enter translates again.")
        elif entry.mode == "beam":
            self.set_status(f"The {N_BEST} best, best first ({self.weights_note}). ctrl+b: "
                            "greedy.")
        else:
            self.set_status(f"Done: {len(entry.best):,} characters ({self.weights_note}). "
                            "ctrl+b: beam search.")

    @staticmethod
    def beam_text(entry: Translation) -> str:
        """The n best under their source, each with its score, the scores in one column; ▸
        marks the one taken."""
        width = max((len(text) for text, _ in entry.results), default=0)
        lines = [f"{'▸' if i == entry.chosen else ' '}{i + 1}. {text:<{width}}  {score:7.3f}"
                 for i, (text, score) in enumerate(entry.results)]
        return "\n".join([entry.source, *lines, "", "score: log-probability per character"])

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.current is None and 0 <= event.option_index < len(self.history):
            self.shown = self.history[event.option_index]
            self.query_one(TokenStream).show(self.shown.text)

    def action_sibling(self, delta: int) -> None:
        """ctrl+↓/↑: the next or the previous of the shown beam's n best becomes the one
        taken (its siblings, as at the desk's branches)."""
        entry = self.shown
        if self.current is not None:
            self.notify("Still translating; escape stops it.", severity="warning")
            return
        if entry is None or len(entry.results) < 2:
            self.notify("The n best come from a beam search: ctrl+b, then enter.",
                        severity="warning")
            return
        entry.chosen = (entry.chosen + delta) % len(entry.results)
        entry.best, score = entry.results[entry.chosen]
        entry.text = self.beam_text(entry)
        self.query_one(TokenStream).show(entry.text)
        number = self.history.index(entry)
        self.query_one("#history", OptionList).replace_option_prompt_at_index(
            number, entry.label(number + 1))
        self.set_status(f"{entry.chosen + 1} of {len(entry.results)}: {entry.best} "
                        f"(score {score:.3f}).")

    def action_stop_or_back(self) -> None:
        if self.current is not None:
            # A greedy decoding stops at the next character; a beam search cannot be stopped
            # part-way, so its result is no longer waited for (the thread ends by itself).
            self.workers.cancel_group(self, "translate")
        else:
            self.app.pop_screen()
