"""The cleaning of the classic exercises, as named recipes a preset applies to whatever text it
trains on (so `poetui train my_poems.txt --preset tang-wujue` cleans a user's file the same way).
A recipe belongs to the model: evaluation reads a file through it too.

- ``as-is``: the text unchanged.
- ``tang-poems``: the TensorFlow Tang-poem generator's filters: spaces dropped, `title:poem`
  lines only, poems with none of `_ ( （ 《 [` and 5 to 79 characters long.
- ``tang-qijue``: the same filters for seven-character quatrains: `title:poem` lines whose poem
  (spaces dropped) is four lines of seven characters closed by `，。，。`, with none of
  `_ ( （ 《 [ □` (a missing character) in it; the title is kept as written.
- ``cookbook-words``: the TensorFlow cookbook's word-level Shakespeare: lowercase, punctuation
  stripped except `-` and `'`, whitespace collapsed (its words seen 5 times or fewer become
  <unk> by the preset's min_freq of 6).
"""

from __future__ import annotations

import re

from engine.errors import PoetuiError

AS_IS = "as-is"  # the text unchanged: what a model without a recipe reads
RECIPES = (AS_IS, "tang-poems", "tang-qijue", "cookbook-words")
TANG_BANNED = set("_(（《[")
# Four lines of seven characters, none of them punctuation, a space or a banned one.
_LINE7 = r"[^，。、；：？！,.;:?!「」『』（）()\s_（《\[□]{7}"
QIJUE = re.compile(f"{_LINE7}，{_LINE7}。{_LINE7}，{_LINE7}。")
NOT_COOKBOOK = re.compile(r"[^\w\s'-]+")


def apply(recipe: str, text: str) -> str:
    if recipe == AS_IS:
        return text
    if recipe == "cookbook-words":
        return " ".join(NOT_COOKBOOK.sub(" ", text.lower()).split())
    if recipe == "tang-poems":
        # The generator drops spaces inside a poem before it filters.
        return "\n".join(line for line in (raw.replace(" ", "").strip()
                                            for raw in text.splitlines())
                         if _good_poem(line)) + "\n"
    if recipe == "tang-qijue":
        kept = []
        for line in text.splitlines():
            title, colon, poem = line.partition(":")
            poem = poem.replace(" ", "").strip()
            if colon and QIJUE.fullmatch(poem):
                kept.append(f"{title.strip()}:{poem}")
        return "\n".join(kept) + "\n"
    raise PoetuiError(f"Unknown recipe '{recipe}'; use one of {', '.join(RECIPES)}.")


def for_prime(recipe: str, text: str) -> str:
    """A prime read as the corpus was: the same cleaning, without dropping the whole of it
    (a prime is the start of a poem, not a `title:poem` line)."""
    return apply(recipe, text) if recipe == "cookbook-words" else text


def _good_poem(line: str) -> bool:
    title, colon, poem = line.partition(":")
    return bool(colon) and 5 <= len(poem) <= 79 and not (TANG_BANNED & set(poem))
