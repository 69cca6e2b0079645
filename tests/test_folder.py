"""One model folder, read in one place: its settings checked field by field, its run's state
read once, its pointers by the loader's rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import poetui

from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.folder import ModelFolder, RunState
from engine.storage.runstore import RunWriter
from engine.train.job import create_model
from engine.train.worker import run_training

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def model(pattern_file: Path) -> Path:
    """A real model, trained for a few steps through its worker's code path."""
    path = create_model(str(pattern_file), "ok", "tiny", steps=4)
    run_training(path)
    return path


@pytest.mark.parametrize("meta", [
    "[1]", '"text"', "null", "{}", '{"corpus": {"name": 3, "kind": "stream"}}',
    '{"corpus": {"name": "x", "kind": "poems"}, "model": {}, "train": {}}',
    '{"corpus": {"name": "x", "kind": "stream"}, "model": {"cell": "lstm", "layers": "2",'
    ' "hidden": 8, "vocab_size": 5}, "train": {}}',
    '{"corpus": {"name": "x", "kind": "stream"}, "model": {"cell": "lstm", "vocab_size": 5},'
    ' "train": {"batch": "many"}}',
])
def test_settings_of_the_wrong_shape_are_damaged_and_the_rest_stay_usable(model, meta):
    bad = model.parent / "bad"
    bad.mkdir()
    (bad / "model.json").write_text(meta, encoding="utf-8")
    listed = {m.name: m for m in store.list_models()}
    assert listed["ok"].state is RunState.DONE and listed["ok"].steps == 4
    damaged = listed["bad"]
    assert damaged.state is RunState.DAMAGED and not damaged.state.live
    assert "damaged" in damaged.message and "poetui models rm bad" in damaged.message
    with pytest.raises(PoetuiError, match="damaged"):
        ModelFolder(bad).train_config()


def test_the_command_line_lists_a_damaged_model_beside_the_healthy_ones(model):
    bad = model.parent / "bad"
    bad.mkdir()
    (bad / "model.json").write_text("[1]", encoding="utf-8")
    listing = poetui("models").stdout
    assert re.search(r"bad\s.*damaged", listing) and re.search(r"ok\s.*done", listing)
    assert json.loads(poetui("models", "list", "--json").stdout)[0]["state"] == "damaged"
    assert poetui("sample", "ok", "--length", "5").returncode == 0
    assert "damaged" in poetui("sample", "bad", check=False).stderr


def test_a_failed_run_reads_as_failed_with_its_sentence(model):
    writer = RunWriter(model)
    writer.set_status(state="error", message="The disk holding it is full; free some space.")
    writer.close()
    summary = store.summary("ok")
    assert summary.state is RunState.ERROR and summary.state.words == "failed"
    assert summary.message.startswith("The disk holding it is full")
    info = poetui("models", "info", "ok").stdout
    assert "failed" in info and "disk holding it is full" in info


def test_a_killed_run_reads_as_ended_and_a_new_model_as_new(model, pattern_file):
    RunWriter(model).set_status(state="training")  # and then the process vanished
    assert store.summary("ok").state is RunState.ENDED
    create_model(str(pattern_file), "fresh", "tiny")
    fresh = store.summary("fresh")
    assert fresh.state is RunState.NEW and fresh.steps == 0


def test_the_library_counts_steps_by_the_loaders_rule(model):
    """A damaged pointer stands in for the newest complete checkpoint, for the list as for the
    loader: the list never says 0 steps of a model that samples fine."""
    (model / "latest.json").write_text("{garbage", encoding="utf-8")
    assert store.summary("ok").steps == 4
    assert poetui("sample", "ok", "--length", "5").returncode == 0


def test_the_corpus_as_trained_reverses_pairs_once(tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("".join(f"w{i}\tv{i}\n" for i in range(60)), encoding="utf-8")
    path = create_model(str(pairs), "back", "translate", reverse=True, steps=1)
    folder = ModelFolder(path)
    assert folder.translates and folder.kind.reverse
    train, _ = folder.corpus_as_trained().split()
    assert all(src.startswith("v") and tgt.startswith("w") for src, tgt in train)


def test_no_module_but_the_folder_reads_model_json():
    """`model.json` is parsed in engine/storage/folder.py alone; a new reader is a property
    there, not a second parser."""
    # A read of it: a JSON reader given the settings file, on one line (as every reader that
    # the folder replaced was written).
    read = re.compile(r"(read_json|json\.loads?|read_text|read_bytes|open)\("
                      r".*(model\.json|\bMETA\b)")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for folder in ("engine", "tui", "corpora", "bench")
                 for p in (ROOT / folder).rglob("*.py") if p.name != "folder.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if read.search(line)]
    assert offenders == []
