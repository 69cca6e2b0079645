"""The `poetui` command end to end, as a user runs it (real processes, real files)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import assert_one_sentence, poetui


def test_help_is_fast_because_it_does_not_import_torch():
    code = ("import sys, tui.cli.main as c; c.build_parser().format_help();"
            "import engine, engine.storage.store; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
    assert "tiny" in poetui("train", "--help").stdout  # presets are listed


def test_train_sample_eval_models_on_the_builtin_corpus(tmp_path):
    lines = poetui("train", "--preset", "tiny", "--steps", "40", "--name", "docs",
                   "--json").stdout.splitlines()
    events = [json.loads(line) for line in lines]
    summary = events[-1]
    assert summary["kind"] == "done"
    assert summary["model"] == "docs" and summary["steps"] == 40
    assert summary["val_loss"] < 3.5 and summary["tokens_per_second"] > 0
    assert {"step", "eval", "sample", "checkpoint"} <= {e["kind"] for e in events}

    text = poetui("sample", "docs", "--prime", "The ", "--length", "60", "--seed", "3").stdout
    assert text.startswith("The ") and len(text) >= 60
    again = poetui("sample", "docs", "--prime", "The ", "--length", "60", "--seed", "3").stdout
    assert again == text

    other = tmp_path / "other.txt"
    other.write_text("def function(argument):\n    return argument\n" * 50)
    report = json.loads(poetui("eval", "docs", str(other), "--json").stdout)
    assert report["tokens"] == len(other.read_text()) - 1  # every token after the first
    assert abs(report["total_loss"] - report["loss"] * report["tokens"]) < 1e-6
    assert report["bits_per_token"] == pytest.approx(report["loss"] / 0.6931471805599453)
    assert 1 < report["perplexity"] < 100 and report["oov"] == 0

    listed = json.loads(poetui("models", "--json").stdout)
    assert [m["name"] for m in listed] == ["docs"] and listed[0]["steps"] == 40
    assert "docs" in poetui("models", "info", "docs").stdout
    poetui("models", "rename", "docs", "prose")
    poetui("models", "rm", "prose", "--yes")  # not a terminal: deleting needs --yes
    assert "No models yet" in poetui("models").stdout


def test_resume_from_the_command_line(pattern_file):
    poetui("train", str(pattern_file), "--preset", "tiny", "--steps", "20", "--name", "r")
    out = poetui("train", "--name", "r", "--resume", "--steps", "30", "--json").stdout
    steps = [json.loads(line) for line in out.splitlines()]
    assert [e["step"] for e in steps if e["kind"] == "step"] == list(range(21, 31))


def test_records_model_samples_a_list(names_file):
    poetui("train", str(names_file), "--preset", "tiny", "--steps", "150", "--name", "n",
           "--lr", "0.02")
    out = poetui("sample", "n", "--count", "5", "--seed", "1").stdout
    assert len(out.splitlines()) == 5
    assert len(set(out.splitlines())) > 1  # one item repeated five times is not a list
    assert poetui("sample", "n", "--count", "5", "--seed", "1").stdout == out
    # A records model reads line breaks as record boundaries, not as unknown characters.
    report = json.loads(poetui("eval", "n", str(names_file), "--json").stdout)
    assert report["oov"] == 0 and report["tokens"] > 0


def test_corpus_commands(names_file):
    assert "python-docs" in poetui("corpus").stdout
    info = poetui("corpus", "info", str(names_file)).stdout
    assert "records" in info and "200" in info


@pytest.mark.parametrize("content, phrase", [
    (b"", "is empty"),
    (b"\x00\x01\x02\x03ELF", "binary"),
    (b"caf\xe9 cr\xe8me", "not UTF-8"),
])
def test_bad_corpus_files(tmp_path, content, phrase):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    assert_one_sentence(poetui("train", str(bad), check=False), phrase)


def test_unknown_model_and_bad_name():
    assert_one_sentence(poetui("sample", "ghost", check=False), "no model named 'ghost'")
    assert_one_sentence(poetui("sample", "../../etc", check=False), "not a valid model name")
    assert_one_sentence(poetui("train", "shakespear", check=False), "No corpus or file")


def test_corrupt_checkpoint_is_named_and_nothing_else_is_touched(pattern_file, poetui_home):
    poetui("train", str(pattern_file), "--preset", "tiny", "--steps", "10", "--name", "c")
    poetui("train", str(pattern_file), "--preset", "tiny", "--steps", "10", "--name", "ok")
    folder = poetui_home / "models" / "c"
    for weights in folder.glob("ckpt/*/weights.safetensors"):
        weights.write_bytes(b"\x00garbage" * 10)
    before = {p: p.read_bytes() for p in (poetui_home / "models").rglob("*") if p.is_file()
              and p.suffix != ".db" and "wal" not in p.name and "shm" not in p.name}
    assert_one_sentence(poetui("sample", "c", check=False), "damaged")
    assert_one_sentence(poetui("train", "--name", "c", "--resume", "--steps", "20",
                               check=False), "damaged")
    assert poetui("sample", "ok", "--length", "5").returncode == 0
    after = {p: p.read_bytes() for p in before}
    changed = {p.name for p in before if before[p] != after[p]}
    assert changed <= {"model.json", "run.lock"}


def test_configs_and_model_creation_import_no_torch():
    code = ("import sys, engine.config, engine.train.job, engine.kinds, engine.corpus,"
            " engine.train.estimate;"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_only_the_kind_seam_compares_corpus_kinds():
    """What a stream, records or pairs corpus means lives in engine/kinds.py alone."""
    root = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"""(==|!=|\bin)\s*\(?["'](stream|records|pairs)["']""")
    offenders = [str(p.relative_to(root)) for folder in ("engine", "tui", "corpora")
                 for p in (root / folder).rglob("*.py")
                 if p.name != "kinds.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_engine_never_imports_textual():
    root = Path(__file__).resolve().parents[1] / "engine"
    offenders = [p.name for p in root.rglob("*.py")
                 if "import textual" in p.read_text() or "from textual" in p.read_text()]
    assert offenders == []


def test_version_info_and_suggestions(pattern_file):
    assert poetui("--version").stdout.startswith("poetui ")
    poetui("train", str(pattern_file), "--preset", "tiny", "--steps", "5", "--name", "docs")
    info = poetui("models", "info", "docs").stdout
    assert "best val loss" in info and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", info)
    assert not re.search(r"\d\.\d{5,}", info) and "{" not in info  # no raw floats or dicts
    assert json.loads(poetui("models", "info", "docs", "--json").stdout)["name"] == "docs"
    assert_one_sentence(poetui("sample", "dcos", check=False), "did you mean 'docs'?")
    assert_one_sentence(poetui("train", "python-doc", check=False),
                        "did you mean 'python-docs'?")
