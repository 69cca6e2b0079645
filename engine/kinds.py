"""Corpus kinds: everything that one stream, records or pairs corpus means, in one object each.

A kind is chosen once, where a corpus is loaded (``kind_named`` or ``guess``), and travels with
it. It decides how the text splits into train and validation, which special tokens the
vocabulary needs, how text becomes ids and ids become training and evaluation batches, what is
too little to train on, where generation starts and what one generated item is. The trainer,
evaluation, estimates, the sampler and the screens ask the kind; nothing outside this module
compares a kind's name.

Importing this module costs no PyTorch: batching (which needs it) is imported by the methods
that make batches, which only run where PyTorch is loaded anyway.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator

import numpy as np

from engine.config import KINDS, TrainConfig
from engine.errors import PoetuiError
from engine.tokenizer import BOS, EOS, PAD, Vocab

VALIDATION_FRACTION = 0.1
SPLIT_SEED = 1337
MAX_VALIDATION_TOKENS = 250_000  # keeps each evaluation to seconds on a CPU
EVAL_BATCH, EVAL_SEQ_LEN = 16, 256


class StreamKind:
    """One long text, read as B parallel streams in TBPTT windows (char-rnn style)."""

    name = "stream"
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
                "give more text or a smaller --seq-len."
            )

    def enough_to_score(self, ids: np.ndarray) -> bool:
        return len(ids) >= 2

    def train_batches(self, ids: np.ndarray, vocab: Vocab, config: TrainConfig):
        from engine.batching import StreamBatches

        return StreamBatches(ids, config.batch, config.seq_len)

    def eval_batches(self, ids: np.ndarray, vocab: Vocab) -> Iterator:
        """Every token scored once, the state carried across windows as in training."""
        from engine.batching import eval_windows

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


class RecordsKind:
    """One example per line (a name, a poem): each trained and generated from <bos> to <eos>."""

    name = "records"
    itemised = True
    separator = "\n"

    def parse(self, text: str) -> list[str]:
        """Non-empty lines, stripped: one example each."""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def texts(self, data: list[str]) -> list[str]:
        return data

    def split(self, text: str) -> tuple[list[str], list[str]]:
        """A seeded random 10 % of the records is validation."""
        records = self.parse(text)
        order = list(range(len(records)))
        random.Random(SPLIT_SEED).shuffle(order)
        n_val = max(1, int(len(records) * VALIDATION_FRACTION)) if len(records) > 1 else 0
        val_ids = set(order[:n_val])
        train = [r for i, r in enumerate(records) if i not in val_ids]
        val = [r for i, r in enumerate(records) if i in val_ids]
        return train, val

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
        from engine.batching import RecordBatches

        return RecordBatches(ids, config.batch, vocab.bos_id, vocab.eos_id, vocab.pad_id,
                             config.seq_len)

    def eval_batches(self, ids: list[np.ndarray], vocab: Vocab) -> Iterator:
        from engine.batching import RecordBatches

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


class PairsKind(RecordsKind):
    """Source<TAB>target lines, for translation. Until the encoder–decoder exists, a pairs
    corpus is refused rather than trained as something it is not. Models made as pairs by
    earlier versions (trained as records) still sample and evaluate as records."""

    name = "pairs"

    def check(self, ids: list[np.ndarray], config: TrainConfig) -> None:
        raise PoetuiError(
            "Translation models for tab-separated pairs are not available yet; to train this "
            "file as a language model of whole lines meanwhile, add --kind records."
        )


_KINDS = {k.name: k for k in (StreamKind(), RecordsKind(), PairsKind())}

Kind = StreamKind | RecordsKind | PairsKind


def kind_named(name: str) -> Kind:
    if name not in _KINDS:
        raise PoetuiError(f"Unknown corpus kind '{name}'; use one of {', '.join(KINDS)}.")
    return _KINDS[name]


def guess(text: str) -> Kind:
    """Pairs if every line has a tab; records if it is many short lines; otherwise one stream."""
    lines = text.splitlines()
    non_empty = [line for line in lines if line.strip()]
    if len(non_empty) >= 2 and all("\t" in line for line in non_empty):
        return _KINDS["pairs"]
    blank = len(lines) - len(non_empty)
    if len(non_empty) >= 20 and blank == 0:
        lengths = sorted(len(line) for line in non_empty)
        if statistics.median(lengths) <= 80 and lengths[int(len(lengths) * 0.95)] <= 200:
            return _KINDS["records"]
    return _KINDS["stream"]
