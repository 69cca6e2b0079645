"""Data-parallel training (--nproc): real processes, torch.distributed over gloo, DDP."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.storage import pointers, store
from engine.storage.runstore import read_status
from engine.train import job
from engine.train.worker import run_training
from tui.cli.main import main

pytestmark = pytest.mark.timeout(240)

# One process and two agree to float32 rounding of a sum in another order: measured within
# 2e-6 nats over 20 steps; the bound leaves room for that drift to grow a little.
TOLERANCE = 1e-4
TINY = dict(layers=1, hidden=32, dropout=0.0, lr=1e-2, warmup=2, seq_len=16, threads=1,
            precision="fp32", average=0.0, sample_every=100)


def losses(path: Path, name: str, nproc: int, **extra) -> list[float]:
    model_dir = job.create_model(str(path), name, nproc=nproc, **TINY, **extra)
    seen = []
    run_training(model_dir, lambda e: seen.append(e.loss) if e.kind == "step" else None)
    return seen


@pytest.mark.parametrize("corpus, smoothing", [("pattern_file", 0.0), ("names_file", 0.0),
                                               ("pattern_file", 0.1)])
def test_two_processes_train_as_one(corpus, smoothing, request):
    path = request.getfixturevalue(corpus)
    # Evaluations at 6 and 12 save checkpoints: the followers' carried state is gathered.
    # Label smoothing is in the loss both ways (it changes every step's loss: no match else).
    one = losses(path, "one", 1, steps=15, batch=7, eval_every=6, label_smoothing=smoothing)
    two = losses(path, "two", 2, steps=15, batch=7, eval_every=6,  # rows split 3 + 4
                 label_smoothing=smoothing)
    assert len(one) == len(two) == 15
    assert max(abs(a - b) for a, b in zip(one, two, strict=True)) < TOLERANCE, (one, two)
    assert two[-1] < two[0] - 0.5  # and it learns
    status = read_status(store.existing("two"))
    assert status["processes"] == "2"
    # Only the lead writes the folder: no second run store or checkpoint writer.
    folder = store.existing("two")
    assert sorted(p.name for p in folder.glob("rank-*")) == ["rank-1.log"]
    assert not any(k in os.environ for k in ("RANK", "WORLD_SIZE"))  # alone again


def test_a_killed_rank_stops_the_run_and_it_resumes_alone(pattern_file, runs):
    runs.append("k")
    cli = subprocess.Popen(
        [sys.executable, "-m", "tui.cli.main", "train", str(pattern_file), "--name", "k",
         "--nproc", "2", "--steps", "1000000", "--checkpoint-minutes", "0.01", "--layers", "1",
         "--hidden", "32", "--dropout", "0", "--seq-len", "16", "--batch", "8", "--threads",
         "1", "--precision", "fp32"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    model_dir = store.model_path("k")
    deadline = time.monotonic() + 120
    while pointers.pointer(model_dir, "latest") is None if model_dir.exists() else True:
        assert cli.poll() is None and time.monotonic() < deadline, cli.stderr.read()
        time.sleep(0.2)
    follower = int(Path(f"/proc/{cli.pid}/task/{cli.pid}/children").read_text().split()[0])
    os.kill(follower, signal.SIGKILL)
    _, err = cli.communicate(timeout=60)
    assert cli.returncode == 1
    latest = pointers.pointer(model_dir, "latest")
    assert "because training process 2 of 2 ended (killed by signal 9)" in err, err
    assert f"its last checkpoint (step {latest['step']:,}) is kept" in err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("poetui: The run")
    assert time.time() - latest["time"] < 60
    stopped_at = int(err.split("stopped at step ")[1].split(" ")[0].replace(",", ""))
    assert latest["step"] <= stopped_at
    # Resumed by one process, from that checkpoint.
    target = latest["step"] + 5
    assert main(["train", "--resume", "--name", "k", "--nproc", "1", "--steps",
                 str(target)]) == 0
    assert store.summary("k").steps == target
    assert read_status(model_dir)["processes"] == "1"


def test_more_processes_than_rows_is_refused(pattern_file, capsys):
    assert main(["train", str(pattern_file), "--name", "wide", "--nproc", "9", "--batch",
                 "8", "--steps", "5"]) == 1
    err = capsys.readouterr().err
    assert "9 training processes need a batch of at least 9" in err
    assert not store.model_path("wide").exists()
