"""Hostile data on disk and in files (issue 17): pointers deleted by hand, tab files with no
targets, an archive that is not the one its card describes. Each is refused in one sentence,
or recovered from, and nothing that was there before is lost."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import POETUI, assert_one_sentence, poetui, wait_until

from corpora import find_card
from engine.corpus import load_corpus
from engine.data import cache
from engine.errors import PoetuiError
from engine.kinds import guess
from engine.storage import store
from engine.storage.pointers import pointer
from engine.storage.runstore import RunReader
from engine.train.job import create_model

pytestmark = pytest.mark.timeout(240)


def folders(model_dir: Path) -> set[str]:
    return {p.name for p in (model_dir / "ckpt").iterdir()}


# -- 5. both pointers deleted, the checkpoints whole -------------------------------------------


@pytest.fixture
def pointerless(pattern_file, poetui_home) -> tuple[Path, dict, dict]:
    """A trained model whose latest.json and best.json were deleted: (its folder, what latest
    and best said before)."""
    poetui("train", str(pattern_file), "--preset", "tiny", "--name", "m", "--steps", "10",
           "--eval-every", "5")
    model_dir = poetui_home / "models" / "m"
    latest = json.loads((model_dir / "latest.json").read_text())
    best = json.loads((model_dir / "best.json").read_text())
    (model_dir / "latest.json").unlink()
    (model_dir / "best.json").unlink()
    return model_dir, latest, best


def test_deleted_pointers_stand_in_for_the_checkpoints_left(pointerless):
    model_dir, latest, best = pointerless
    assert pointer(model_dir, "latest")["dir"] == latest["dir"]
    assert pointer(model_dir, "best")["dir"] == best["dir"]
    summary = store.summary("m")
    assert summary.steps == 10 and summary.best_val_loss == pytest.approx(best["val_loss"])
    assert poetui("sample", "m", "--length", "5").returncode == 0
    assert "10" in poetui("models").stdout


def test_a_model_with_deleted_pointers_resumes_from_its_newest_checkpoint(pointerless):
    model_dir, _, _ = pointerless
    out = poetui("train", "--name", "m", "--resume", "--steps", "12", "--json").stdout
    steps = [json.loads(line)["step"] for line in out.splitlines() if '"kind": "step"' in line]
    assert steps == [11, 12]  # from step 10, not from 0
    assert [row["step"] for row in RunReader(model_dir).poll().steps] == list(range(1, 13))
    assert json.loads((model_dir / "latest.json").read_text())["step"] == 12


def test_pruning_keeps_what_stands_in_for_a_deleted_best(pointerless):
    """A stopped run saves only `latest`; the best checkpoint, named by no file, must survive
    the pruning that follows, and best.json is written again to name it."""
    model_dir, _, best = pointerless
    process = subprocess.Popen(
        [POETUI, "train", "--name", "m", "--resume", "--steps", "1000000",
         "--eval-every", "1000000000", "--checkpoint-minutes", "100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
    reader = RunReader(model_dir)
    rows: list[dict] = []
    try:
        wait_until(lambda: rows.extend(reader.poll().steps) or
                   any(r["step"] > best["step"] + 3 for r in rows), 60, "steps")
    finally:
        process.terminate()  # a stop: checkpoint latest and go, no evaluation
        assert process.wait(timeout=30) == 0
    latest = json.loads((model_dir / "latest.json").read_text())
    assert latest["step"] > best["step"]
    assert json.loads((model_dir / "best.json").read_text())["dir"] == best["dir"]
    assert folders(model_dir) == {latest["dir"], best["dir"]}
    assert poetui("sample", "m", "--length", "5").returncode == 0


def test_a_model_that_never_saved_still_has_no_weights(pattern_file, poetui_home):
    model_dir = create_model(str(pattern_file), "fresh", "tiny")
    half = model_dir / "ckpt" / "step-00000001"  # a save that never finished
    half.mkdir(parents=True)
    (half / "state.json").write_text('{"step": 1}')
    assert pointer(model_dir, "latest") is None and pointer(model_dir, "best") is None
    assert store.summary("fresh").steps == 0
    result = poetui("sample", "fresh", "--length", "5", check=False)
    assert_one_sentence(result, "has no saved weights yet; train it first")
    assert half.is_dir()


# -- 6. tab files without targets --------------------------------------------------------------


@pytest.mark.parametrize("text", ["".join(f"hello{i}\t\n" for i in range(40)),
                                  "just one line that ends in a tab\t",
                                  "".join(f"\tno source {i}\r\n" for i in range(40))],
                         ids=["every-line", "one-line", "no-source-crlf"])
@pytest.mark.parametrize("kind", [None, "pairs"])
def test_a_tab_file_without_targets_is_refused_as_pairs(tmp_path, poetui_home, text, kind):
    path = tmp_path / "tabs.txt"
    path.write_text(text, encoding="utf-8")
    assert guess(text).name == "pairs"
    result = poetui("train", str(path), "--preset", "tiny", "--name", "t", "--steps", "2",
                    *(["--kind", kind] if kind else []), check=False)
    assert_one_sentence(result, f"no `source<TAB>target` lines in {path}")
    assert not (poetui_home / "models" / "t").exists()


def test_plain_text_as_pairs_names_the_shape_it_lacks(pattern_file, poetui_home):
    result = poetui("corpus", "info", str(pattern_file), "--kind", "pairs", check=False)
    assert_one_sentence(result, f"no `source<TAB>target` lines in {pattern_file}")


def test_a_split_folder_names_its_part_without_targets(tmp_path):
    (tmp_path / "train.txt").write_text("".join(f"w{i}\tv{i}\n" for i in range(30)))
    (tmp_path / "valid.txt").write_text("".join(f"w{i}\t\n" for i in range(5)))
    with pytest.raises(PoetuiError, match="no `source<TAB>target` lines in .*valid.txt"):
        load_corpus(str(tmp_path))


def test_a_one_pair_file_trains_as_pairs(tmp_path, poetui_home):
    """One line with a tab is a pair too, and a corpus of one pair (none held out to score)
    trains rather than crashing in its quality figures."""
    path = tmp_path / "one.txt"
    path.write_text("hello\tbonjour\n", encoding="utf-8")
    result = poetui("train", str(path), "--preset", "tiny", "--name", "one", "--steps", "2",
                    check=False)
    assert result.returncode == 0, result.stderr
    assert store.summary("one").translates


# -- 11. an archive that is not the card's ------------------------------------------------------


def zip_of(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


PAIRS = "Go.\tVa !\tCC-BY 2.0 (France)\nHi.\tSalut !\tCC-BY 2.0 (France)\n"


@pytest.mark.parametrize("member", ["../../../../tmp/x.txt", "../../../escaped.txt",
                                    "fra-eng/fra.txt", "eng.txt"])
def test_an_archive_without_the_anki_file_is_refused(tmp_path, poetui_home, member):
    archive = zip_of(tmp_path / "some.zip", {member: PAIRS})
    result = poetui("corpus", "add", str(archive), "--as", "fra-eng", check=False)
    assert_one_sentence(result, "is not the Anki archive fra-eng.zip: it does not hold one "
                                "fra.txt at its top level")
    card = find_card("fra-eng")
    assert cache.state(card) == "to download"
    assert not list(tmp_path.rglob("escaped.txt"))  # members are read in memory only


def test_a_refused_archive_leaves_the_corpus_added_before(tmp_path, poetui_home):
    good = zip_of(tmp_path / "fra-eng.zip", {"_about.txt": "about", "fra.txt": PAIRS})
    poetui("corpus", "add", str(good), "--as", "fra-eng")
    card = find_card("fra-eng")
    text = cache.corpus_file(card, "text").read_text(encoding="utf-8")
    assert text == "Go.\tVa !\nHi.\tSalut !\n"
    original = (cache.folder(card) / "text.original.zip").read_bytes()
    (tmp_path / "bad").mkdir()
    bad = zip_of(tmp_path / "bad" / "fra-eng.zip", {"../../../../tmp/x.txt": PAIRS})
    result = poetui("corpus", "add", str(bad), "--as", "fra-eng", check=False)
    assert_one_sentence(result, "fra.txt")
    assert cache.corpus_file(card, "text").read_text(encoding="utf-8") == text
    assert (cache.folder(card) / "text.original.zip").read_bytes() == original
    assert cache.state(card) == "added"
