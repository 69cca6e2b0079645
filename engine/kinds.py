"""Corpus kinds: everything that one stream, records or pairs corpus means, in one object each.

A kind is chosen once, where a corpus is loaded (``kind_named`` or ``guess``), and travels with
it. It decides how the text splits into train and validation, which special tokens the
vocabulary needs, how text becomes ids and ids become training and evaluation batches, which
model learns it (a language model, or an encoder–decoder for translation pairs) and how a batch
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
from collections.abc import Iterator

import numpy as np

from engine.config import KINDS, TrainConfig
from engine.data.tokenizer import BOS, EOS, PAD, Vocab
from engine.errors import PoetuiError

VALIDATION_FRACTION = 0.1
SPLIT_SEED = 1337
MAX_VALIDATION_TOKENS = 250_000  # keeps each evaluation to seconds on a CPU
EVAL_BATCH, EVAL_SEQ_LEN = 16, 256


def _seeded_split(items: list) -> tuple[list, list]:
    """A seeded random 10 % of the items is validation (the same every time)."""
    order = list(range(len(items)))
    random.Random(SPLIT_SEED).shuffle(order)
    n_val = max(1, int(len(items) * VALIDATION_FRACTION)) if len(items) > 1 else 0
    val_ids = set(order[:n_val])
    return ([x for i, x in enumerate(items) if i not in val_ids],
            [x for i, x in enumerate(items) if i in val_ids])


class _LanguageKind:
    """What streams and records share: a language model, which generates text by sampling."""

    default_preset = None  # the level's default (engine.presets.DEFAULT_PRESET)

    def model_settings(self) -> dict:
        return {}  # a LanguageModel (engine.nn.model)

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

    def __init__(self, reverse: bool = False) -> None:
        self.reverse = reverse

    def reversed(self) -> PairsKind:
        return PairsKind(not self.reverse)

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
        """A seeded random 10 % of the pairs is validation."""
        return _seeded_split(self.parse(text))

    def specials(self) -> list[str]:
        return [PAD, BOS, EOS]

    default_preset = "translate"

    def model_settings(self) -> dict:
        return {"arch": "seq2seq"}

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
        """A few fixed held-out sentences, translated, beside their references."""
        from engine.generate.translate import Translator

        shown = val_ids[:LIVE_TRANSLATIONS]
        hypotheses = Translator(model, vocab).greedy([list(s) for s, _ in shown])
        return [f"{vocab.decode(s)} → {h}   ({vocab.decode(t)})"
                for (s, t), h in zip(shown, hypotheses, strict=True)]

    def quality(self, model, vocab: Vocab, ids: list, beam: int = 0) -> dict:
        """chrF, BLEU and exact match of the translations (greedy, or beam of width ``beam``)."""
        from engine.generate.translate import Translator, quality

        if not ids:
            return {}  # a corpus of one pair holds none out: nothing to score
        translator = Translator(model, vocab)
        sources = [list(s) for s, _ in ids]
        if beam > 1:
            hypotheses = [translator.beam(translator.source(vocab.decode(s)), beam)[0][0]
                          for s in sources]
        else:
            hypotheses = translator.greedy(sources)
        return quality(hypotheses, [vocab.decode(t) for _, t in ids])

    def describe(self, data: list) -> dict:
        return {"pairs": len(data)}


_KINDS = {k.name: k for k in (StreamKind(), RecordsKind(), PairsKind())}

Kind = StreamKind | RecordsKind | PairsKind
LIVE_TRANSLATIONS = 3


def kind_named(name: str) -> Kind:
    if name not in _KINDS:
        raise PoetuiError(f"Unknown corpus kind '{name}'; use one of {', '.join(KINDS)}.")
    return _KINDS[name]


def guess(text: str) -> Kind:
    """Pairs if every line has a tab; records if it is many short lines; otherwise one stream.

    A file whose every line holds a tab is meant as pairs even when no line has a target (or
    there is one line): guessed as a stream it would train silently on the tabs as text, where
    as pairs it is refused with the shape it lacks."""
    lines = text.splitlines()
    non_empty = [line for line in lines if line.strip()]
    if non_empty and all("\t" in line for line in non_empty):
        return _KINDS["pairs"]
    blank = len(lines) - len(non_empty)
    if len(non_empty) >= 20 and blank == 0:
        lengths = sorted(len(line) for line in non_empty)
        if statistics.median(lengths) <= 80 and lengths[int(len(lengths) * 0.95)] <= 200:
            return _KINDS["records"]
    return _KINDS["stream"]
