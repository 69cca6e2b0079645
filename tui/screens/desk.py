"""The writing desk: a prompt, sampling controls, and text streamed token by token.

The model loads in a thread (PyTorch is imported there, never on the UI thread); generation
runs in another thread that pushes each token into the TokenStream's buffer, which the UI
paints at most 30 times a second.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from engine.config import SampleConfig
from engine.errors import PoetuiError
from tui.screens.dialogs import TextDialog
from tui.widgets.sampling import SamplingControls
from tui.widgets.token_stream import TokenStream


class DeskScreen(Screen):
    HELP_TITLE = "Writing desk"
    HELP_TEXT = ("Type a prompt and press enter. Tab to the controls line to change the "
                 "sampling with its keys (t/T temperature, k/K top-k, p/P top-p, l/L length, "
                 "s seed, x random seed, g greedy, n/N items for names and poems).")
    BINDINGS = [
        Binding("ctrl+r", "regenerate", "Regenerate", id="desk.regenerate"),
        Binding("escape", "stop_or_back", "Stop/back", id="desk.stop"),
        Binding("ctrl+s", "save", "Save", id="desk.save"),
    ]

    def __init__(self, name: str, which: str = "best") -> None:
        super().__init__()
        self.model_name, self.which = name, which
        self.sampler = None
        self.itemised = False  # names, poems: a list of items rather than one text
        self.history: list[dict] = []
        self.current: dict | None = None
        self.weights_note = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="desk"):
            yield Input(placeholder="prompt (enter generates; empty is fine)", id="prompt")
            yield SamplingControls(id="controls")
            with Horizontal(id="desk-middle"):
                yield TokenStream(id="output")
                yield OptionList(id="history")
            yield Static("", id="desk-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#output").border_title = "output"
        self.query_one("#history").border_title = "history"
        self.set_status(f"Loading '{self.model_name}'…")
        self.query_one("#prompt", Input).focus()
        self.load()

    def set_status(self, text: str) -> None:
        self.query_one("#desk-status", Static).update(text)

    # -- loading ----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            from engine.loading import load_model

            loaded = load_model(self.model_name, self.which)
            sampler = loaded.sampler()
        except PoetuiError as exc:
            self.app.call_from_thread(self.set_status, str(exc))
            return
        self.app.call_from_thread(self.loaded, sampler, loaded.state.get("step"))

    def loaded(self, sampler, step: int | None) -> None:
        self.sampler, self.itemised = sampler, sampler.kind.itemised
        controls = self.query_one(SamplingControls)
        if self.itemised:
            # Names, poems: each item is one record, and a list of them is what one wants.
            controls.records = True
            controls.count = 5
            controls.length = 120
            controls.refresh(layout=True)
        self.weights_note = f"weights of step {step:,}" if step is not None else ""
        self.set_status(f"'{self.model_name}' ready ({self.weights_note}); enter generates.")

    # -- generating -------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.start(event.value)

    def action_regenerate(self) -> None:
        self.start(self.query_one("#prompt", Input).value)

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
        self.current = {"prompt": prompt, "settings": controls.settings(), "count": count}
        # One text starts with its prompt; in a list, each item brings its own (see generate).
        self.query_one(TokenStream).show(prompt if count == 1 else "")
        self.set_status("Writing… (escape stops)")
        self.generate(prompt, config, count, self.query_one(TokenStream))

    @work(thread=True, exclusive=True, group="generate")
    def generate(self, prompt: str, config, count: int, stream: TokenStream) -> int:
        worker = get_current_worker()
        prime = self.sampler.prime(prompt)
        if prime.notice:
            self.app.call_from_thread(self.notify, prime.notice, severity="warning")
        tokens = 0
        for i, item in enumerate(self.sampler.items(prime, config, count)):
            if count > 1:
                # "N. " then the prompt and its continuation: the prompt once per item.
                stream.push(("\n" if i else "") + f"{i + 1}. {prompt}")
            for piece in item:
                if worker.is_cancelled:
                    return tokens
                stream.push(piece)
                tokens += 1
        return tokens

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "generate" or self.current is None:
            return
        state = event.state
        if state not in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
            return
        stream = self.query_one(TokenStream)
        stream.flush()
        if state == WorkerState.ERROR:
            self.set_status(f"Generation failed: {event.worker.error}.")
            return
        tokens = event.worker.result if state == WorkerState.SUCCESS else None
        entry = {**self.current, "text": stream.text}
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
            self.set_status(f"Done: {tokens:,} tokens ({self.weights_note}). "
                            "ctrl+r writes again; ctrl+s saves.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.current is None and 0 <= event.option_index < len(self.history):
            self.query_one(TokenStream).show(self.history[event.option_index]["text"])

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
