"""Does the model write, or copy? The share of what it generated that never occurs in the text
it trained on: whole items (names, poems) for a records model, n-grams of 8 characters or 4
words for a stream (torch-rnn ships a script for this; poetui shows it live)."""

from __future__ import annotations

from collections.abc import Iterable

CHAR_N, WORD_N = 8, 4


def novel_items(generated: Iterable[str], training: Iterable[str]) -> float:
    """Share of generated items that are not one of the training items."""
    seen = set(training)
    items = [g for g in generated if g]
    return sum(g not in seen for g in items) / max(len(items), 1)


def ngrams(pieces: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(pieces[i : i + n]) for i in range(len(pieces) - n + 1)}


def novel_ngrams(generated: str, training: str, level: str) -> float:
    """Share of the generated n-grams (8 characters, or 4 words) absent from the training text."""
    from engine.tokenizer import split_words

    split = list if level == "char" else split_words
    n = CHAR_N if level == "char" else WORD_N
    mine = ngrams(split(generated), n)
    if not mine:
        return 1.0
    known = ngrams(split(training), n)
    return sum(g not in known for g in mine) / len(mine)


def novelty_of(loaded, outputs: list[str]) -> float:
    """The novelty of ``outputs`` of a stored model, against the training part of its corpus
    read as the model reads it (its lowercasing, its kind's split)."""
    from engine.corpus import load_corpus
    from engine.job import cleaned

    corpus = loaded.meta["corpus"]
    recipe = loaded.meta.get("recipe", "as-is")
    train, _ = cleaned(load_corpus(corpus["name"], corpus["kind"]), recipe).split()
    lower = (lambda s: s.lower()) if loaded.vocab.lowercase else (lambda s: s)
    if loaded.kind.itemised:
        return novel_items([lower(o) for o in outputs], [lower(t) for t in train])
    return novel_ngrams("\n".join(outputs), lower(train), loaded.vocab.level)
