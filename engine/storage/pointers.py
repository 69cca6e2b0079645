"""Where a model's ``latest`` and ``best`` pointers lead, by one rule for every reader.

A pointer (``latest.json``, ``best.json``) names a complete checkpoint folder under ``ckpt/``.
Torch-free, so the library and ``poetui models`` read a model's step count without PyTorch, and
by the same rule as the loader: a damaged or deleted pointer never reads as "never trained"
while a complete checkpoint is left.
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

    A pointer that is missing, cannot be read, or names a folder that is gone never means
    "never trained" while a complete checkpoint is on disk: the newest complete one (or, for
    best, the complete one with the lowest validation loss) stands in for it. A missing pointer
    with nothing to stand in is a model that has saved nothing yet (or, for best, never been
    evaluated); a damaged one is refused."""
    path = model_dir / f"{which}.json"
    missing = not path.exists()
    p = None if missing else read_pointer(path)
    if p is not None and (model_dir / "ckpt" / p["dir"]).is_dir():
        return p
    found = _complete_checkpoints(model_dir)
    if which == "best":
        # Best is only ever written by an evaluation, so only an evaluated checkpoint is one.
        evaluated = [f for f in found if isinstance(f["val_loss"], int | float)]
        if evaluated:
            return min(evaluated, key=lambda f: f["val_loss"])
        if missing:
            return None
    if found:
        return max(found, key=lambda f: f["step"])
    if missing:
        return None
    raise PoetuiError(
        f"{path.name} of model '{model_dir.name}' is damaged and no complete checkpoint is "
        f"left to stand in for it; delete the model with `poetui models rm "
        f"{model_dir.name}` and train it again."
    )


def _complete_checkpoints(model_dir: Path) -> list[dict]:
    """A pointer's fields for each complete checkpoint folder, read from its state.json."""
    root = model_dir / "ckpt"
    found = []
    for entry in sorted(root.glob("step-*")) if root.is_dir() else []:
        if _complete(entry):
            try:
                state = read_json(entry / "state.json")
            except PoetuiError:
                continue
            if not isinstance(state, dict) or not isinstance(state.get("step", 0), int):
                continue
            found.append({"dir": entry.name, "step": state.get("step", 0),
                          "val_loss": state.get("val_loss"), "chrf": state.get("chrf"),
                          "accuracy": state.get("accuracy"),
                          "time": entry.stat().st_mtime})
    return found


def folder(model_dir: Path, which: str) -> Path | None:
    p = pointer(model_dir, which)
    return model_dir / "ckpt" / p["dir"] if p else None
