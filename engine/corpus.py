"""Corpora: where text comes from and what shape (kind) it has."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from corpora import CARDS, find_card
from corpora.cards import TEST, TRAIN, VALID
from engine.data.cache import cached_files
from engine.data.labelled import Labelled, labelled_images, read_idx_pair
from engine.data.recipes import AS_IS
from engine.data.recipes import apply as apply_recipe
from engine.data.textfile import read_text_file
from engine.errors import PoetuiError, did_you_mean
from engine.kinds import Kind, guess, kind_named

DEFAULT_CORPUS = "python-docs"


@dataclass
class Corpus:
    name: str  # a catalog name, or the path the user gave
    kind: Kind  # what the text means: see engine.kinds
    # All of it (a corpus with its own split: its training then validation text); for images
    # read row by row, the labelled images themselves (engine.data.labelled).
    text: str | Labelled
    source: str  # where it came from, for humans
    kind_origin: str = "guessed"  # how the kind was chosen: guessed | card | given (--kind)
    given_split: tuple[str, str] | None = None  # (train, valid) of a corpus with its own split
    test: str | Labelled | None = None  # its test part, scored once at the end (PTB, MNIST)

    def split(self):
        """(train, validation): the corpus's own when it brings one (PTB), else as its kind
        cuts it."""
        if self.given_split is not None:
            train, valid = self.given_split
            return self.kind.parse(train), self.kind.parse(valid)
        return self.kind.split(self.text)

    def cleaned(self, recipe: str) -> Corpus:
        """The corpus as a preset's recipe reads it (engine.data.recipes); the same for every
        part."""
        if recipe == AS_IS:
            return self
        given = self.given_split
        return replace(self, text=apply_recipe(recipe, self.text),
                       given_split=tuple(apply_recipe(recipe, part) for part in given)
                       if given else None,
                       test=apply_recipe(recipe, self.test) if self.test else None)


def load_corpus(spec: str | None = None, kind: str | None = None) -> Corpus:
    """A catalog/built-in name or a file path; ``kind`` overrides the guessed shape. A catalog
    corpus must be cached (`poetui corpus fetch`); the sentence says so when it is not."""
    spec = spec or DEFAULT_CORPUS
    chosen = kind_named(kind) if kind is not None else None
    card = find_card(spec)
    if card is not None:
        card_kind, origin = (chosen, "given") if chosen else (kind_named(card.kind), "card")
        if card.builtin:
            assert card.provider is not None
            return Corpus(spec, card_kind, card.provider(), card.title, origin)
        files = cached_files(card)
        if card.images:  # MNIST: the IDX files of its training set and of its test set
            train, test = (read_idx_pair(files[f"{part}-images"], None,
                                         files[f"{part}-labels"]) for part in (TRAIN, TEST))
            return Corpus(spec, card_kind, train, card.title, origin, None, test)
        if card.own_split:
            train, valid = read_text_file(files[TRAIN]), read_text_file(files[VALID])
            test = read_text_file(files[TEST]) if TEST in files else None
            return Corpus(spec, card_kind, train + valid, card.title, origin, (train, valid),
                          test)
        # A card of several files (tang-qijue's 58) is their texts one after the other.
        text = "".join(read_text_file(files[s.part]) for s in card.sources)
        return Corpus(spec, card_kind, text, card.title, origin)
    path = Path(spec).expanduser()
    if not path.exists() and "/" not in spec and "." not in spec:
        names = [c.name for c in CARDS]
        raise PoetuiError(
            f"No corpus or file named '{spec}'{did_you_mean(spec, names)}; give a file path or "
            f"one of: {', '.join(names)}."
        )
    if path.is_dir():
        return _split_folder(path, spec, chosen)
    images = labelled_images(path)  # a digits CSV or IDX file: labelled images, not text
    if images is not None:
        if chosen is not None and not chosen.classifies:
            raise PoetuiError(f"{path} holds labelled images, which train only as a "
                              f"classifier; leave out --kind {chosen.name}.")
        return Corpus(str(path), kind_named("labels"), images, str(path.resolve()),
                      "given" if chosen else "guessed")
    text = read_text_file(path)
    corpus_kind = chosen or guess(text)
    corpus_kind.check_text(text, str(path))
    return Corpus(str(path), corpus_kind, text, str(path.resolve()),
                  "given" if chosen else "guessed")


def _split_folder(path: Path, spec: str, chosen: Kind | None) -> Corpus:
    """A folder that brings its own split, as PTB does: one file each whose name holds
    `train`, `valid` and (optionally) `test` — `ptb.train.txt`, `valid.txt` … — honoured as
    given, never cut again."""
    found: dict[str, Path] = {}
    for part in (TRAIN, VALID, TEST):
        matches = sorted(f for f in path.iterdir() if f.is_file() and part in f.name.lower())
        if len(matches) > 1:
            raise PoetuiError(f"The folder {path} has more than one {part} file "
                              f"({', '.join(m.name for m in matches)}); keep one of each.")
        if matches:
            found[part] = matches[0]
    if TRAIN not in found or VALID not in found:
        raise PoetuiError(f"{path} is a folder: give a text file, or a folder with a train and "
                          "a valid file (and optionally a test file) such as ptb.train.txt.")
    parts = {part: read_text_file(file) for part, file in found.items()}
    corpus_kind = chosen or guess(parts[TRAIN])
    for part, text in parts.items():
        corpus_kind.check_text(text, str(found[part]))
    return Corpus(spec, corpus_kind, parts[TRAIN] + parts[VALID], str(path.resolve()),
                  "given" if chosen else "guessed", (parts[TRAIN], parts[VALID]),
                  parts.get(TEST))


def describe(corpus: Corpus) -> dict:
    """Size, vocabulary and a preview: what `poetui corpus info` and the new-model screen show."""
    if isinstance(corpus.text, Labelled):  # images: no characters or words to count
        return {"name": corpus.name, "kind": corpus.kind.name,
                "kind_origin": corpus.kind_origin, "own_split": corpus.test is not None,
                "source": corpus.source, "preview": "", "preset": corpus.kind.default_preset,
                **corpus.kind.describe(corpus.text)}
    words = corpus.text.split()
    info = {
        "name": corpus.name,
        "kind": corpus.kind.name,
        "kind_origin": corpus.kind_origin,
        "own_split": corpus.given_split is not None,
        "source": corpus.source,
        "characters": len(corpus.text),
        "distinct_characters": len(set(corpus.text)),
        "words": len(words),
        "distinct_words": len(set(words)),
        "lines": corpus.text.count("\n") + (not corpus.text.endswith("\n")),
        "preview": corpus.text[:400],
    }
    info.update(corpus.kind.describe(corpus.kind.parse(corpus.text)))
    return info
