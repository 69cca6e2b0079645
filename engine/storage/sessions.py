"""Writing sessions kept with a model: one JSON file per session in its folder's
``sessions/``, written whole or not at all (``engine.files.write_json_atomic``). Torch-free."""

from __future__ import annotations

import time
from pathlib import Path

from engine.files import read_json, write_json_atomic

FOLDER = "sessions"


def new_name() -> str:
    """A session's file name: when it began, so they sort in order."""
    return time.strftime("%Y%m%d-%H%M%S") + ".json"


def save(model_path: Path, name: str, data: dict) -> Path:
    folder = model_path / FOLDER
    folder.mkdir(exist_ok=True)
    path = folder / name
    write_json_atomic(path, data)
    return path


def latest(model_path: Path) -> Path | None:
    """The file of the session last written to, or None."""
    folder = model_path / FOLDER
    files = [p for p in folder.glob("*.json")] if folder.is_dir() else []
    return max(files, key=lambda p: (p.stat().st_mtime, p.name)) if files else None


def load(path: Path) -> object:
    """The JSON of a session file (a sentence naming it if it cannot be read)."""
    return read_json(path)
