"""One model's folder, read in one place: its settings (``model.json``), vocabulary, checkpoint
pointers and run state. Every command and screen asks a ``ModelFolder``; nothing else parses
``model.json``. Torch-free, so the library and ``poetui models`` answer without PyTorch.

A folder whose ``model.json`` cannot be read, or holds a field of the wrong type, is *damaged*:
it is still listed (its checkpoints are still there), every question about its settings answers
with the one sentence that says so, and only deleting it is offered.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import KINDS, LEVELS, SPLIT_RULES, ModelConfig, TrainConfig
from engine.data.recipes import AS_IS
from engine.errors import PoetuiError
from engine.files import read_json, write_json_atomic
from engine.storage import pointers
from engine.storage.runlock import is_locked
from engine.storage.runstore import read_status

if TYPE_CHECKING:
    from engine.corpus import Corpus
    from engine.data.tokenizer import Vocab
    from engine.kinds import Kind

META = "model.json"
VOCAB = "vocab.json"
START = "start.safetensors"  # a continued model's first weights: those of the model it came from


class RunState(StrEnum):
    """What a model's run is doing, as the run store and the lock tell it: the one reading."""

    NEW = "new"  # never trained
    STARTING = "starting"  # a process holds the lock and has not said more yet
    TRAINING = "training"
    EVALUATING = "evaluating"
    PAUSED = "paused"
    DONE = "done"  # reached its budget
    STOPPED = "stopped"  # stopped by the user (after a checkpoint)
    ERROR = "error"  # the run failed and said why (``ModelSummary.message``)
    ENDED = "ended"  # its process died without a word: killed, or crashed
    DAMAGED = "damaged"  # model.json cannot be read

    @property
    def live(self) -> bool:
        """A process is training the model right now."""
        return self in (RunState.STARTING, RunState.TRAINING, RunState.EVALUATING,
                        RunState.PAUSED)

    @property
    def words(self) -> str:
        """The state as a person reads it in a list."""
        return _WORDS.get(self, self.value)

    @classmethod
    def read(cls, status: dict[str, str], alive: bool) -> RunState:
        """From the run store's status table and whether a process holds the model's lock. A
        status left from an earlier run while a new process holds the lock means the new one
        has not said anything yet."""
        said = status.get("state")
        if alive:
            return cls(said) if said in _LIVE_WORDS else cls.STARTING
        if said in ("done", "stopped", "error"):
            return cls(said)
        return cls.ENDED if said else cls.NEW


_LIVE_WORDS = ("starting", "training", "evaluating", "paused")
_WORDS = {RunState.ERROR: "failed", RunState.ENDED: "ended (killed)"}


@dataclass(frozen=True)
class ModelSummary:
    """What a list of models shows of one: read once, by ``ModelFolder.summary``."""

    name: str
    path: Path
    state: RunState
    corpus: str = "?"
    kind: str = "?"
    translates: bool = False  # an encoder–decoder: the translate screen, `poetui translate`
    level: str = "?"
    cell: str = "?"
    layers: int = 0
    hidden: int = 0
    parameters: int = 0
    steps: int = 0
    best_val_loss: float | None = None
    chrf: float | None = None  # translation models: held-out chrF of the best checkpoint (0–1)
    classifies: bool = False  # a classifier: `poetui classify`, its own dashboard and desk
    accuracy: float | None = None  # classifiers: held-out accuracy of the best checkpoint
    last_trained: float | None = None  # unix time
    message: str = ""  # why the last run failed, or why the folder is damaged

    @property
    def size(self) -> str:
        if self.state is RunState.DAMAGED:
            return "?"
        shape = f"{self.layers}×{self.hidden} {self.cell}"
        return f"{shape} encoder–decoder" if self.translates else \
            f"{shape} classifier" if self.classifies else shape

    def to_json(self) -> dict:
        return {"name": self.name, "corpus": self.corpus, "kind": self.kind,
                "level": self.level, "cell": self.cell, "layers": self.layers,
                "hidden": self.hidden, "parameters": self.parameters, "steps": self.steps,
                "best_val_loss": self.best_val_loss, "chrf": self.chrf,
                "accuracy": self.accuracy,
                "last_trained": self.last_trained, "state": self.state.value,
                "message": self.message, "path": str(self.path)}


class ModelFolder:
    """A model's folder. ``model.json`` is read and checked once, when the object is made;
    pointers and the run state are read when first asked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._meta: dict | None = None
        self.damage: str | None = None  # the sentence for a damaged folder
        self._vocab: dict | None = None
        try:
            self._meta = _checked(read_json(path / META))
        except (PoetuiError, ValueError, TypeError) as exc:
            self.damage = (f"The settings of model '{self.name}' ({path / META}) cannot be read "
                           f"({_why(exc)}), so the model is damaged and cannot be trained or "
                           f"written with; delete it with `poetui models rm {self.name}` (its "
                           f"checkpoints stay in {path / 'ckpt'} until then).")

    @classmethod
    def received(cls, path: Path, meta: dict, vocab: dict) -> ModelFolder:
        """A model's settings and vocabulary as the lead of a data-parallel run sent them to a
        process that may be on another machine, without the folder: read-only, never written."""
        folder = cls.__new__(cls)
        folder.path, folder.name, folder.damage = path, path.name, None
        folder._meta = _checked(meta)
        folder._vocab = vocab
        return folder

    # -- settings ---------------------------------------------------------------------------------

    @property
    def meta(self) -> dict:
        """The checked contents of ``model.json``; the damage sentence when it has none."""
        if self._meta is None:
            raise PoetuiError(self.damage or f"Model '{self.name}' has no settings.")
        return self._meta

    @property
    def damaged(self) -> bool:
        return self._meta is None

    @property
    def kind_name(self) -> str:
        return self.meta["corpus"]["kind"]

    @property
    def kind(self) -> Kind:
        """The corpus kind it was trained as, reversed pairs and the split it recorded included
        (pairs from a folder that recorded none split at random, as they were trained)."""
        from engine.kinds import kind_named

        kind = kind_named(self.kind_name).splitting(self.meta["corpus"].get("split"))
        return kind.reversed() if self.meta["corpus"].get("reverse") else kind

    @property
    def translates(self) -> bool:
        return self.kind.translates

    @property
    def recipe(self) -> str:
        return self.meta.get("recipe", AS_IS)

    @property
    def level(self) -> str:
        return self.meta.get("level", "char")

    @property
    def preset(self) -> str | None:
        return self.meta.get("preset")

    @property
    def created(self) -> float | None:
        return self.meta.get("created")

    @property
    def corpus_name(self) -> str:
        return self.meta["corpus"]["name"]

    @property
    def parameters(self) -> int:
        return self.meta.get("parameters", 0)

    @property
    def vocab_size(self) -> int:
        return self.meta["model"]["vocab_size"]

    @property
    def origin(self) -> dict | None:
        """What a continued model came from (``model``, ``step``, ``checkpoint``,
        ``vocab_size``, ``corpus``), or None for a model trained from scratch."""
        origin = self.meta.get("from")
        return dict(origin) if origin else None

    @property
    def start_weights(self) -> Path | None:
        """The weights a continued model starts from, before its first checkpoint."""
        return self.path / START if self.meta.get("from") else None

    @property
    def model_settings(self) -> dict:
        return dict(self.meta["model"])

    @property
    def train_settings(self) -> dict:
        return dict(self.meta["train"])

    def model_config(self) -> ModelConfig:
        return _model_config(self.meta["model"])

    def train_config(self, overrides: dict | None = None) -> TrainConfig:
        return TrainConfig.from_json({**self.meta["train"], **(overrides or {})})

    def vocab(self) -> Vocab:
        from engine.data.tokenizer import Vocab

        try:
            if getattr(self, "_vocab", None) is not None:
                return Vocab.from_json(self._vocab)  # received from the lead of a run
            return Vocab.load(self.path / VOCAB)
        except (OSError, ValueError, KeyError, TypeError):
            raise PoetuiError(
                f"The vocabulary of model '{self.name}' ({self.path / VOCAB}) is damaged; "
                f"delete the model with `poetui models rm {self.name}` and train it again."
            ) from None

    def corpus_as_trained(self) -> Corpus:
        """The corpus read as the model trained on it: its kind (reversed pairs too), its own
        split, its recipe. Raises PoetuiError if the text is no longer there."""
        from engine.corpus import load_corpus

        corpus = load_corpus(self.corpus_name, self.kind_name)
        return replace(corpus, kind=self.kind).cleaned(self.recipe)

    def training_part(self):
        """The training side of the corpus as trained (a text, or its items)."""
        return self.corpus_as_trained().split()[0]

    def with_train_settings(self, changes: dict) -> dict:
        """``model.json`` with training settings changed, checked; nothing is written."""
        meta = json.loads(json.dumps(self.meta))
        meta["train"].update(changes)
        TrainConfig.from_json(meta["train"])  # a refusal here leaves model.json as it was
        return meta

    def write(self, meta: dict) -> None:
        """Replace ``model.json`` (whole, or not at all) and re-read it."""
        write_json_atomic(self.path / META, meta)
        self._meta, self.damage = _checked(meta), None
        self.__dict__.pop("_summary", None)

    # -- checkpoints and the run ------------------------------------------------------------------

    def pointer(self, which: str) -> dict | None:
        """Where ``latest`` or ``best`` points (engine.storage.pointers: one recovery rule)."""
        return pointers.pointer(self.path, which)

    def summary(self) -> ModelSummary:
        return self._summary

    @cached_property
    def _summary(self) -> ModelSummary:
        if self.damaged:
            return ModelSummary(self.name, self.path, RunState.DAMAGED, message=self.damage or "")
        status = read_status(self.path)
        state = RunState.read(status, is_locked(self.path))
        try:
            latest, best = self.pointer("latest") or {}, self.pointer("best") or {}
        except PoetuiError:
            latest = best = {}  # no checkpoint left at all: as if never trained
        model = self.meta["model"]
        return ModelSummary(
            name=self.name, path=self.path, state=state, corpus=self.corpus_name,
            kind=self.kind_name, translates=self.translates, level=self.level,
            cell=model["cell"], layers=model["layers"], hidden=model["hidden"],
            parameters=self.parameters, steps=_number(latest.get("step"), int) or 0,
            best_val_loss=_number(best.get("val_loss"), float),
            chrf=_number(best.get("chrf"), float),
            classifies=self.kind.classifies, accuracy=_number(best.get("accuracy"), float),
            last_trained=_number(latest.get("time"), float),
            message=status.get("message", "") if state is RunState.ERROR else "",
        )


_MODEL_FIELDS = {f.name for f in fields(ModelConfig)}


def _model_config(data: dict) -> ModelConfig:
    return ModelConfig(**{k: v for k, v in data.items() if k in _MODEL_FIELDS})


def _checked(meta: object) -> dict:
    """``meta`` if every field a reader relies on has the right type; ValueError saying which
    does not."""
    if not isinstance(meta, dict):
        raise ValueError(f"it holds {type(meta).__name__}, not settings")
    corpus = meta.get("corpus")
    if not isinstance(corpus, dict) or not isinstance(corpus.get("name"), str) \
            or corpus.get("kind") not in KINDS:
        raise ValueError("its corpus is missing or malformed")
    if corpus.get("split", SPLIT_RULES[0]) not in SPLIT_RULES:
        raise ValueError("its corpus split is malformed")
    for key, types in (("level", str), ("recipe", str), ("preset", (str, type(None))),
                       ("parameters", int), ("created", (int, float))):
        if key in meta and not isinstance(meta[key], types):
            raise ValueError(f"its {key} is malformed")
    origin = meta.get("from")
    if origin is not None and not (isinstance(origin, dict)
                                   and isinstance(origin.get("model"), str)
                                   and isinstance(origin.get("step"), int)
                                   and isinstance(origin.get("vocab_size"), int)):
        raise ValueError("its origin (the model it was continued from) is malformed")
    if meta.get("level", "char") not in LEVELS:
        raise ValueError("its level is malformed")
    for key in ("model", "train"):
        if not isinstance(meta.get(key), dict):
            raise ValueError(f"its {key} settings are missing")
    try:
        _model_config({"vocab_size": 1, **meta["model"]})
        TrainConfig.from_json(meta["train"])
    except (TypeError, ValueError, PoetuiError) as exc:
        raise ValueError(f"its settings are invalid: {_why(exc)}") from None
    return meta


def _why(exc: BaseException) -> str:
    return str(exc).rstrip(".") or type(exc).__name__


def _number(value: object, kind: type) -> float | int | None:
    """A pointer's figure, or None when it is missing or not a number."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return kind(value) if ok else None


class KeptSettings:
    """A folder's ``model.json`` as it is now, kept so that a run which fails before it saves
    anything can put it back: under a second name (a hard link, so a full disk needs no room
    for it, and putting it back is a rename), or as bytes where the filesystem has no links."""

    def __init__(self, path: Path) -> None:
        self.meta = path / META
        self.kept: Path | None = path / f".{META}.before-run"
        self.data: bytes | None = None
        self.kept.unlink(missing_ok=True)  # from a run that was killed: stale
        try:
            os.link(self.meta, self.kept)
        except OSError:
            self.kept, self.data = None, self.meta.read_bytes()

    def restore(self) -> None:
        if self.kept is not None:
            os.replace(self.kept, self.meta)
            self.kept = None
        elif self.data is not None:
            tmp = self.meta.with_name(f".{META}.{os.getpid()}.tmp")
            try:
                with open(tmp, "wb") as f:
                    f.write(self.data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.meta)
            finally:
                tmp.unlink(missing_ok=True)

    def drop(self) -> None:
        if self.kept is not None:
            self.kept.unlink(missing_ok=True)
            self.kept = None


def write_settings(path: Path, meta: dict) -> None:
    """Write a new model's ``model.json`` into ``path`` (a folder being made)."""
    write_json_atomic(path / META, _checked(meta))
