"""poetui's engine: corpora → tokens → batches → model → trainer → events → stores.

The public surface is re-exported here lazily, so importing ``engine`` (or a torch-free module
such as ``engine.store``) does not import PyTorch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "PoetuiError": "engine.errors",
    "Corpus": "engine.corpus",
    "load_corpus": "engine.corpus",
    "describe": "engine.corpus",
    "Vocab": "engine.tokenizer",
    "ModelConfig": "engine.model",
    "LanguageModel": "engine.model",
    "count_parameters": "engine.model",
    "TrainConfig": "engine.trainer",
    "Trainer": "engine.trainer",
    "Sampler": "engine.sampler",
    "SampleConfig": "engine.sampler",
    "create_model": "engine.job",
    "resolve_settings": "engine.job",
    "load_model": "engine.loading",
    "evaluate_file": "engine.evaluate",
    "PRESETS": "engine.presets",
    "RunReader": "engine.runstore",
    "send_command": "engine.runstore",
    "list_models": "engine.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
