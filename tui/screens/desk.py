"""The writing desk: a prompt, sampling controls, and text streamed token by token.

The model loads in a thread (PyTorch is imported there, never on the UI thread); generation
runs in another thread that pushes each token into the TokenStream's buffer, which the UI
paints at most 30 times a second, and then measures how much of what it wrote is new against
the training text (``engine.generate.novelty``, read once per model, in that thread). For a Tang
quatrain model the desk offers an acrostic, the form and the title as ``engine.generate.forms``
defines them, regulated decoding (``engine.generate.regulated``), and shows the last poem's
tones (``tui.widgets.verse``).

Besides writing a whole text (f2, where ctrl+t colours it by surprisal), the desk has three
more modes, each its own widget in ``tui.widgets.writing``: picking the next token (f3),
branches (f4, a loom saved with the model) and co-writing (f5). The desk composes them and
hands each the loaded model and its sampling settings.

The prompt holds at most ``PROMPT_LIMIT`` characters. The sampler feeds a prompt to the model
one token at a time before it writes the first new one, and nothing can stop it in between (on
2 cores a pasted 50,000 characters took 2 s with a 1×64 model, 7 s with a 1×256 one, longer
with every size above); meanwhile that thread takes the GIL from the UI, and the output then
repainted all 50,000 characters at each refresh (0.27 s each). The models here learn from
windows of a few hundred tokens at most, so a longer prompt would only delay the writing.
"""

from __future__ import annotations

import gc
from itertools import chain
from pathlib import Path

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Header, Input, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from engine.config import SampleConfig
from engine.errors import PoetuiError
from tui.screens.dialogs import TextDialog
from tui.screens.model_screen import ModelScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.sampling import SamplingControls
from tui.widgets.token_stream import TokenStream
from tui.widgets.verse import ToneMarks
from tui.widgets.writing.cowrite import CoWriteMode, CoWriter
from tui.widgets.writing.loom import LoomMode
from tui.widgets.writing.pick import PickMode
from tui.widgets.writing.tokens import ALTERNATIVES, TokenView

# (key, the switcher's child, its name in the mode line)
MODES = (("f2", "desk-middle", "write"), ("f3", "pick", "pick"), ("f4", "loom", "branches"),
         ("f5", "cowrite", "co-write"))

PROMPT_LIMIT = 1_000  # characters
COPIED = "  ◂ in the training text"  # after an item (a name, a poem) or a line it copied


class PromptInput(Input):
    """The desk's prompt: at most ``PROMPT_LIMIT`` characters, and it says so when it keeps
    less than it was given."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=PROMPT_LIMIT, **kwargs)

    def on_paste(self, event: events.Paste) -> None:
        # Input would refuse a paste that does not fit, whole and with only a bell: keep what
        # fits instead, and say what was left out.
        event.prevent_default()
        event.stop()
        lines = event.text.splitlines()
        if not lines:
            return
        start, end = sorted(self.selection)
        room = max(0, PROMPT_LIMIT - (len(self.value) - (end - start)))
        line = lines[0]
        self.replace(line[:room], start, end)
        cut, several = len(line) > room, len(lines) > 1
        if not (cut or several):
            return
        if not room:
            told = f"is full at {PROMPT_LIMIT:,} characters; the paste was left out"
        elif cut and several:
            told = (f"is one line of at most {PROMPT_LIMIT:,} characters; it kept the first "
                    f"{room:,} characters of the first of the {len(lines):,} lines pasted")
        elif cut:
            told = (f"holds at most {PROMPT_LIMIT:,} characters; it kept the first {room:,} "
                    f"of the {len(line):,} pasted")
        else:
            told = f"is one line; it kept the first of the {len(lines):,} lines pasted"
        self.notify(f"The prompt {told}.", severity="warning")

    def restricted(self) -> None:
        super().restricted()  # the bell
        self.notify(f"The prompt holds at most {PROMPT_LIMIT:,} characters.",
                    severity="warning")


class DeskScreen(ModelScreen):
    AREA = "desk"
    WRITING = "generate"
    HELP_TITLE = "Writing desk"
    HELP_TEXT = ("Type a prompt and press enter. Tab to the controls line to change the "
                 "sampling with its keys (t/T temperature, k/K top-k, p/P top-p, l/L length, "
                 "s seed, x random seed, g greedy, n/N items for names and poems). For Tang "
                 "quatrains, the field beside the prompt takes up to four characters that begin "
                 "the four lines (an acrostic); f holds the poems to the form (four lines of "
                 "five or seven, ，。，。), r to the tones and rhyme of regulated verse as well, "
                 "and w shows or hides their titles; below the text, the last poem's tones (平 "
                 "and 仄 in two colours, breaks marked), its rhyme group and what the mask took. "
                 "When a generation ends, the status line says how much of it is new: the "
                 "share of items, or of 8-character (4-word) runs, that the training text never "
                 "holds. ctrl+t colours the text "
                 "by how surprised the model was at each token (with ←/→ on a token: its "
                 "probability and the ten likeliest in its place). f3 picks the next token "
                 "yourself: 1–9 take one of the likeliest, space samples, backspace undoes. "
                 "f4 grows branches: b writes several continuations at once, ↑/↓ walk the "
                 "siblings, ←/→ parent and child, ,/. move along the tokens, a cycles a "
                 "token's alternatives and enter writes on from one; k keeps, r renames, d d "
                 "deletes, e exports; the tree is saved with the model and reopens. f5 "
                 "co-writes: type, tab asks for a suggestion, ↑/↓ its alternatives, tab or "
                 "enter accepts, escape or typing on rejects. For word models u lets the "
                 "model write <unk> (by default it never does).")
    BINDINGS = [
        Binding("ctrl+r", "regenerate", "Regenerate", id="desk.regenerate"),
        Binding("escape", "stop_or_back", "Stop/back", id="desk.stop"),
        Binding("ctrl+s", "save", "Save", id="desk.save"),
        Binding("ctrl+t", "probabilities", "Probabilities", id="desk.probabilities"),
        *[Binding(key, f"mode('{mode}')", name, show=False, id=f"desk.{name}")
          for key, mode, name in MODES],
    ]

    def __init__(self, name: str, which: str = "best") -> None:
        super().__init__(name, which)
        self.sampler = None
        self.itemised = False  # names, poems: a list of items rather than one text
        self.history: list[dict] = []
        self.current: dict | None = None
        self.weights_note = ""
        self.novelty = None  # the model's engine.generate.novelty.Novelty, or None
        self.quatrains = False  # a Tang quatrain model: acrostic, form and title on offer
        self.outputs: list[str] = []  # what the last generation wrote, item by item
        self.toned = False  # the tone panel holds a poem (shown in the write mode only)
        self.tokens: list = []  # the tokens being written (engine.generate.loom.Token)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="desk"):
            with Horizontal(id="desk-top"):
                yield PromptInput(placeholder="prompt (enter generates; empty is fine)",
                                  id="prompt")
                yield Input(placeholder="acrostic 藏頭", id="acrostic", max_length=4)
            yield SamplingControls(id="controls")
            yield Static("", id="desk-modes")
            with ContentSwitcher(initial="desk-middle", id="desk-switcher"):
                yield from self.middle(TokenView(id="probabilities"))
                yield PickMode(id="pick")
                yield LoomMode(id="loom")
                yield CoWriteMode(id="cowrite")
            yield ToneMarks(id="desk-verse")  # the last poem's tones, in the write mode
            yield Static("", id="desk-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#acrostic").display = False  # until a quatrain model has loaded
        self.query_one("#desk-verse").display = False  # until it has written a poem
        self.query_one("#probabilities").display = False
        for panel, title in (("probabilities", "probabilities"), ("pick-text", "text"),
                             ("pick-choices", "next token"), ("loom-text", "branch"),
                             ("loom-tree", "tree"), ("cowrite-editor", "co-write")):
            self.query_one(f"#{panel}").border_title = title
        self.show_modes()
        self.query_one("#prompt", Input).focus()
        self.begin_loading()

    def on_unmount(self) -> None:
        gc.unfreeze()  # frozen when the model loaded (``loaded``): collectable again

    # -- loading ----------------------------------------------------------------------------------

    def prepare(self, loaded) -> tuple:
        from engine.generate.forms import writes_quatrains, writes_titles

        quatrains = writes_quatrains(loaded.vocab, loaded.kind)
        sampler = loaded.sampler()
        sampler.share_cores()  # the modes step the model a token at a time, in threads
        gc.collect()  # loading's garbage, before what is left is frozen (see ``loaded``)
        # The training text is read at the first measurement, not now: the model is ready to
        # write sooner.
        return (sampler, loaded.state.get("step"), loaded.novelty(), quatrains,
                quatrains and writes_titles(loaded.vocab))

    def loaded(self, sampler, step: int | None, novelty=None, quatrains: bool = False,
               titled: bool = False) -> None:
        """The model is ready: ``novelty`` measures what it writes (None: no figure);
        ``quatrains`` and ``titled`` say whether it writes Tang quatrains, with titles."""
        # While the desk is open, what exists now (PyTorch, the model, the app) is kept out
        # of the collector's full passes, which walked it all in 80–90 ms: a pause in the
        # middle of typing, or of a batch of branches (every fifth batch of 8 × 200 took
        # twice as long). Only what is made from now on is looked at; leaving the desk
        # gives it all back to the collector (``on_unmount``), this screen and its model too.
        if self.is_attached:
            gc.freeze()
        self.sampler, self.itemised = sampler, sampler.kind.itemised
        self.novelty, self.quatrains = novelty, quatrains
        controls = self.query_one(SamplingControls)
        if self.itemised:
            # Names, poems: each item is one record, and a list of them is what one wants.
            controls.records = True
            controls.count = 5
            controls.length = 120
        controls.quatrains, controls.titled = quatrains, titled
        controls.words = sampler.vocab.level == "word"
        controls.refresh(layout=True)
        self.query_one("#acrostic").display = quatrains
        self.weights_note = f"weights of step {step:,}" if step is not None else ""
        self.set_status(f"'{self.model_name}' ready ({self.weights_note}); enter generates.")
        if self.mode != "desk-middle":  # a mode chosen while the model loaded
            self.begin_mode(self.mode)

    # -- generating -------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the acrostic field writes too, from the prompt as typed.
        self.action_regenerate()

    def action_regenerate(self) -> None:
        """Write again from the prompt: a new text, or the mode begun again from it."""
        mode = self.mode
        if mode == "desk-middle":
            self.start(self.query_one("#prompt", Input).value)
        elif self.sampler is not None and mode in ("pick", "loom"):
            self.begin_mode(mode, fresh=True)

    def start(self, prompt: str) -> None:
        if self.sampler is None:
            self.notify("The model is still loading.", severity="warning")
            return
        controls = self.query_one(SamplingControls)
        try:
            config = SampleConfig(**controls.settings())
        except ValueError as exc:
            self.notify(f"Bad sampling setting: {exc}.", severity="error")
            return
        count = controls.count if self.itemised else 1
        constraint, hide_title = None, False
        if self.quatrains:
            from engine.generate.forms import quatrain_constraint

            heads = "".join(self.query_one("#acrostic", Input).value.split())
            try:
                if controls.regulated:
                    from engine.generate.regulated import regulated_constraint

                    constraint = regulated_constraint(self.sampler.vocab, heads)
                else:
                    constraint = quatrain_constraint(self.sampler.vocab, heads, controls.form)
            except PoetuiError as exc:  # a head the model never saw: its sentence, no more
                self.set_status(str(exc))
                return
            hide_title = controls.titled and not controls.title
        self.current = {"prompt": prompt, "settings": controls.settings(), "count": count,
                        "constraint": constraint}
        # One text starts with its prompt; in a list, each item brings its own (see generate).
        # Without titles the prompt (the start of the title) shows only past the colon.
        self.query_one(TokenStream).show(prompt if count == 1 and not hide_title else "")
        self.set_status("Writing… (escape stops)")
        self.generate(prompt, config, count, self.query_one(TokenStream), constraint,
                      hide_title)

    @work(thread=True, exclusive=True, group="generate")
    def generate(self, prompt: str, config, count: int, stream: TokenStream, constraint=None,
                 hide_title: bool = False) -> tuple[int, float | None, str | None]:
        """Stream ``count`` items into ``stream``; (tokens written, their novelty or None, the
        text again with the items the training text holds marked, or None if none is)."""
        from engine.generate.forms import in_lines, untitled
        from engine.generate.loom import Token

        worker = get_current_worker()
        prime = self.sampler.prime(prompt)
        if prime.notice:
            self.app.call_from_thread(self.notify, prime.notice, severity="warning")
        tokens = 0
        outputs: list[str] = []  # each item whole, prompt and title included, as it was written
        shown: list[str] = []  # each item as the output shows it

        def written(item):
            nonlocal tokens
            for w in item:
                tokens += 1
                self.tokens.append(Token.written(w))
                outputs[-1] += w.piece
                if w.piece:
                    yield w.piece

        def push(text: str) -> None:
            shown[-1] += text
            stream.push(text)

        # Quatrains show as their four lines, so a list of them needs a blank line between.
        between = "\n\n" if self.quatrains else "\n"
        self.tokens = []
        self.outputs = outputs  # the last poem's tones show when it is done
        for i, item in enumerate(self.sampler.written(prime, config, count, constraint,
                                                      ALTERNATIVES)):
            if i:  # items are lines: a line break between them, not the model's
                self.tokens.append(Token(-1, "\n"))
                stream.push(between)
            outputs.append(prompt)
            shown.append("")
            pieces, lead = written(item), prompt
            if hide_title:
                pieces, lead = untitled(chain([prompt], pieces)), ""
            number = f"{i + 1}. " if count > 1 else ""
            if self.quatrains:
                pieces = in_lines(chain([lead], pieces) if count > 1 else pieces,
                                  " " * len(number))
                lead = ""
            if count > 1:
                # "N. " then the prompt and its continuation: the prompt once per item.
                push(f"{number}{lead}")
            for piece in pieces:
                if worker.is_cancelled:
                    return tokens, None, None
                push(piece)
        novelty, copied = self.measure(outputs, worker)
        marked = None
        if any(copied) and not self.itemised:  # one text: its lines, each marked or not
            marked = "\n".join(line + (COPIED if known else "") for line, known in
                               zip(outputs[0].split("\n"), copied, strict=True))
        elif any(copied):
            marked = between.join(text + (COPIED if known else "")
                                  for text, known in zip(shown, copied, strict=True))
            if count == 1:
                marked = (prompt if not hide_title else "") + marked
        return tokens, novelty, marked

    def measure(self, outputs: list[str], worker) -> tuple[float | None, list[bool]]:
        """The novelty of ``outputs`` (in the generating thread), or None without a figure,
        and which of them the training text holds (for one text, which of its lines)."""
        novelty = self.novelty
        if novelty is None or worker.is_cancelled:
            return None, []
        if not novelty.ready:  # the first time, the training text is read and indexed
            self.app.call_from_thread(self.set_status, "Comparing with the training text…")
        try:
            held = novelty.copied(outputs) if novelty.itemised else \
                novelty.held_lines(outputs[0])
            return novelty.score(outputs), held
        except PoetuiError:  # the corpus is no longer there: no figure, and no second try
            self.novelty = None
            return None, []

    def finished(self, state: WorkerState, worker: Worker) -> None:
        stream = self.query_one(TokenStream)
        if state == WorkerState.ERROR:
            self.set_status(f"Generation failed: {worker.error}.")
            return
        tokens, novelty, marked = worker.result if state == WorkerState.SUCCESS else \
            (None, None, None)
        if marked is not None:
            stream.show(marked)
        constraint = self.current.pop("constraint")
        if self.quatrains and self.outputs and state == WorkerState.SUCCESS:
            marks = self.query_one(ToneMarks)
            marks.show_poem(self.outputs[-1], constraint.pruned if constraint else None)
            self.toned = True
            marks.display = self.mode == "desk-middle"
        entry = {**self.current, "text": stream.text, "tokens": self.tokens}
        self.current = None
        self.history.append(entry)
        settings = entry["settings"]
        label = ("greedy" if settings["greedy"] else f"t{settings['temperature']:.1f}")
        first = entry["text"].strip().replace("\n", " ")[:40]
        self.query_one("#history", OptionList).add_option(
            f"#{len(self.history)} {label} {first}")
        if state == WorkerState.CANCELLED:
            self.set_status("Stopped. ctrl+r writes again; ctrl+s saves.")
        else:
            done = f"Done: {tokens:,} tokens ({self.weights_note})."
            if novelty is None:
                self.set_status(f"{done} ctrl+r writes again; ctrl+s saves.")
            else:  # the figure takes the hints' room: the footer has those keys too
                copies = marked.count(COPIED) if marked else 0
                held = f"; {copies} marked {COPIED.split()[0]} it holds" if copies else ""
                self.set_status(f"{done} New: {novelty:.0%} of its {self.novelty.what}{held}.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.current is None and 0 <= event.option_index < len(self.history):
            entry = self.history[event.option_index]
            self.query_one(TokenStream).show(entry["text"])
            self.query_one(TokenView).show(entry["tokens"], self.lead(entry))

    @staticmethod
    def lead(entry: dict) -> str:
        """What comes before the tokens of a history entry: one text's prompt."""
        return entry["prompt"] if entry["count"] == 1 else ""

    # -- probabilities and modes -------------------------------------------------------------

    def action_probabilities(self) -> None:
        """The last text as tokens coloured by surprisal, with a cursor, and back."""
        if self.mode != "desk-middle":
            for widget in self.query(TokenView):
                widget.colours = not widget.colours
            return
        if self.streaming or not self.history:
            self.notify("Write something first; its tokens are coloured once it is written.",
                        severity="warning")
            return
        view, stream = self.query_one("#probabilities", TokenView), self.query_one(TokenStream)
        showing = not view.display
        if showing and not view.tokens:
            entry = self.history[-1]
            view.show(entry["tokens"], self.lead(entry))
        view.display, stream.display = showing, not showing
        (view if showing else stream).focus()

    @property
    def model_path(self) -> Path:
        from engine.storage import store

        return store.model_path(self.model_name)

    @property
    def mode(self) -> str:
        return self.query_one(ContentSwitcher).current or "desk-middle"

    def action_mode(self, mode: str) -> None:
        self.query_one(ContentSwitcher).current = mode
        self.show_modes()
        if self.sampler is None:
            return
        self.begin_mode(mode)

    def begin_mode(self, mode: str, fresh: bool = False) -> None:
        """Hand the mode the model the first time it is shown (or ``fresh``: again, from the
        prompt), and give it the keys."""
        prompt = self.query_one("#prompt", Input).value
        controls = self.query_one(SamplingControls)

        def settings() -> SampleConfig:
            return SampleConfig(**controls.settings())

        widget = self.query_one(f"#{mode}")
        if isinstance(widget, PickMode) and (fresh or not widget.started):
            widget.start(self.sampler, prompt, settings)
        elif isinstance(widget, LoomMode) and (fresh or not widget.started):
            said = widget.start(self.sampler, self.model_path, prompt, settings, fresh)
            if said:
                self.notify(said, severity="warning")
        elif isinstance(widget, CoWriteMode):
            editor = widget.query_one(CoWriter)
            if editor.follower is None:
                editor.start(self.sampler, settings)
            widget = editor
        (widget if mode != "desk-middle" else self.query_one("#prompt")).focus()

    def show_modes(self) -> None:
        current = self.mode
        self.query_one("#desk-verse").display = self.toned and current == "desk-middle"
        line = " · ".join(f"[b]{key}[/b] {'[reverse]' + name + '[/]' if mode == current else name}"
                          for key, mode, name in MODES)
        self.query_one("#desk-modes", Static).update(line + " · [b]^t[/b] probabilities")

    def on_loom_mode_ask(self, event: LoomMode.Ask) -> None:
        self.app.push_screen(TextDialog(event.prompt, event.value), event.answered)

    def on_loom_mode_export(self, event: LoomMode.Export) -> None:
        def answered(path: str | None) -> None:
            if path:
                self.save_to(Path(path).expanduser(), event.text)

        self.app.push_screen(TextDialog("Save this branch's text to:", event.default), answered)

    @property
    def streaming(self) -> bool:
        return self.current is not None

    def action_stop_or_back(self) -> None:
        if self.streaming:
            self.workers.cancel_group(self, "generate")
        else:
            self.app.pop_screen()

    # -- saving -----------------------------------------------------------------------------------

    def action_save(self) -> None:
        text = self.query_one(TokenStream).text
        if not text:
            self.notify("Nothing to save yet; generate something first.", severity="warning")
            return
        default = f"~/{self.model_name}-{len(self.history) or 1}.txt"

        def answered(path: str | None) -> None:
            if path:
                self.save_to(Path(path).expanduser(), text)

        self.app.push_screen(TextDialog("Save the text to:", default), answered)

    def save_to(self, path: Path, text: str) -> None:
        try:
            if path.is_dir():
                raise PoetuiError(f"{path} is a folder; give a file name.")
            path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except PoetuiError as exc:
            self.notify(str(exc), severity="error")
            return
        except OSError as exc:
            self.notify(f"Could not write {path} ({exc.strerror}).", severity="error")
            return
        self.notify(f"Saved to {path}.")
