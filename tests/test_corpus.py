import pytest

from engine.corpus import guess_kind, load_corpus
from engine.errors import PoetuiError


def test_default_corpus_is_python_docs_and_offline():
    corpus = load_corpus()
    assert corpus.name == "python-docs" and corpus.kind == "stream"
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
    assert corpus.kind == "records"
    train, val = corpus.split()
    assert len(val) == 20 and len(train) == 180
    assert corpus.split() == (train, val)


def test_guess_kind():
    assert guess_kind("a\tb\nc\td\n") == "pairs"
    assert guess_kind("\n".join(f"name{i}" for i in range(50))) == "records"
    assert guess_kind("A paragraph.\n\nAnother one, longer.\n") == "stream"


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
