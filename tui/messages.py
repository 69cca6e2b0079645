"""The app's own messages, as dataclasses (one per thing that happened, never one per step)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from engine.storage.folder import ModelFolder, ModelSummary
from engine.storage.history import HistoryChunk
from engine.storage.runstore import RunDelta


@dataclass
class ModelsChanged(Message):
    """A model was created, renamed, deleted or started training: the library re-reads."""


@dataclass
class LibraryRead(Message):
    """The store as a thread read it: every model's folder, its settings and summary read (what
    the table and the info dialog show, without a disk read on a key), and each card's
    (state, size), the size None where the thread does not measure it (a built-in's). A newer
    read replaces one still waiting, so a burst of reads paints once."""

    folders: list[ModelFolder]
    cards: dict[str, tuple[str, int | None]]

    @property
    def models(self) -> list[ModelSummary]:
        return [folder.summary() for folder in self.folders]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LibraryRead)


@dataclass
class RunPolled(Message):
    """What a run wrote since the last poll, and whether its process holds the lock."""

    delta: RunDelta  # the log and the status (steps, evaluations and samples are in chunk)
    alive: bool
    translates: bool  # the model is an encoder–decoder (its figures include chrF)
    chunk: HistoryChunk  # the steps, evaluations and samples, as columns
    classes: tuple[str, ...] = ()  # a classifier's classes (its own panel); () for the others


@dataclass
class CorpusChecked(Message):
    """The new-model screen's check of a corpus finished (``error`` or ``info``)."""

    spec: str
    info: dict | None
    error: str | None


@dataclass
class EstimateReady(Message):
    """Parameter count and time per epoch for the new-model screen's current settings."""

    key: tuple
    estimate: dict | None
    error: str | None


@dataclass
class FetchRequested(Message):
    """The user asked to download the catalog corpus ``name`` (f on the corpora table)."""

    name: str


@dataclass
class CorpusSizes(Message):
    """The built-in corpora's sizes in bytes, measured in a thread (reading them takes a while)."""

    sizes: dict[str, int]


@dataclass
class DownloadProgress(Message, bubble=False):
    """Bytes of a corpus download so far (at most ten a second, whatever the block rate)."""

    name: str
    done: int
    total: int | None


@dataclass
class DownloadFinished(Message):
    """A corpus download ended: ``error`` is None when it is cached now; ``cancelled`` when the
    user stopped it (its partial file stays for the next try)."""

    name: str
    error: str | None
    cancelled: bool
