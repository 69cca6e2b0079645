"""Running one training run: in this process (the CLI) or as its own (``python -m engine.worker
NAME``, started by the TUI so that the run survives the terminal and cannot freeze the UI).

Either way the run holds the model's lock and writes everything to the run store, so any
viewer can attach to it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from engine import store
from engine.errors import PoetuiError
from engine.events import DoneEvent, ErrorEvent, Event
from engine.runlock import RunLock
from engine.runstore import RunWriter

LOG = "worker.log"


def run_training(model_dir: Path, listener: Callable[[Event], None] | None = None,
                 stop_requested: Callable[[], bool] | None = None) -> DoneEvent:
    """Train the model in ``model_dir`` (fresh or resumed) to the end of its budget."""
    from engine.threads import ThreadGovernor, prepare_env

    prepare_env()  # before OpenMP starts with PyTorch
    import torch

    from engine.assemble import open_trainer  # PyTorch loads here, not when the CLI starts

    lock = RunLock(model_dir)
    lock.acquire()
    writer = RunWriter(model_dir)
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
            emit(ErrorEvent(str(exc)))
            raise
        except MemoryError:
            message = "Training ran out of memory; choose a smaller --hidden or --batch."
            emit(ErrorEvent(message))
            raise PoetuiError(message) from None
        except OSError as exc:
            message = f"Training stopped on a system error ({exc.strerror or exc}); the last " \
                      "checkpoint is intact — fix the cause and resume."
            emit(ErrorEvent(message))
            raise PoetuiError(message) from None
    finally:
        writer.close()
        lock.release()


def spawn(name: str) -> int:
    """Start ``python -m engine.worker NAME`` detached from this terminal; return its pid.

    Explicit file descriptors and a new session: Textual replaces stdout/stderr (so
    multiprocessing fails inside a running app), and SIGHUP must not reach the run.
    """
    model_dir = store.existing(name)
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)}
    with open(model_dir / LOG, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.worker", name],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, env=env, cwd=str(root),
        )
    return process.pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.worker")
    parser.add_argument("name")
    args = parser.parse_args(argv)
    stop = {"requested": False}

    def on_term(signum, frame) -> None:  # a polite kill stops after a checkpoint
        stop["requested"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        run_training(store.existing(args.name), stop_requested=lambda: stop["requested"])
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
