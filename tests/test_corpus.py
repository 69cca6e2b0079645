import pytest

from engine import job
from engine.corpus import load_corpus
from engine.errors import PoetuiError
from engine.kinds import guess


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


def test_pairs_are_refused_until_translation_exists(tmp_path):
    """A tab-separated file is guessed as pairs, and training it says translation is not here
    yet and how to train it as records meanwhile — it never trains a line model silently."""
    path = tmp_path / "pairs.txt"
    path.write_text("".join(f"word{i}\tmot{i}\n" for i in range(100)), encoding="utf-8")
    with pytest.raises(PoetuiError, match="not available yet.*--kind records"):
        job.create_model(str(path), name="tr", steps=5)
    assert job.create_model(str(path), name="tr", kind="records", steps=5).is_dir()


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
