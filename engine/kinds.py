"""Corpus kinds: everything that one stream, records, pairs or labels corpus means, in one object
each.

A kind is chosen once, where a corpus is loaded (``kind_named`` or ``guess``), and travels with
it. It decides how the text splits into train and validation, which special tokens the
vocabulary needs, how text becomes ids and ids become training and evaluation batches, which
model learns it (a language model, an encoder–decoder for translation pairs, or a classifier
for labelled examples) and how a batch
goes through it, what is too little to train on, where generation starts, what one generated
item is and what the live sample shows, and which quality figures go beside the loss. The trainer,
evaluation, estimates, the sampler and the screens ask the kind; nothing outside this module
compares a kind's name.

Importing this module costs no PyTorch: batching, sampling and translation (which need it) are
imported by the methods that use them, which only run where PyTorch is loaded anyway.
"""

from __future__ import annotations

import random
import statistics
import unicodedata
from collections.abc import Iterator

import numpy as np

from engine.config import KINDS, SPLIT_RULES, TrainConfig
from engine.data.labelled import (
    SIDE,
    Examples,
    Labelled,
    half_blocks,
    looks_labelled,
    parse_labelled_text,
    stratified_split,
)
from engine.data.tokenizer import BOS, EOS, PAD, Vocab
from engine.errors import PoetuiError

VALIDATION_FRACTION = 0.1
SPLIT_SEED = 1337
MAX_VALIDATION_TOKENS = 250_000  # keeps each evaluation to seconds on a CPU
EVAL_BATCH, EVAL_SEQ_LEN = 16, 256


# How a pairs corpus is split, as a model's folder records it. A folder from before the rule
# was recorded split its pairs at random, and keeps doing so (its vocabulary, its resumed run
# and its held-out figures were made from that split).
BY_SOURCE, RANDOM = SPLIT_RULES


def _seeded_split(items: list, key=None) -> tuple[list, list]:
    """A seeded random 10 % of the items is validation (the same every time), in the order they
    came. With ``key``, items of one key stay together: a seeded 10 % of the distinct keys (in
    order of first appearance) is validation, with all their items."""
    keys = [key(x) for x in items] if key is not None else list(range(len(items)))
    groups = list(dict.fromkeys(keys))
    order = list(range(len(groups)))
    random.Random(SPLIT_SEED).shuffle(order)
    n_val = max(1, int(len(groups) * VALIDATION_FRACTION)) if len(groups) > 1 else 0
    held = {groups[i] for i in order[:n_val]}
    return ([x for x, k in zip(items, keys, strict=True) if k not in held],
            [x for x, k in zip(items, keys, strict=True) if k in held])


def normalised(sentence: str) -> str:
    """A sentence as the split compares sources: case, accents' composition, punctuation and
    spacing ignored, so "I left." and "i left!" are one source sentence."""
    text = unicodedata.normalize("NFKC", sentence).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def _check_tokens(vocab: Vocab) -> None:
    if len(vocab) - len(vocab.specials) < 2:
        raise PoetuiError("The corpus has fewer than two distinct tokens; give more varied text.")


class _LanguageKind:
    """What streams and records share: a language model, which generates text by sampling."""

    default_preset = None  # the level's default (engine.presets.DEFAULT_PRESET)
    classifies = False

    def model_settings(self, data) -> dict:
        return {}  # a LanguageModel (engine.nn.model)

    def classes(self, data) -> list[str]:
        return []  # a language model's outputs are its tokens

    def check_vocab(self, vocab: Vocab, data) -> None:
        _check_tokens(vocab)

    def forward(self, model, batch, state, device):
        """(logits (B, T, V), state) of one batch; ``state`` carries across stream windows."""
        from engine.nn.device import to_device

        return model(to_device(batch.x, device), state)

    def live_items(self, model, vocab: Vocab, val_ids, length: int, seed: int) -> list[str]:
        """The sample shown while training (joined by ``separator``): a stretch of text, or a
        few items."""
        from engine.config import SampleConfig
        from engine.generate.sampler import Sampler

        count, per_item = self.live_sample(length)
        config = SampleConfig(length=per_item, temperature=0.8, seed=seed)
        return ["".join(item) for item in Sampler(model, vocab, self).items("", config, count)]

    def quality(self, model, vocab: Vocab, ids, beam: int = 0) -> dict:
        return {}  # the loss says it all for a language model

    def check_text(self, text: str, where: str) -> None:
        """Refuse, naming ``where``, a text this kind finds nothing to train on in: any text
        that is not empty is a stream, and its lines are records."""

    split_rule = None  # one way to split, never recorded

    def splitting(self, rule: str | None) -> Kind:
        return self

    def reversed(self) -> Kind:
        raise PoetuiError("Reversing swaps the two sides of translation pairs; this corpus "
                          f"is a {self.name} corpus, not pairs.")


class StreamKind(_LanguageKind):
    """One long text, read as B parallel streams in TBPTT windows (char-rnn style)."""

    name = "stream"
    translates = False
    itemised = False  # generation writes one stretch of text, not a list of items
    separator = "\n\n"  # between successive samples

    def parse(self, text: str) -> str:
        return text

    def texts(self, data: str) -> list[str]:
        return [data]

    def split(self, text: str) -> tuple[str, str]:
        """The last 10 % is validation: held-out text that follows what the model read."""
        cut = int(len(text) * (1 - VALIDATION_FRACTION))
        return text[:cut], text[cut:]

    def specials(self) -> list[str]:
        return []

    def encode(self, vocab: Vocab, data: str, limit: int | None = None) -> np.ndarray:
        return vocab.encode_array(data)[:limit]

    def check(self, ids: np.ndarray, config: TrainConfig) -> None:
        if len(ids) < config.seq_len * 2 + 2:
            raise PoetuiError(
                f"The corpus is too short for a sequence length of {config.seq_len}; "
                "give more text or a shorter sequence length."
            )

    def enough_to_score(self, ids: np.ndarray) -> bool:
        return len(ids) >= 2

    def train_batches(self, ids: np.ndarray, vocab: Vocab, config: TrainConfig):
        from engine.data.batching import StreamBatches

        return StreamBatches(ids, config.batch, config.seq_len)

    def eval_batches(self, ids: np.ndarray, vocab: Vocab) -> Iterator:
        """Every token scored once, the state carried across windows as in training."""
        from engine.data.batching import eval_windows

        return eval_windows(ids, EVAL_BATCH, EVAL_SEQ_LEN)

    def score_batches(self, ids: np.ndarray, vocab: Vocab) -> Iterator:
        """The evaluation's own batches (so a token's score is the one evaluation counts):
        each run of carried windows, joined along time and read row by row, is the text in
        order."""
        return self.eval_batches(ids, vocab)

    def start_ids(self, vocab: Vocab, prime_ids: list[int]) -> list[int]:
        """The prime; with none, a newline (or the commonest token): where text most naturally
        starts."""
        if prime_ids:
            return prime_ids
        newline = vocab.id_of("\n")
        return [newline if newline is not None else len(vocab.specials)]

    def banned_first(self, vocab: Vocab, prime_ids: list[int]) -> list[int]:
        """Tokens the first generated one may not be. With no prime, whitespace: text starts
        at a word, and greedy decoding from a bare newline would otherwise indent forever."""
        if prime_ids:
            return []
        return [i for i, t in enumerate(vocab.tokens) if t.isspace()]

    def live_sample(self, length: int) -> tuple[int, int]:
        """(items, tokens per item) of the samples shown while training."""
        return 1, length

    def describe(self, data: str) -> dict:
        return {}


class RecordsKind(_LanguageKind):
    """One example per line (a name, a poem): each trained and generated from <bos> to <eos>."""

    name = "records"
    translates = False
    itemised = True
    separator = "\n"

    def parse(self, text: str) -> list[str]:
        """Non-empty lines, stripped: one example each."""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def texts(self, data: list[str]) -> list[str]:
        return data

    def split(self, text: str) -> tuple[list[str], list[str]]:
        """A seeded random 10 % of the records is validation."""
        return _seeded_split(self.parse(text))

    def specials(self) -> list[str]:
        return [PAD, BOS, EOS]

    def encode(self, vocab: Vocab, data: list[str], limit: int | None = None
               ) -> list[np.ndarray]:
        ids, used = [], 0
        for record in data:
            if limit is not None and used >= limit:
                break
            ids.append(vocab.encode_array(record))
            used += len(ids[-1])
        return ids

    def check(self, ids: list[np.ndarray], config: TrainConfig) -> None:
        if not ids:
            raise PoetuiError("The corpus has no records to train on; give one example per line.")

    def enough_to_score(self, ids: list[np.ndarray]) -> bool:
        return bool(ids)

    def train_batches(self, ids: list[np.ndarray], vocab: Vocab, config: TrainConfig):
        from engine.data.batching import RecordBatches

        return RecordBatches(ids, config.batch, vocab.bos_id, vocab.eos_id, vocab.pad_id,
                             config.seq_len)

    def eval_batches(self, ids: list[np.ndarray], vocab: Vocab) -> Iterator:
        from engine.data.batching import RecordBatches

        return RecordBatches(ids, EVAL_BATCH, vocab.bos_id, vocab.eos_id, vocab.pad_id).epoch()

    def score_batches(self, ids: list[np.ndarray], vocab: Vocab) -> Iterator:
        """One record per batch, in the file's order (evaluation groups them by length):
        a record is scored from its <bos> alone whatever batch it is in."""
        from engine.data.batching import RecordBatches

        for record in ids:
            yield from RecordBatches([record], 1, vocab.bos_id, vocab.eos_id,
                                     vocab.pad_id).epoch()

    def start_ids(self, vocab: Vocab, prime_ids: list[int]) -> list[int]:
        """Every record begins at <bos>; a prime is the start of the record."""
        return [vocab.bos_id, *prime_ids]

    def banned_first(self, vocab: Vocab, prime_ids: list[int]) -> list[int]:
        return []  # a record may start however the training records start

    def live_sample(self, length: int) -> tuple[int, int]:
        return 5, min(length, 120)

    def describe(self, data: list[str]) -> dict:
        return {"records": len(data)}


def _pair(line: str) -> tuple[str, str] | None:
    """(source, target) of a line with both, before any tab-separated extra columns."""
    columns = line.split("\t")
    if len(columns) >= 2 and columns[0].strip() and columns[1].strip():
        return columns[0].strip(), columns[1].strip()
    return None


class PairsKind:
    """Source<TAB>target lines (extra columns ignored), for translation: an encoder–decoder
    reads the source and writes the target, character by character. ``reverse`` trains the
    other direction."""

    name = "pairs"
    translates = True  # an encoder–decoder: `poetui translate`, the translate screen
    itemised = False
    separator = "\n"

    def __init__(self, reverse: bool = False, split_rule: str = BY_SOURCE) -> None:
        self.reverse = reverse
        self.split_rule = split_rule

    def reversed(self) -> PairsKind:
        return PairsKind(not self.reverse, self.split_rule)

    def splitting(self, rule: str | None) -> PairsKind:
        """This kind, splitting by the rule a model's folder recorded (None: a folder from
        before the rule was recorded, whose pairs were split at random)."""
        return PairsKind(self.reverse, rule or RANDOM)

    def parse(self, text: str) -> list[tuple[str, str]]:
        pairs = []
        for line in text.splitlines():
            pair = _pair(line)
            if pair is not None:
                pairs.append((pair[1], pair[0]) if self.reverse else pair)
        return pairs

    def check_text(self, text: str, where: str) -> None:
        """A file with no line that is a pair is refused here, where it can be named: parsed
        to nothing, it would otherwise fail later as a corpus of no tokens."""
        if not any(_pair(line) is not None for line in text.splitlines()):
            raise PoetuiError(
                f"There are no `source<TAB>target` lines in {where}; give one source, a tab "
                "and its target per line, or train the file as plain text with `--kind stream`."
            )

    def texts(self, data: list[tuple[str, str]]) -> list[str]:
        return [side for pair in data for side in pair]

    def split(self, text: str) -> tuple[list, list]:
        """A seeded random 10 % of the source sentences is validation, with every pair of
        each: Tatoeba gives one sentence several translations, and a held-out pair whose source
        was trained on (with another translation) measures recall, not translation."""
        if self.split_rule == RANDOM:
            return _seeded_split(self.parse(text))
        return _seeded_split(self.parse(text), key=lambda pair: normalised(pair[0]))

    def specials(self) -> list[str]:
        return [PAD, BOS, EOS]

    default_preset = "translate"
    classifies = False

    def model_settings(self, data) -> dict:
        return {"arch": "seq2seq"}

    def classes(self, data) -> list[str]:
        return []

    def check_vocab(self, vocab: Vocab, data) -> None:
        _check_tokens(vocab)

    def encode(self, vocab: Vocab, data: list[tuple[str, str]], limit: int | None = None,
               ) -> list[tuple[np.ndarray, np.ndarray]]:
        ids, used = [], 0
        for source, target in data:
            if limit is not None and used >= limit:
                break
            ids.append((vocab.encode_array(source), vocab.encode_array(target)))
            used += len(ids[-1][1])
        return ids

    def check(self, ids: list, config: TrainConfig) -> None:
        if not ids:
            raise PoetuiError("The corpus has no pairs to train on; give one "
                              "source<TAB>target pair per line.")

    def enough_to_score(self, ids: list) -> bool:
        return bool(ids)

    def train_batches(self, ids: list, vocab: Vocab, config: TrainConfig):
        from engine.data.batching import PairBatches

        return PairBatches(ids, config.batch, vocab.bos_id, vocab.eos_id, vocab.pad_id,
                           config.seq_len)

    def eval_batches(self, ids: list, vocab: Vocab) -> Iterator:
        from engine.data.batching import PairBatches

        return PairBatches(ids, EVAL_BATCH * 4, vocab.bos_id, vocab.eos_id,
                           vocab.pad_id).epoch(shuffle=False)

    def forward(self, model, batch, state, device):
        """Teacher forcing: the whole target at once; nothing carries between batches."""
        from engine.nn.device import to_device

        logits = model(to_device(batch.src, device), batch.src_lengths,
                       to_device(batch.x, device))
        return logits, None

    def live_items(self, model, vocab: Vocab, val_ids, length: int, seed: int) -> list[str]:
        """A few fixed held-out sentences, translated, beside their references (one each: the
        held-out part keeps a sentence's several translations together)."""
        from engine.generate.translate import Translator

        shown, seen = [], set()
        for source, target in val_ids:
            if len(shown) == LIVE_TRANSLATIONS:
                break
            if tuple(source.tolist()) not in seen:
                seen.add(tuple(source.tolist()))
                shown.append((source, target))
        hypotheses = Translator(model, vocab).greedy([list(s) for s, _ in shown])
        return [f"{vocab.decode(s)} → {h}   ({vocab.decode(t)})"
                for (s, t), h in zip(shown, hypotheses, strict=True)]

    def quality(self, model, vocab: Vocab, ids: list, beam: int = 0) -> dict:
        """chrF, BLEU and exact match of the translations (greedy, or beam of width ``beam``)."""
        from engine.generate.translate import Translator, quality

        if not ids:
            return {}  # a corpus of one pair holds none out: nothing to score
        translator = Translator(model, vocab)
        # One translation per distinct source: a sentence held out with all its translations
        # is decoded once and scored against each of them.
        sources = list(dict.fromkeys(tuple(s.tolist()) for s, _ in ids))
        if beam > 1:
            decoded = [translator.beam(translator.source(vocab.decode(list(s))), beam)[0][0]
                       for s in sources]
        else:
            decoded = translator.greedy([list(s) for s in sources])
        translation = dict(zip(sources, decoded, strict=True))
        return quality([translation[tuple(s.tolist())] for s, _ in ids],
                       [vocab.decode(t) for _, t in ids])

    def describe(self, data: list) -> dict:
        return {"pairs": len(data)}


LIVE_EXAMPLES = 3  # held-out examples in a classifier's live sample


class LabelsKind:
    """A sequence and its class: an image read row by row (28 steps of 28 pixels), or a
    `label<TAB>text` line read token by token. A classifier reads the sequence and names the
    class; its figures are accuracy, accuracy per class and the confusion matrix, and its one
    item is a held-out example with its true and predicted class."""

    name = "labels"
    translates = False
    itemised = False
    classifies = True  # `poetui classify`; the dashboard and desk of a classifier
    separator = "\n\n"
    default_preset = "classify"
    split_rule = None  # one way to split (stratified), never recorded

    def splitting(self, rule: str | None) -> Kind:
        return self

    def parse(self, data) -> Labelled:
        """Labelled examples: images already read from their file, or `label<TAB>text`."""
        return data if isinstance(data, Labelled) else parse_labelled_text(data)

    def check_text(self, text: str, where: str) -> None:
        parse_labelled_text(text, where)

    def reversed(self) -> Kind:
        raise PoetuiError("Reversing swaps the two sides of translation pairs; this corpus "
                          "is labelled examples, not pairs.")

    def texts(self, data: Labelled) -> list[str]:
        return data.texts or []  # images have no tokens to build a vocabulary of

    def split(self, data) -> tuple[Labelled, Labelled]:
        """A seeded 10 % of each class is validation (stratified: every class is measured)."""
        return stratified_split(self.parse(data))

    def specials(self) -> list[str]:
        return [PAD]

    def classes(self, data: Labelled) -> list[str]:
        return data.classes()

    def check_vocab(self, vocab: Vocab, data: Labelled) -> None:
        if len(vocab.classes) < 2:
            raise PoetuiError("A classifier needs examples of at least two classes; this "
                              f"corpus has only '{vocab.classes[0]}'." if vocab.classes else
                              "The corpus has no labelled examples.")
        if data.texts is not None and len(vocab) - len(vocab.specials) < 2:
            raise PoetuiError("The texts have fewer than two distinct tokens; give more "
                              "varied text.")

    def model_settings(self, data: Labelled) -> dict:
        return {"arch": "classifier", "classes": len(self.classes(data)),
                "inputs": SIDE if data.are_images else 0}

    def encode(self, vocab: Vocab, data: Labelled, limit: int | None = None) -> Examples:
        """Class ids by the model's classes; a label it does not know is one sentence."""
        index = {c: i for i, c in enumerate(vocab.classes)}
        unknown = sorted(set(data.labels) - set(index))
        if unknown:
            raise PoetuiError(f"The label{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(repr(u) for u in unknown[:5])} "
                              f"{'are' if len(unknown) > 1 else 'is'} not among the model's "
                              f"classes ({', '.join(vocab.classes)}).")
        targets = np.array([index[label] for label in data.labels], dtype=np.int64)
        if data.images is not None:
            return Examples(targets, images=data.images)
        return Examples(targets, ids=[vocab.encode_array(t) for t in data.texts or []])

    def check(self, ids: Examples, config: TrainConfig) -> None:
        if not len(ids):
            raise PoetuiError("The corpus has no labelled examples to train on.")

    def enough_to_score(self, ids: Examples) -> bool:
        return bool(len(ids))

    def train_batches(self, ids: Examples, vocab: Vocab, config: TrainConfig):
        from engine.data.label_batches import LabelBatches

        return LabelBatches(ids, config.batch, config.shift, vocab.pad_id or 0, config.seq_len,
                            config.rotate, config.elastic, config.scale)

    def eval_batches(self, ids: Examples, vocab: Vocab) -> Iterator:
        from engine.data.label_batches import EVAL_BATCH, LabelBatches

        return LabelBatches(ids, EVAL_BATCH, 0, vocab.pad_id or 0).epoch(shuffle=False)

    def forward(self, model, batch, state, device):
        """(logits (B, 1, C), None): one prediction per example, as a model's (B, T, V)."""
        return model(batch.x.to(device), batch.lengths).unsqueeze(1), None

    def predict(self, model, vocab: Vocab, ids: Examples):
        """(B, C) class probabilities of every example, in order."""
        import torch

        model.eval()
        device = next(model.parameters()).device
        out = []
        with torch.inference_mode():
            for batch in self.eval_batches(ids, vocab):
                out.append(torch.softmax(model(batch.x.to(device), batch.lengths).float(), -1))
        return torch.cat(out).cpu().numpy()

    def quality(self, model, vocab: Vocab, ids: Examples, beam: int = 0) -> dict:
        """Accuracy, accuracy per class and the confusion matrix (rows: the true class,
        columns: the predicted one)."""
        if not len(ids):
            return {}
        predicted = self.predict(model, vocab, ids).argmax(1)
        n = len(vocab.classes)
        confusion = np.zeros((n, n), dtype=np.int64)
        np.add.at(confusion, (ids.targets, predicted), 1)
        totals = confusion.sum(1)
        per_class = {c: (float(confusion[i, i] / totals[i]) if totals[i] else None)
                     for i, c in enumerate(vocab.classes)}
        return {"accuracy": float(np.trace(confusion) / confusion.sum()),
                "per_class": per_class, "confusion": confusion.tolist(),
                "classes": list(vocab.classes)}

    def live_items(self, model, vocab: Vocab, val_ids: Examples, length: int,
                   seed: int) -> list[str]:
        """A few held-out examples (a different few each time), each with its true class, the
        model's guess and how sure it is: an image drawn in half blocks, or the text."""
        if not len(val_ids):
            return []
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(val_ids), size=min(LIVE_EXAMPLES, len(val_ids)), replace=False)
        shown = val_ids.take(chosen)
        probs = self.predict(model, vocab, shown)
        items = []
        for i, p in enumerate(probs):
            guess = int(p.argmax())
            true = vocab.classes[int(shown.targets[i])]
            verdict = "✓" if guess == shown.targets[i] else "✗"
            caption = f"{verdict} true {true} · read {vocab.classes[guess]} ({p[guess]:.0%})"
            if shown.images is not None:
                items.append("\n".join([*half_blocks(shown.images[i]), caption]))
            else:
                assert shown.ids is not None
                items.append(f"{vocab.decode(shown.ids[i].tolist())}\n{caption}")
        return items

    def describe(self, data: Labelled) -> dict:
        counts: dict[str, int] = {}
        for label in data.labels:
            counts[label] = counts.get(label, 0) + 1
        return {"examples": len(data), "classes": len(counts),
                "per_class": {c: counts[c] for c in data.classes()},
                "examples_are": "images" if data.are_images else "texts"}


_KINDS = {k.name: k for k in (StreamKind(), RecordsKind(), PairsKind(), LabelsKind())}

Kind = StreamKind | RecordsKind | PairsKind | LabelsKind
LIVE_TRANSLATIONS = 3


def kind_named(name: str) -> Kind:
    if name not in _KINDS:
        raise PoetuiError(f"Unknown corpus kind '{name}'; use one of {', '.join(KINDS)}.")
    return _KINDS[name]


def guess(text: str) -> Kind:
    """Labels if every line is `label<TAB>text` with few distinct labels; pairs if every
    line has a tab; records if it is many short lines; otherwise one stream.

    A file whose every line holds a tab is meant as pairs even when no line has a target (or
    there is one line): guessed as a stream it would train silently on the tabs as text, where
    as pairs it is refused with the shape it lacks."""
    lines = text.splitlines()
    non_empty = [line for line in lines if line.strip()]
    if non_empty and all("\t" in line for line in non_empty):
        return _KINDS["labels" if looks_labelled(non_empty) else "pairs"]
    blank = len(lines) - len(non_empty)
    if len(non_empty) >= 20 and blank == 0:
        lengths = sorted(len(line) for line in non_empty)
        if statistics.median(lengths) <= 80 and lengths[int(len(lengths) * 0.95)] <= 200:
            return _KINDS["records"]
    return _KINDS["stream"]
