"""Issue 17, a hostile run of the CLI: absurd beams and budgets, sentences that named the wrong
setting, a log that a SIGHUP left empty, quiet no-ops and a delete nobody confirmed. Real
commands in their own processes, real signals, a real terminal (a pseudo-terminal) where one is
needed."""

from __future__ import annotations

import itertools
import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import POETUI, assert_one_sentence, wait_until

from engine.nn.threads import usable_cores
from engine.storage import checkpoint
from engine.storage.runstore import RunReader, read_status
from engine.train import job
from engine.train.assemble import open_trainer

pytestmark = pytest.mark.timeout(240)

REFUSED_WITHIN = 60  # seconds: a refusal comes at once; before these fixes some ran for ever


def cli(*args: str, timeout: float = REFUSED_WITHIN, **kwargs) -> subprocess.CompletedProcess:
    """`poetui` in its own process with a shorter limit than helpers.poetui: a command that
    should be refused at once fails the test quickly when it runs on instead."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([POETUI, *args], capture_output=True, text=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)


def no_models(home: Path) -> bool:
    models = home / "models"
    return not models.exists() or not list(models.iterdir())


@pytest.fixture
def stream_model(pattern_file) -> str:
    """A tiny character model, trained for a few steps in this process (no CLI start-up)."""
    model_dir = job.create_model(str(pattern_file), name="m", preset="tiny", steps=3)
    open_trainer(model_dir).run(lambda e: None)
    return "m"


@pytest.fixture
def pairs(tmp_path) -> tuple[str, Path]:
    """A tiny translation model (words and their reversal) and a held-out file for `eval`."""
    # Distinct sources (a phrase book repeating its words reads as pairs too: test_classify).
    words = ["".join(p) for p in itertools.permutations("abcdef", 3)]
    corpus = tmp_path / "pairs.txt"
    corpus.write_text("".join(f"{w}\t{w[::-1]}\n" for w in words), encoding="utf-8")
    held = tmp_path / "held.txt"
    held.write_text("abc\tcba\nfed\tdef\n", encoding="utf-8")
    model_dir = job.create_model(str(corpus), name="r", steps=3, hidden=16, embed=8, batch=8)
    open_trainer(model_dir).run(lambda e: None)
    return "r", held


# -- 3. a beam beyond any use ----------------------------------------------------------------


def test_a_beam_above_the_limit_is_refused_at_once_in_translate_and_eval(pairs):
    name, held = pairs
    for args in (("translate", name, "I see.", "--beam", "1000000"),
                 ("translate", name, "abc", "--n-best", "1000000"),
                 ("eval", name, str(held), "--beam", "1000000")):
        started = time.monotonic()
        result = cli(*args)
        assert_one_sentence(result, "from 1 to 64" if "--beam" in args else "1 to 64")
        assert time.monotonic() - started < 30, args
    for command in ("translate", "eval"):  # the limit is stated where the option is
        assert "1 to 64" in " ".join(cli(command, "--help").stdout.split())
    assert cli("translate", name, "abc", "--beam", "64", "--n-best", "2").returncode == 0


# -- 4. budgets beyond any machine -----------------------------------------------------------


@pytest.mark.parametrize("args, phrase", [
    (["--steps", "99999999999999999999999"], "The steps budget can be at most 1,000,000,000"),
    (["--steps", "1" + "0" * 400], "The steps budget can be at most"),
    (["--epochs", "1e12"], "The epochs budget can be at most 1,000,000 epochs"),
    (["--minutes", "1e12"], "The minutes budget can be at most 525,600 minutes"),
    (["--eval-every", "-1"], "The evaluation interval is a whole number of steps"),
    (["--sample-every", "-1"], "The sample interval is a whole number of steps"),
    (["--min-freq", "-1"], "The minimum word frequency"),
    (["--min-freq", "0", "--level", "word"], "The minimum word frequency"),
])
def test_budgets_and_intervals_beyond_sense_are_refused_before_anything_is_made(
        args, phrase, pattern_file, poetui_home):
    result = cli("train", str(pattern_file), "--preset", "tiny", "--name", "x", *args)
    assert_one_sentence(result, phrase)
    assert "--" not in result.stderr  # the setting in words: the app shows these sentences too
    assert no_models(poetui_home)


def test_a_resume_with_an_absurd_budget_changes_nothing(stream_model, poetui_home):
    meta = poetui_home / "models" / stream_model / "model.json"
    before = meta.read_bytes()
    result = cli("train", "--name", stream_model, "--resume", "--steps", "9" * 23)
    assert_one_sentence(result, "The steps budget can be at most")
    assert meta.read_bytes() == before


def test_more_threads_than_cores_are_capped_with_a_notice(pattern_file, poetui_home):
    cores = usable_cores()
    result = cli("train", str(pattern_file), "--preset", "tiny", "--name", "t", "--steps", "1",
                 "--threads", "1000", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    notice = f"Only {cores} CPU core{'s' if cores > 1 else ''} can be used here"
    assert notice in result.stderr and "not 1,000" in result.stderr
    assert read_status(poetui_home / "models" / "t")["threads"] == str(cores)
    assert json.loads(result.stdout.splitlines()[-1])["kind"] == "done"


# -- 7. each sentence names the setting that is wrong ----------------------------------------


@pytest.mark.parametrize("args, phrase", [
    (["--embed", "-1"], "the embedding size must be a whole number of 0 or more"),
    (["--layers", "0"], "the number of layers must be a whole number of at least 1"),
    (["--hidden", "-5"], "the hidden size must be a whole number of at least 1"),
    (["--dropout", "1.5"], "the dropout must be at least 0 and below 1"),
])
def test_a_bad_model_size_names_that_setting(args, phrase, pattern_file, poetui_home):
    result = cli("train", str(pattern_file), "--preset", "tiny", *args)
    assert_one_sentence(result, phrase)
    assert "layers and hidden" not in result.stderr
    assert no_models(poetui_home)


def test_a_bad_temperature_names_what_is_allowed(stream_model):
    for value in ("inf", "-1", "nan"):
        assert_one_sentence(cli("sample", stream_model, "--temperature", value),
                            f"the temperature must be a finite number above 0, such as 0.8 "
                            f"(not {float(value)})")


# -- 9. what was printed before a SIGHUP is in the log ---------------------------------------


def test_a_hang_up_keeps_what_was_printed_to_a_log_file(pattern_file, poetui_home, tmp_path):
    log = tmp_path / "train.log"
    model_dir = poetui_home / "models" / "h"
    with open(log, "wb") as out:  # stdout and stderr a file, as `> train.log 2>&1` makes them
        process = subprocess.Popen(
            [POETUI, "train", str(pattern_file), "--preset", "tiny", "--name", "h",
             "--steps", "1000000", "--checkpoint-minutes", "100"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        reader, rows = RunReader(model_dir), []
        wait_until(lambda: model_dir.exists() and (rows.extend(reader.poll().steps) or
                                                   len(rows) > 20), 60, "steps")
        printed = wait_until(lambda: "step " in log.read_text(encoding="utf-8")
                             and log.read_text(encoding="utf-8"), 30, "a line in the log")
        process.send_signal(signal.SIGHUP)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    after = log.read_text(encoding="utf-8")
    assert after.startswith(printed) and "h · " in printed and "loss" in printed
    assert "Traceback" not in after
    last = max(row["step"] for row in RunReader(model_dir).poll().steps)
    assert checkpoint.pointer(model_dir, "latest")["step"] == last  # the model is saved


# -- 12. no quiet no-ops; no delete without a yes ----------------------------------------------


def test_nothing_to_write_is_refused(stream_model):
    assert_one_sentence(cli("sample", stream_model, "--length", "0"),
                        "the length must be at least 1 token")
    assert_one_sentence(cli("sample", stream_model, "--count", "0"),
                        "--count is how many samples to write: give 1 or more")


def test_a_beam_of_zero_is_refused_and_no_beam_is_greedy(pairs):
    name, held = pairs
    assert_one_sentence(cli("translate", name, "abc", "--beam", "0"),
                        "a width of 1 is greedy decoding")
    assert_one_sentence(cli("eval", name, str(held), "--beam", "0"),
                        "a width of 1 is greedy decoding")
    assert "(greedy)" in cli("eval", name, str(held)).stdout


def test_rm_without_a_terminal_needs_yes(stream_model, poetui_home):
    model_dir = poetui_home / "models" / stream_model
    assert_one_sentence(cli("models", "rm", stream_model), f"models rm {stream_model} --yes")
    assert (model_dir / "model.json").is_file()
    assert cli("models", "rm", stream_model, "--yes").returncode == 0
    assert not model_dir.exists()
    assert_one_sentence(cli("models", "rm", "nosuch", "--yes"), "no model named 'nosuch'")


@pytest.mark.parametrize("answer, kept", [(b"n\n", True), (b"\n", True), (b"y\n", False)])
def test_rm_on_a_terminal_asks_first(answer, kept, stream_model, poetui_home):
    model_dir = poetui_home / "models" / stream_model
    main, terminal = pty.openpty()
    try:
        process = subprocess.Popen([POETUI, "models", "rm", stream_model], stdin=terminal,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(terminal)
        os.write(main, answer)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(main)
    assert b"This cannot be undone. [y/N]" in err
    assert model_dir.exists() is kept
    assert (process.returncode != 0) is kept
    if kept:
        assert b"Nothing was deleted" in err and b"Traceback" not in err
