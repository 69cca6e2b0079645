"""Running one training run: in this process (the CLI) or as its own (``python -m
engine.train.worker NAME``, started by the TUI so that the run survives the terminal and cannot
freeze the UI).

Either way the run holds the model's lock and writes everything to the run store, so any
viewer can attach to it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from engine.errors import PoetuiError, write_failure
from engine.events import DoneEvent, ErrorEvent, Event
from engine.storage import store
from engine.storage.runlock import RunLock
from engine.storage.runstore import RunWriter

LOG = "worker.log"


def run_training(model_dir: Path, listener: Callable[[Event], None] | None = None,
                 stop_requested: Callable[[], bool] | None = None,
                 changes: dict | None = None) -> DoneEvent:
    """Train the model in ``model_dir`` (fresh or resumed) to the end of its budget.

    ``changes`` (a new budget or other training settings for a resume) are written only once
    this process holds the model's lock: a resume refused because the model trains elsewhere
    changes nothing."""
    from engine.nn.threads import ThreadGovernor, prepare_env

    prepare_env()  # before OpenMP starts with PyTorch
    import torch

    from engine.train.assemble import open_trainer  # PyTorch loads here, not when the CLI starts

    lock = RunLock(model_dir)
    try:
        lock.acquire()
        if changes:
            from engine.train.job import update_budget

            update_budget(model_dir.name, changes)
        writer = RunWriter(model_dir)
    except OSError as exc:
        lock.release()
        raise write_failure(exc, model_dir) from None
    except sqlite3.Error as exc:
        lock.release()
        raise _store_error(exc, model_dir) from None
    except PoetuiError:
        lock.release()
        raise
    try:
        writer.set_status(state="starting", pid=os.getpid(), message="")

        def emit(event: Event) -> None:
            writer.record(event)
            if listener is not None:
                listener(event)

        governor: ThreadGovernor | None = None

        def control() -> list[str]:
            commands = writer.take_commands()
            if stop_requested is not None and stop_requested():
                commands.append("stop")
            if governor is not None and governor.check():
                writer.set_status(threads=governor.threads)
            return commands

        try:
            trainer = open_trainer(model_dir)
            governor = ThreadGovernor(trainer.config.threads, torch.set_num_threads)
            writer.truncate_after(trainer.step)
            writer.set_status(total=trainer.config.budget_text(), resumed_from=trainer.step,
                              precision=trainer.precision, device=str(trainer.device),
                              threads=governor.threads)
            return trainer.run(emit, control)
        except PoetuiError as exc:
            _try_emit(emit, ErrorEvent(str(exc)))
            raise
        except MemoryError:
            message = "Training ran out of memory; choose a smaller --hidden or --batch."
            _try_emit(emit, ErrorEvent(message))
            raise PoetuiError(message) from None
        except OSError as exc:
            message = str(write_failure(exc, model_dir, "the last checkpoint is intact"))
            _try_emit(emit, ErrorEvent(message))
            raise PoetuiError(message) from None
        except sqlite3.Error as exc:
            # The run store failed (a full disk, most likely): say so without writing to it.
            message = str(_store_error(exc, model_dir))
            if listener is not None:
                listener(ErrorEvent(message))
            raise PoetuiError(message) from None
    finally:
        try:
            writer.close()
        except sqlite3.Error:
            pass  # what could not be written is lost; the checkpoints are not
        lock.release()


def _try_emit(emit: Callable[[Event], None], event: Event) -> None:
    try:
        emit(event)
    except sqlite3.Error:
        pass


def _store_error(exc: sqlite3.Error, model_dir: Path) -> PoetuiError:
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return PoetuiError(
            f"The training history of model '{model_dir.name}' ({model_dir / 'run.db'}) is "
            "damaged; move it aside (a new one is started) and resume — the checkpoints are "
            "intact."
        )
    return write_failure(exc, model_dir, "the last checkpoint is intact")


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP ask the run to stop after a checkpoint: Ctrl-C, `kill`,
    `timeout`, `docker stop` and a dropped SSH session alike. Called, it says whether one came.

    ``interactive`` (a run in the user's terminal): ``on_first`` is told of the first signal,
    a second Ctrl-C abandons the run, and after SIGHUP (the terminal is gone) ``hung_up`` says
    to print nothing more."""

    def __init__(self, interactive: bool = False,
                 on_first: Callable[[], None] | None = None) -> None:
        self.interactive, self.on_first = interactive, on_first
        self.requested = self.hung_up = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if signum == signal.SIGHUP:
            self.hung_up = True
        elif self.interactive and self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if not self.requested and not self.hung_up and self.on_first is not None:
            self.on_first()
        self.requested = True

    def __call__(self) -> bool:
        return self.requested


def spawn(name: str, changes: dict | None = None) -> int:
    """Start ``python -m engine.train.worker NAME`` detached from this terminal; return its pid.
    ``changes`` (a new budget …) are checked here and written by the worker under its lock.

    Explicit file descriptors and a new session: Textual replaces stdout/stderr (so
    multiprocessing fails inside a running app), and SIGHUP must not reach the run.
    """
    from engine.train.job import resumed_settings

    if changes:
        resumed_settings(name, changes)  # a refusal is a sentence here, not a dead worker
    model_dir = store.existing(name)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)}
    with open(model_dir / LOG, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.train.worker", name,
             *(["--changes", json.dumps(changes)] if changes else [])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, env=env, cwd=str(root),
        )
    return process.pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.train.worker")
    parser.add_argument("name")
    parser.add_argument("--changes", help="training settings to change first, as JSON")
    args = parser.parse_args(argv)
    stop = StopSignals()  # a polite kill stops after a checkpoint
    try:
        run_training(store.existing(args.name), stop_requested=stop,
                     changes=json.loads(args.changes) if args.changes else None)
    except PoetuiError as exc:
        print(f"poetui worker: {exc}", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 — the log keeps the detail; the run store the sentence
        traceback.print_exc()
        try:
            writer = RunWriter(store.existing(args.name))
            writer.record(ErrorEvent("Training crashed unexpectedly; see worker.log in the "
                                     "model's folder. The last checkpoint is intact."))
            writer.close()
        except Exception:  # noqa: BLE001
            pass
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
