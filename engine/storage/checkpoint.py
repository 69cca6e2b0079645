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

from engine.errors import PoetuiError, write_failure
from engine.files import read_json, write_json_atomic
from engine.storage.pointers import folder, pointer, read_pointer


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
        except (OSError, RuntimeError, SafetensorError) as exc:
            # A full disk arrives as any of these (safetensors', torch's own, the OS's), and
            # torch's says only "unexpected pos": judge by the space left.
            written = sum(f.stat().st_size for f in tmp.glob("*")) if tmp.exists() else 0
            shutil.rmtree(tmp, ignore_errors=True)
            full = shutil.disk_usage(root).free < max(2 * written, 1 << 20)
            raise write_failure(exc, model_dir, f"the checkpoint of step {state['step']} was "
                                "not saved and the previous one is intact", full) from None
    pointer_data = {"dir": name, "step": state["step"], "val_loss": state.get("val_loss"),
                    "chrf": state.get("chrf"), "accuracy": state.get("accuracy"),
                    "time": time.time()}
    try:
        for w in which:
            write_json_atomic(model_dir / f"{w}.json", pointer_data)
        for w in {"latest", "best"} - set(which):
            path = model_dir / f"{w}.json"
            p = read_pointer(path) if path.exists() else None
            if p is None or not (root / p["dir"]).is_dir():
                # Repair a damaged, deleted or dangling pointer with what stands in for it, so
                # pruning resumes and keeps what it names.
                stand_in = pointer(model_dir, w)
                if stand_in is not None:
                    write_json_atomic(path, stand_in)
    except OSError as exc:
        raise write_failure(exc, model_dir, "the previous checkpoint is intact") from None
    _prune(model_dir)


def _prune(model_dir: Path) -> None:
    """Delete checkpoint folders no pointer leads to; never while a pointer cannot be read."""
    keep = set()
    for which in ("latest", "best"):
        path = model_dir / f"{which}.json"
        if path.exists() and read_pointer(path) is None:
            return  # what is unreadable might name any folder: keep them all
        try:
            # Where every reader is led: the pointer, or what stands in for a deleted one or
            # one whose folder is gone; that folder must outlive the pruning.
            p = pointer(model_dir, which)
        except PoetuiError:
            return
        if p is not None:
            keep.add(p["dir"])
    for entry in (model_dir / "ckpt").iterdir():
        if entry.name not in keep and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)


def load_weights(model_dir: Path, which: str, model: torch.nn.Module) -> dict:
    """Load weights into ``model``; return the checkpoint's state.json.

    A training run may move the pointer on and delete the folder it named while we read it;
    that shows as the pointer having changed, and the read is retried at the new folder."""
    for _ in range(5):
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
            if folder(model_dir, which) == where:
                break  # nothing moved: the checkpoint itself is bad
    raise PoetuiError(
        f"The {which} checkpoint of model '{model_dir.name}' is damaged or incomplete; "
        f"retrain it, or delete it with `poetui models rm {model_dir.name}`."
    )


def load_trainer_state(model_dir: Path) -> dict:
    where = folder(model_dir, "latest")
    try:
        return torch.load(where / "trainer.pt", weights_only=True)  # type: ignore[operator]
    except Exception:  # noqa: BLE001 — any failure here means the file cannot be trusted
        raise PoetuiError(
            f"The training state of model '{model_dir.name}' is damaged, so it cannot resume; "
            "start a new model, or sample from this one as it is."
        ) from None
