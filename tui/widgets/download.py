"""A catalog corpus downloading: a bar, the bytes so far, and escape to cancel.

``engine.data.fetch.fetch`` runs in a thread worker. Its progress callback fires once per 64 kB
block, thousands of times a second on a fast line, so it posts at most ten messages a second
(one message per block would starve the event loop). Cancelling sets an event that ``fetch``
polls between blocks and while the line is silent, so it stops within a fraction of a second;
the partial file stays and the next download resumes it.
"""

from __future__ import annotations

import threading
import time

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from corpora.cards import Card
from engine.errors import PoetuiError
from tui.messages import DownloadFinished, DownloadProgress
from tui.widgets import format as fmt

PROGRESS_SECONDS = 0.1


class DownloadPanel(Vertical):
    """Hidden until a download starts; shows its error sentence until dismissed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.card: Card | None = None
        self.busy = False
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static("", classes="download-text")
        yield ProgressBar(total=None, classes="download-bar")

    def on_mount(self) -> None:
        self.display = False

    @property
    def showing(self) -> bool:
        """Something to dismiss or cancel: a download under way, or the sentence of one that
        failed."""
        return self.display

    def start(self, card: Card) -> bool:
        """Download ``card``; False (and nothing started) if a download is already going."""
        if self.busy:
            return False
        self.card, self.busy = card, True
        self._stop = threading.Event()
        self.set_class(False, "-error")
        size = f" ({fmt.size(card.download_size)})" if card.download_size else ""
        self.query_one(Static).update(f"Downloading [b]{card.name}[/b]{size} · escape "
                                      "cancels")
        bar = self.query_one(ProgressBar)
        bar.display = True
        # A total, even before the first block: an indeterminate bar repaints forever.
        bar.update(total=card.download_size or None, progress=0)
        self.display = True
        self.fetch(card, self._stop)
        return True

    def cancel(self) -> None:
        """Stop the download (within a fraction of a second), or put away the sentence of a
        failed one."""
        if self.busy:
            self._stop.set()
            self.query_one(Static).update(f"Cancelling the download of [b]{self.card.name}"
                                          "[/b]…")
        else:
            self.display = False

    @work(thread=True, exclusive=True, group="download")
    def fetch(self, card: Card, stop: threading.Event) -> None:
        from engine.data.fetch import FetchCancelled, fetch

        worker = get_current_worker()
        last = 0.0

        def progress(done: int, total: int | None) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_SECONDS or done == total:
                last = now
                self.post_message(DownloadProgress(card.name, done, total))

        def cancelled() -> bool:
            # The worker is cancelled too when the screen goes away or the app quits.
            return stop.is_set() or worker.is_cancelled

        error, was_cancelled = None, False
        try:
            fetch(card, progress, cancelled)
        except FetchCancelled as exc:
            error, was_cancelled = str(exc), True
        except PoetuiError as exc:
            error = str(exc)
        except OSError as exc:  # fetch words what it expects; anything else still gets a line
            error = f"The download of '{card.name}' failed ({exc.strerror or exc})."
        self.post_message(DownloadFinished(card.name, error, was_cancelled))

    def on_download_progress(self, message: DownloadProgress) -> None:
        if not self.busy or self._stop.is_set():
            return
        bar = self.query_one(ProgressBar)
        bar.update(total=message.total, progress=message.done)
        of = f" of {fmt.size(message.total)}" if message.total else " so far"
        self.query_one(Static).update(f"Downloading [b]{message.name}[/b]: "
                                      f"{fmt.size(message.done)}{of} · escape cancels")

    def on_download_finished(self, message: DownloadFinished) -> None:
        # Handled here first, then it bubbles on to the screen, which re-reads the catalog.
        self.busy = False
        if message.error is None or message.cancelled:
            self.display = False
            return
        self.set_class(True, "-error")
        self.query_one(ProgressBar).display = False
        self.query_one(Static).update(f"{escape(message.error)}\n[dim]escape hides this[/dim]")
