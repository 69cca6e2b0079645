"""The live progress bars of the CLI (rich): `poetui train`, fed by the trainer's events, and
the long single tasks (`poetui eval` on a large file)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from engine.storage.folder import ModelSummary
from tui.widgets.format import duration

# Without a terminal (a log file, a pipe), a plain line of progress this often, in seconds.
PLAIN_EVERY = 10.0


def _duration(seconds: float | None) -> str:
    return "–:–" if seconds is None else duration(seconds)


class TrainingProgress:
    def __init__(self, model: ModelSummary) -> None:
        self.console = Console(stderr=True)
        self.title = f"{model.name} · {model.size}"
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=self.console,
            refresh_per_second=8,
        )
        self.task = self.progress.add_task(self.title, total=1000, stats="starting…", eta="–:–")
        # Rich draws a live bar into a file only when it stops: a log showed nothing while the
        # run trained, and nothing at all after a SIGHUP (which prints nothing more). So without
        # a terminal each line is printed plainly, and written out at once.
        self.plain = not self.console.is_terminal
        self.next_line = 0.0
        self.loss: float | None = None
        self.val: float | None = None
        self.tps = 0.0
        self.stats = ""
        # Word models count words per second, as Zaremba's PTB script reports them.
        self.rate = "words/s" if model.level == "word" else "tok/s"

    def __enter__(self) -> TrainingProgress:
        return self  # the bar appears with the first event, after set-up errors could occur

    def __exit__(self, *exc) -> None:
        if self.progress.live.is_started:  # never in plain mode
            try:
                self.progress.stop()
            except OSError:
                pass  # the terminal is gone (a dropped SSH session): nothing to tidy

    def update(self, event) -> None:
        kind = event.kind
        if kind == "error":
            return  # the CLI prints the sentence itself
        if not self.plain and not self.progress.live.is_started:
            self.progress.start()
        if kind == "step":
            self.loss, self.tps = event.loss, event.tokens_per_second
            val = f"{self.val:.3f}" if self.val is not None else "—"
            self.stats = stats = (f"step {event.step:,} · loss {self.loss:.3f} · val {val} · "
                                  f"{self.tps:,.0f} {self.rate}")
            if self.plain:
                if time.monotonic() >= self.next_line:
                    self.next_line = time.monotonic() + PLAIN_EVERY
                    self._print(f"{self.title} {event.progress:4.0%} {stats} · "
                                f"{_duration(event.elapsed)} · ETA {_duration(event.eta)}")
                return
            self.progress.update(self.task, completed=event.progress * 1000, stats=stats,
                                 eta=_duration(event.eta))
        elif kind == "eval":
            self.val = event.val_loss
            mark = " (best)" if event.best else ""
            self._print(
                f"step {event.step:,}: validation loss {event.val_loss:.4f}{mark}, "
                f"{event.bits_per_token:.3f} bits/token, perplexity {event.perplexity:,.1f}")
        elif kind == "sample":
            # Generated text is text: a sample may well contain "[/]" or "[bold".
            self._print(event.text.strip()[:300], style="dim", markup=False)
        elif kind == "state" and event.state == "evaluating" and not self.plain:
            self.progress.update(self.task, stats=f"evaluating… · {self.stats}")
        elif kind == "state" and event.state == "paused":
            self._print("paused")

    def _print(self, text: str, **style) -> None:
        """A line above the bar, or (plain) a line written out now: a SIGHUP or a kill next
        must find it in the log already."""
        self.console.print(text, highlight=False, **style)
        if self.plain:
            self.console.file.flush()

    def summary(self, done, command: str = "sample") -> None:
        val = f"{done.val_loss:.4f}" if done.val_loss is not None else "—"
        verb = "Trained" if done.reason == "budget" else "Stopped"
        test = "" if done.test_loss is None else \
            f"test loss {done.test_loss:.4f} (perplexity {done.test_perplexity:,.1f}), "
        self.console.print(
            f"{verb} [bold]{done.model}[/]: {done.steps:,} steps, {done.epochs:g} epochs, "
            f"validation loss {val}, {test}{done.tokens_per_second:,.0f} {self.rate}, "
            f"{_duration(done.elapsed)} of training. "
            f"Try it: [bold]poetui {command} {done.model}[/]", highlight=False)
        self.console.file.flush()


@contextmanager
def task_progress() -> Iterator[Callable[[str, float], None]]:
    """A transient bar on stderr that a long task feeds with (what it does, share done); nothing
    at all when stderr is not a terminal, so scripts read clean output."""
    if not sys.stderr.isatty():
        yield lambda what, share: None
        return
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True, refresh_per_second=8)
    task = progress.add_task("reading", total=1.0)

    def show(what: str, share: float) -> None:
        progress.update(task, description=what, completed=share)

    with progress:
        yield show
