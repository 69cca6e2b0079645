"""What the rules of regulated verse ask of the next character, read from the text so far: the
context a model with verse context (tang-wujue, tang-qijue) reads beside each token.

A token's own verse features (its tones, its rhyme groups) say what a character *is*; they
do not say where in a poem the model stands, nor what the poem so far asks for — and a small
model trained for minutes does not learn to count columns and remember line 2's rhyme from the
text alone (1–3 % regulated, 4–5 % rhyming in the issue-20 bench). This module keeps, per
stream, a few integers updated by every token (column, line, the tones at the columns the
rules tie together, the rhyme group line 2 set) and gives, for the next token, CONTEXT numbers:

- the tone the rules ask at the next column (2 columns, 平 and 仄, in the layout of the verse
  features): at the second column the first line's opposite (對) on even lines and its copy
  (粘) on odd ones; at the fourth the opposite of the second; at a seven-character line's sixth
  the opposite of the fourth; at a line's end 平 on even lines (the rhyme), 仄 on the third
  and later odd ones. These are the four patterns of engine.generate.verse spelt as relations
  between columns, so they hold whichever pattern the first line chose; a free column, a
  character of both tones or of none there asks nothing;
- at the end of the fourth (and every later even) line, the rhyme groups the even lines so
  far share (30 columns, as the verse features' groups);
- the column and line as one-hots, and whether the title is still being written.

The model learns how far to follow them; sampling stays unconstrained (nothing is masked).
Plain numpy, the same code for a batch of records (training, evaluation) and for a stream a
token at a time (the samplers' steppers), so the two read the same context.
"""

from __future__ import annotations

import numpy as np

from engine.config import VERSE_CONTEXT, VERSE_FEATURES

GROUPS = VERSE_FEATURES - 2  # the level-tone rhyme groups, after the two tone columns
COLUMNS, LINES = 8, 9  # one-hots of the next column and the line (the last ones: beyond)
CONTEXT = VERSE_CONTEXT
assert CONTEXT == VERSE_FEATURES + COLUMNS + LINES + 1
OTHER, LETTER, LINE_END, TITLE_END = 0, 1, 2, 3  # a token's role (the ``roles`` table)
LEVEL_CODE, OBLIQUE_CODE = 1, 2  # a character's tones as bits: 3 both, 0 none
# The state's slots: in the poem (past the title), column, lines finished, the first line's
# size, the tones at this line's 2nd and 4th column and the previous line's 2nd, the last
# letter's rhyme groups (bits), the groups every finished even line shares (bits).
IN_POEM, COLUMN, LINE, SIZE, SECOND, FOURTH, PREVIOUS, LAST, RHYME = range(9)
SLOTS = 9
ALL_GROUPS = (1 << GROUPS) - 1


def roles(tokens: list[str]) -> np.ndarray:
    """(V,) int: each token's role — a letter, a line's end (，。), the title's end (:)."""
    out = np.zeros(len(tokens), dtype=np.int64)
    for i, token in enumerate(tokens):
        if token in ("，", "。"):
            out[i] = LINE_END
        elif token == ":":
            out[i] = TITLE_END
        elif len(token) == 1 and not token.isspace():
            out[i] = LETTER
    return out


def _opposite(code: np.ndarray) -> np.ndarray:
    return np.where((code == LEVEL_CODE) | (code == OBLIQUE_CODE), 3 - code, 0)


def _single(code: np.ndarray) -> np.ndarray:
    return np.where((code == LEVEL_CODE) | (code == OBLIQUE_CODE), code, 0)


class VerseContext:
    """The context of ``verse`` (V, VERSE_FEATURES: the tokens' tones and groups, 0/1) and
    ``roles`` (V,), stepped over streams of token ids."""

    def __init__(self, verse: np.ndarray, roles: np.ndarray) -> None:
        verse = np.asarray(verse) > 0
        self.codes = verse[:, 0] * LEVEL_CODE + verse[:, 1] * OBLIQUE_CODE
        self.groups = (verse[:, 2:].astype(np.int64) << np.arange(GROUPS)).sum(axis=1)
        self.roles = np.asarray(roles, dtype=np.int64)
        self.titled = bool((self.roles == TITLE_END).any())

    def begin(self) -> np.ndarray:
        """(SLOTS,) int: the state before a record's first token."""
        state = np.zeros(SLOTS, dtype=np.int64)
        state[IN_POEM] = 0 if self.titled else 1
        state[RHYME] = ALL_GROUPS
        return state

    def advance(self, state: np.ndarray, token) -> np.ndarray:
        """Read ``token`` (an id, or an array of N) into ``state`` ((SLOTS,) or (N, SLOTS),
        updated in place); the context for the next token, (CONTEXT,) or (N, CONTEXT)."""
        token = np.asarray(token)
        role, code, groups = self.roles[token], self.codes[token], self.groups[token]
        s = {k: state[..., k] for k in range(SLOTS)}
        in_poem = s[IN_POEM] == 1
        letter, end = in_poem & (role == LETTER), in_poem & (role == LINE_END)
        column = np.where(letter, s[COLUMN] + 1, s[COLUMN])
        second = np.where(letter & (column == 2), code, s[SECOND])
        fourth = np.where(letter & (column == 4), code, s[FOURTH])
        last = np.where(letter, groups, s[LAST])
        size = np.where(end & (s[LINE] == 0), column, s[SIZE])
        rhyme = np.where(end & (s[LINE] % 2 == 1), s[RHYME] & last, s[RHYME])
        state[..., PREVIOUS] = np.where(end, second, s[PREVIOUS])
        state[..., SECOND] = np.where(end, 0, second)
        state[..., FOURTH] = np.where(end, 0, fourth)
        state[..., LINE] = np.where(end, s[LINE] + 1, s[LINE])
        state[..., COLUMN] = np.where(end, 0, column)
        state[..., SIZE], state[..., LAST], state[..., RHYME] = size, last, rhyme
        state[..., IN_POEM] = np.where(~in_poem & (role == TITLE_END), 1, s[IN_POEM])
        return self.read(state)

    def read(self, state: np.ndarray) -> np.ndarray:
        """The context a state gives the next token."""
        column, line, size = state[..., COLUMN], state[..., LINE], state[..., SIZE]
        odd = line % 2 == 1
        wanted = np.zeros_like(column)
        at_end = (size > 0) & (column == size - 1)
        wanted = np.where((column == 1) & (line > 0),
                          np.where(odd, _opposite(state[..., PREVIOUS]),
                                   _single(state[..., PREVIOUS])), wanted)
        wanted = np.where(column == 3, _opposite(state[..., SECOND]), wanted)
        wanted = np.where((column == 5) & (size != 5), _opposite(state[..., FOURTH]), wanted)
        wanted = np.where(at_end, np.where(odd, LEVEL_CODE,
                                           np.where(line >= 2, OBLIQUE_CODE, 0)), wanted)
        in_poem = state[..., IN_POEM] == 1
        wanted = np.where(in_poem, wanted, 0)
        rhyme = np.where(in_poem & at_end & odd & (line >= 3) & (state[..., RHYME] != ALL_GROUPS),
                         state[..., RHYME], 0)
        out = np.zeros((*column.shape, CONTEXT), dtype=np.float32)
        out[..., 0] = wanted == LEVEL_CODE
        out[..., 1] = wanted == OBLIQUE_CODE
        out[..., 2:VERSE_FEATURES] = (rhyme[..., None] >> np.arange(GROUPS)) & 1
        where = VERSE_FEATURES + np.minimum(column, COLUMNS - 1)
        np.put_along_axis(out, where[..., None], np.where(in_poem, 1.0, 0.0)[..., None], -1)
        where = VERSE_FEATURES + COLUMNS + np.minimum(line, LINES - 1)
        np.put_along_axis(out, where[..., None], np.where(in_poem, 1.0, 0.0)[..., None], -1)
        out[..., CONTEXT - 1] = ~in_poem
        return out

    def sequence(self, ids: np.ndarray) -> np.ndarray:
        """(B, T, CONTEXT): the context after each token of records ``ids`` (B, T) that begin
        at their start (padding reads as nothing)."""
        state = np.repeat(self.begin()[None], ids.shape[0], axis=0)
        out = np.empty((*ids.shape, CONTEXT), dtype=np.float32)
        for t in range(ids.shape[1]):
            out[:, t] = self.advance(state, ids[:, t])
        return out
