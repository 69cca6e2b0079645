"""Continuing a model on new text: a new model folder that starts from another's weights.

The recipe, the shape of the network and the training settings are the old model's (the
user's --lr, budget and other training settings go over them); the vocabulary is the old one
with the new text's unseen characters or words appended, so every old token keeps its id. The
old model's weights file is copied in as they were (``start.safetensors``) and grown to the new
vocabulary when training first starts (``engine.nn.grow``), so making the model stays torch-free
and the new model does not depend on the old one staying as it is.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

from engine.config import ModelConfig, count_parameters
from engine.corpus import load_corpus
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.storage import pointers, store
from engine.storage.folder import START
from engine.train.job import MODEL_FIELDS, TRAIN_FIELDS, _refuse_existing, check_memory, make_folder

# What continuing keeps from the old model and so cannot be set again: the weights have its
# shape and its tokens, and the text is read by its recipe.
KEPT = MODEL_FIELDS | {"kind", "level", "min_freq", "max_vocab", "lowercase", "recipe", "reverse"}


def continue_model(text_spec: str | None, source: str, name: str | None = None,
                   **overrides) -> Path:
    """Make the model ``name`` that continues ``source`` (a model of the library) on the text
    ``text_spec``; training starts from ``source``'s weights (its best checkpoint, as `poetui
    sample` uses, else its latest)."""
    if text_spec is None:
        raise PoetuiError("Continuing a model needs the new text to train on: "
                          "`poetui train NEWTEXT --from MODEL --name NEW`.")
    given = sorted(k for k, v in overrides.items() if v is not None and k in KEPT)
    if given:
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in given)
        raise PoetuiError(f"{flags} cannot change when continuing a model (the weights have "
                          "its shape, its tokens and its recipe); leave them out.")
    unknown = sorted(k for k, v in overrides.items() if v is not None and k not in TRAIN_FIELDS)
    if unknown:
        raise PoetuiError(f"Unknown setting(s): {', '.join(unknown)}.")
    if name is not None:
        store.validate_name(name)
        _refuse_existing(name)
    old = store.open_model(source)
    meta_old = old.meta  # a damaged model says so here
    which = "best" if old.pointer("best") is not None else "latest"
    point = old.pointer(which)
    weights = pointers.folder(old.path, which)
    if point is None or weights is None:
        raise PoetuiError(f"Model '{source}' has no saved weights yet; train it first, then "
                          "continue it on new text.")

    kind = old.kind
    corpus = load_corpus(text_spec, old.kind_name)
    corpus = replace(corpus, kind=kind).cleaned(old.recipe)
    train_part = corpus.split()[0]
    vocab = grown_vocab(old.vocab(), kind.texts(train_part), kind.specials())
    model = ModelConfig(**{**old.model_settings, "vocab_size": len(vocab)})
    changes = {k: v for k, v in overrides.items() if v is not None}
    if any(k in changes for k in ("steps", "epochs", "minutes")):
        changes = {"steps": None, "epochs": None, "minutes": None, **changes}
    train = old.train_config(changes)
    train_ids = kind.encode(vocab, train_part)
    kind.check(train_ids, train)
    check_memory(model, train)
    name = name if name is not None else store.unique_name(f"{source}-on-{Path(corpus.name).stem}")
    meta = {
        "name": name,
        "created": time.time(),
        "preset": old.preset,
        "corpus": {"name": corpus.name, "kind": kind.name, "source": corpus.source,
                   "reverse": bool(meta_old["corpus"].get("reverse"))},
        "level": old.level,
        "recipe": old.recipe,
        "model": model.to_json(),
        "train": asdict(train),
        "parameters": count_parameters(model),
        "vocab_size": len(vocab),
        "from": {"model": source, "step": int(point["step"]), "checkpoint": which,
                 "vocab_size": len(old.vocab()), "corpus": old.corpus_name},
    }
    return make_folder(name, meta, vocab, {START: weights / "weights.safetensors"})


def grown_vocab(old: Vocab, texts: list[str], specials: list[str]) -> Vocab:
    """The old vocabulary with the tokens of ``texts`` it lacks appended (most frequent first,
    by the old one's frequency cut-off): every old token keeps its id."""
    seen = Vocab.build(texts, old.level, specials, old.min_freq, old.lowercase)
    added = [t for t in seen.tokens if t not in old.index]
    return Vocab(old.level, [*old.tokens, *added], list(old.specials), old.min_freq,
                 old.lowercase)
