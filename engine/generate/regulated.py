"""Regulated decoding: a quatrain written to the form whose every character also keeps to the
tones of a pattern still open, and whose even lines rhyme (the rules of
engine.generate.verse). The sampler masks everything else, so what it writes is regulated by
construction.

A pattern stays open while every character written so far at a position it constrains fits
its tone; the next character may be any whose tone fits one open pattern there. While the
first line has not yet shown five or seven characters, patterns of both sizes are open.

Dead ends: the fourth line must end in the second line's rhyme group, and a narrow group may
leave the model nothing likely by then. Looking ahead, the second line may only end in a
group with at least ``wide`` characters the model knows (寬韻), so line 4 has a choice; the
bench measures what that saves (the mass the mask removes at line 4's rhyme).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.generate import verse
from engine.generate.forms import SIZES, QuatrainForm, layout, poem_part

WIDE = 30  # characters a rhyme group must hold in the vocabulary for line 2 to end in it


@dataclass
class RegulatedForm(QuatrainForm):
    """QuatrainForm, and the tones and rhyme of regulated verse (近體). ``heads`` fall on the
    first column, which is free in every pattern, so an acrostic never fights the tones."""

    wide: int = WIDE
    _fit: dict[str, np.ndarray] = field(init=False)  # tone → bool (V,): letters that fit it
    _groups: np.ndarray = field(init=False)  # bool (V, G): each letter's level groups
    _wide: np.ndarray = field(init=False)  # bool (G,): groups line 2 may end in

    def __post_init__(self) -> None:
        super().__post_init__()
        table = verse.table()
        size = len(self.vocab)
        letters = np.zeros(size, dtype=bool)
        letters[self._letters] = True
        self._fit = {tone: np.zeros(size, dtype=bool) for tone in (verse.LEVEL, verse.OBLIQUE)}
        names = {g: i for i, g in enumerate(table.groups)}
        self._groups = np.zeros((size, len(names)), dtype=bool)
        self._tones: list[frozenset[str]] = []
        for i, token in enumerate(self.vocab.tokens):
            tones = table.tones_of(token) if letters[i] else frozenset()
            self._tones.append(tones)
            for tone in tones:
                self._fit[tone][i] = True
            for g in table.groups_of(token) if letters[i] else ():
                self._groups[i, names[g]] = True
        held = self._groups.sum(axis=0)
        self._wide = held >= self.wide if (held >= self.wide).any() else held > 0
        self._index = self.vocab.index

    def allowed(self, written: str) -> np.ndarray | list[int] | None:
        base = super().allowed(written)
        in_title = self.titled and ":" not in written and ":" in self._index
        if in_title or base is not self._letters and not self._undecided(base):
            return base  # the title, punctuation, an acrostic's head, the end
        poem = poem_part(written) if self.titled else written
        line, column, size = layout(poem)
        size = self.size or size
        mask = np.zeros(len(self.vocab), dtype=bool)
        comma = False
        for pattern in self._open(poem, size):
            if column == pattern.size:  # a five-character line may end here
                comma = True
                continue
            if column in verse.FREE[pattern.size]:
                mask[self._letters] = True
            else:
                mask |= self._fit[pattern.tones[line][column]]
        last = column == (size or 0) - 1
        if last and line % 2 == 1:
            mask &= self._rhymes(poem, size, line)
        ids = np.flatnonzero(mask)
        if comma and self._comma is not None:
            ids = np.append(ids, self._comma)
        return ids if len(ids) else base  # never nothing: the form still holds

    def _undecided(self, base) -> bool:
        """The first line's sixth place: a letter (seven characters) or ， (five)."""
        return isinstance(base, np.ndarray) and base.shape == (len(self._letters) + 1,)

    def _open(self, poem: str, size: int | None) -> list[verse.Pattern]:
        """The patterns every character written so far fits."""
        # Undecided, the first line may still be of any size it has not outgrown.
        sizes = (size,) if size else tuple(s for s in SIZES if len(poem) <= s)
        open_ = []
        for s in sizes:
            lines = [poem[i : i + s] for i in range(0, len(poem), s + 1)]
            if size is None and lines:
                lines = [lines[0][:s]]  # the first line, as far as it goes
            for pattern in verse.patterns(s, self.lines):
                if all(j in verse.FREE[s] or pattern.tones[i][j] in self._tones_of(ch)
                       for i, text in enumerate(lines) for j, ch in enumerate(text)
                       if ch not in "，。"):
                    open_.append(pattern)
        return open_

    def _tones_of(self, ch: str) -> frozenset[str]:
        i = self._index.get(ch)
        return self._tones[i] if i is not None else frozenset()

    def _rhymes(self, poem: str, size: int, line: int) -> np.ndarray:
        """Letters that may end even line ``line`` (0-based odd): a wide group on line 2, then
        a group every earlier even line's end shares."""
        ends = [poem[(i + 1) * (size + 1) - 2] for i in range(1, line, 2)]
        if not ends:
            return self._groups[:, self._wide].any(axis=1)
        shared = np.ones(self._groups.shape[1], dtype=bool)
        for ch in ends:
            i = self._index.get(ch)
            shared &= self._groups[i] if i is not None else False
        return self._groups[:, shared].any(axis=1)


def regulated_constraint(vocab, heads: str = "", opening: str = "", wide: int = WIDE
                         ) -> RegulatedForm:
    """Regulated decoding (with an acrostic on ``heads``, a poem opening with ``opening``),
    titled when the model writes titles. Raises PoetuiError for heads the model cannot write.
    The opening's characters are written as given, so they may close every pattern; the
    rest of the poem then keeps to the form only."""
    from engine.generate.forms import writes_titles

    return RegulatedForm(vocab, heads, writes_titles(vocab), True, opening=opening, wide=wide)
