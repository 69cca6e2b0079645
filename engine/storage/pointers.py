"""Where a model's ``latest`` and ``best`` pointers lead, by one rule for every reader.

A pointer (``latest.json``, ``best.json``) names a complete checkpoint folder under ``ckpt/``.
Torch-free, so the library and ``poetui models`` read a model's step count without PyTorch, and
by the same rule as the loader: a damaged pointer never reads as "never trained".
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import PoetuiError
from engine.files import read_json

WHICH = ("latest", "best")


def read_pointer(path: Path) -> dict | None:
    try:
        p = read_json(path)
        return p if isinstance(p, dict) and isinstance(p.get("dir"), str) else None
    except PoetuiError:
        return None


def _complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in ("weights.safetensors", "state.json",
                                                 "trainer.pt"))


def pointer(model_dir: Path, which: str) -> dict | None:
    """Where ``which`` (latest or best) points; None if the model has none yet.

    A pointer that cannot be read, or names a folder that is gone, never means "never
    trained": the newest complete checkpoint (or, for best, the complete one with the lowest
    validation loss) stands in for it. Only when none is on disk does it refuse."""
    path = model_dir / f"{which}.json"
    if not path.exists():
        return None
    p = read_pointer(path)
    if p is not None and (model_dir / "ckpt" / p["dir"]).is_dir():
        return p
    found = []
    for entry in sorted((model_dir / "ckpt").glob("step-*")) if (model_dir / "ckpt").is_dir() \
            else []:
        if _complete(entry):
            try:
                state = read_json(entry / "state.json")
            except PoetuiError:
                continue
            found.append({"dir": entry.name, "step": state.get("step", 0),
                          "val_loss": state.get("val_loss"), "time": entry.stat().st_mtime})
    if not found:
        raise PoetuiError(
            f"{path.name} of model '{model_dir.name}' is damaged and no complete checkpoint is "
            f"left to stand in for it; delete the model with `poetui models rm "
            f"{model_dir.name}` and train it again."
        )
    if which == "best" and any(f["val_loss"] is not None for f in found):
        return min((f for f in found if f["val_loss"] is not None), key=lambda f: f["val_loss"])
    return max(found, key=lambda f: f["step"])


def folder(model_dir: Path, which: str) -> Path | None:
    p = pointer(model_dir, which)
    return model_dir / "ckpt" / p["dir"] if p else None
