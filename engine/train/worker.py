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
import shutil
import signal
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from engine.errors import PoetuiError, write_failure
from engine.events import DoneEvent, ErrorEvent, Event
from engine.files import read_json
from engine.storage import pointers, store
from engine.storage.folder import KeptSettings, ModelFolder
from engine.storage.runlock import RunLock
from engine.storage.runstore import RunWriter

LOG = "worker.log"
T = TypeVar("T")


def run_training(model_dir: Path, listener: Callable[[Event], None] | None = None,
                 stop_requested: Callable[[], bool] | None = None,
                 changes: dict | None = None, new: bool = False) -> DoneEvent:
    """Train the model in ``model_dir`` (fresh or resumed) to the end of its budget.

    ``changes`` (a new budget or other training settings for a resume) are written only once
    this process holds the model's lock: a resume refused because the model trains elsewhere
    changes nothing. A run that fails before it saved a checkpoint leaves the disk as it found
    it: ``model.json`` as it was before the changes, and a folder made for this run (``new``,
    as `poetui train CORPUS` makes one) removed, so the failed command does not keep its name.

    A stop (``stop_requested``) is taken promptly in every phase, after a checkpoint where
    there are new weights to keep. A ``StopSignals`` also cuts short the long phases that write
    nothing (loading PyTorch and the corpus, the first look at the machine's load, live
    samples, translation scores); any other callable is asked between steps."""
    from engine.nn.threads import prepare_env

    prepare_env()  # before OpenMP starts with PyTorch
    at_once = stop_requested.at_once if isinstance(stop_requested, StopSignals) else None
    undo = _Undo(model_dir, new)
    lock = RunLock(model_dir)
    failed = True
    try:
        try:
            lock.acquire()
            undo.look()
            if changes:
                from engine.train.job import update_budget

                undo.keep_settings()
                update_budget(model_dir.name, changes)
            writer = RunWriter(model_dir)
        except OSError as exc:
            raise write_failure(exc, model_dir, undo.safe()) from None
        except sqlite3.Error as exc:
            raise _store_error(exc, model_dir, undo.safe()) from None
        try:
            done = _train(model_dir, writer, listener, stop_requested, at_once, undo)
            failed = False
            return done
        finally:
            try:
                writer.close()
            except sqlite3.Error:
                pass  # what could not be written is lost; the checkpoints are not
    except PoetuiError as exc:
        if undo.removes() and "was not kept" not in str(exc):
            # Its sentence may speak of checkpoints; the user must learn the model is gone.
            raise PoetuiError(f"{str(exc).rstrip('.')}; model '{model_dir.name}' was not "
                              "kept.") from None
        raise
    finally:
        undo.settle(failed)
        lock.release()


def _train(model_dir: Path, writer: RunWriter, listener: Callable[[Event], None] | None,
           stop_requested: Callable[[], bool] | None, at_once, undo: _Undo) -> DoneEvent:
    """The run itself, the lock held and the run store open."""
    from engine.nn.threads import ThreadGovernor

    def stopped() -> bool:
        return stop_requested is not None and stop_requested()

    def emit(event: Event) -> None:
        if event.kind == "checkpoint":
            undo.saved = True
        writer.record(event)
        if listener is not None:
            listener(event)

    governor: ThreadGovernor | None = None
    parts = None

    def control() -> list[str]:
        commands = writer.take_commands()
        if stopped():
            commands.append("stop")
        if governor is not None and governor.check():
            writer.set_status(threads=governor.threads)
        return commands

    team = None
    world = None
    followers: list = []  # processes started for this run, stopped with it

    def start_up():
        nonlocal team, world
        import torch

        from engine.train import team as teams
        from engine.train import world as worlds
        from engine.train.assemble import open_trainer  # PyTorch loads here, not at the CLI's start

        world = worlds.world_from_env()  # torchrun's; else --nproc on this machine
        nproc = ModelFolder(model_dir).train_config().nproc
        if world is None and nproc > 1:
            # Started first: they load PyTorch and the corpus while this process does.
            followers.extend(worlds.start_followers(model_dir, nproc))
            world = worlds.world_from_env()
        trainer = open_trainer(model_dir)
        if world is not None:
            team = teams.Team(world, followers)
            team.send_settings(trainer_settings(model_dir), trainer.vocab.to_json())
            trainer.join(team)
        share = world.local_size if world is not None else 1
        return trainer, ThreadGovernor(trainer.config.threads, torch.set_num_threads, share)

    try:
        writer.set_status(state="starting", pid=os.getpid(), message="")
        # Commands sent before this run held the lock were for an earlier one; what comes
        # while it starts is for this one and waits for the trainer.
        writer.take_commands()
        # Seconds of imports and reading with nothing new to keep: a stop ends them at once.
        if stopped():
            started, parts = False, None
        else:
            started, parts = at_once(start_up) if at_once else (True, start_up())
        if not started or stopped():
            done = parts[0].stopped_early() if started else _stopped_early(model_dir)
            emit(done)
            return done
        trainer, governor = parts
        writer.truncate_after(trainer.step, old_commands=False)
        writer.set_status(total=trainer.config.budget_text(), resumed_from=trainer.step,
                          precision=trainer.precision, device=str(trainer.device),
                          threads=governor.threads,
                          processes=world.size if world is not None else 1)
        return trainer.run(emit, control, at_once)
    except RuntimeError:
        if team is None:
            raise
        # A lost process shows as a failed collective (gloo: the connection closed).
        message = _lost_sentence(model_dir, team.lost(), trainer.step if parts else 0)
        _try_emit(emit, ErrorEvent(message))
        raise PoetuiError(message) from None
    except PoetuiError as exc:
        _try_emit(emit, ErrorEvent(str(exc)))
        raise
    except MemoryError:
        message = "Training ran out of memory; choose a smaller --hidden or --batch."
        _try_emit(emit, ErrorEvent(message))
        raise PoetuiError(message) from None
    except OSError as exc:
        message = str(write_failure(exc, model_dir, undo.safe()))
        _try_emit(emit, ErrorEvent(message))
        raise PoetuiError(message) from None
    except sqlite3.Error as exc:
        # The run store failed (a full disk, most likely): say so without writing to it.
        message = str(_store_error(exc, model_dir, undo.safe()))
        if listener is not None:
            listener(ErrorEvent(message))
        raise PoetuiError(message) from None
    finally:
        if team is not None:
            team.close()
        elif followers:  # the run ended before they joined it
            from engine.train.world import forget_world

            for process in followers:
                process.kill()
                process.wait()
            forget_world()


def trainer_settings(model_dir: Path) -> dict:
    """The model's settings, for the other processes of a data-parallel run."""
    return ModelFolder(model_dir).meta


def _lost_sentence(model_dir: Path, who: str, step: int) -> str:
    latest = _latest(model_dir)
    kept = (f"its last checkpoint (step {latest['step']:,}) is kept" if latest
            else "nothing had been saved yet")
    return (f"The run of '{model_dir.name}' stopped at step {step:,} because {who}; {kept}. "
            f"Resume with `poetui train --resume --name {model_dir.name}` (with any --nproc).")


def _stopped_early(model_dir: Path) -> DoneEvent:
    """The end of a run stopped before its trainer was ready: where its latest checkpoint
    stands (nothing was trained, nothing saved)."""
    try:
        latest = pointers.folder(model_dir, "latest")
        state = read_json(latest / "state.json") if latest else {}
    except PoetuiError:
        state = {}
    if not isinstance(state, dict):
        state = {}  # damaged: the loader will say so when the model is next opened
    elapsed = float(state.get("elapsed") or 0.0)
    return DoneEvent(model=model_dir.name, steps=int(state.get("step") or 0),
                     epochs=float(state.get("epoch") or 0), val_loss=state.get("val_loss"),
                     best_val_loss=state.get("best_val_loss"), train_loss=None,
                     tokens_per_second=(state.get("tokens_seen") or 0) / max(elapsed, 1e-9),
                     elapsed=float(state.get("wall") or elapsed), reason="stopped")


class _Undo:
    """What a run that fails before saving a checkpoint puts back: ``model.json`` as it was
    before the run changed it, or, for a folder made for this run, no folder at all."""

    def __init__(self, model_dir: Path, new: bool) -> None:
        self.dir, self.new = model_dir, new
        self.saved = False  # a checkpoint of this run is on disk: keep everything
        self.kept: KeptSettings | None = None  # model.json as it was before the changes
        self.latest: dict | None = None
        self.held = False  # only a run that holds the lock may put anything back

    def look(self) -> None:
        """Note where the latest checkpoint stands (called holding the lock)."""
        self.held = True
        self.latest = _latest(self.dir)

    def keep_settings(self) -> None:
        """Before the changes are written: keep model.json as it is."""
        self.kept = KeptSettings(self.dir)

    def changed(self) -> bool:
        # A checkpoint whose event was lost (its pointer written, then the run store failed)
        # counts as saved too: the latest pointer moved.
        return self.saved or _latest(self.dir) != self.latest

    def removes(self) -> bool:
        """Whether a failure now removes the folder."""
        return self.held and self.new and not self.changed()

    def safe(self) -> str:
        """What is still safe when the run fails now, for its sentence."""
        if self.removes():
            return f"model '{self.dir.name}' was not kept"
        return "the last checkpoint is intact"

    def settle(self, failed: bool) -> None:
        """At the end of the run, still holding the lock."""
        if not self.held:
            return  # the lock was refused: the folder is another run's
        try:
            if failed and not self.changed():
                if self.removes():
                    # Renamed aside first: a half-removed folder never reads as a model.
                    gone = self.dir.with_name(f".{self.dir.name}.{os.getpid()}.failed")
                    os.rename(self.dir, gone)
                    shutil.rmtree(gone, ignore_errors=True)
                    return
                if self.kept is not None:
                    self.kept.restore()
            if self.kept is not None:
                self.kept.drop()
        except OSError:
            pass  # the failure's own sentence is what the user needs; this is best effort


def _latest(model_dir: Path) -> dict | None:
    try:
        return pointers.pointer(model_dir, "latest")
    except (PoetuiError, OSError):
        return None


def _try_emit(emit: Callable[[Event], None], event: Event) -> None:
    try:
        emit(event)
    except sqlite3.Error:
        pass


def _store_error(exc: sqlite3.Error, model_dir: Path,
                 safe: str = "the last checkpoint is intact") -> PoetuiError:
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return PoetuiError(
            f"The training history of model '{model_dir.name}' ({model_dir / 'run.db'}) is "
            "damaged; move it aside (a new one is started) and resume — the checkpoints are "
            "intact."
        )
    return write_failure(exc, model_dir, safe)


class _Cut(BaseException):
    """A stop signal ending work that writes nothing (a BaseException, as KeyboardInterrupt
    is, so that no ``except Exception`` on the way swallows it)."""


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
        self._cutting = self._cut = False
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
        if self._cutting:
            self._cut = True
            raise _Cut

    def __call__(self) -> bool:
        return self.requested

    def at_once(self, work: Callable[[], T]) -> tuple[bool, T | None]:
        """Run ``work``, which must write nothing, so that a stop signal ends it at once:
        (True, its result), or (False, None) when a stop cut it short.

        Some phases cannot look at a flag (an import of PyTorch takes seconds and calls no
        code of ours), so the signal itself interrupts them, as Ctrl-C interrupts a script.
        Whatever the interrupted code turned that into (an ImportError, say) is the stop."""
        self._cut = False
        try:
            try:
                self._cutting = True
                return True, work()
            finally:
                self._cutting = False
        except BaseException:
            if self._cut:
                return False, None
            raise


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
    code = main()
    # The run is over and its files are closed. The interpreter's own teardown of PyTorch
    # (torch._dynamo is loaded by the optimizer) takes 1–3 s more, which a stopped run that
    # someone waits on should not: flush what the log still holds and go.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
