"""Does the model write, or copy? The share of what it generated that never occurs in the text
it trained on: whole items (names; poems, whatever their titles) for a records model, n-grams
of 8 characters or 4 words for a stream (torch-rnn ships a script for this; poetui shows it live).

``Novelty`` holds one training text and scores outputs against it: the training side (the set
of items, or the sorted hashes of every n-gram) is built once, on the first score, so a training
run or the writing desk pays for it once and each sample after costs only the sample.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import numpy as np

from engine.generate.forms import poem_part, writes_quatrains, writes_titles

CHAR_N, WORD_N = 8, 4
Training = str | list[str]  # a stream's text, or a records corpus's items


def novel_items(generated: Iterable[str], training: Iterable[str]) -> float:
    """Share of generated items that are not one of the training items."""
    seen = set(training)
    items = [g for g in generated if g]
    return sum(g not in seen for g in items) / max(len(items), 1)


def novel_ngrams(generated: str, training: str, level: str) -> float:
    """Share of the generated n-grams (8 characters, or 4 words) absent from the training text."""
    return Novelty(lambda: training, itemised=False, level=level).score([generated])


class Novelty:
    """Scores what a model wrote against what it trained on.

    ``read_training`` gives the training part of the corpus (a text, or a list of items) when
    first needed, so a caller can hand over a reader of a file without reading it yet. Outputs
    are read as the model reads text (lowercased when its vocabulary lowercases). Safe to call
    from several threads: the training side is built once.
    """

    def __init__(self, read_training: Callable[[], Training], itemised: bool, level: str,
                 lowercase: bool = False, titled: bool = False) -> None:
        self._read = read_training
        self.itemised, self.level, self.lowercase = itemised, level, lowercase
        # `title:poem` items are compared by their poems: a made-up title alone would make
        # every copied poem look new.
        self.titled = titled
        self.n = CHAR_N if level == "char" else WORD_N
        self._lock = threading.Lock()
        self._items: set[str] | None = None
        self._known: np.ndarray | None = None  # sorted unique n-gram hashes of the training text
        self._words: dict[str, int] = {}  # word level: word → code, from the training text
        self._lines: set | None = None  # a stream's lines, as compared (see held_lines)
        self._reread: Callable[[], Training] | None = None  # … read again for them

    @property
    def what(self) -> str:
        """What the share is a share of, in words."""
        if self.itemised:
            return "poems" if self.titled else "items"
        return "8-character runs" if self.level == "char" else "4-word runs"

    @property
    def ready(self) -> bool:
        """Whether the training side is built (the next score is quick)."""
        return self._items is not None or self._known is not None

    def score(self, outputs: list[str]) -> float:
        """The share (0–1) of the outputs' items, or of their distinct n-grams, never seen in
        training. Items: empty ones do not count. N-grams: outputs too short to hold one count
        as all new, as a model that writes nothing copies nothing."""
        self._build()
        if self.itemised:
            assert self._items is not None
            return novel_items(map(self._item, outputs), self._items)
        lower = str.lower if self.lowercase else str
        assert self._known is not None
        mine = np.unique(self._hashes(lower("\n".join(outputs)), grow=False))
        if not len(mine):
            return 1.0
        where = np.searchsorted(self._known, mine).clip(0, max(len(self._known) - 1, 0))
        known = self._known[where] == mine if len(self._known) else np.zeros(len(mine), bool)
        return float(np.count_nonzero(~known)) / len(mine)

    def copied(self, outputs: list[str]) -> list[bool]:
        """For items (names, poems): which of ``outputs`` the training text holds as they are.
        Stretches of text are judged by their runs, not whole: all False."""
        self._build()
        if not self.itemised:
            return [False] * len(outputs)
        assert self._items is not None
        return [bool(self._item(o)) and self._item(o) in self._items for o in outputs]

    def held_lines(self, text: str) -> list[bool]:
        """For a stretch of text: which of its lines (``text.split("\\n")``) the training
        text holds whole, as a line of its own. A line counts only when it is complete (a
        line break after it) and at least as long as the figure's runs (8 characters or 4
        words): a speaker's name alone, or a line the length cut, is not a copy."""
        self._build()
        lines = text.split("\n")
        if self.itemised:
            return [False] * len(lines)
        with self._lock:
            if self._lines is None:  # read again, once: a stream's score never needs them
                training = self._reread()
                whole = training if isinstance(training, str) else "\n".join(training)
                self._lines = {key for line in whole.split("\n") if (key := self._line(line))}
                self._reread = None
        last = len(lines) - 1
        return [i < last and (key := self._line(line)) is not None and key in self._lines
                for i, line in enumerate(lines)]

    def _line(self, line: str):
        """A line as it is compared (read as the model reads text; a word line as its
        words), or None if it is shorter than a run."""
        line = (line.lower() if self.lowercase else line).strip()
        if self.level == "char":
            return line if len(line) >= self.n else None
        from engine.data.tokenizer import split_words

        words = tuple(split_words(line))
        return words if len(words) >= self.n else None

    def _build(self) -> None:
        with self._lock:
            if self.ready:
                return
            training = self._read()
            # The text is not needed again once it is a set or hashes (but for held_lines).
            self._read, self._reread = None, self._read
            if self.itemised:
                items = training if isinstance(training, list) else training.splitlines()
                self._items = set(map(self._item, items))
            else:
                text = training if isinstance(training, str) else "\n".join(training)
                text = text.lower() if self.lowercase else text
                self._known = np.unique(self._hashes(text, grow=True))

    def _item(self, item: str) -> str:
        """An item as it is compared: read as the model reads it, its poem if it is titled."""
        item = item.lower() if self.lowercase else item
        return poem_part(item) if self.titled else item

    def _hashes(self, text: str, grow: bool) -> np.ndarray:
        """A 64-bit hash of every n-gram of ``text`` (characters or words), in order.

        Hashes rather than the n-grams themselves: a megabyte of text has a million 8-character
        runs, about 100 MB as a Python set of strings and 8 MB as this array. Two different
        n-grams share a hash with a chance of about one in 10^13 per generated n-gram against a
        million training ones, far below the figure's precision.
        """
        if self.level == "char":
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        else:
            from engine.data.tokenizer import split_words

            known, extra = self._words, {}

            def code(word: str) -> int:
                # A word the training text lacks gets a code of its own, beyond the known
                # ones, without joining them: every n-gram holding it is new.
                if grow:
                    return known.setdefault(word, len(known))
                found = known.get(word)
                return found if found is not None else len(known) + extra.setdefault(
                    word, len(extra))

            codes = np.fromiter(map(code, split_words(text)), dtype=np.uint64)
        count = len(codes) - self.n + 1
        if count <= 0:
            return np.empty(0, np.uint64)
        h = np.zeros(count, np.uint64)
        for j in range(self.n):
            h = _mix(h + codes[j : j + count])  # mix(mix(a) + b): the order of the codes counts
        return h


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of 64-bit words that spreads every input bit
    (unsigned arithmetic wraps, as intended)."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def novelty_for(kind, vocab, read_training: Callable[[], Training]) -> Novelty | None:
    """The novelty judge of a model of ``kind`` over ``vocab``; None for a translator, whose
    output is fixed by its source rather than written freely, and for a classifier, which
    writes nothing. A model of titled quatrains is judged by its poems."""
    if kind.translates or kind.classifies:
        return None
    titled = writes_quatrains(vocab, kind) and writes_titles(vocab)
    return Novelty(read_training, kind.itemised, vocab.level, vocab.lowercase, titled)
