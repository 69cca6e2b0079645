"""The training loop: TBPTT for streams, padded batches for records; reports through events.

It never prints. ``Trainer.run(emit, control)`` calls ``emit(event)`` for every step,
evaluation, sample, checkpoint, state change and the end, and calls ``control()`` a few times a
second for commands (pause, resume, stop, checkpoint, sample) from whoever is watching.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F

from engine import checkpoint
from engine.averaging import WeightAverage
from engine.batching import IGNORE, RecordBatches, StreamBatches, eval_windows
from engine.corpus import Corpus, load_corpus
from engine.device import autocast, pick_device, resolve_precision
from engine.errors import PoetuiError
from engine.events import (
    CheckpointEvent,
    DoneEvent,
    EvalEvent,
    Event,
    SampleEvent,
    StateEvent,
    StepEvent,
)
from engine.model import LanguageModel, ModelConfig, detach_state
from engine.sampler import SampleConfig, Sampler
from engine.store import META, read_json
from engine.tokenizer import Vocab

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("cosine", "constant", "step")
MAX_VALIDATION_TOKENS = 250_000  # keeps each evaluation to seconds on a CPU


@dataclass
class TrainConfig:
    optimizer: str = "adamw"
    lr: float = 3e-3
    min_lr_ratio: float = 0.1  # cosine ends at lr × this
    weight_decay: float = 0.0
    average: float = 0.0  # decay of the weight average that is evaluated and saved; 0: none
    beta2: float = 0.99
    clip: float = 1.0
    clip_mode: str = "norm"  # norm: global norm; value: element-wise, as the numpy exercise
    schedule: str = "cosine"
    decay: float = 0.5  # step schedule: lr × decay^(epoch − decay_after) after decay_after
    decay_after: int = 4
    warmup: int = 50  # steps of linear warm-up
    batch: int = 64
    seq_len: int = 128  # TBPTT window (streams); longest record (records)
    minutes: float | None = None
    epochs: float | None = None
    steps: int | None = None
    eval_every: int = 0  # steps; 0: ten times over the budget
    sample_every: int = 0  # steps; 0: with every evaluation
    sample_length: int = 200
    checkpoint_minutes: float = 5.0  # latest checkpoint at least this often (training time)
    seed: int = 1337
    device: str = "auto"
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise PoetuiError(f"Unknown optimizer '{self.optimizer}'; use {', '.join(OPTIMIZERS)}.")
        if self.schedule not in SCHEDULES:
            raise PoetuiError(f"Unknown schedule '{self.schedule}'; use {', '.join(SCHEDULES)}.")
        if self.clip_mode not in ("norm", "value"):
            raise PoetuiError("Clipping is either 'norm' or 'value'.")
        if not 0.0 <= self.average < 1.0:
            raise PoetuiError("The weight-average decay must be at least 0 and below 1.")
        if self.lr <= 0 or self.batch < 1 or self.seq_len < 2:
            raise PoetuiError("Learning rate, batch and sequence length must be positive.")
        if not (self.minutes or self.epochs or self.steps):
            self.epochs = 10

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def validation_loss(model: LanguageModel, data, vocab: Vocab, kind: str, device, precision,
                    batch: int = 16, seq_len: int = 256) -> tuple[float, int]:
    """(mean nats per token, tokens) over validation data; streams carry state across windows."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        if kind == "stream":
            batches = eval_windows(data, batch, seq_len)
        else:
            batches = RecordBatches(data, batch, vocab.bos_id, vocab.eos_id, vocab.pad_id).epoch()
        state = None
        for b in batches:
            state = state if b.carry else None
            with autocast(device, precision):
                logits, state = model(b.x.to(device), state)
            loss = F.cross_entropy(logits.float().flatten(0, 1), b.y.to(device).flatten(),
                                   ignore_index=IGNORE, reduction="sum")
            total += float(loss)
            count += b.tokens
    model.train(was_training)
    return total / max(count, 1), count


def encode_split(corpus: Corpus, vocab: Vocab):
    """Token ids for (train, validation): arrays for streams, lists of arrays for records."""
    train, val = corpus.split()
    if corpus.kind == "stream":
        return vocab.encode_array(train), vocab.encode_array(val)[:MAX_VALIDATION_TOKENS]
    encode = vocab.encode_array
    val_ids, used = [], 0
    for r in val:
        if used >= MAX_VALIDATION_TOKENS:
            break
        val_ids.append(encode(r))
        used += len(val_ids[-1])
    return [encode(r) for r in train], val_ids


class Trainer:
    def __init__(self, model_dir: Path, overrides: dict | None = None) -> None:
        self.dir = model_dir
        self.name = model_dir.name
        meta = read_json(model_dir / META)
        self.meta = meta
        self.vocab = Vocab.load(model_dir / "vocab.json")
        train_cfg = {**meta["train"], **(overrides or {})}
        self.config = TrainConfig.from_json(train_cfg)
        corpus_meta = meta["corpus"]
        corpus = load_corpus(corpus_meta["name"], corpus_meta["kind"])
        self.kind = corpus.kind
        self.train_ids, self.val_ids = encode_split(corpus, self.vocab)
        if self.kind == "stream" and len(self.train_ids) < self.config.seq_len * 2 + 2:
            raise PoetuiError(
                f"The corpus is too short for a sequence length of {self.config.seq_len}; "
                "give more text or a smaller --seq-len."
            )
        if self.kind != "stream" and not self.train_ids:
            raise PoetuiError("The corpus has no records to train on; give one example per line.")

        cfg = self.config
        self.device = pick_device(cfg.device)
        self.precision = resolve_precision(cfg.precision, self.device)
        torch.manual_seed(cfg.seed)
        self.model = LanguageModel(ModelConfig(**meta["model"])).to(self.device)
        if self.kind == "stream":
            self.batches = StreamBatches(self.train_ids, cfg.batch, cfg.seq_len)
        else:
            self.batches = RecordBatches(self.train_ids, cfg.batch, self.vocab.bos_id,
                                         self.vocab.eos_id, self.vocab.pad_id, cfg.seq_len)
        self.optimizer = self._make_optimizer()
        self.average = WeightAverage(self.model, cfg.average) if cfg.average else None
        self.step = 0
        self.epoch = 0
        self.position = 0  # batches of the current epoch already done
        self.elapsed = 0.0  # training seconds: evaluation, sampling, pauses excluded
        self.tokens_seen = 0
        self.best_val: float | None = None
        self.last_val: float | None = None
        self.carried = None
        self.poll_interval = 0.25  # seconds between control() calls
        self.resumed = checkpoint.pointer(model_dir, "latest") is not None
        if self.resumed:
            self._restore()

    # -- set-up ------------------------------------------------------------------------------

    def _make_optimizer(self) -> torch.optim.Optimizer:
        cfg, params = self.config, self.model.parameters()
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
        return cls(params, lr=cfg.lr, betas=(0.9, cfg.beta2), weight_decay=cfg.weight_decay)

    @property
    def kept_model(self) -> LanguageModel:
        """The weights that are evaluated, sampled and saved: the average when there is one."""
        return self.average.model if self.average else self.model

    def _restore(self) -> None:
        state = checkpoint.load_weights(self.dir, "latest", self.kept_model)
        trainer_state = checkpoint.load_trainer_state(self.dir)
        # The checkpoint's weights file holds the kept weights; the ones training continues
        # from are beside the optimizer when they differ.
        raw = trainer_state.get("weights")
        if raw is not None:
            self.model.load_state_dict(raw)
        elif self.average:
            self.model.load_state_dict(self.average.model.state_dict())
        if self.average:
            self.average.updates = trainer_state.get("average_updates", 0)
        try:
            self.optimizer.load_state_dict(trainer_state["optimizer"])
        except (ValueError, KeyError):
            raise PoetuiError(
                f"The saved optimizer of '{self.name}' does not match its settings "
                "(was --optimizer changed?); resume with the original settings."
            ) from None
        torch.set_rng_state(trainer_state["rng"])
        carried = trainer_state.get("carried")
        if carried:
            self.carried = tuple(carried) if len(carried) > 1 else carried[0]
        self.step, self.epoch, self.position = state["step"], state["epoch"], state["position"]
        self.elapsed, self.tokens_seen = state["elapsed"], state["tokens_seen"]
        self.best_val, self.last_val = state.get("best_val_loss"), state.get("val_loss")

    # -- schedule ----------------------------------------------------------------------------

    def progress(self) -> float:
        """Fraction of the budget done: the largest of the steps, epochs and minutes fractions."""
        cfg = self.config
        parts = [0.0]
        if cfg.steps:
            parts.append(self.step / cfg.steps)
        if cfg.epochs:
            parts.append((self.epoch + self.position / len(self.batches)) / cfg.epochs)
        if cfg.minutes:
            parts.append(self.elapsed / (cfg.minutes * 60))
        return min(1.0, max(parts))

    def learning_rate(self) -> float:
        cfg = self.config
        if cfg.warmup and self.step < cfg.warmup:
            return cfg.lr * (self.step + 1) / cfg.warmup
        if cfg.schedule == "cosine":
            floor = cfg.lr * cfg.min_lr_ratio
            return floor + 0.5 * (cfg.lr - floor) * (1 + math.cos(math.pi * self.progress()))
        if cfg.schedule == "step":
            # The classic PTB recipe: lr × decay^(epoch − max_epoch), once past max_epoch.
            return cfg.lr * cfg.decay ** max(0, self.epoch + 1 - cfg.decay_after)
        return cfg.lr

    # -- the loop ----------------------------------------------------------------------------

    def run(self, emit: Callable[[Event], None], control: Callable[[], list[str]] | None = None,
            ) -> DoneEvent:
        cfg = self.config
        if self.progress() >= 1.0:
            raise PoetuiError(
                f"Model '{self.name}' has already used its whole budget; give a larger "
                "--steps, --epochs or --minutes to train it further."
            )
        model, optimizer = self.model, self.optimizer
        model.train()
        eval_every = cfg.eval_every or None
        next_eval_progress = (math.floor(self.progress() * 10) + 1) / 10
        next_checkpoint = self.elapsed + cfg.checkpoint_minutes * 60
        recent: deque[tuple[int, float]] = deque(maxlen=20)
        last_poll = time.monotonic()
        loss_value = None
        self.paused = self.stopping = False
        emit(StateEvent("training"))
        state = self.carried
        while self.progress() < 1.0 and not self.stopping:
            for batch in self.batches.epoch(self.position, seed=cfg.seed + self.epoch):
                # Commands arrive a few times a second at most: polling costs nothing per step.
                if control is not None and time.monotonic() - last_poll >= self.poll_interval:
                    last_poll = time.monotonic()
                    self.carried = state
                    self._obey(control(), emit)
                    while self.paused and not self.stopping:
                        time.sleep(0.2)
                        self._obey(control(), emit)
                    if self.stopping:
                        break

                started = time.perf_counter()
                lr = self.learning_rate()
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, y = batch.x.to(self.device), batch.y.to(self.device)
                state = state if batch.carry else None
                with autocast(self.device, self.precision):
                    logits, state = model(x, state)
                loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(),
                                       ignore_index=IGNORE)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.clip_mode == "norm":
                    grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip))
                else:
                    grad_norm = float(torch.nn.utils.get_total_norm(
                        [p.grad for p in model.parameters() if p.grad is not None]))
                    torch.nn.utils.clip_grad_value_(model.parameters(), cfg.clip)
                optimizer.step()
                if self.average:
                    self.average.update(model)
                state = detach_state(state)
                loss_value = loss.item()
                if not math.isfinite(loss_value):
                    raise PoetuiError(
                        "Training diverged (the loss became infinite or NaN); lower the "
                        "learning rate with --lr and train again."
                    )
                duration = time.perf_counter() - started

                self.step += 1
                self.position = batch.index
                self.elapsed += duration
                self.tokens_seen += batch.tokens
                recent.append((batch.tokens, duration))
                tps = sum(t for t, _ in recent) / max(sum(d for _, d in recent), 1e-9)
                progress = self.progress()
                eta = self.elapsed / progress * (1 - progress) if progress > 0.001 else None
                emit(StepEvent(self.step, self.epoch + 1, self.position / len(self.batches),
                               progress, loss_value, lr, grad_norm, tps, self.elapsed, eta))

                self.carried = state
                due_eval = (self.step % eval_every == 0) if eval_every else (
                    progress >= next_eval_progress and progress < 1.0)
                if due_eval:
                    next_eval_progress = (math.floor(progress * 10) + 1) / 10
                    self.evaluate(emit)
                    if not cfg.sample_every:
                        self.sample(emit)
                elif self.elapsed >= next_checkpoint:
                    self.save(emit, ("latest",))
                if self.elapsed >= next_checkpoint:
                    next_checkpoint = self.elapsed + cfg.checkpoint_minutes * 60
                if cfg.sample_every and self.step % cfg.sample_every == 0:
                    self.sample(emit)
                if progress >= 1.0:
                    break
            else:
                self.epoch += 1
                self.position = 0
                state = None

        self.carried = state
        val = self.evaluate(emit, save=False)
        self.save(emit, ("latest", "best") if self.best_val == val else ("latest",))
        reason = "stopped" if self.stopping else "budget"
        if reason == "budget" and not cfg.sample_every:
            self.sample(emit)
        done = DoneEvent(
            model=self.name, steps=self.step,
            epochs=round(self.epoch + self.position / len(self.batches), 3),
            val_loss=val, best_val_loss=self.best_val, train_loss=loss_value,
            tokens_per_second=self.tokens_seen / max(self.elapsed, 1e-9),
            elapsed=self.elapsed, reason=reason,
        )
        emit(done)
        return done

    def _obey(self, commands: list[str], emit: Callable[[Event], None]) -> None:
        for command in commands:
            if command == "pause" and not self.paused:
                self.paused = True
                emit(StateEvent("paused"))
            elif command == "resume" and self.paused:
                self.paused = False
                emit(StateEvent("training"))
            elif command == "stop":
                self.stopping = True
            elif command == "checkpoint":
                self.save(emit, ("latest",))
            elif command == "sample":
                self.sample(emit)

    # -- the side jobs -----------------------------------------------------------------------

    def evaluate(self, emit: Callable[[Event], None], save: bool = True) -> float:
        val, _ = validation_loss(self.kept_model, self.val_ids, self.vocab, self.kind, self.device,
                                 self.precision)
        self.last_val = val
        best = self.best_val is None or val < self.best_val
        if best:
            self.best_val = val
        emit(EvalEvent(self.step, val, math.exp(min(val, 50)), val / math.log(2), best))
        if save:
            self.save(emit, ("latest", "best") if best else ("latest",))
        return val

    def sample(self, emit: Callable[[Event], None]) -> None:
        # The sampler steps over its own copy of the weights: the model's mode is untouched.
        sampler = Sampler(self.kept_model, self.vocab, self.kind)
        config = SampleConfig(length=self.config.sample_length, temperature=0.8,
                              seed=self.config.seed + self.step)
        if self.kind == "stream":
            text = sampler.text("", config)
        else:
            item = SampleConfig(length=min(config.length, 120), temperature=0.8,
                                seed=config.seed)
            text = "\n".join(sampler.text("", item) for _ in range(5))
        emit(SampleEvent(self.step, text))

    def save(self, emit: Callable[[Event], None], which: tuple[str, ...]) -> None:
        carried = self.carried
        if carried is not None:
            carried = [t.detach().cpu().float() for t in
                       (carried if isinstance(carried, tuple) else (carried,))]
        state = {
            "step": self.step, "epoch": self.epoch, "position": self.position,
            "elapsed": self.elapsed, "tokens_seen": self.tokens_seen,
            "val_loss": self.last_val, "best_val_loss": self.best_val,
            "train_config": asdict(self.config),
        }
        trainer_state = {"optimizer": self.optimizer.state_dict(),
                         "rng": torch.get_rng_state(), "carried": carried or []}
        if self.average:
            trainer_state["weights"] = self.model.state_dict()
            trainer_state["average_updates"] = self.average.updates
        checkpoint.save(self.dir, self.kept_model, state, trainer_state, which)
        for w in which:
            emit(CheckpointEvent(self.step, w))

