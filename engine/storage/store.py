"""The model store: one folder per model under POETUI_HOME/models, each read through
``engine.storage.folder.ModelFolder``. Torch-free on purpose, so the library screen and
`poetui models` answer without loading PyTorch."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from engine import paths
from engine.errors import PoetuiError, did_you_mean
from engine.storage.folder import META, ModelFolder, ModelSummary
from engine.storage.runlock import LOCK, is_locked

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # whole names only: fullmatch


def validate_name(name: str) -> str:
    """A model name is a name, never a path: letters, digits, '.', '_' and '-', ≤ 64 chars."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or ".." in name:
        raise PoetuiError(
            f"{name!r} is not a valid model name; use letters, digits, '.', '_' or '-' "
            "(up to 64, starting with a letter or digit)."
        )
    return name


def model_path(name: str) -> Path:
    return paths.models_dir() / validate_name(name)


def existing(name: str) -> Path:
    path = model_path(name)
    if not (path / META).is_file():
        raise PoetuiError(f"There is no model named '{name}'{did_you_mean(name, _names())}; "
                          "`poetui models` lists them.")
    return path


def open_model(name: str) -> ModelFolder:
    """The folder of the model ``name``; a sentence when there is none (a damaged one opens,
    and says so when its settings are asked for)."""
    return ModelFolder(existing(name))


def _names() -> list[str]:
    root = paths.models_dir()
    return [p.name for p in root.iterdir() if (p / META).is_file()] if root.is_dir() else []


def summary(name: str) -> ModelSummary:
    return open_model(name).summary()


def list_models() -> list[ModelSummary]:
    """Every model's summary (see ``list_folders``)."""
    return [folder.summary() for folder in list_folders()]


def list_folders() -> list[ModelFolder]:
    """Every model's folder, its settings and summary read. A folder whose files have not
    changed since the last call (by their sizes and times, and whether it is locked) is not
    read again: a screen that asks every few seconds costs a few stats per model, not a JSON
    parse and a SQLite query."""
    root = paths.models_dir()
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        if NAME_RE.fullmatch(entry.name) and (entry / META).is_file():
            stamp = _stamp(entry)
            seen = _read.get(entry)
            if seen is None or seen[0] != stamp:
                folder = ModelFolder(entry)
                folder.summary()  # read now, in the caller's thread
                seen = _read[entry] = (stamp, folder)
            found.append(seen[1])
    return found


# The files a summary is read from; any change to one changes the stamp.
_STAMPED = (META, "latest.json", "best.json", "run.db", "run.db-wal", LOCK)
_read: dict[Path, tuple[tuple, ModelFolder]] = {}  # folder → (stamp, folder) of the last read


def _stamp(folder: Path) -> tuple:
    stamp: list = [is_locked(folder)]
    for name in _STAMPED:
        try:
            info = (folder / name).stat()
            stamp.append((info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append(None)
    return tuple(stamp)


def running_models() -> list[ModelSummary]:
    """Models with a live training process, the most recently started first (the lock file is
    rewritten when a run starts, so its time is the run's start)."""
    running = [m for m in list_models() if m.state.live]
    return sorted(running, key=lambda m: (m.path / LOCK).stat().st_mtime, reverse=True)


def delete(name: str) -> None:
    path = existing(name)
    if is_locked(path):
        raise PoetuiError(f"Model '{name}' is training right now; stop the run before deleting it.")
    shutil.rmtree(path)


def rename(old: str, new: str) -> None:
    source = existing(old)
    target = model_path(new)
    if target.exists():
        raise PoetuiError(f"A model named '{new}' already exists; pick another name.")
    if is_locked(source):
        raise PoetuiError(f"Model '{old}' is training right now; stop the run before renaming it.")
    os.replace(source, target)
    folder = ModelFolder(target)
    if not folder.damaged:  # a damaged one keeps its name inside; its folder's name counts
        folder.write({**folder.meta, "name": new})


def unique_name(base: str) -> str:
    """``base`` if free, else ``base-2``, ``base-3`` …"""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")[:56] or "model"
    if not base[0].isalnum():
        base = "m" + base
    name, n = base, 2
    while model_path(name).exists():
        name, n = f"{base}-{n}", n + 1
    return name
