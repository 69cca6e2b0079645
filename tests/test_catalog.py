"""The catalog's cards, and the cache as `poetui corpus list | info | add` show and fill it."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess

import pytest
from helpers import POETUI, assert_one_sentence, poetui

from corpora import CARDS, find_card
from corpora.cards import TEST, TRAIN, VALID
from engine.config import KINDS, LEVELS
from engine.corpus import load_corpus
from engine.data import cache
from engine.errors import PoetuiError
from engine.presets import PRESETS
from engine.train import job

REQUIRED = {"tiny-shakespeare": "stream", "shakespeare-words": "stream", "dinosaurs": "records",
            "tang-wujue": "records", "fra-eng": "pairs", "ptb": "stream",
            "python-docs": "stream", "python-source": "stream"}


def test_every_card_the_issue_names_is_complete():
    assert {c.name: c.kind for c in CARDS if c.name in REQUIRED} == REQUIRED
    assert CARDS[0].builtin  # the app's forms open on the first card: it must need no network
    for card in CARDS:
        assert card.kind in KINDS and card.level in LEVELS and card.preset in PRESETS, card.name
        assert card.title and card.licence and card.recipe and card.recipe_about and card.prompts
        assert card.builtin != bool(card.sources), card.name
        for source in card.sources:
            assert source.url.startswith("https://"), source.url
            assert source.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", source.sha256)
            if source.sha256 is None:  # an unpinned file says so on its card
                assert "SHA-256" in card.notes or source.md5, card.name
    ptb = find_card("ptb")
    assert ptb is not None and ptb.own_split and set(ptb.parts) == {TRAIN, VALID, TEST}
    assert find_card("shakespeare-words").cache_key == "tiny-shakespeare"  # one download


def test_corpus_list_shows_every_card_with_its_state():
    out = poetui("corpus", "list").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    for name in REQUIRED:
        assert name in rows, name
    assert "built-in" in rows["python-docs"] and "to download" in rows["ptb"]
    assert "1.1 MB" in rows["tiny-shakespeare"]  # what it will download


def test_a_card_not_downloaded_says_how_to_get_it():
    with pytest.raises(PoetuiError, match=r"'dinosaurs' is in the catalog but not downloaded "
                       r"yet; run `poetui corpus fetch dinosaurs` \(or, for a copy you already "
                       r"have, `poetui corpus add PATH --as dinosaurs`\)\."):
        load_corpus("dinosaurs")
    info = poetui("corpus", "info", "dinosaurs").stdout
    assert "0704eb65c34137226ad13023cfaa77edf70222aaaf3e2a926b9b791a25b025f6" in info
    assert "Not downloaded yet: `poetui corpus fetch dinosaurs`." in info


def test_the_canonical_file_is_recognised_by_its_checksum(shared_data):
    """The reference Tiny Shakespeare is the very file the card pins: `corpus add` finds its
    card with no --as, and both cards reading that text are then ready offline."""
    poetui("corpus", "add", str(shared_data / "tinyshakespeare.txt"))
    for name in ("tiny-shakespeare", "shakespeare-words"):
        assert cache.state(find_card(name)) == "downloaded"
    corpus = load_corpus("tiny-shakespeare")
    assert corpus.text.startswith("First Citizen:") and len(corpus.text) == 1_115_394
    out = poetui("corpus", "list").stdout
    assert re.search(r"shakespeare-words\s+stream\s+word\s+downloaded", out)


def test_a_copy_that_differs_is_refused_unless_forced(shared_data):
    """The reference dinos.txt is a 90 % subset: not the card's file. Refused with the way to
    use it anyway; with --force it is the user's own copy, and says so."""
    subset = shared_data / "dinos.txt"
    result = poetui("corpus", "add", str(subset), "--as", "dinosaurs", check=False)
    assert_one_sentence(result, "is not the file the 'dinosaurs' card names (SHA-256 "
                                "25879cdd8651dbf1… where the card pins 0704eb65c3413722…); if "
                                "it is a copy of your own that you want used as 'dinosaurs', "
                                "add --force.")
    assert cache.state(find_card("dinosaurs")) == "to download"

    assert "as your own copy" in poetui("corpus", "add", str(subset), "--as", "dinosaurs",
                                        "--force").stdout
    assert cache.state(find_card("dinosaurs")) == "your copy"
    corpus = load_corpus("dinosaurs")
    assert corpus.kind.name == "records" and len(corpus.split()[0]) + len(
        corpus.split()[1]) == 1389
    assert re.search(r"dinosaurs\s+records\s+char\s+your copy", poetui("corpus", "list").stdout)


def test_a_pairs_file_is_added_where_nothing_is_pinned(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\tCC-BY 2.0 (France)\nHi.\tSalut !\tCC-BY\n", encoding="utf-8")
    poetui("corpus", "add", str(path), "--as", "fra-eng")
    card = find_card("fra-eng")
    assert cache.state(card) == "added"
    assert cache.corpus_file(card, "text").read_text(encoding="utf-8") == \
        "Go.\tVa !\nHi.\tSalut !\n"
    assert cache.manifest(card)["text"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_corpus_with_its_own_split_trains_on_its_train_file_only(tmp_path):
    """PTB's files added from a folder: training reads ptb.train.txt and validates on
    ptb.valid.txt as given, never a 10 % cut, and the vocabulary comes from the train file."""
    folder = tmp_path / "ptb"
    folder.mkdir()
    (folder / "ptb.train.txt").write_text(" the cat sat on the mat \n" * 300, encoding="utf-8")
    (folder / "ptb.valid.txt").write_text(" the dog sat on the log \n" * 40, encoding="utf-8")
    (folder / "ptb.test.txt").write_text(" a bird sat \n" * 10, encoding="utf-8")
    result = poetui("corpus", "add", str(folder), "--as", "ptb", check=False)
    assert_one_sentence(result, "is not the file the 'ptb' card names")  # made-up text
    poetui("corpus", "add", str(folder), "--as", "ptb", "--force")

    corpus = load_corpus("ptb")
    train, valid = corpus.split()
    assert train == " the cat sat on the mat \n" * 300
    assert valid == " the dog sat on the log \n" * 40
    plan = job.plan("ptb", preset="tiny", level="word", steps=5)
    assert "dog" not in plan.vocab.tokens and "cat" in plan.vocab.tokens
    assert "its own: trains on the train file" in poetui("corpus", "info", "ptb").stdout


@pytest.mark.parametrize("args, phrase", [
    (["--as", "python-docs"], "'python-docs' is built in and needs no file"),
    (["--as", "dinosaur"], "no catalog corpus named 'dinosaur' (did you mean 'dinosaurs'?)"),
    ([], "matches no catalog file by its checksum; say which corpus it is with --as NAME"),
])
def test_add_refusals_are_one_sentence(tmp_path, args, phrase):
    path = tmp_path / "mine.txt"
    path.write_text("my own words\n", encoding="utf-8")
    assert_one_sentence(poetui("corpus", "add", str(path), *args, check=False), phrase)


def test_add_refuses_what_is_not_a_regular_file(tmp_path):
    assert_one_sentence(poetui("corpus", "add", "/dev/zero", "--as", "dinosaurs", check=False),
                        "/dev/zero is a device, not a regular file")
    assert_one_sentence(poetui("corpus", "add", str(tmp_path), "--as", "ptb", check=False),
                        "holds none of the files of 'ptb' (ptb.train.txt, ptb.valid.txt, "
                        "ptb.test.txt)")


def test_fetching_offline_is_one_sentence_with_the_way_round():
    """The real catalog URL, with the network blocked by a proxy where nothing listens: the
    sentence names the URL and offers `corpus add`."""
    blocked = {**os.environ, "https_proxy": "http://127.0.0.1:9",
               "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}
    result = subprocess.run([POETUI, "corpus", "fetch", "tang-wujue"], capture_output=True,
                            text=True, env=blocked, timeout=120)
    assert_one_sentence(result, "Could not download https://raw.githubusercontent.com/"
                                "jinfagang/tensorflow_poems/master/data/wujue-all.txt (")
    assert "`poetui corpus add PATH --as tang-wujue`" in result.stderr
    assert cache.state(find_card("tang-wujue")) == "to download"
