import json
import os
import threading
import tracemalloc
from pathlib import Path

import pytest
from helpers import pattern_text, poetui

from engine.corpus import load_corpus, read_text_file
from engine.errors import PoetuiError
from engine.kinds import guess
from engine.train import job
from engine.train.assemble import open_trainer


def test_default_corpus_is_python_docs_and_offline():
    corpus = load_corpus()
    assert corpus.name == "python-docs" and corpus.kind.name == "stream"
    assert len(corpus.text) > 100_000
    assert "class" in corpus.text


def test_python_source_is_code():
    corpus = load_corpus("python-source")
    assert "def " in corpus.text and "import " in corpus.text


def test_stream_split_is_the_last_tenth(pattern_file):
    corpus = load_corpus(str(pattern_file))
    train, val = corpus.split()
    assert train + val == corpus.text
    assert len(val) == pytest.approx(len(corpus.text) / 10, abs=1)


def test_records_split_is_seeded_and_disjoint(names_file):
    corpus = load_corpus(str(names_file))
    assert corpus.kind.name == "records"
    train, val = corpus.split()
    assert len(val) == 20 and len(train) == 180
    assert corpus.split() == (train, val)


def test_guess_kind():
    assert guess("a\tb\nc\td\n").name == "pairs"
    assert guess("\n".join(f"name{i}" for i in range(50))).name == "records"
    assert guess("A paragraph.\n\nAnother one, longer.\n").name == "stream"


@pytest.mark.parametrize(
    "content, phrase",
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"\x7fELF\x00\x01\x02binary", "binary"),
        ("caf\u00e9 cr\u00e8me".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_files_get_one_sentence(tmp_path, content, phrase):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(PoetuiError, match=phrase):
        load_corpus(str(path))


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(PoetuiError, match="no file"):
        load_corpus(str(tmp_path / "nope.txt"))
    with pytest.raises(PoetuiError, match="No corpus or file named 'shakespear'"):
        load_corpus("shakespear")
    with pytest.raises(PoetuiError, match="is a folder"):
        load_corpus(str(tmp_path))


# -- files the user owns: encodings, line ends, things that are not regular files -------------


@pytest.mark.parametrize("codec, bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"),
])
def test_utf8_and_byte_order_marked_files_read_the_same(tmp_path, codec, bom):
    text = "Grüße, 世界! 🙂\nsecond line\n"
    path = tmp_path / "text.txt"
    path.write_bytes(bom + text.encode(codec))
    assert read_text_file(path) == text  # no BOM character left at the start


def test_crlf_and_lone_cr_become_lf(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes("one\r\ntwo\rthree\n".encode("utf-16-le").join([b"\xff\xfe", b""]))
    assert read_text_file(path) == "one\ntwo\nthree\n"


def test_a_latin1_file_is_refused_at_its_first_bad_byte(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("plain ascii, then café".encode("latin-1"))
    with pytest.raises(PoetuiError, match=r"byte 0xe9 at offset 21 is not valid UTF-8\); "
                                          r"convert it, e\.g\. `iconv -f LATIN1 -t UTF-8"):
        read_text_file(path)


def test_utf16_without_a_mark_is_told_how_to_convert(tmp_path):
    path = tmp_path / "nomark.txt"
    path.write_bytes("hello there, general text\n".encode("utf-16-le") * 20)
    with pytest.raises(PoetuiError, match="UTF-16 text without a byte-order mark.*"
                                          "iconv -f UTF-16LE -t UTF-8"):
        read_text_file(path)


def test_a_damaged_utf16_file_says_where(tmp_path):
    path = tmp_path / "damaged.txt"
    path.write_bytes(b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xdc")  # lone surrogate
    with pytest.raises(PoetuiError, match="starts with a UTF-16 byte-order mark, the bytes "
                                          "at offset 6 are not valid UTF-16"):
        read_text_file(path)


def _read_in_thread(path: Path) -> str:
    """read_text_file's outcome, or a failure if it does not return in 10 s (a hang)."""
    outcome: list[str] = []

    def target() -> None:
        try:
            read_text_file(path)
            outcome.append("read")
        except PoetuiError as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome, f"reading {path} hung"
    return outcome[0]


def test_dev_zero_is_refused_before_a_byte_is_read():
    assert _read_in_thread(Path("/dev/zero")) == (
        "/dev/zero is a device, not a regular file; save the text to a file and give that "
        "file's path.")


def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "is a named pipe (FIFO), not a regular file" in _read_in_thread(fifo)


def test_a_file_over_the_limit_is_refused_with_the_limit(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as f:
        f.truncate(1_200_000_000)  # sparse: no disk used
    with pytest.raises(PoetuiError, match=r"is 1\.2 GB, more than poetui reads \(1 GB\); "
                                          r"train on a part of it"):
        read_text_file(huge)


def test_a_big_file_is_held_once_not_twice(tmp_path):
    """The bytes are mapped, not copied into the process: the peak Python allocation while
    reading is the text itself, not text plus bytes."""
    path = tmp_path / "big.txt"
    path.write_bytes(b"abcdefghij" * 2_000_000)  # 20 MB
    tracemalloc.start()
    try:
        text = read_text_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(text) == 20_000_000
    assert peak < 1.3 * 20_000_000


def test_a_utf16_crlf_file_trains(tmp_path):
    """A Windows-style file (UTF-16 with a BOM, CRLF line ends) trains like any other: the
    vocabulary holds no \\r and no BOM, and the model learns the pattern."""
    path = tmp_path / "windows.txt"
    path.write_bytes(b"\xff\xfe" + pattern_text().replace(". ", ".\r\n").encode("utf-16-le"))
    model_dir = job.create_model(str(path), name="utf16", preset="tiny", kind="stream",
                                 layers=1, hidden=48,
                                 seq_len=24, batch=8, lr=1e-2, steps=120, warmup=10,
                                 precision="fp32")
    vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
    tokens = vocab["tokens"]
    assert "\r" not in tokens and "\ufeff" not in tokens and "\n" in tokens
    done = open_trainer(model_dir).run(lambda e: None)
    assert done.steps == 120
    assert done.val_loss < 0.5, done  # 12 distinct characters: chance is ln 12 ≈ 2.5 nats


def test_the_kind_says_whether_it_was_guessed(names_file):
    assert load_corpus(str(names_file)).kind_origin == "guessed"
    assert load_corpus(str(names_file), "stream").kind_origin == "given"
    assert load_corpus("python-docs").kind_origin == "card"
    info = poetui("corpus", "info", str(names_file)).stdout
    assert "kind  records (guessed; --kind to change)" in info
    info = poetui("corpus", "info", str(names_file), "--kind", "stream").stdout
    assert "kind  stream (--kind)" in info
