"""A pairs corpus splits by source sentence: every pair of one (normalised) source sentence lands
on the same side, so held-out figures measure translation of sentences never trained on. A model
made before the rule was recorded keeps the random split it was trained on."""

from __future__ import annotations

import json
import random

import pytest

from engine.corpus import load_corpus
from engine.kinds import _seeded_split, normalised
from engine.storage.folder import ModelFolder
from engine.train import job
from engine.train.assemble import open_trainer


def _sources(pairs) -> set[str]:
    return {normalised(source) for source, _ in pairs}


@pytest.fixture
def repeats_file(tmp_path):
    """Made-up pairs in the Tatoeba shape: 60 source sentences, each with one to four
    translations, some written with another case or end mark ("Go." / "go!")."""
    rng = random.Random(3)
    lines = []
    for i in range(60):
        source = f"Sentence {i} goes here."
        for j in range(rng.randint(1, 4)):
            shown = source if j % 2 == 0 else source.lower().replace(".", "!")
            lines.append(f"{shown}\tphrase {i} version {j}\tCC-BY\n")
    rng.shuffle(lines)
    path = tmp_path / "repeats.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_no_held_out_source_sentence_occurs_in_training(repeats_file):
    corpus = load_corpus(str(repeats_file))
    train, held_out = corpus.split()
    assert len(train) + len(held_out) == len(corpus.kind.parse(corpus.text))
    assert len(_sources(held_out)) == 6  # a tenth of the 60 source sentences
    assert not _sources(held_out) & _sources(train)
    assert corpus.split() == (train, held_out)  # seeded: the same every time
    # The random split it replaced does put one source on both sides of this corpus.
    old_train, old_held = _seeded_split(corpus.kind.parse(corpus.text))
    assert _sources(old_held) & _sources(old_train)


def test_sources_differing_only_in_case_and_marks_are_one_sentence():
    assert normalised("I left.") == normalised("i  LEFT!") == "i left"
    assert normalised("Ça va ?") == normalised("ça va?")
    assert normalised("I left.") != normalised("I laughed.")


def test_the_trainer_validates_on_unseen_source_sentences(repeats_file):
    model_dir = job.create_model(str(repeats_file), name="split", hidden=16, embed=8, steps=1)
    assert json.loads((model_dir / "model.json").read_text())["corpus"]["split"] == "by-source"
    trainer = open_trainer(model_dir)
    decode = trainer.vocab.decode
    val_sources = {normalised(decode(s)) for s, _ in trainer.val_ids}
    corpus = ModelFolder(model_dir).corpus_as_trained()
    assert val_sources and not val_sources & _sources(corpus.split()[0])


def test_a_model_from_before_the_rule_keeps_its_random_split(repeats_file):
    """A folder without the recorded rule was trained on the random split: it resumes,
    validates and translates on that split, not on a new one."""
    model_dir = job.create_model(str(repeats_file), name="old", hidden=16, embed=8, steps=2)
    meta_path = model_dir / "model.json"
    meta = json.loads(meta_path.read_text())
    del meta["corpus"]["split"]
    meta_path.write_text(json.dumps(meta))
    folder = ModelFolder(model_dir)
    corpus = folder.corpus_as_trained()
    assert corpus.split() == _seeded_split(corpus.kind.parse(corpus.text))
    assert open_trainer(model_dir).run(lambda e: None).steps == 2
    from engine.loading import load_model

    assert isinstance("".join(load_model("old").translator().stream("Sentence 1.")), str)


def test_a_reversed_model_splits_by_its_own_source(repeats_file):
    model_dir = job.create_model(str(repeats_file), name="back", reverse=True, hidden=16,
                                 embed=8, steps=1)
    train, held_out = ModelFolder(model_dir).corpus_as_trained().split()
    assert held_out[0][0].startswith("phrase") and not _sources(held_out) & _sources(train)


def test_the_real_corpus_holds_out_unseen_source_sentences(shared_data):
    """fra_eng.txt repeats its English sentences (about half of a random held-out tenth was
    trained on with another translation); the split that bench/translation.py scores on
    shares none."""
    train, held_out = load_corpus(str(shared_data / "fra_eng.txt")).split()
    assert not _sources(held_out) & _sources(train)
    distinct = len(_sources(held_out) | _sources(train))
    assert len(_sources(held_out)) == int(distinct * 0.1)
    assert 0.08 < len(held_out) / (len(train) + len(held_out)) < 0.12


def test_an_unknown_split_rule_is_a_damaged_folder(repeats_file):
    model_dir = job.create_model(str(repeats_file), name="odd", hidden=16, embed=8, steps=1)
    meta = json.loads((model_dir / "model.json").read_text())
    meta["corpus"]["split"] = "alphabetical"
    (model_dir / "model.json").write_text(json.dumps(meta))
    folder = ModelFolder(model_dir)
    assert folder.damaged and "split" in (folder.damage or "")
