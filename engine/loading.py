"""Opening a stored model for sampling or evaluation: its folder's settings made into a network
with the checkpoint's weights, and the sampler, translator or novelty judge it serves."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.generate.novelty import Novelty, novelty_for
from engine.generate.sampler import Sampler
from engine.kinds import Kind
from engine.nn.model import build_model
from engine.nn.threads import torch_threads
from engine.storage import checkpoint, store
from engine.storage.folder import ModelFolder


@dataclass
class LoadedModel:
    folder: ModelFolder
    model: torch.nn.Module  # a LanguageModel, a Seq2Seq (translation) or a SequenceClassifier
    vocab: Vocab
    kind: Kind
    state: dict  # the checkpoint's state.json

    @property
    def name(self) -> str:
        return self.folder.name

    def sampler(self) -> Sampler:
        if self.kind.classifies:
            raise PoetuiError(f"Model '{self.name}' classifies rather than writes; use "
                              f"`poetui classify {self.name} TEXT|FILE`.")
        if self.kind.translates:
            raise PoetuiError(f"Model '{self.name}' translates rather than writes; use "
                              f"`poetui translate {self.name} TEXT`.")
        return Sampler(self.model, self.vocab, self.kind, self.folder.recipe)

    def translator(self):
        from engine.generate.translate import Translator

        if not self.kind.translates:
            raise PoetuiError(f"Model '{self.name}' writes text rather than translates; use "
                              f"`poetui sample {self.name}`.")
        return Translator(self.model, self.vocab)

    def classifier(self):
        from engine.generate.classify import Classifier

        if not self.kind.classifies:
            raise PoetuiError(f"Model '{self.name}' writes text rather than classifies; use "
                              f"`poetui sample {self.name}`.")
        return Classifier(self.model, self.vocab, self.kind)

    def novelty(self) -> Novelty | None:
        """The judge of how much of what it writes is new, against the training part of its
        corpus as trained; None for a translator. The corpus is read at the first score, which
        raises PoetuiError if it is no longer there."""
        return novelty_for(self.kind, self.vocab, self.folder.training_part)


def load_model(name: str, which: str = "best") -> LoadedModel:
    """The best-validation weights (or the latest, if there is no best yet)."""
    folder = store.open_model(name)
    # On one thread: building and filling the model is copying, as fast on one, and a thread
    # that ran PyTorch on several keeps an OpenMP pool for as long as it lives, which slows
    # every other thread's parallel work (engine.nn.threads.on_model_thread).
    with torch_threads(1):
        try:
            model = build_model(folder.model_config())
        except (ValueError, TypeError):
            raise PoetuiError(f"The settings of model '{name}' are damaged; delete it with "
                              f"`poetui models rm {name}` and train it again.") from None
        vocab, kind = folder.vocab(), folder.kind
        if which == "best" and folder.pointer("best") is None:
            which = "latest"
        state = checkpoint.load_weights(folder.path, which, model)
    model.eval()
    return LoadedModel(folder, model, vocab, kind, state)
