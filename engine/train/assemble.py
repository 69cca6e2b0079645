"""A training run put together from a model folder: its settings, vocabulary and corpus, read
again and made into the parts a ``Trainer`` trains on, resumed from its latest checkpoint when
it has one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from engine.config import ModelConfig, TrainConfig
from engine.corpus import load_corpus
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.generate.novelty import novelty_for
from engine.kinds import MAX_VALIDATION_TOKENS
from engine.nn.device import pick_device, resolve_precision
from engine.nn.model import build_model
from engine.storage import checkpoint
from engine.storage.store import META, read_json
from engine.train.job import cleaned
from engine.train.trainer import Trainer


def open_trainer(model_dir: Path, overrides: dict | None = None) -> Trainer:
    """The trainer of the model in ``model_dir``, fresh or at its latest checkpoint."""
    meta = read_json(model_dir / META)
    try:
        vocab = Vocab.load(model_dir / "vocab.json")
        config = TrainConfig.from_json({**meta["train"], **(overrides or {})})
        model_config = ModelConfig(**meta["model"])
        corpus_name, kind_name = meta["corpus"]["name"], meta["corpus"]["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        raise PoetuiError(
            f"The settings or vocabulary of model '{model_dir.name}' are damaged, so it cannot "
            f"resume; delete it with `poetui models rm {model_dir.name}` and train it again."
        ) from None
    corpus = load_corpus(corpus_name, kind_name)
    if meta["corpus"].get("reverse"):
        corpus = replace(corpus, kind=corpus.kind.reversed())
    corpus = cleaned(corpus, meta.get("recipe", "as-is"))
    kind = corpus.kind
    train, val = corpus.split()
    train_ids = kind.encode(vocab, train)
    kind.check(train_ids, config)
    val_ids = kind.encode(vocab, val, MAX_VALIDATION_TOKENS)
    test_ids = kind.encode(vocab, kind.parse(corpus.test)) if corpus.test else None

    device = pick_device(config.device)
    precision = resolve_precision(config.precision, device)
    torch.manual_seed(config.seed)  # the same seed, the same initial weights
    model = build_model(model_config).to(device)
    trainer = Trainer(model_dir, model, vocab, kind, kind.train_batches(train_ids, vocab, config),
                      val_ids, config, device, precision,
                      novelty_for(kind, vocab, lambda: train), test_ids)
    if checkpoint.pointer(model_dir, "latest") is not None:
        trainer.restore()
    return trainer
