"""The training process and the run store: commands, attach, SIGKILL and resume (real
processes, a real SQLite file)."""

from __future__ import annotations

import os
import signal
import time

from helpers import wait_until as wait_for

from engine.storage import checkpoint, store
from engine.storage.folder import RunState
from engine.storage.runlock import is_locked, lock_owner
from engine.storage.runstore import RunReader, send_command
from engine.train import job
from engine.train.worker import run_training, spawn


def long_run(path, name: str):
    return job.create_model(str(path), name=name, preset="tiny", steps=1_000_000,
                            eval_every=10**9, checkpoint_minutes=1000.0)


def test_commands_reach_a_detached_worker_and_viewers_see_everything(pattern_file, runs):
    model_dir = long_run(pattern_file, "w")
    pid = spawn("w")
    runs.append("w")
    reader = RunReader(model_dir)
    steps: list[dict] = []
    wait_for(lambda: steps.extend(reader.poll().steps) or len(steps) > 20, what="steps")
    assert is_locked(model_dir) and lock_owner(model_dir) == pid
    assert store.summary("w").state == "training"

    send_command(model_dir, "sample")
    wait_for(lambda: reader.poll().samples, what="a sample")
    send_command(model_dir, "pause")
    wait_for(lambda: reader.poll().status.get("state") == "paused", what="pause")
    assert store.summary("w").state == "paused"
    reader.poll()
    time.sleep(1.0)
    assert reader.poll().steps == []  # nothing trains while paused
    send_command(model_dir, "resume")
    wait_for(lambda: reader.poll().steps, what="training again")

    # A second viewer attaching late gets the whole history, in order, without gaps.
    late = RunReader(model_dir).poll()
    numbers = [row["step"] for row in late.steps]
    assert numbers == list(range(1, len(numbers) + 1))

    send_command(model_dir, "stop")
    wait_for(lambda: not is_locked(model_dir), what="the worker to exit")
    assert reader.poll().status["state"] == "stopped"
    assert checkpoint.pointer(model_dir, "latest")["step"] >= numbers[-1]
    os.waitpid(pid, 0)


def test_sigkill_loses_nothing_saved_and_resume_continues(pattern_file, runs):
    model_dir = long_run(pattern_file, "k")
    pid = spawn("k")
    runs.append("k")
    reader = RunReader(model_dir)
    wait_for(lambda: reader.poll().steps, what="steps")
    send_command(model_dir, "checkpoint")
    saved = wait_for(lambda: checkpoint.pointer(model_dir, "latest"), what="a checkpoint")
    wait_for(lambda: (reader.poll().steps or [{}])[-1].get("step", 0) > saved["step"] + 5,
             what="steps past the checkpoint")
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert not is_locked(model_dir)  # the kernel released the lock with the process
    assert store.summary("k").state is RunState.ENDED  # died without a word, so it says so

    job.update_budget("k", {"steps": saved["step"] + 10})
    run_training(model_dir)
    steps = [row["step"] for row in RunReader(model_dir).poll().steps]
    # History up to the checkpoint survives; what the killed run did after it is replaced.
    assert steps == list(range(1, saved["step"] + 11))
