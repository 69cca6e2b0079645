"""Decoding constraints: what the next token may be, given what was written so far. The sampler
asks a constraint before each choice and masks everything else, so a form or an acrostic holds
by construction, not by luck.

A Tang quatrain (絕句): four lines of five characters (五言) or seven (七言), `，` after lines 1
and 3, `。` after lines 2 and 4 — after the title and its colon when the model writes titles. A
regulated poem of eight lines (律詩) goes on in the same way; the checker reads both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from engine.data.tokenizer import Vocab

SIZES = (5, 7)  # characters per line: 五言, 七言
LINES = 4
MAX_TITLE = 24  # characters a title may run to before its colon is forced
ENDS = ("，", "。", "，", "。")
PUNCTUATION = set("，。、；：？！,.;:?!「」『』（）() \n")


@dataclass(frozen=True)
class Shape:
    size: int  # characters per line
    lines: int  # 4 (絕句) or 8 (律詩)


def shape_of(poem: str) -> Shape | None:
    """The shape of a well-formed poem: 4 or 8 lines of 5 or 7 characters, each line closed by
    ， and 。 in turn; None for anything else."""
    for size in SIZES:
        for lines in (LINES, 2 * LINES):
            if len(poem) == lines * (size + 1) and _lines_hold(poem, size, lines):
                return Shape(size, lines)
    return None


def _lines_hold(poem: str, size: int, lines: int) -> bool:
    for i in range(lines):
        line = poem[i * (size + 1) : (i + 1) * (size + 1)]
        if line[-1] != ENDS[i % 4] or any(ch in PUNCTUATION for ch in line[:-1]):
            return False
    return True


def well_formed(poem: str, size: int | None = None) -> bool:
    """A quatrain: four lines of five or seven characters (``size`` when given), ，。，。"""
    shape = shape_of(poem)
    return shape is not None and shape.lines == LINES and size in (None, shape.size)


def layout(poem: str) -> tuple[int, int, int | None]:
    """Where the next character of a poem written to the form goes: (line, column, size), the
    size None while the first line is still open to five or seven characters."""
    cut = next((i for i, ch in enumerate(poem) if ch in "，。"), None)
    if cut is None:
        return 0, len(poem), None
    line, column = divmod(len(poem), cut + 1)
    return line, column, cut


def poem_part(record: str) -> str:
    """The poem of a `title:poem` record (the record itself when it has no title)."""
    return record.partition(":")[2] if ":" in record else record


@dataclass
class QuatrainForm:
    """Constrains a `title:poem` record (or a bare poem, ``titled=False``) to a quatrain, with
    line i starting with ``heads[i]`` when an acrostic is asked for (藏頭詩). The model's first
    line says whether it writes five or seven characters a line (``size`` fixes it); ``lines``
    8 asks for a regulated poem of eight lines."""

    vocab: Vocab
    heads: str = ""
    titled: bool = True
    form: bool = True  # False: only the acrostic is enforced
    size: int | None = None
    lines: int = LINES
    opening: str = ""  # the poem's first characters, written as given (a prime past a title)
    # The share of the model's probability each masked choice removed, per token of the item
    # being written (the sampler fills it in): what keeping to the form costs.
    pruned: list[float] = field(default_factory=list, init=False)
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
        # Letters and ':' (which PUNCTUATION holds too): the title may end where the model ends it.
        self._title = np.array([i for i, t in enumerate(tokens) if t not in self.vocab.specials
                                and (t not in PUNCTUATION or t == ":")], dtype=np.int64)
        self._comma = self.vocab.index.get("，")
        unknown = [h for h in self.heads + self.opening if h not in self.vocab.index]
        if unknown or len(self.heads) > self.lines:
            from engine.errors import PoetuiError

            raise PoetuiError(
                (f"An acrostic takes up to {self.lines} characters the model knows"
                 if self.heads or not unknown else "A poem can only open with characters "
                 "the model knows")
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
        size = self.size
        if self.form:
            line, column, size = layout(poem)
            size = self.size or size
        else:  # lines end where the model puts their punctuation
            line = sum(ch in "，。" for ch in poem)
            column = 0 if not poem or poem[-1] in "，。" else 1
        # Free lines may hold anything but a second colon, which would start another title.
        free = self._no_colon if self.titled and colon is not None else None
        if len(poem) < len(self.opening):
            return [self.vocab.index[self.opening[len(poem)]]]
        if line >= self.lines:
            return [self.vocab.eos_id] if self.form and self.vocab.eos_id is not None else free
        if column == 0 and line < len(self.heads):
            return [self.vocab.index[self.heads[line]]]
        if not self.form:
            return free
        if size is None and column == min(SIZES) and self._comma is not None:
            return np.append(self._letters, self._comma)  # five characters, or on to seven
        if column == (size or max(SIZES)):
            end = self.vocab.index.get(ENDS[line % 4])
            return [end] if end is not None else None
        return self._letters


def writes_quatrains(vocab: Vocab, kind) -> bool:
    """Whether a model can be held to the quatrain form: one that writes items (poems) and
    knows the form's ，and 。"""
    return kind.itemised and all(end in vocab.index for end in set(ENDS))


def writes_titles(vocab: Vocab) -> bool:
    """Whether the model writes `title:poem` records (its vocabulary has the colon)."""
    return ":" in vocab.index


def quatrain_constraint(vocab: Vocab, heads: str = "", form: bool = False, opening: str = ""
                        ) -> QuatrainForm | None:
    """The constraint for an acrostic on ``heads``, the form, and/or a poem that opens with
    ``opening`` (after the title the model writes); None when nothing is asked for, so the
    model writes freely. Raises PoetuiError (a plain sentence) for heads the model cannot
    write."""
    if not heads and not form and not opening:
        return None
    return QuatrainForm(vocab, heads, writes_titles(vocab), form, opening=opening)


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
