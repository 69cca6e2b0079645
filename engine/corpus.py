"""Corpora: where text comes from and what shape (kind) it has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpora import CARDS, find_card
from engine.errors import PoetuiError
from engine.kinds import Kind, guess, kind_named
from engine.store import did_you_mean

DEFAULT_CORPUS = "python-docs"


@dataclass
class Corpus:
    name: str  # a catalog name, or the path the user gave
    kind: Kind  # what the text means: see engine.kinds
    text: str
    source: str  # where it came from, for humans

    def split(self):
        """(train, validation), as the corpus's kind cuts it."""
        return self.kind.split(self.text)


def read_text_file(path: Path) -> str:
    """Read a user's file as UTF-8 text, or say plainly why it cannot be used."""
    if not path.exists():
        raise PoetuiError(f"There is no file at {path}; check the path and try again.")
    if path.is_dir():
        raise PoetuiError(f"{path} is a folder; give the path of a text file inside it.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PoetuiError(f"Cannot read {path} ({exc.strerror}); check its permissions.") from None
    if not data.strip():
        raise PoetuiError(f"{path} is empty; give a file with some text in it.")
    if b"\x00" in data[:65536]:
        raise PoetuiError(f"{path} looks like a binary file, not text; give a plain-text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PoetuiError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}); "
            "convert it to UTF-8, e.g. with `iconv -t utf-8`."
        ) from None
    return text.replace("\r\n", "\n")


def load_corpus(spec: str | None = None, kind: str | None = None) -> Corpus:
    """A catalog/built-in name or a file path; ``kind`` overrides the guessed shape."""
    spec = spec or DEFAULT_CORPUS
    chosen = kind_named(kind) if kind is not None else None
    card = find_card(spec)
    if card is not None and card.builtin:
        assert card.provider is not None
        return Corpus(spec, chosen or kind_named(card.kind), card.provider(), card.title)
    path = Path(spec).expanduser()
    if card is None and not path.exists() and "/" not in spec and "." not in spec:
        names = [c.name for c in CARDS]
        raise PoetuiError(
            f"No corpus or file named '{spec}'{did_you_mean(spec, names)}; give a file path or "
            f"one of: {', '.join(names)}."
        )
    text = read_text_file(path)
    return Corpus(str(path), chosen or guess(text), text, str(path.resolve()))


def describe(corpus: Corpus) -> dict:
    """Size, vocabulary and a preview: what `poetui corpus info` and the new-model screen show."""
    words = corpus.text.split()
    info = {
        "name": corpus.name,
        "kind": corpus.kind.name,
        "source": corpus.source,
        "characters": len(corpus.text),
        "distinct_characters": len(set(corpus.text)),
        "words": len(words),
        "distinct_words": len(set(words)),
        "lines": corpus.text.count("\n") + (not corpus.text.endswith("\n")),
        "preview": corpus.text[:400],
    }
    info.update(corpus.kind.describe(corpus.kind.parse(corpus.text)))
    return info
