"""Generated text as it streams: tokens collect in a buffer from the sampler's thread and are
painted at most 30 times a second, however fast the sampler runs."""

from __future__ import annotations

import threading

from textual.containers import VerticalScroll
from textual.widgets import Static

FLUSH_SECONDS = 1 / 30


class TokenStream(VerticalScroll, can_focus=True):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self.text = ""

    def compose(self):
        yield Static("", id="stream-text", markup=False)

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self.flush)

    def push(self, piece: str) -> None:
        """Called from the sampler's thread for every token."""
        with self._lock:
            self._pending.append(piece)

    def flush(self) -> None:
        with self._lock:
            if not self._pending:
                return
            pieces, self._pending = self._pending, []
        self.text += "".join(pieces)
        self.query_one("#stream-text", Static).update(self.text)
        self.scroll_end(animate=False)

    def show(self, text: str) -> None:
        """Replace the whole text (a new generation, or one from the history)."""
        with self._lock:
            self._pending.clear()
        self.text = text
        self.query_one("#stream-text", Static).update(text)
        self.scroll_home(animate=False)

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._pending
