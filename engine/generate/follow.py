"""The model's state kept in step with a text as it is typed (co-writing, after Robin Sloan's
rnn-writer, but local: no re-sending of the text, one model step per token typed).

A character model steps once per character; a word model once per word, when the word is
complete (a space or a punctuation mark after it): the word being typed is held back and a
suggestion must start with it. Deleting goes back to the position kept after the last token
that is still there, so editing never re-runs the text from its start."""

from __future__ import annotations

import torch

from engine.config import SampleConfig
from engine.data.recipes import for_prime
from engine.data.tokenizer import split_words
from engine.generate.sampler import Position, Sampler


class Follower:
    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.vocab = sampler.vocab
        self.positions: list[Position] = [sampler.begin("")]  # [i]: after i tokens of the text
        self.ids: list[int] = []
        self.partial = ""  # word level: the word being typed, not yet fed
        self.spaced = False  # the text ends in a space: a suggestion needs none before it

    @property
    def position(self) -> Position:
        return self.positions[-1]

    def follow(self, text: str) -> int:
        """Bring the state to the end of ``text``; how many model steps that took."""
        ids, self.partial = self._tokens(text)
        self.spaced = text[-1:].isspace()
        same = 0
        for a, b in zip(self.ids, ids, strict=False):
            if a != b:
                break
            same += 1
        del self.positions[same + 1 :], self.ids[same:]
        for token in ids[same:]:
            position = self.positions[-1].copy()
            position.feed(token)
            self.positions.append(position)
            self.ids.append(token)
        return len(ids) - same

    def _tokens(self, text: str) -> tuple[list[int], str]:
        text = for_prime(self.sampler.recipe, text)
        if self.vocab.level == "char":
            return self.vocab.encode(text), ""
        words = split_words(text.lower() if self.vocab.lowercase else text)
        partial = ""
        if words and text and not text[-1].isspace() and words[-1][-1:].isalnum():
            partial = words.pop()  # still being typed: "the ca" is "the" and part of a word
        unk = self.vocab.unk_id
        ids = [self.vocab.index.get(w, unk) for w in words]
        return [i for i in ids if i is not None], partial

    def suggest(self, count: int, characters: int, config: SampleConfig,
                generator: torch.Generator) -> list[str]:
        """Up to ``count`` different continuations of about ``characters`` characters, written
        in one batched pass from where the text stands (a word model's first word completes
        the one being typed). Best first by the model's probability; [] when the model knows
        no word that starts like the one typed."""
        position = self.position
        allowed = None
        if self.partial:
            allowed = [i for i, t in enumerate(self.vocab.tokens)
                       if t.startswith(self.partial) and t not in self.vocab.specials]
            if not allowed:
                return []
        # A token is at least a character: this many steps always reach the length.
        steps = characters if self.vocab.level == "char" else max(2, characters // 3)
        cut = SampleConfig(**{**config.__dict__, "length": steps})
        branches = self.sampler.branches(position, count, cut, generator, first=allowed)
        out: dict[str, float] = {}
        for written, _ in branches:
            text = "".join(w.piece for w in written)
            if self.partial and written:  # the first word's rest, as typed on from its start
                text = text.lstrip()[len(self.partial):]
            elif self.spaced or not self.ids:
                text = text.lstrip(" ")
            text = _cut(text, characters)
            if text.strip():  # a line break or spaces alone would show as nothing
                out.setdefault(text, -sum(w.surprisal for w in written))
        return sorted(out, key=out.get, reverse=True)


def _cut(text: str, characters: int) -> str:
    """At most ``characters`` characters, ended at a line's end if there is one sooner."""
    text = text[:characters]
    line = text.find("\n")
    return text[: line + 1] if line >= 0 else text

