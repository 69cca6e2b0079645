"""Nothing lost, nothing executed, never a crash: damaged files, divergence, signals, kills,
a full disk, impossible sizes and numbers, done for real (real processes, real signals, a real
full filesystem). docs/reliability.md lists what is tried here."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import POETUI, assert_ends_with_sentence, assert_one_sentence, poetui, wait_until
from safetensors.torch import load_file

from engine.loading import load_model
from engine.storage import checkpoint, store
from engine.storage.runlock import is_locked, lock_owner
from engine.storage.runstore import RunReader, read_status, send_command
from engine.train import job
from engine.train.assemble import open_trainer
from engine.train.worker import spawn

pytestmark = pytest.mark.timeout(240)


def tiny(pattern_file: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    return poetui("train", str(pattern_file), "--preset", "tiny", "--name", name, *extra)


def folders(model_dir: Path) -> set[str]:
    return {p.name for p in (model_dir / "ckpt").iterdir()}


# -- 1. an unreadable pointer never means "never trained" ----------------------------------


def test_a_damaged_latest_pointer_resumes_from_the_newest_checkpoint(pattern_file, poetui_home):
    tiny(pattern_file, "m", "--steps", "15", "--eval-every", "5")
    model_dir = poetui_home / "models" / "m"
    before = folders(model_dir)
    (model_dir / "latest.json").write_text('{"dir": "step-0000015')
    out = poetui("train", "--name", "m", "--resume", "--steps", "20", "--json").stdout
    steps = [json.loads(line)["step"] for line in out.splitlines() if '"kind": "step"' in line]
    assert steps == [16, 17, 18, 19, 20]  # from step 15, not from 0
    history = [row["step"] for row in RunReader(model_dir).poll().steps]
    assert history == list(range(1, 21))  # the history before the damage is kept
    assert checkpoint.pointer(model_dir, "latest")["step"] == 20  # repaired
    assert before  # what it resumed from existed, and nothing was pruned blindly


def test_pointers_with_nothing_behind_them_are_refused_and_kept(pattern_file, poetui_home):
    tiny(pattern_file, "n", "--steps", "5")
    model_dir = poetui_home / "models" / "n"
    for weights in model_dir.glob("ckpt/*/trainer.pt"):
        weights.unlink()  # no complete checkpoint is left
    (model_dir / "latest.json").write_text("{garbage")
    result = poetui("train", "--name", "n", "--resume", "--steps", "10", check=False)
    assert_one_sentence(result, "damaged")
    assert (model_dir / "latest.json").read_text() == "{garbage"
    assert list(model_dir.glob("ckpt/step-*"))


# -- 2. divergence ---------------------------------------------------------------------------


def test_divergence_never_saves_bad_weights(pattern_file, poetui_home):
    for lr in ("1e30", "1e6"):  # NaN weights at once; a finite but absurd loss
        result = poetui("train", str(pattern_file), "--preset", "tiny", "--name", f"d{lr}",
                        "--lr", lr, "--eval-every", "1", "--steps", "40", check=False)
        assert_ends_with_sentence(result, "diverged")
        model_dir = poetui_home / "models" / f"d{lr}"
        for weights in model_dir.glob("ckpt/*/weights.safetensors"):
            assert all(torch.isfinite(t).all() for t in load_file(weights).values())
        assert checkpoint.pointer(model_dir, "best") is None


def test_a_diverged_run_goes_back_and_goes_on_with_a_lower_rate(pattern_file):
    model_dir = job.create_model(str(pattern_file), name="r", layers=1, hidden=24, seq_len=16,
                                 batch=4, steps=60, eval_every=20, lr=1e-2, warmup=0)
    trainer = open_trainer(model_dir)
    events = []

    def spike(event) -> None:  # the learning rate explodes right after the first checkpoint
        events.append(event)
        if event.kind == "checkpoint" and event.step == 20 and trainer.rewinds == 0:
            trainer.lr_scale = 1e9

    done = trainer.run(spike)
    rewinds = [e for e in events if e.kind == "rewind"]
    assert rewinds and rewinds[0].step == 20
    assert done.reason == "budget" and done.steps == 60 and done.val_loss < 2.0
    assert trainer.lr_scale == 0.5
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


# -- 3. signals ------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_polite_signals_stop_after_a_checkpoint(pattern_file, poetui_home, signum):
    name = f"s{signum}"
    process = subprocess.Popen(
        [POETUI, "train", str(pattern_file), "--preset", "tiny", "--name", name,
         "--steps", "1000000", "--eval-every", "1000000000", "--checkpoint-minutes", "100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
    model_dir = poetui_home / "models" / name
    reader = RunReader(model_dir)
    rows: list[dict] = []
    wait_until(lambda: model_dir.exists() and (rows.extend(reader.poll().steps) or
                                               len(rows) > 50), 60, "steps")
    process.send_signal(signum)
    assert process.wait(timeout=30) == 0
    last = max(row["step"] for row in RunReader(model_dir).poll().steps)
    assert checkpoint.pointer(model_dir, "latest")["step"] == last  # nothing lost
    assert read_status(model_dir)["state"] == "stopped"


# -- 4. checkpoints at least every interval --------------------------------------------------


def test_random_kills_lose_at_most_the_checkpoint_interval(pattern_file, runs):
    interval = 0.02  # minutes: 1.2 s
    model_dir = job.create_model(str(pattern_file), name="k", preset="tiny", steps=10**7,
                                 eval_every=10**9, checkpoint_minutes=interval)
    runs.append("k")
    rng = random.Random(7)
    worst = 0.0
    for _ in range(3):
        pid = spawn("k")
        wait_until(lambda: RunReader(model_dir).poll().steps, 60, "steps")
        time.sleep(rng.uniform(0.5, 3.0))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        done = max(row["elapsed"] for row in RunReader(model_dir).poll().steps)
        saved = json.loads((checkpoint.folder(model_dir, "latest") / "state.json").read_text())
        worst = max(worst, done - saved["wall"])
    # What a kill lost is at most the interval, plus a step and the run store's half second.
    print(f"worst loss over 3 random kills: {worst:.2f} s (checkpoints every {interval * 60} s)")
    assert worst <= interval * 60 + 1.0, worst


# -- 5, 6, 7: resume, create, detach ---------------------------------------------------------


def test_a_refused_resume_changes_nothing(pattern_file, poetui_home, runs):
    tiny(pattern_file, "busy", "--steps", "5")
    meta = poetui_home / "models" / "busy" / "model.json"
    assert_one_sentence(poetui("train", "--name", "busy", "--resume", "--lr", "nan",
                               check=False), "Learning rate")
    before = meta.read_bytes()
    assert "Watch it with" in poetui("train", "--name", "busy", "--resume", "--steps",
                                     "1000000", "--detach").stdout
    runs.append("busy")
    # The detached resume writes its new budget once its worker holds the lock…
    wait_until(lambda: is_locked(meta.parent) and meta.read_bytes() != before, 60,
               "the detached run to take its new budget")
    during = meta.read_bytes()
    result = poetui("train", "--name", "busy", "--resume", "--steps", "5", "--lr", "0.5",
                    check=False)
    assert_one_sentence(result, "already training")
    assert meta.read_bytes() == during  # …and the refused one wrote nothing
    send_command(meta.parent, "stop")
    wait_until(lambda: not is_locked(meta.parent), 60, "the run to stop")


def test_two_creates_of_one_name_make_one_model(pattern_file, poetui_home):
    command = [POETUI, "train", str(pattern_file), "--preset", "tiny", "--steps", "1",
               "--name", "twin"]
    both = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in both]
    assert sorted(rc for rc, _ in results) == [0, 1]
    assert "already" in next(err for rc, err in results if rc)
    assert [m.name for m in store.list_models()] == ["twin"]
    assert not [p for p in (poetui_home / "models").iterdir() if p.name.startswith(".")]


# -- 8. a full disk --------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A real filesystem of 1.5 MB: a tmpfs where the machine lets us mount one."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(mount)],
                          capture_output=True).returncode == 0
    if not made:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def test_a_full_disk_is_one_sentence_and_keeps_the_last_checkpoint(pattern_file, small_disk):
    env = {**os.environ, "POETUI_HOME": str(small_disk), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [POETUI, "train", str(pattern_file), "--preset", "tiny", "--name", "full",
         "--steps", "1000000", "--eval-every", "20"],
        capture_output=True, text=True, env=env, timeout=200)
    assert_ends_with_sentence(result, "is full")
    model_dir = small_disk / "models" / "full"
    assert not list(model_dir.glob("ckpt/.*"))  # no half-written checkpoint folder is left
    sample = subprocess.run([POETUI, "sample", "full", "--length", "5"], capture_output=True,
                            text=True, env=env)
    assert sample.returncode == 0, sample.stderr  # the last complete checkpoint still works


def test_a_read_only_home_is_one_sentence(pattern_file, tmp_path):
    home = tmp_path / "ro"
    home.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(home)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    try:
        result = subprocess.run([POETUI, "train", str(pattern_file), "--preset", "tiny"],
                                capture_output=True, text=True,
                                env={**os.environ, "POETUI_HOME": str(home)})
        assert_one_sentence(result, "cannot be written")
    finally:
        subprocess.run(["umount", "-l", str(home)])


# -- 9, 10, 12, 14: sizes, numbers, text, names ----------------------------------------------


@pytest.mark.parametrize("args, phrase", [
    (["--hidden", "100000", "--layers", "8"], "GB"),
    (["--layers", "1000000000"], "GB"),
    (["--minutes", "-1"], "above 0"), (["--minutes", "nan"], "above 0"),
    (["--steps", "-1"], "above 0"), (["--steps", "0"], "above 0"),
    (["--minutes", "0"], "above 0"), (["--seed", str(2**64)], "seed"),
    (["--lr", "inf"], "Learning rate"), (["--name", ""], "not a valid model name"),
    (["--name", "abc\n"], "not a valid model name"),
])
def test_impossible_settings_are_refused_at_once(args, phrase, poetui_home):
    started = time.monotonic()
    assert_one_sentence(poetui("train", "--preset", "tiny", *args, check=False), phrase)
    assert time.monotonic() - started < 60  # refused, not attempted
    assert not (poetui_home / "models").exists() or not list((poetui_home / "models").iterdir())


def test_bad_sampling_input_is_one_sentence(pattern_file):
    tiny(pattern_file, "t", "--steps", "5")
    bad = os.fsencode("caf") + b"\xe9"
    result = subprocess.run([os.fsencode(POETUI), b"sample", b"t", b"--prime", bad],
                            capture_output=True, text=True)
    assert_one_sentence(result, "not valid UTF-8")
    assert_one_sentence(poetui("sample", "t", "--temperature", "nan", check=False),
                        "temperature")
    assert_one_sentence(poetui("sample", "t", "--seed", str(2**64), check=False), "seed")


def test_damaged_files_on_resume_are_one_sentence_each(pattern_file, poetui_home):
    tiny(pattern_file, "v", "--steps", "5")
    tiny(pattern_file, "db", "--steps", "5")
    (poetui_home / "models" / "v" / "vocab.json").write_text("{not json")
    assert_one_sentence(poetui("train", "--name", "v", "--resume", "--steps", "9",
                               check=False), "damaged")
    db = poetui_home / "models" / "db" / "run.db"
    for extra in db.parent.glob("run.db-*"):
        extra.unlink()
    db.write_bytes(b"this is not a database" * 100)
    assert_one_sentence(poetui("train", "--name", "db", "--resume", "--steps", "9",
                               check=False), "history")
    assert db.read_bytes().startswith(b"this is not")  # left for the user to move aside


# -- 13, 15: loading beside pruning; a damaged model.json ------------------------------------


def test_loading_never_races_pruning(pattern_file, runs):
    job.create_model(str(pattern_file), name="p", preset="tiny", steps=10**7, eval_every=3)
    runs.append("p")
    pid = spawn("p")
    model_dir = store.existing("p")
    wait_until(lambda: checkpoint.pointer(model_dir, "latest"), 60, "a checkpoint")
    loads = 0
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        load_model("p", "latest")  # raises the "damaged" sentence if it races
        loads += 1
    assert loads > 20 and lock_owner(model_dir) == pid


def test_a_damaged_model_json_is_listed_as_damaged(pattern_file, poetui_home):
    tiny(pattern_file, "ok", "--steps", "3")
    tiny(pattern_file, "bad", "--steps", "3")
    (poetui_home / "models" / "bad" / "model.json").write_text("{")
    listing = poetui("models").stdout
    assert "bad" in listing and "damaged" in listing and "ok" in listing


def test_a_true_bug_still_leaves_a_log(poetui_home):
    """The crash path is for true bugs: a log lands somewhere even when the data dir is gone."""
    code = ("import sys; from tui.cli import main as cli;"
            "cli.cmd_models = None; sys.exit(cli.main(['models']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2 and "unexpected error" in result.stderr
    assert "details are in" in result.stderr


def test_an_app_crash_is_one_sentence_and_a_log(poetui_home):
    """A bug inside the app: a non-zero exit and one sentence naming the log, never a
    traceback over the user's terminal."""
    code = ("import sys; from textual.app import App; import tui.app as a;"
            "from tui.screens.library import LibraryScreen;"
            "LibraryScreen.on_mount = lambda self: 1 / 0;"
            "a.PoetuiApp.run = lambda self: App.run(self, headless=True);"
            "sys.exit(a.run_app())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("poetui: ") and result.stderr.count("\n") == 1
    assert "crash.log" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "ZeroDivisionError" not in result.stderr
    assert "ZeroDivisionError" in (poetui_home / "crash.log").read_text(encoding="utf-8")
