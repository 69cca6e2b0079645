"""Opening a stored model for sampling or evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from engine.config import ModelConfig
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.generate.sampler import Sampler
from engine.kinds import Kind, kind_named
from engine.nn.model import build_model
from engine.storage import checkpoint, store
from engine.storage.store import META


@dataclass
class LoadedModel:
    name: str
    path: Path
    model: torch.nn.Module  # a LanguageModel, or a Seq2Seq for a translation model
    vocab: Vocab
    kind: Kind
    meta: dict
    state: dict  # the checkpoint's state.json

    def sampler(self) -> Sampler:
        if self.kind.translates:
            raise PoetuiError(f"Model '{self.name}' translates rather than writes; use "
                              f"`poetui translate {self.name} TEXT`.")
        return Sampler(self.model, self.vocab, self.kind, self.meta.get("recipe", "as-is"))

    def translator(self):
        from engine.generate.translate import Translator

        if not self.kind.translates:
            raise PoetuiError(f"Model '{self.name}' writes text rather than translates; use "
                              f"`poetui sample {self.name}`.")
        return Translator(self.model, self.vocab)


def load_model(name: str, which: str = "best") -> LoadedModel:
    """The best-validation weights (or the latest, if there is no best yet)."""
    path = store.existing(name)
    meta = store.read_json(path / META)
    try:
        vocab = Vocab.load(path / "vocab.json")
        model = build_model(ModelConfig(**meta["model"]))
        kind = kind_named(meta["corpus"]["kind"])
        if meta["corpus"].get("reverse"):
            kind = kind.reversed()
    except (OSError, ValueError, KeyError, TypeError, PoetuiError):
        raise PoetuiError(
            f"The settings or vocabulary of model '{name}' are damaged; delete it with "
            f"`poetui models rm {name}` and train it again."
        ) from None
    if which == "best" and checkpoint.pointer(path, "best") is None:
        which = "latest"
    state = checkpoint.load_weights(path, which, model)
    model.eval()
    return LoadedModel(name, path, model, vocab, kind, meta, state)
