"""The progress bar of a corpus download (rich, on stderr): bytes, speed and time left.

Used by `poetui corpus fetch` and by `poetui train` when its corpus is a catalog card that is
not cached yet. stderr keeps `poetui train --json`'s stdout pure JSON.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from corpora.cards import Card
from engine.data.fetch import fetch, needs_fetch


def fetch_with_bar(card: Card, again: bool = False) -> dict[str, Path]:
    """``engine.data.fetch.fetch`` with a bar; {part: corpus file}."""
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = bar.add_task(f"downloading {card.name}", total=card.download_size)

    def progress(done: int, total: int | None) -> None:
        if not bar.live.is_started:
            bar.start()  # no bar at all when the corpus is already cached
        bar.update(task, completed=done, total=total)

    try:
        return fetch(card, progress, again=again)
    finally:
        if bar.live.is_started:
            try:
                bar.stop()
            except OSError:
                pass  # the terminal is gone: nothing to tidy


def ensure_downloaded(spec: str | None) -> None:
    """Before training: fetch the catalog corpus ``spec`` names, with a bar, if it is not
    cached yet; nothing for a built-in, a cached card or a file path."""
    card = needs_fetch(spec)
    if card is not None:
        fetch_with_bar(card)
