"""Corpora: where text comes from, what shape it has, and the train/validation split."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from pathlib import Path

from corpora import CARDS, find_card
from engine.errors import PoetuiError

KINDS = ("stream", "records", "pairs")
DEFAULT_CORPUS = "python-docs"
VALIDATION_FRACTION = 0.1
SPLIT_SEED = 1337


@dataclass
class Corpus:
    name: str  # a catalog name, or the path the user gave
    kind: str  # stream | records | pairs
    text: str
    source: str  # where it came from, for humans

    @property
    def records(self) -> list[str]:
        """Non-empty lines, stripped: one example each (records and pairs kinds)."""
        return [line.strip() for line in self.text.splitlines() if line.strip()]

    def split(self) -> tuple[str | list[str], str | list[str]]:
        """(train, validation): the last 10 % of a stream, a seeded random 10 % of records."""
        if self.kind == "stream":
            cut = int(len(self.text) * (1 - VALIDATION_FRACTION))
            return self.text[:cut], self.text[cut:]
        records = self.records
        order = list(range(len(records)))
        random.Random(SPLIT_SEED).shuffle(order)
        n_val = max(1, int(len(records) * VALIDATION_FRACTION)) if len(records) > 1 else 0
        val_ids = set(order[:n_val])
        train = [r for i, r in enumerate(records) if i not in val_ids]
        val = [r for i, r in enumerate(records) if i in val_ids]
        return train, val


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


def guess_kind(text: str) -> str:
    """Pairs if every line has a tab; records if it is many short lines; otherwise one stream."""
    lines = text.splitlines()
    non_empty = [line for line in lines if line.strip()]
    if len(non_empty) >= 2 and all("\t" in line for line in non_empty):
        return "pairs"
    blank = len(lines) - len(non_empty)
    if len(non_empty) >= 20 and blank == 0:
        lengths = sorted(len(line) for line in non_empty)
        if statistics.median(lengths) <= 80 and lengths[int(len(lengths) * 0.95)] <= 200:
            return "records"
    return "stream"


def load_corpus(spec: str | None = None, kind: str | None = None) -> Corpus:
    """A catalog/built-in name or a file path; ``kind`` overrides the guessed shape."""
    spec = spec or DEFAULT_CORPUS
    if kind is not None and kind not in KINDS:
        raise PoetuiError(f"Unknown corpus kind '{kind}'; use one of {', '.join(KINDS)}.")
    card = find_card(spec)
    if card is not None and card.builtin:
        assert card.provider is not None
        return Corpus(spec, kind or card.kind, card.provider(), card.title)
    path = Path(spec).expanduser()
    if card is None and not path.exists() and "/" not in spec and "." not in spec:
        names = ", ".join(c.name for c in CARDS)
        raise PoetuiError(
            f"No corpus or file named '{spec}'; give a file path or one of: {names}."
        )
    text = read_text_file(path)
    return Corpus(str(path), kind or guess_kind(text), text, str(path.resolve()))


def describe(corpus: Corpus) -> dict:
    """Size, vocabulary and a preview: what `poetui corpus info` and the new-model screen show."""
    words = corpus.text.split()
    info = {
        "name": corpus.name,
        "kind": corpus.kind,
        "source": corpus.source,
        "characters": len(corpus.text),
        "distinct_characters": len(set(corpus.text)),
        "words": len(words),
        "distinct_words": len(set(words)),
        "lines": corpus.text.count("\n") + (not corpus.text.endswith("\n")),
        "preview": corpus.text[:400],
    }
    if corpus.kind != "stream":
        info["records"] = len(corpus.records)
    return info
