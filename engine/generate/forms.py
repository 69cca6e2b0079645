"""Decoding constraints: what the next token may be, given what was written so far. The sampler
asks a constraint before each choice and masks everything else, so a form or an acrostic holds
by construction, not by luck.

A Tang five-character quatrain (五言絕句): four lines of five characters, `，` after lines 1
and 3, `。` after lines 2 and 4 — after the title and its colon when the model writes titles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from engine.data.tokenizer import Vocab

LINE, LINES = 5, 4
MAX_TITLE = 24  # characters a title may run to before its colon is forced
ENDS = ("，", "。", "，", "。")
PUNCTUATION = set("，。、；：？！,.;:?!「」『』（）() \n")


def well_formed(poem: str) -> bool:
    """Four lines of five characters with ，。，。 after them."""
    if len(poem) != LINES * (LINE + 1):
        return False
    for i in range(LINES):
        line = poem[i * (LINE + 1) : (i + 1) * (LINE + 1)]
        if line[-1] != ENDS[i] or any(ch in PUNCTUATION for ch in line[:-1]):
            return False
    return True


def poem_part(record: str) -> str:
    """The poem of a `title:poem` record (the record itself when it has no title)."""
    return record.partition(":")[2] if ":" in record else record


@dataclass
class QuatrainForm:
    """Constrains a `title:poem` record (or a bare poem, ``titled=False``) to a quatrain, with
    line i starting with ``heads[i]`` when an acrostic is asked for (藏頭詩)."""

    vocab: Vocab
    heads: str = ""
    titled: bool = True
    form: bool = True  # False: only the acrostic is enforced
    # Arrays, not lists: the sampler indexes the logits with them at every token, and a list
    # of 6,000 ids costs 15 ms a token to convert, an array nothing.
    _letters: np.ndarray = field(init=False)
    _no_colon: np.ndarray = field(init=False)
    _title: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        tokens = self.vocab.tokens
        self._letters = np.array([i for i, t in enumerate(tokens) if t not in self.vocab.specials
                                  and t not in PUNCTUATION and t != ":"], dtype=np.int64)
        self._no_colon = np.array([i for i, t in enumerate(tokens) if t != ":"], dtype=np.int64)
        self._title = np.array([i for i, t in enumerate(tokens) if t not in self.vocab.specials
                                and t not in PUNCTUATION], dtype=np.int64)  # letters and ':'
        unknown = [h for h in self.heads if h not in self.vocab.index]
        if unknown or len(self.heads) > LINES:
            from engine.errors import PoetuiError

            raise PoetuiError(
                f"An acrostic takes up to {LINES} characters the model knows"
                + (f"; it has never seen {', '.join(map(repr, unknown))}." if unknown else ".")
            )

    def allowed(self, written: str) -> np.ndarray | list[int] | None:
        """Token ids the next token may be, or None for any."""
        colon = self.vocab.index.get(":")
        if self.titled and ":" not in written and colon is not None:
            if not written:
                return self._letters
            return [colon] if len(written) >= MAX_TITLE else self._title
        poem = poem_part(written) if self.titled else written
        if self.form:
            line, column = divmod(len(poem), LINE + 1)
        else:  # lines end where the model puts their punctuation
            line = sum(ch in "，。" for ch in poem)
            column = 0 if not poem or poem[-1] in "，。" else 1
        # Free lines may hold anything but a second colon, which would start another title.
        free = self._no_colon if self.titled and colon is not None else None
        if line >= LINES:
            return [self.vocab.eos_id] if self.form and self.vocab.eos_id is not None else free
        if column == 0 and line < len(self.heads):
            return [self.vocab.index[self.heads[line]]]
        if not self.form:
            return free
        if column == LINE:
            end = self.vocab.index.get(ENDS[line])
            return [end] if end is not None else None
        return self._letters


def writes_quatrains(vocab: Vocab, kind) -> bool:
    """Whether a model can be held to the quatrain form: one that writes items (poems) and
    knows the form's ，and 。"""
    return kind.itemised and all(end in vocab.index for end in set(ENDS))


def writes_titles(vocab: Vocab) -> bool:
    """Whether the model writes `title:poem` records (its vocabulary has the colon)."""
    return ":" in vocab.index


def quatrain_constraint(vocab: Vocab, heads: str = "", form: bool = False
                        ) -> QuatrainForm | None:
    """The constraint for an acrostic on ``heads`` and/or the form; None when neither is asked
    for, so the model writes freely. Raises PoetuiError (a plain sentence) for heads the
    model cannot write."""
    if not heads and not form:
        return None
    return QuatrainForm(vocab, heads, writes_titles(vocab), form)


def untitled(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of a `title:poem` record without its title and colon: held back until the
    colon, then passed on as they come. A record that never writes a colon is all poem, so
    it comes out whole at its end."""
    held: list[str] = []
    titled = True
    for piece in pieces:
        if not titled:
            yield piece
            continue
        _, colon, rest = piece.partition(":")
        if colon:
            titled = False
            held.clear()
            if rest:
                yield rest
        else:
            held.append(piece)
    yield from held


def in_lines(pieces: Iterable[str], indent: str = "") -> Iterator[str]:
    """A quatrain streamed as it is read: its title (up to the colon) on a line of its own,
    then its four lines, each after a line break (and ``indent``) that follows the ，or 。 of
    the line before. Written as one line, a poem wraps wherever the screen ends."""
    ends, titled = 0, False
    for piece in pieces:
        out = ""
        for ch in piece:
            out += ch
            if ch == ":" and not titled and not ends:
                titled = True
                out += "\n" + indent
            elif ch in "，。" and ends < len(ENDS):
                ends += 1
                if ends < len(ENDS):
                    out += "\n" + indent
        yield out
