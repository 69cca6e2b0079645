"""Training runs under hostile conditions, done for real: writes that fail (a file size limit
the kernel enforces, as a full disk refuses a write, for a normal user in CI), and stop signals
sent while two runs start together or evaluate (real processes, real signals)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import POETUI, assert_ends_with_sentence, assert_one_sentence, pattern_text, poetui

from engine.loading import load_model
from engine.storage import checkpoint
from engine.storage.runlock import is_locked
from engine.storage.runstore import RunReader, read_status
from engine.train import job
from engine.train.worker import spawn

pytestmark = pytest.mark.timeout(240)
# Larger than model.json, the vocabulary and a young run store; smaller than a tiny model's
# weights (140 kB): the first checkpoint cannot be written.
FILE_LIMIT = 128 * 1024
BOUND = 5.0  # seconds from a stop signal to the process's exit: behaviour, not a benchmark


def limited(*args: str) -> subprocess.CompletedProcess:
    """`poetui ARGS` where no file may grow past FILE_LIMIT (the write fails with EFBIG, which
    Python sees as an OSError: it ignores SIGXFSZ)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    return subprocess.run([POETUI, *args], capture_output=True, text=True, timeout=200,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, preexec_fn=limit)


def checkpoints(model_dir: Path) -> list[str]:
    root = model_dir / "ckpt"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


# -- a failed command changes nothing on disk (issue 17, item 8) ----------------------------------


def test_a_resume_that_fails_before_a_checkpoint_keeps_its_settings(pattern_file, poetui_home):
    poetui("train", str(pattern_file), "--preset", "tiny", "--name", "base", "--steps", "20")
    model_dir = poetui_home / "models" / "base"
    meta, latest = (model_dir / "model.json").read_bytes(), (model_dir / "latest.json").read_bytes()
    saved = checkpoints(model_dir)
    result = limited("train", "--name", "base", "--resume", "--steps", "30")
    assert_ends_with_sentence(result, "try again")
    assert (model_dir / "model.json").read_bytes() == meta  # not steps=30
    assert (model_dir / "latest.json").read_bytes() == latest
    assert checkpoints(model_dir) == saved
    assert not list(model_dir.glob(".model.json.*"))  # the copy kept for an undo is gone
    assert read_status(model_dir)["state"] == "error"  # the run store says what happened


def test_a_new_model_that_fails_before_its_first_checkpoint_is_not_kept(pattern_file,
                                                                         poetui_home):
    poetui("train", str(pattern_file), "--preset", "tiny", "--name", "old", "--steps", "5")
    models = poetui_home / "models"
    result = limited("train", str(pattern_file), "--preset", "tiny", "--name", "fresh",
                     "--steps", "10")
    assert_ends_with_sentence(result, "model 'fresh' was not kept")
    assert sorted(p.name for p in models.iterdir()) == ["old"]  # no folder, hidden or not
    # The name is free again: the same model can be made on a roomy disk.
    assert job.create_model(str(pattern_file), name="fresh", preset="tiny").is_dir()


def test_a_folder_that_existed_before_the_command_is_never_removed(pattern_file, poetui_home):
    # Made (in the app, say) and never trained: a failed first run of it leaves it as it was.
    model_dir = job.create_model(str(pattern_file), name="made", preset="tiny", steps=400)
    meta = (model_dir / "model.json").read_bytes()
    result = limited("train", "--name", "made", "--resume", "--steps", "300")
    assert_ends_with_sentence(result, "try again")
    assert (model_dir / "model.json").read_bytes() == meta
    assert (model_dir / "vocab.json").is_file() and checkpoints(model_dir) == []
    # A new model of a name that is taken is refused before anything is written.
    result = limited("train", str(pattern_file), "--preset", "tiny", "--name", "made")
    assert_one_sentence(result, "already exists")
    assert (model_dir / "model.json").read_bytes() == meta


# -- a stop is taken at once, whatever the run is doing (issue 17, item 10) ------------------------


class Run:
    """A training process started for a test: `poetui train` in this test's terminal, or the
    detached worker the app starts (engine.train.worker.spawn)."""

    def __init__(self, model_dir: Path, signum: int, corpus: Path | None = None,
                 *extra: str) -> None:
        self.dir, self.signum = model_dir, signum
        self.process: subprocess.Popen | None = None
        if corpus is None:
            self.pid = spawn(model_dir.name)
        else:
            self.process = subprocess.Popen(
                [POETUI, "train", str(corpus), "--preset", "tiny", "--name", model_dir.name,
                 "--json", "--steps", "1000000", *extra],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**os.environ, "OMP_NUM_THREADS": "1"})
            self.pid = self.process.pid
        self.code: int | None = None
        self.printed: tuple[str, str] | None = None

    def gone(self) -> bool:
        if self.code is None:
            if self.process is not None:
                self.code = self.process.poll()
            else:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                self.code = os.waitstatus_to_exitcode(status) if pid else None
        return self.code is not None

    def state(self) -> str | None:
        try:
            return read_status(self.dir).get("state")
        except Exception:  # noqa: BLE001 — the run store is not there yet, or is being made
            return None

    def output(self) -> tuple[str, str]:
        """What `poetui train` printed (stdout, stderr); a worker writes to its log."""
        if self.process is None:
            return "", (self.dir / "worker.log").read_text()
        if self.printed is None:
            self.printed = self.process.communicate()
        return self.printed


def stop_when(runs: list[Run], wanted: str, timeout: float = 180) -> None:
    """Send each run its signal as soon as its run store says ``wanted``; check the seconds
    from the signal until the run let go of its model (the stop taken, its checkpoint saved)
    and until its process was gone."""
    sent: dict[int, float] = {}
    released: dict[int, float] = {}
    exited: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(exited) < len(runs):
        assert time.monotonic() < deadline, f"runs never reached '{wanted}' or never exited"
        for i, run in enumerate(runs):
            if i not in sent:
                assert not run.gone(), f"{run.dir.name} ended early: {run.output()[1]}"
                if run.state() == wanted:
                    os.kill(run.pid, run.signum)
                    sent[i] = time.monotonic()
                continue
            if i not in released and not is_locked(run.dir):
                released[i] = time.monotonic() - sent[i]
            if i not in exited and run.gone():
                exited[i] = time.monotonic() - sent[i]
        time.sleep(0.02)
    print(f"from the signal, stop taken / process gone (s), while {wanted}:",
          [f"{released[i]:.2f} / {exited[i]:.2f}" for i in range(len(runs))])
    for i, run in enumerate(runs):
        assert run.code == 0, run.output()[1]
        assert released[i] < BOUND and exited[i] < BOUND, \
            f"{run.dir.name} took {released[i]:.1f} / {exited[i]:.1f} s"


def test_a_stop_while_two_runs_start_is_taken_at_once(pattern_file, poetui_home, runs):
    models = poetui_home / "models"
    job.create_model(str(pattern_file), name="app", preset="tiny", steps=1_000_000)
    runs.append("app")
    started = [Run(models / "cli", signal.SIGINT, pattern_file), Run(models / "app",
                                                                      signal.SIGTERM)]
    # "starting": each holds its lock and is loading PyTorch, its corpus, its optimizer.
    stop_when(started, "starting")
    for run in started:
        assert "Traceback" not in run.output()[1]
        assert read_status(run.dir)["state"] == "stopped"
        assert checkpoint.pointer(run.dir, "latest") is None  # it had no weights to keep
    done = json.loads(started[0].output()[0].splitlines()[-1])
    assert done["kind"] == "done" and done["reason"] == "stopped" and done["steps"] == 0
    # A stopped start is no failure: the model stays, ready to train.
    poetui("train", "--name", "cli", "--resume", "--steps", "3")


def test_a_stop_while_two_runs_evaluate_is_taken_at_once_after_a_checkpoint(tmp_path,
                                                                            poetui_home):
    # A validation part of 240,000 tokens: seconds of evaluation, at step 30.
    corpus = tmp_path / "long.txt"
    corpus.write_text(pattern_text(100_000), encoding="utf-8")
    models = poetui_home / "models"
    started = [Run(models / name, signum, corpus, "--hidden", "128", "--eval-every", "30")
               for name, signum in (("a", signal.SIGTERM), ("b", signal.SIGHUP))]
    stop_when(started, "evaluating")
    for run in started:
        assert read_status(run.dir)["state"] == "stopped"
        # Every step it trained is in its checkpoint, and the checkpoint loads.
        trained = max(row["step"] for row in RunReader(run.dir).poll().steps)
        assert checkpoint.pointer(run.dir, "latest")["step"] == trained >= 30
        assert load_model(run.dir.name, "latest").state["step"] == trained
