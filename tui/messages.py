"""The app's own messages, as dataclasses (one per thing that happened, never one per step)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class ModelsChanged(Message):
    """A model was created, renamed, deleted or started training: the library re-reads."""


@dataclass
class RunStarted(Message):
    """The app spawned a training process for ``name``."""

    name: str


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
