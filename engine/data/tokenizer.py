"""Vocabularies: character level (any Unicode) or word level (frequency cut-off, <unk>)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.config import LEVELS

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"

# Words keep inner apostrophes and hyphens (the classic word-level Shakespeare recipe);
# punctuation marks and newlines are tokens of their own so text keeps its shape; a corpus's
# own <unk> (Penn Treebank's) stays one token.
WORD_RE = re.compile(r"<unk>|\w+(?:['’-]\w+)*|[^\w\s]|\n")
NO_SPACE_BEFORE = set(".,;:!?)]}'’\n")
NO_SPACE_AFTER = set("([{\n")


def split_words(text: str) -> list[str]:
    return WORD_RE.findall(text)


@dataclass
class Vocab:
    level: str
    tokens: list[str]
    specials: list[str] = field(default_factory=list)
    min_freq: int = 1
    lowercase: bool = False
    # A classifier's other vocabulary: the names of the classes it outputs, by class id.
    classes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.index = {tok: i for i, tok in enumerate(self.tokens)}
        # Sorted code points let char-level encoding run in numpy for multi-MB corpora.
        singles = [(ord(t), i) for t, i in self.index.items() if len(t) == 1]
        singles.sort()
        self._codes = np.array([c for c, _ in singles], dtype=np.uint32)
        self._ids = np.array([i for _, i in singles], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.tokens)

    def id_of(self, token: str) -> int | None:
        return self.index.get(token)

    @property
    def pad_id(self) -> int | None:
        return self.index.get(PAD)

    @property
    def bos_id(self) -> int | None:
        return self.index.get(BOS)

    @property
    def eos_id(self) -> int | None:
        return self.index.get(EOS)

    @property
    def unk_id(self) -> int | None:
        return self.index.get(UNK)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        level: str = "char",
        specials: Iterable[str] = (),
        min_freq: int = 1,
        lowercase: bool = False,
        max_size: int = 0,
    ) -> Vocab:
        """The tokens of ``texts``; word level keeps those seen ``min_freq`` times, and with
        ``max_size`` only the most frequent (specials included: PTB's 10k vocabulary)."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        counts: Counter[str] = Counter()
        for text in texts:
            text = text.lower() if lowercase else text
            counts.update(text if level == "char" else split_words(text))
        # The corpus kind names its specials (padding, boundaries); word level adds one for
        # the words below the frequency cut-off.
        specials = [*specials, *([UNK] if level == "word" else [])]
        cut = min_freq if level == "word" else 1
        # Most frequent first, ties by the token itself: the same corpus gives the same ids.
        kept = sorted((t for t, n in counts.items() if n >= cut), key=lambda t: (-counts[t], t))
        if max_size and level == "word":
            kept = kept[: max(max_size - len(specials), 0)]
        return cls(level, specials + kept, specials, min_freq, lowercase)

    # -- encoding ---------------------------------------------------------------------------

    def pieces(self, text: str) -> list[str]:
        text = text.lower() if self.lowercase else text
        return list(text) if self.level == "char" else split_words(text)

    def encode(self, text: str) -> list[int]:
        """Token ids; word level maps unknown words to <unk>, char level drops unknown chars."""
        return self.encode_array(text).tolist()

    def encode_array(self, text: str) -> np.ndarray:
        if self.level == "char" and not self.lowercase:
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            pos = np.searchsorted(self._codes, codes).clip(0, max(len(self._codes) - 1, 0))
            known = self._codes[pos] == codes if len(self._codes) else np.zeros(len(codes), bool)
            return self._ids[pos[known]]
        unk = self.unk_id
        ids = [self.index.get(p, unk) for p in self.pieces(text)]
        return np.array([i for i in ids if i is not None], dtype=np.int64)

    def unknown(self, text: str) -> list[str]:
        """The distinct pieces of ``text`` this vocabulary has never seen, in order of first use."""
        seen: dict[str, None] = {}
        for piece in self.pieces(text):
            if piece not in self.index:
                seen.setdefault(piece, None)
        return list(seen)

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.render(i, prev) for i, prev in _with_previous(ids, self))

    def render(self, token_id: int, previous: str | None) -> str:
        """One token as text, with the spacing word level needs given the token before it."""
        token = self.tokens[token_id]
        if token in self.specials and token != UNK:  # <unk> is shown: a rare word was there
            return ""
        if self.level == "char" or previous is None:
            return token
        if token[0] in NO_SPACE_BEFORE or previous[-1] in NO_SPACE_AFTER:
            return token
        return " " + token

    # -- serialisation ----------------------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "level": self.level,
            "tokens": self.tokens,
            "specials": self.specials,
            "min_freq": self.min_freq,
            "lowercase": self.lowercase,
            **({"classes": self.classes} if self.classes else {}),
        }

    @classmethod
    def from_json(cls, data: dict) -> Vocab:
        return cls(
            data["level"], list(data["tokens"]), list(data["specials"]),
            int(data.get("min_freq", 1)), bool(data.get("lowercase", False)),
            [str(c) for c in data.get("classes", [])],
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocab:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _with_previous(ids: Iterable[int], vocab: Vocab):
    previous: str | None = None
    for i in ids:
        yield i, previous
        token = vocab.tokens[i]
        if token not in vocab.specials:
            previous = token
