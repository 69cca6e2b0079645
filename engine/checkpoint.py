"""Checkpoints: weights as safetensors, trainer state without pickle, written crash-safely.

Layout in a model folder::

    ckpt/step-00001200/weights.safetensors   model weights (the average, when the run keeps one)
    ckpt/step-00001200/trainer.pt            optimizer, RNG, carried state, the raw weights when
                                             they differ (weights_only load)
    ckpt/step-00001200/state.json            step, epoch, position, elapsed, losses
    latest.json, best.json                   pointers to a ckpt folder, replaced atomically

A checkpoint folder is complete and fsynced before a pointer names it, so a crash at any moment
leaves the previous checkpoint intact and named.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from engine.errors import PoetuiError
from engine.store import read_json, write_json_atomic


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def save(
    model_dir: Path,
    model: torch.nn.Module,
    state: dict,
    trainer_state: dict | None,
    which: tuple[str, ...] = ("latest",),
) -> None:
    """Write a checkpoint of the current step and point ``which`` (latest/best) at it."""
    name = f"step-{state['step']:08d}"
    root = model_dir / "ckpt"
    root.mkdir(exist_ok=True)
    final = root / name
    if not final.exists():
        tmp = root / f".{name}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            weights = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
            # Tied weights appear twice in state_dict; safetensors refuses shared storage.
            if getattr(getattr(model, "config", None), "tie_weights", False):
                del weights["head.weight"]
            save_file(weights, str(tmp / "weights.safetensors"))
            if trainer_state is not None:
                torch.save(trainer_state, tmp / "trainer.pt")
            write_json_atomic(tmp / "state.json", state)
            for f in tmp.iterdir():
                _fsync_file(f)
            _fsync_dir(tmp)
            os.replace(tmp, final)
            _fsync_dir(root)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise PoetuiError(
                f"Could not save a checkpoint ({exc.strerror or exc}); free some disk space "
                "and try again — the previous checkpoint is untouched."
            ) from None
    pointer = {"dir": name, "step": state["step"], "val_loss": state.get("val_loss"),
               "time": time.time()}
    for w in which:
        write_json_atomic(model_dir / f"{w}.json", pointer)
    _prune(model_dir)


def _prune(model_dir: Path) -> None:
    keep = {p["dir"] for p in (pointer(model_dir, w) for w in ("latest", "best")) if p}
    for entry in (model_dir / "ckpt").iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)


def pointer(model_dir: Path, which: str) -> dict | None:
    path = model_dir / f"{which}.json"
    if not path.exists():
        return None
    try:
        return read_json(path)
    except PoetuiError:
        return None


def folder(model_dir: Path, which: str) -> Path | None:
    p = pointer(model_dir, which)
    return model_dir / "ckpt" / p["dir"] if p else None


def load_weights(model_dir: Path, which: str, model: torch.nn.Module) -> dict:
    """Load weights into ``model``; return the checkpoint's state.json."""
    where = folder(model_dir, which)
    if where is None:
        raise PoetuiError(
            f"Model '{model_dir.name}' has no saved weights yet; train it first "
            f"with `poetui train ... --name {model_dir.name}`."
        )
    try:
        weights = load_file(str(where / "weights.safetensors"))
        if "head.weight" not in weights and "embedding.weight" in weights:
            weights["head.weight"] = weights["embedding.weight"]
        model.load_state_dict(weights)
        return read_json(where / "state.json")
    except (SafetensorError, OSError, RuntimeError, KeyError, PoetuiError, ValueError):
        raise PoetuiError(
            f"The {which} checkpoint of model '{model_dir.name}' is damaged or incomplete; "
            f"retrain it, or delete it with `poetui models rm {model_dir.name}`."
        ) from None


def load_trainer_state(model_dir: Path) -> dict:
    where = folder(model_dir, "latest")
    try:
        return torch.load(where / "trainer.pt", weights_only=True)  # type: ignore[operator]
    except Exception:  # noqa: BLE001 — any failure here means the file cannot be trusted
        raise PoetuiError(
            f"The training state of model '{model_dir.name}' is damaged, so it cannot resume; "
            "start a new model, or sample from this one as it is."
        ) from None
