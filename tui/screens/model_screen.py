"""What the writing desk and the translate screen share: one stored model, loaded in a thread
(PyTorch is imported there, never on the UI thread), then handed to the screen; the output
beside the session's history; a status line."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.worker import Worker, WorkerState

from engine.errors import PoetuiError
from tui.widgets.token_stream import TokenStream


class ModelScreen(Screen):
    """A screen that writes with the model ``name`` (its ``which`` weights: best or latest).

    A subclass names its area (``AREA``: the ids of its middle row and status line) and what
    its output is called, says what it needs of the loaded model (``prepare``, in the loading
    thread) and takes it on the UI thread (``loaded``); a failure is its sentence on the status
    line. The writing itself (a worker of group ``WRITING``) ends in ``finished``."""

    AREA = ""
    OUTPUT_TITLE = "output"
    WRITING = ""  # the worker group that writes into the output


    def __init__(self, name: str, which: str = "best") -> None:
        super().__init__()
        self.model_name, self.which = name, which

    def output_and_history(self, *beside) -> ComposeResult:
        """The output and the history side by side (``beside`` between them), then the
        status line."""
        yield from self.middle(*beside)
        yield Static("", id=f"{self.AREA}-status")

    def middle(self, *beside) -> ComposeResult:
        with Horizontal(id=f"{self.AREA}-middle"):
            yield TokenStream(id="output")
            yield from beside
            yield OptionList(id="history")

    def begin_loading(self) -> None:
        self.query_one("#output").border_title = self.OUTPUT_TITLE
        self.query_one("#history").border_title = "history"
        self.set_status(f"Loading '{self.model_name}'…")
        self.load()

    def set_status(self, text: str) -> None:
        self.query_one(f"#{self.AREA}-status", Static).update(text)

    def prepare(self, loaded) -> tuple:
        """In the loading thread: what ``loaded`` is given, from the loaded model."""
        raise NotImplementedError

    def loaded(self, *ready) -> None:
        raise NotImplementedError

    def finished(self, state: WorkerState, worker: Worker) -> None:
        """The writing worker ended (succeeded, was cancelled or failed); the output is
        flushed."""
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != self.WRITING or getattr(self, "current", None) is None:
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
            self.query_one(TokenStream).flush()
            self.finished(event.state, event.worker)

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            from engine.loading import load_model

            ready = self.prepare(load_model(self.model_name, self.which))
        except PoetuiError as exc:
            self.app.call_from_thread(self.set_status, str(exc))
            return
        self.app.call_from_thread(self.loaded, *ready)
