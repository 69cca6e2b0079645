"""Sequence classification: the readers of labelled files (digits CSV, IDX, label<TAB>text),
a classifier learning made-up labelled sets, and `poetui eval` / `poetui classify` on it."""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter

import numpy as np
import pytest
from digits import CLASSES, idx_bytes, made_up_digits

from engine.config import TrainConfig
from engine.corpus import load_corpus
from engine.data.label_batches import turned
from engine.data.labelled import (
    PIXELS,
    half_blocks,
    parse_idx,
    read_idx_pair,
    stratified_split,
    write_digits_csv,
)
from engine.errors import PoetuiError
from engine.generate.classify import Classifier
from engine.kinds import guess
from engine.loading import load_model
from engine.storage import store
from engine.train import job
from engine.train.assemble import open_trainer
from tui.cli.main import main


def made_up_texts() -> str:
    """Two classes of made-up words: from the first letters of the alphabet, or the last."""
    rng = np.random.default_rng(1)
    lines = []
    for _ in range(60):
        for label, letters in (("early", "abcdef"), ("late", "uvwxyz")):
            word = "".join(rng.choice(list(letters), size=int(rng.integers(4, 9))))
            lines.append(f"{label}\t{word}")
    return "\n".join(lines) + "\n"


def train(path, **overrides):
    model_dir = job.create_model(str(path), **overrides)
    trainer = open_trainer(model_dir)
    events: list = []
    done = trainer.run(events.append)
    return trainer, done, events


# Pinned, so the tests do not follow the default preset's tuning: a small bidirectional GRU.
SMALL = dict(cell="gru", bidirectional=True, pool="mean", hidden=32, embed=16, batch=16, lr=1e-2,
             warmup=5, precision="fp32", shift=0, rotate=0.0, scale=0.0, elastic=0.0)


def test_a_classifier_learns_made_up_digits_read_row_by_row(tmp_path):
    path = tmp_path / "digits.csv.gz"
    write_digits_csv(path, made_up_digits())
    trainer, done, events = train(path, name="bars", steps=60, **SMALL)
    assert trainer.kind.classifies and trainer.model.config.inputs == 28
    # Three classes: guessing is ln 3 ≈ 1.10 nats.
    assert done.val_loss < 0.3, done
    evals = [e for e in events if e.kind == "eval"]
    assert evals[-1].accuracy >= 0.9 and len(evals[-1].confusion) == 3
    sample = [e for e in events if e.kind == "sample"][-1].text
    assert "true " in sample and "read " in sample and "█" in sample  # digits drawn

    # eval: accuracy, per class, confusion (rows: true class) on a file of the same kind
    held_out = tmp_path / "held_out.csv"
    write_digits_csv(held_out, made_up_digits(per_class=10, seed=5))
    out = _run(["eval", "bars", str(held_out), "--json"])
    report = json.loads(out)
    assert report["accuracy"] >= 0.9 and set(report["per_class"]) == set(CLASSES)
    assert np.array(report["confusion"]).sum() == 30 and report["examples"] == 30

    # classify: the likeliest class of each digit, --top K of them
    lines = [json.loads(line) for line in _run(["classify", "bars", str(held_out), "--json",
                                                  "--top", "2"]).splitlines()]
    assert len(lines) == 30 and all(len(line["top"]) == 2 for line in lines)
    assert sum(line["label"] == line["true"] for line in lines) >= 27

    # row by row: after the last row the probabilities are the whole image's
    classifier = load_model("bars").classifier()
    image = made_up_digits(per_class=1, seed=9).images[1]  # a vertical bar
    rows = classifier.after_each_row(image)
    assert rows.shape == (28, 3) and np.allclose(rows.sum(1), 1, atol=1e-5)
    assert np.allclose(rows[-1], classifier.probabilities([image])[0], atol=1e-5)
    assert classifier.top(rows[-1], 1)[0][0] == "1"


def test_a_classifier_learns_labelled_text(tmp_path, capsys):
    path = tmp_path / "words.tsv"
    path.write_text(made_up_texts(), encoding="utf-8")
    assert guess(path.read_text()).classifies  # label<TAB>text, not translation pairs
    trainer, done, events = train(path, name="words", steps=80, **SMALL)
    assert trainer.model.config.inputs == 0  # tokens, through an embedding
    assert done.val_loss < 0.2, done
    assert [e for e in events if e.kind == "eval"][-1].accuracy >= 0.95

    classifier: Classifier = load_model("words").classifier()
    early, late = classifier.probabilities(["abcabc", "xyzzy"])
    assert classifier.top(early, 1)[0][0] == "early" and classifier.top(late, 1)[0][0] == "late"
    out = _run(["classify", "words", "fedcab", "--top", "2"])
    assert out.startswith("early ") and "late " in out and out.rstrip().endswith("fedcab")


def test_pairs_with_repeated_sources_are_not_read_as_labels():
    # A phrase book of ten words each written out twenty times: ten "labels" of twenty lines,
    # but one text each, so pairs; sentences as sources are pairs however often they repeat.
    words = ["".join(p) for p in itertools.permutations("abcdef", 3)][:10]
    assert not guess("".join(f"{w}\t{w[::-1]}\n" for w in words for _ in range(20))).classifies
    assert not guess("".join(f"{s}\t{s.lower()} {i}\n" for s in ("Go.", "Run!", "Who?")
                             for i in range(8))).classifies
    assert guess(made_up_texts()).classifies  # varied texts under a few name-like labels


def test_real_translation_pairs_read_as_pairs_even_where_sources_repeat(shared_data):
    lines = (shared_data / "fra_eng.txt").read_text(encoding="utf-8").splitlines()
    counts = Counter(line.split("\t")[0] for line in lines)
    for least in (1, 5, 8):  # the whole file, and only its sources of many translations
        chosen = [line for line in lines if counts[line.split("\t")[0]] >= least]
        assert len(chosen) >= 400
        for part in (chosen, chosen[:60]):
            assert guess("\n".join(part) + "\n").name == "pairs", (least, len(part))


def test_csv_reader_header_optional_gzipped_or_not(tmp_path):
    data = made_up_digits(per_class=3)
    plain, zipped = tmp_path / "d.csv", tmp_path / "d.csv.gz"
    write_digits_csv(plain, data)
    write_digits_csv(zipped, data)
    headless = tmp_path / "headless.csv"
    headless.write_text("\n".join(plain.read_text().splitlines()[1:]) + "\n")
    for path in (plain, zipped, headless):
        corpus = load_corpus(str(path))
        assert corpus.kind.classifies
        assert corpus.text.labels == data.labels
        assert np.array_equal(corpus.text.images, data.images)
    assert gzip.decompress(zipped.read_bytes()) == plain.read_bytes()


@pytest.mark.parametrize("row, phrase", [
    ("3," + ",".join(["0"] * (PIXELS - 1)), "Row 3 of"),  # one pixel short
    ("3," + ",".join(["0"] * (PIXELS - 1)) + ",300", "outside 0–255"),
    ("3," + ",".join(["0"] * (PIXELS - 1)) + ",x", "not a whole number"),
])
def test_a_bad_csv_row_is_one_sentence_and_nothing_is_written(tmp_path, poetui_home, row,
                                                                phrase):
    path = tmp_path / "bad.csv"
    write_digits_csv(path, made_up_digits(per_class=1))
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], row, *lines[2:]]) + "\n")
    with pytest.raises(PoetuiError, match=phrase) as caught:
        job.create_model(str(path), name="bad")
    assert "\n" not in str(caught.value)
    assert store.list_models() == [] and not (poetui_home / "models" / "bad").exists()


def test_idx_files_read_as_mnist_publishes_them(tmp_path):
    data = made_up_digits(per_class=2)
    images, labels = tmp_path / "train-images-idx3-ubyte.gz", tmp_path / "train-labels-idx1-ubyte"
    images.write_bytes(gzip.compress(idx_bytes(data.images)))
    labels.write_bytes(idx_bytes(np.array([int(x) for x in data.labels])))
    read = read_idx_pair(images)  # the labels file is found beside it, gzipped or not
    assert read.labels == data.labels and np.array_equal(read.images, data.images)
    corpus = load_corpus(str(images))
    assert corpus.kind.classifies and len(corpus.text) == 6


def test_a_truncated_idx_file_is_one_sentence_and_nothing_is_written(tmp_path, poetui_home):
    data = made_up_digits(per_class=2)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(idx_bytes(data.images)[:-100])  # cut short
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        idx_bytes(np.array([int(x) for x in data.labels])))
    with pytest.raises(PoetuiError, match="cut short: its header promises 4,704 bytes of "
                                          "data but it holds 4,604") as caught:
        job.create_model(str(images), name="cut")
    assert "\n" not in str(caught.value)
    assert store.list_models() == []
    with pytest.raises(PoetuiError, match="cut short inside its header"):
        parse_idx(b"\x00\x00\x08\x03\x00\x00", "x")


def test_the_split_holds_out_each_class_in_proportion():
    data = made_up_digits(per_class=40)
    train_part, held = stratified_split(data)
    assert sorted(held.labels) == sorted(CLASSES * 4)  # 10 % of each class
    assert len(train_part) == 108 and stratified_split(data)[1].labels == held.labels


def test_training_digits_are_warped_within_their_bounds():
    square = np.zeros((1, 28, 28), dtype=np.uint8)
    square[0, 10:18, 10:18] = 255
    rng = np.random.default_rng(3)
    same = turned(square, 0, 0.0, rng)  # nothing asked: the image as it was
    assert np.allclose(same.numpy() * 255, square, atol=1e-3)
    ys, xs = np.mgrid[0:28, 0:28]
    for kwargs, most in ((dict(elastic=2.0), 2.0), (dict(scale=0.25), 0.25 * 4 * 2 ** 0.5)):
        warped = [turned(square, 0, 0.0, rng, **kwargs)[0].numpy() for _ in range(20)]
        assert all(0 <= w.min() and w.max() <= 1 for w in warped)
        assert max(np.abs(w - square[0] / 255).sum() for w in warped) > 5  # it moves pixels
        for w in warped:  # each ink pixel comes from at most `most` pixels away
            ink = w > 0.01
            near = (np.abs(ys - 13.5) <= 4 + most + 1) & (np.abs(xs - 13.5) <= 4 + most + 1)
            assert not (ink & ~near).any()
    for bad in (dict(elastic=12.0), dict(scale=-0.1), dict(scale=float("nan"))):
        with pytest.raises(PoetuiError, match="elastic|scale"):
            TrainConfig(**bad)


def test_half_blocks_draw_two_pixel_rows_per_line():
    image = np.zeros((28, 28), np.uint8)
    image[0, 0] = image[1, 1] = image[2, 2] = image[3, 2] = 255
    lines = half_blocks(image)
    assert len(lines) == 14 and all(len(line) == 28 for line in lines)
    assert lines[0][:2] == "▀▄" and lines[1][2] == "█"


def _run(argv: list[str]) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


# -- the mnist card, downloaded over real HTTP from 127.0.0.1 ------------------------------------


def test_the_mnist_card_names_the_four_standard_files_pinned():
    from corpora import find_card
    from corpora.cards import IDX

    card = find_card("mnist")
    assert card is not None and card.kind == "labels" and card.images
    names = [s.file_name for s in card.sources]
    assert names == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    for source in card.sources:
        assert source.url.startswith("https://") and source.prepare == IDX
        assert len(source.sha256 or "") == 64 and len(source.md5 or "") == 32


@pytest.fixture
def mnist_served(tmp_path, monkeypatch):
    """The real mnist card with its files served from 127.0.0.1: small made-up IDX files in
    MNIST's names and format, the card pinned to them."""
    import dataclasses
    import functools
    import hashlib
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import corpora.cards
    import engine.corpus
    import tui.cli.corpus
    from corpora import find_card
    from engine.data import cache

    site = tmp_path / "mirror"
    site.mkdir()
    train, test = made_up_digits(per_class=40), made_up_digits(per_class=5, seed=3)
    bodies = {}
    for prefix, data in (("train", train), ("t10k", test)):
        bodies[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(data.images))
        bodies[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            idx_bytes(np.array([int(x) for x in data.labels])))
    for name, body in bodies.items():
        (site / name).write_bytes(body)
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    real = find_card("mnist")
    sources = tuple(dataclasses.replace(
        s, url=base + s.file_name, sha256=hashlib.sha256(bodies[s.file_name]).hexdigest(),
        md5=None, size=len(bodies[s.file_name])) for s in real.sources)
    card = dataclasses.replace(real, sources=sources)
    cards = tuple(card if c.name == "mnist" else c for c in corpora.cards.CARDS)
    for module in (corpora.cards, cache, engine.corpus, tui.cli.corpus):
        monkeypatch.setattr(module, "CARDS", cards)
    yield card, site
    httpd.shutdown()
    httpd.server_close()


def test_the_mnist_card_downloads_verifies_and_trains(mnist_served):
    from engine.data.fetch import fetch

    card, _ = mnist_served
    files = fetch(card)
    assert set(files) == {"train-images", "train-labels", "test-images", "test-labels"}
    corpus = load_corpus("mnist")
    assert len(corpus.text) == 120 and len(corpus.test) == 15  # its own test set, kept apart
    _, done, _ = train("mnist", name="mnist-bars", steps=60, **{**SMALL, "average": 0.0,
                                                                "shift": 2})
    # Scored once, at the end, on its own test set; guessing is ln 3 ≈ 1.10 nats.
    assert done.test_loss is not None and done.test_loss < 0.7


def test_a_damaged_mnist_download_is_refused(mnist_served):
    from engine.data import cache
    from engine.data.fetch import fetch

    card, site = mnist_served
    damaged = gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 3)
    (site / "t10k-labels-idx1-ubyte.gz").write_bytes(damaged)
    with pytest.raises(PoetuiError, match="t10k-labels|SHA-256|checksum") as caught:
        fetch(card)
    assert "\n" not in str(caught.value)
    assert not cache.is_cached(card)
