"""The novelty figure: the share of what a model wrote that its training text never holds,
measured the same way live (the trainer's samples), in the desk and by `poetui sample --stats`."""

from __future__ import annotations

import random
import threading

from helpers import NAMES

from engine.corpus import load_corpus
from engine.data.tokenizer import Vocab, split_words
from engine.generate.novelty import Novelty, novel_items, novelty_for
from engine.kinds import kind_named
from engine.train import job
from engine.train.worker import run_training


def brute_force(generated: str, training: str, pieces, n: int) -> float:
    """The definition, spelled out: distinct generated n-grams absent from the training ones."""
    def grams(text: str) -> set:
        p = pieces(text)
        return {tuple(p[i : i + n]) for i in range(len(p) - n + 1)}

    mine = grams(generated)
    return sum(g not in grams(training) for g in mine) / len(mine) if mine else 1.0


def test_ngram_novelty_is_the_share_of_unseen_runs():
    rng = random.Random(5)
    training = "".join(rng.choices("abcd ", k=3000))
    judge = Novelty(lambda: training, itemised=False, level="char")
    for _ in range(20):
        generated = "".join(rng.choices("abcde ", k=rng.randint(0, 60)))
        assert judge.score([generated]) == brute_force(generated, training, list, 8)
    words = Novelty(lambda: training, itemised=False, level="word")
    for _ in range(20):
        generated = " ".join(rng.choices(["a", "ab", "ba", "zz", "dc"], k=rng.randint(0, 12)))
        assert words.score([generated]) == brute_force(generated, training, split_words, 4)
    assert judge.what == "8-character runs" and words.what == "4-word runs"


def test_item_novelty_reads_text_as_the_model_does():
    judge = Novelty(lambda: ["Anna", "Bob"], itemised=True, level="char", lowercase=True)
    assert judge.score(["anna", "zed", "BOB", "qux", ""]) == 0.5  # empty items do not count
    assert judge.what == "items"
    assert judge.score(["zed"]) == novel_items(["zed"], ["anna", "bob"])


def test_titled_poems_are_judged_by_their_poems():
    poem = "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。"
    training = ["登鸛雀樓:" + poem, "春曉:春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。"]
    kind = kind_named("records")
    vocab = Vocab.build(training, "char", kind.specials())
    judge = novelty_for(kind, vocab, lambda: training)
    assert judge.what == "poems"
    # A copied poem under a made-up title is a copy; a new poem under a known title is new.
    assert judge.score(["新題:" + poem, "春曉:" + poem[::-1]]) == 0.5
    names = Vocab.build(["anna", "bob"], "char", kind.specials())
    assert novelty_for(kind, names, lambda: ["anna"]).what == "items"


def test_the_training_text_is_read_once_whoever_asks():
    reads = []

    def read() -> str:
        reads.append(1)
        return "the cat sat on the mat. " * 50

    judge = Novelty(read, itemised=False, level="char")
    assert not judge.ready
    threads = [threading.Thread(target=judge.score, args=(["the cat sat on a hat"],))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    judge.score(["zzzzzzzzz"])
    assert judge.ready and len(reads) == 1


def test_a_translator_has_no_novelty():
    vocab = Vocab.build(["ab", "ba"], "char", kind_named("pairs").specials())
    assert novelty_for(kind_named("pairs"), vocab, lambda: []) is None
    assert novelty_for(kind_named("records"), vocab, lambda: []) is not None


def test_live_samples_carry_their_novelty(names_file):
    model_dir = job.create_model(str(names_file), name="n", layers=1, hidden=16, batch=16,
                                 steps=20, eval_every=10, lr=1e-2, precision="fp32")
    events = []
    run_training(model_dir, events.append)
    samples = [e for e in events if e.kind == "sample"]
    assert samples
    train, _ = load_corpus(str(names_file), "records").split()
    assert set(train) == set(NAMES)
    for sample in samples:
        assert sample.novelty == novel_items(sample.text.split("\n"), train)
    # … and the run store keeps it for whoever watches.
    from engine.storage.runstore import RunReader

    stored = RunReader(model_dir).poll().samples
    assert [row["novelty"] for row in stored] == [s.novelty for s in samples]


def test_a_streams_lines_that_the_training_text_holds_are_found():
    training = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak.\n"
    judge = Novelty(lambda: training, itemised=False, level="char")
    written = ("All:\nBefore we proceed any further, hear me speak.\nBefore we proceed.\n"
               "First Citizen:")
    # The speaker alone is shorter than a run; a new line is new; the last line is cut.
    assert judge.held_lines(written) == [False, True, False, False]
    assert judge.held_lines(written + "\n") == [False, True, False, True, False]
    words = Novelty(lambda: training, itemised=False, level="word", lowercase=True)
    assert words.held_lines("before we proceed any further , hear me speak .\nx") == [True, False]
    names = Novelty(lambda: ["anna", "bob"], itemised=True, level="char")
    assert names.held_lines("anna\nbob\n") == [False, False, False]  # items: see copied
