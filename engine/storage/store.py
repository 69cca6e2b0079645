"""The model store: one folder per model under POETUI_HOME/models. Torch-free on purpose,
so the library screen and `poetui models` answer without loading PyTorch."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine import paths
from engine.errors import PoetuiError, write_failure
from engine.storage.runlock import is_locked
from engine.storage.runstore import LIVE, read_status, run_state

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # whole names only: fullmatch
META = "model.json"


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


def _names() -> list[str]:
    root = paths.models_dir()
    return [p.name for p in root.iterdir() if (p / META).is_file()] if root.is_dir() else []


def did_you_mean(word: str, choices: list[str]) -> str:
    """The closest of ``choices``, as " (did you mean 'x'?)", or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PoetuiError(f"{path.name} in {path.parent} is unreadable ({exc}).") from None


def write_json_atomic(path: Path, data: dict) -> None:
    """Write to a temporary name, fsync, rename: a crash leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class ModelSummary:
    name: str
    corpus: str
    kind: str
    level: str
    cell: str
    layers: int
    hidden: int
    parameters: int
    steps: int
    best_val_loss: float | None
    chrf: float | None  # translation models: held-out chrF of the best checkpoint (0–1)
    last_trained: float | None  # unix time
    state: str  # idle, or starting | training | paused while a process trains it
    path: Path

    @property
    def size(self) -> str:
        return f"{self.layers}×{self.hidden} {self.cell}"


def write_error(exc: OSError, where: Path) -> PoetuiError:
    return write_failure(exc, where)


def summary(name: str) -> ModelSummary:
    path = existing(name)
    try:
        meta = read_json(path / META)
    except PoetuiError:
        # Listed, not hidden: a model whose settings cannot be read still holds checkpoints.
        return ModelSummary(name, "?", "?", "?", "?", 0, 0, 0, 0, None, None, None, "damaged",
                            path)
    model = meta.get("model", {})
    latest = _pointer(path, "latest")
    best = _pointer(path, "best")
    state = run_state(read_status(path), is_locked(path))
    return ModelSummary(
        name=name,
        corpus=meta.get("corpus", {}).get("name", "?"),
        kind=meta.get("corpus", {}).get("kind", "?"),
        level=meta.get("level", "char"),
        cell=model.get("cell", "?"),
        layers=int(model.get("layers", 0)),
        hidden=int(model.get("hidden", 0)),
        parameters=int(meta.get("parameters", 0)),
        steps=int((latest or {}).get("step", 0)),
        best_val_loss=(best or {}).get("val_loss"),
        chrf=(best or {}).get("chrf"),
        last_trained=(latest or {}).get("time"),
        state=state if state in LIVE else "idle",
        path=path,
    )


def _pointer(path: Path, which: str) -> dict | None:
    try:
        return json.loads((path / f"{which}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def list_models() -> list[ModelSummary]:
    root = paths.models_dir()
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        if NAME_RE.fullmatch(entry.name) and (entry / META).is_file():
            found.append(summary(entry.name))
    return found


def running_models() -> list[ModelSummary]:
    """Models with a live training process, the most recently started first (the lock file is
    rewritten when a run starts, so its time is the run's start)."""
    running = [m for m in list_models() if m.state not in ("idle", "damaged")]
    return sorted(running, key=lambda m: (m.path / "run.lock").stat().st_mtime, reverse=True)


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
    meta = read_json(target / META)
    meta["name"] = new
    write_json_atomic(target / META, meta)


def unique_name(base: str) -> str:
    """``base`` if free, else ``base-2``, ``base-3`` …"""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")[:56] or "model"
    if not base[0].isalnum():
        base = "m" + base
    name, n = base, 2
    while model_path(name).exists():
        name, n = f"{base}-{n}", n + 1
    return name
