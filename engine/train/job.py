"""Creating a model: corpus + preset + overrides → a model folder with its settings and vocab.

Torch-free: creating a model or changing its budget is reading and writing JSON.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from engine.config import (
    BUDGETS,
    LEVELS,
    ModelConfig,
    TrainConfig,
    count_parameters,
    training_memory,
)
from engine.corpus import Corpus, load_corpus
from engine.data.recipes import AS_IS
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError, write_failure
from engine.presets import DEFAULT_PRESET, preset_named
from engine.storage import store
from engine.storage.folder import write_settings

MODEL_FIELDS = {f.name for f in fields(ModelConfig)} - {"vocab_size"}
TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}
VOCAB_FIELDS = {"level", "min_freq", "max_vocab", "lowercase", "recipe"}


def resolve_settings(preset: str | None, overrides: dict, default: str | None = None,
                     ) -> tuple[str, dict]:
    """(preset name, settings): the preset's values under the user's explicit ones. With no
    preset: ``default`` (what the corpus kind suggests), else the level's default."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    level = overrides.get("level") or "char"
    if level not in LEVELS:
        raise PoetuiError(f"Unknown level '{level}'; use char or word.")
    name = preset or default or DEFAULT_PRESET[level]
    preset_obj = preset_named(name)
    user_budget = any(overrides.get(b) is not None for b in BUDGETS)
    minutes = overrides.get("minutes") if user_budget else preset_obj.settings.get("minutes")
    settings = preset_obj.for_budget(minutes)
    if user_budget:
        for b in BUDGETS:  # one budget given by the user replaces the preset's
            settings.pop(b, None)
    settings.update(overrides)
    unknown = set(settings) - MODEL_FIELDS - TRAIN_FIELDS - VOCAB_FIELDS - {"kind", "reverse"}
    if unknown:
        raise PoetuiError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    return name, settings


@dataclass
class Plan:
    """Everything a model is made from, checked: what creating it and estimating it share."""
    preset: str
    corpus: Corpus
    vocab: Vocab
    model: ModelConfig
    train: TrainConfig
    level: str
    train_ids: object  # the training split as token ids, in the corpus kind's shape
    recipe: str = AS_IS


def plan(corpus_spec: str | None, preset: str | None = None, **overrides) -> Plan:
    corpus = load_corpus(corpus_spec, overrides.pop("kind", None))
    preset_name, settings = resolve_settings(preset, overrides, corpus.kind.default_preset)
    if settings.pop("reverse", False):
        corpus = replace(corpus, kind=corpus.kind.reversed())
    corpus = corpus.cleaned(settings.get("recipe", AS_IS))
    level = settings.get("level", "char")
    if int(settings.get("max_vocab", 0)) < 0:
        raise PoetuiError("The vocabulary cap is a number of words: give 1 or more (or 0 for no "
                          "cap).")
    min_freq = settings.get("min_freq", 1)
    # 0 or less kept every word, as 1 does, and said nothing: a sign of a mistaken setting.
    if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
        raise PoetuiError(f"The minimum word frequency is how often a word must occur to be kept: "
                          f"a whole number of 1 or more (not {min_freq}).")
    kind = corpus.kind
    train_part = corpus.split()[0]
    settings.update(kind.model_settings(train_part))
    vocab = Vocab.build(kind.texts(train_part), level, kind.specials(),
                        int(settings.get("min_freq", 1)), bool(settings.get("lowercase", False)),
                        int(settings.get("max_vocab", 0)))
    vocab.classes = kind.classes(train_part)
    kind.check_vocab(vocab, train_part)
    try:
        model = ModelConfig(vocab_size=len(vocab),
                            **{k: v for k, v in settings.items() if k in MODEL_FIELDS})
        train = TrainConfig(**{k: v for k, v in settings.items() if k in TRAIN_FIELDS})
    except (TypeError, ValueError) as exc:
        raise PoetuiError(f"Bad model settings: {exc}.") from None
    train_ids = kind.encode(vocab, train_part)
    kind.check(train_ids, train)  # too short first: the memory a window needs is then real
    check_memory(model, train)
    return Plan(preset_name, corpus, vocab, model, train, level, train_ids,
                settings.get("recipe", AS_IS))


def available_memory() -> int | None:
    """Bytes this machine can still give (MemAvailable), or None where it cannot say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def check_memory(model: ModelConfig, train: TrainConfig) -> None:
    """Refuse, before anything is allocated, a model that cannot fit: the allocator's own
    failure comes late (after gigabytes), or never (a billion layers)."""
    need, have = training_memory(model, train.batch, train.seq_len), available_memory()
    if have is not None and need > have:
        raise PoetuiError(
            f"A {model.layers}×{model.hidden} {model.cell} has {count_parameters(model):,} "
            f"parameters and needs about {_gb(need)} to train with batch {train.batch} and "
            f"sequence length {train.seq_len}, but this machine has {_gb(have)} free; choose "
            "a smaller hidden size, fewer layers, a smaller batch or a shorter sequence length."
        )


def _gb(n: int) -> str:
    return f"{n / 2**30:,.1f} GB"


def create_model(corpus_spec: str | None, name: str | None = None, preset: str | None = None,
                 **overrides) -> Path:
    """Make a new model folder (settings + vocabulary); training starts from it.

    The folder is built under a hidden temporary name and renamed into place whole, so a
    failure leaves no half model, and of two creates of one name exactly one succeeds."""
    if name is not None:
        store.validate_name(name)
        _refuse_existing(name)
    p = plan(corpus_spec, preset, **overrides)
    corpus, vocab, model, train = p.corpus, p.vocab, p.model, p.train
    name = name if name is not None else store.unique_name(
        f"{Path(corpus.name).stem}-{model.cell}")
    meta = {
        "name": name,
        "created": time.time(),
        "preset": p.preset,
        "corpus": {"name": corpus.name, "kind": corpus.kind.name, "source": corpus.source,
                   "reverse": bool(getattr(corpus.kind, "reverse", False)),
                   **({"split": corpus.kind.split_rule} if corpus.kind.split_rule else {})},
        "level": p.level,
        "recipe": p.recipe,
        "model": model.to_json(),
        "train": asdict(train),
        "parameters": count_parameters(model),
        "vocab_size": len(vocab),
    }
    return make_folder(name, meta, vocab)


def make_folder(name: str, meta: dict, vocab: Vocab, copies: dict[str, Path] | None = None,
                ) -> Path:
    """Write a new model's folder: its settings, its vocabulary and ``copies`` (a name in
    the folder → the file copied there), under a hidden name renamed into place whole."""
    path = store.model_path(name)
    tmp = path.with_name(f".{name}.{os.getpid()}.new")
    try:
        tmp.mkdir(parents=True)
        vocab.save(tmp / "vocab.json")
        for inside, source in (copies or {}).items():
            shutil.copyfile(source, tmp / inside)
        write_settings(tmp, meta)
        os.rename(tmp, path)  # fails if the name was taken meanwhile
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _refuse_existing(name)
        raise write_failure(exc, path.parent) from None
    return path


def _refuse_existing(name: str) -> None:
    if store.model_path(name).exists():
        raise PoetuiError(f"A model named '{name}' already exists; pick another name, or "
                          "resume that model to train it further.")


def resumed_settings(name: str, overrides: dict) -> dict | None:
    """For --resume: the model's settings with a new budget (or other training setting) from
    the command line, checked; None when nothing changes. Writes nothing."""
    changes = {k: v for k, v in overrides.items() if v is not None and k in TRAIN_FIELDS}
    folder = store.open_model(name)
    if not changes:
        return None
    if any(changes.get(b) is not None for b in BUDGETS):
        changes = {**dict.fromkeys(BUDGETS), **changes}  # one budget replaces the others
    return folder.with_train_settings(changes)


def update_budget(name: str, overrides: dict) -> Path:
    """Write what ``resumed_settings`` checked. Call it with nothing training the model (the
    worker does, once it holds the model's lock), so a refused resume changes nothing."""
    meta = resumed_settings(name, overrides)
    folder = store.open_model(name)
    if meta is not None:
        folder.write(meta)
    return folder.path
