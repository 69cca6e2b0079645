"""A training run put together from a model folder: its settings, vocabulary and corpus, read
again and made into the parts a ``Trainer`` trains on, resumed from its latest checkpoint when
it has one."""

from __future__ import annotations

from pathlib import Path

import torch

from engine.errors import PoetuiError
from engine.generate.novelty import novelty_for
from engine.kinds import MAX_VALIDATION_TOKENS
from engine.nn.device import pick_device, prepare, resolve_precision
from engine.nn.grow import grown_weights
from engine.nn.model import build_model
from engine.storage.folder import ModelFolder
from engine.train.trainer import Trainer


def open_trainer(model_dir: Path, overrides: dict | None = None) -> Trainer:
    """The trainer of the model in ``model_dir``, fresh or at its latest checkpoint."""
    folder = ModelFolder(model_dir)
    trainer = assemble(folder, overrides)
    start = folder.start_weights
    latest = folder.pointer("latest")
    if start is not None and latest is None:
        trainer.model.load_state_dict(_start_weights(folder, trainer.model))
        if trainer.average:  # the average starts where the weights do
            trainer.average.model.load_state_dict(trainer.model.state_dict())
    if latest is not None:
        trainer.restore()
    return trainer


def assemble(folder: ModelFolder, overrides: dict | None = None,
             follower: int | None = None) -> Trainer:
    """A trainer over the folder's settings, its network freshly made. ``follower`` (a local
    rank) for a process of a data-parallel run that is not the lead: it takes that rank's GPU,
    and its weights come from the lead, not from the folder."""
    vocab, config = folder.vocab(), folder.train_config(overrides)
    model_config = folder.model_config()
    corpus = folder.corpus_as_trained()
    kind = corpus.kind
    train, val = corpus.split()
    train_ids = kind.encode(vocab, train)
    kind.check(train_ids, config)
    lead = follower is None
    val_ids = kind.encode(vocab, val, MAX_VALIDATION_TOKENS) if lead else None
    test_ids = kind.encode(vocab, kind.parse(corpus.test)) if corpus.test and lead else None

    device = pick_device(config.device)
    if device.type == "cuda" and not lead:
        device = torch.device("cuda", follower)
        torch.cuda.set_device(device)
    precision = resolve_precision(config.precision, device)
    prepare(device)
    torch.manual_seed(config.seed)  # the same seed, the same initial weights
    model = build_model(model_config)
    if model_config.verse_features:
        from engine.generate.verse import features

        model.verse.copy_(features(vocab.tokens))
    if model_config.verse_context:
        from engine.nn.verse_context import roles

        model.verse_role.copy_(torch.from_numpy(roles(vocab.tokens)))
    model = model.to(device)
    novelty = novelty_for(kind, vocab, lambda: train) if lead else None
    return Trainer(folder.path, model, vocab, kind, kind.train_batches(train_ids, vocab, config),
                   val_ids, config, device, precision, novelty, test_ids)


def _start_weights(folder: ModelFolder, model: torch.nn.Module) -> dict:
    """A continued model's first weights: the model it came from, grown to its vocabulary."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    origin = folder.origin or {}
    try:
        old = load_file(str(folder.start_weights))
        grown = grown_weights(old, model, int(origin["vocab_size"]))
    except (SafetensorError, OSError, KeyError, ValueError, RuntimeError):
        raise PoetuiError(
            f"The weights model '{folder.name}' starts from ({folder.start_weights}) are "
            f"damaged or missing; delete it with `poetui models rm {folder.name}` and "
            f"continue '{origin.get('model', 'the old model')}' again."
        ) from None
    for name in ("verse", "verse_role"):  # from the vocabulary (the new tokens' too)
        if name in grown:
            grown[name] = getattr(model, name)
    return grown
