"""The training loop; it reports through events and never prints.

A ``Trainer`` receives what it trains (model, vocabulary, the corpus kind, batches, validation
ids, settings; ``engine.train.assemble`` puts those together from a model folder) and runs the loop
in small steps: take commands, one optimiser step, the side jobs that fall due (evaluate,
sample, checkpoint), and the finish. ``run(emit, control, at_once)`` calls ``emit(event)`` for
every step, evaluation, sample, checkpoint, state change and the end, ``control()`` a few times
a second for commands (pause, resume, stop, checkpoint, sample) from whoever is watching, and
hands the side jobs that write nothing and cannot look at a flag (a live sample, translation
scores) to ``at_once``, which may end them early for a stop.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import torch
import torch.nn.functional as F

from engine.config import EVAL_SHARE, TrainConfig
from engine.data.batching import IGNORE, Batch
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.events import (
    CheckpointEvent,
    DoneEvent,
    EvalEvent,
    Event,
    RewindEvent,
    SampleEvent,
    StateEvent,
    StepEvent,
)
from engine.generate.novelty import Novelty
from engine.kinds import Kind
from engine.nn.averaging import WeightAverage
from engine.nn.device import autocast, to_device
from engine.nn.model import LanguageModel, detach_state
from engine.storage import checkpoint
from engine.train.evaluate import validation_loss
from engine.train.world import STEP, WAIT

Emit = Callable[[Event], None]
T = TypeVar("T")
# Runs work that writes nothing: (True, its result), or (False, None) when a stop cut it short.
AtOnce = Callable[[Callable[[], T]], tuple[bool, T | None]]
MAX_REWINDS = 3  # divergences a run recovers from before it gives up
QUALITY_ITEMS = 500  # held-out items a translation model is scored on at each evaluation


class Diverged(Exception):
    """The loss or the weights left the finite, sensible range."""


class Trainer:
    def __init__(self, model_dir: Path, model: LanguageModel, vocab: Vocab, kind: Kind,
                 batches, val_ids, config: TrainConfig, device: torch.device,
                 precision: str, novelty: Novelty | None = None, test_ids=None) -> None:
        self.dir, self.name = model_dir, model_dir.name
        self.model, self.vocab, self.kind = model, vocab, kind
        self.batches, self.val_ids = batches, val_ids
        self.test_ids = test_ids  # a corpus's own test text: scored once, when the budget ends
        self.novelty = novelty  # scores the live samples; None: no figure (a translator)
        self.config, self.device, self.precision = config, device, precision
        self.optimizer = self._make_optimizer()
        self.average = WeightAverage(model, config.average) if config.average else None
        self.step = 0
        self.epoch = 0
        self.position = 0  # batches of the current epoch already done
        self.elapsed = 0.0  # seconds in training steps: what tokens per second divide by
        self._wall = 0.0  # seconds of the run before the clock last started
        self._clock: float | None = None  # when the clock started; None while it is stopped
        self.tokens_seen = 0
        self.best_val: float | None = None
        self.last_val: float | None = None
        self.last_chrf: float | None = None  # translation models
        self.last_accuracy: float | None = None  # classifiers
        self.carried = None  # recurrent state carried into the next window (streams)
        self.poll_interval = 0.25  # seconds between control() calls
        self.resumed = False
        self.lr_scale = 1.0  # halved each time the run diverges and goes back
        self.rewinds = 0
        # Far worse than guessing uniformly (ln V nats) is not learning: it is divergence,
        # finite or not (an lr of 1e6 gave a validation loss of 1.4e6).
        self.loss_ceiling = 2 * math.log(max(len(vocab), 2)) + 5
        self.paused = self.stopping = False
        self.activity = "training"  # or "evaluating": the state a resume from pause returns to
        self._control: Callable[[], list[str]] | None = None
        self._at_once: AtOnce = _whole
        self._last_poll = 0.0
        self._loss: float | None = None  # the last step's
        self.team = None  # the processes of a data-parallel run (engine.train.team)
        self._recent: deque[tuple[int, float]] = deque(maxlen=20)  # (tokens, seconds)
        self.net: torch.nn.Module = model  # what a step runs: the model, or its DDP wrapper

    # -- set-up ------------------------------------------------------------------------------

    def join(self, team) -> None:
        """Train as one process of ``team``: steps through DDP, on this process's rows."""
        from torch.nn.parallel import DistributedDataParallel

        self.team = team
        ids = [self.device.index or 0] if self.device.type == "cuda" else None
        self.net = DistributedDataParallel(self.model, device_ids=ids)
        if not team.lead:
            self.average = None  # only the lead evaluates and saves

    def _make_optimizer(self) -> torch.optim.Optimizer:
        cfg = self.config
        if cfg.freeze_embeddings:
            for name, p in self.model.named_parameters():
                if name.split(".")[0].endswith("embedding"):
                    p.requires_grad_(False)
        params = [p for p in self.model.parameters() if p.requires_grad]
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        if cfg.optimizer == "rmsprop":  # Keras' RMSprop: rho 0.9, epsilon 1e-7
            return torch.optim.RMSprop(params, lr=cfg.lr, alpha=0.9, eps=1e-7,
                                       weight_decay=cfg.weight_decay)
        cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
        return cls(params, lr=cfg.lr, betas=(0.9, cfg.beta2), weight_decay=cfg.weight_decay)

    @property
    def kept_model(self) -> LanguageModel:
        """The weights that are evaluated, sampled and saved: the average when there is one."""
        return self.average.model if self.average else self.model

    def restore(self) -> None:
        """Continue from the latest checkpoint: weights, optimizer, RNG, position, history."""
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
                "(was the optimizer changed?); resume with the original settings."
            ) from None
        torch.set_rng_state(trainer_state["rng"])
        carried = trainer_state.get("carried")
        if carried:
            self.carried = tuple(carried) if len(carried) > 1 else carried[0]
        self.step, self.epoch, self.position = state["step"], state["epoch"], state["position"]
        self.elapsed, self.tokens_seen = state["elapsed"], state["tokens_seen"]
        self._wall = state.get("wall", self.elapsed)
        self.lr_scale = state.get("lr_scale", 1.0)
        if self._clock is not None:
            self._clock = time.monotonic()  # the clock goes on from the restored time
        self.best_val, self.last_val = state.get("best_val_loss"), state.get("val_loss")
        self.last_chrf = state.get("chrf")
        self.last_accuracy = state.get("accuracy")
        self.resumed = True

    # -- schedule ----------------------------------------------------------------------------

    @property
    def wall(self) -> float:
        """Seconds the run has been going: steps, evaluations, samples and checkpoints, not
        pauses. A budget in minutes means these minutes, as on the user's clock."""
        running = time.monotonic() - self._clock if self._clock is not None else 0.0
        return self._wall + running

    def _start_clock(self) -> None:
        self._clock = time.monotonic()

    def _stop_clock(self) -> None:
        self._wall = self.wall
        self._clock = None

    def progress(self, wall: float | None = None) -> float:
        """Fraction of the budget done: the largest of the steps, epochs and minutes fractions.
        ``wall`` is a clock reading already taken, so that figures reported together agree."""
        cfg = self.config
        wall = self.wall if wall is None else wall
        parts = [0.0]
        if cfg.steps:
            parts.append(self.step / cfg.steps)
        if cfg.epochs:
            parts.append((self.epoch + self.position / len(self.batches)) / cfg.epochs)
        if cfg.minutes:
            parts.append(wall / (cfg.minutes * 60))
        return min(1.0, max(parts))

    def eta(self, progress: float, wall: float) -> float | None:
        """Seconds left at the run's pace so far. The pace is measured on the clock, so the
        evaluations, samples and checkpoints still to come are in it; for a time budget this is
        exactly the minutes left."""
        return wall / progress * (1 - progress) if progress > 0.001 else None

    def learning_rate(self) -> float:
        cfg = self.config
        lr = cfg.lr * self.lr_scale
        if cfg.warmup and self.step < cfg.warmup:
            return lr * (self.step + 1) / cfg.warmup
        if cfg.schedule == "cosine":
            floor = lr * cfg.min_lr_ratio
            return floor + 0.5 * (lr - floor) * (1 + math.cos(math.pi * self.progress()))
        if cfg.schedule == "step":
            # The classic PTB recipe: lr × decay^(epoch − max_epoch), once past max_epoch.
            return lr * cfg.decay ** max(0, self.epoch + 1 - cfg.decay_after)
        return lr

    # -- the loop ----------------------------------------------------------------------------

    def run(self, emit: Emit, control: Callable[[], list[str]] | None = None,
            at_once: AtOnce | None = None) -> DoneEvent:
        if self.progress() >= 1.0:
            raise PoetuiError(
                f"Model '{self.name}' has already used its whole budget; give a larger "
                "budget (steps, epochs or minutes) to train it further."
            )
        self.model.train()
        self.paused = self.stopping = False
        self._control = control
        self._at_once = at_once or _whole
        self._next_eval = (math.floor(self.progress() * 10) + 1) / 10
        self._next_checkpoint = self.wall + self.config.checkpoint_minutes * 60
        # Seconds of this run's clock spent evaluating, the last evaluation's cost, and an
        # evaluation that fell due but waits for its share of the clock (minutes budgets).
        self._eval_seconds = self._eval_cost = 0.0
        self._eval_owed = False
        self._recent: deque[tuple[int, float]] = deque(maxlen=20)  # (tokens, seconds)
        self._last_poll = time.monotonic()
        self._loss: float | None = None
        self._start_clock()
        emit(StateEvent("training"))
        if self.team is not None:
            self.team.send_state(self)  # every process starts from these weights
        try:
            while True:
                batches = self._batches()
                try:
                    while self.progress() < 1.0 and not self.stopping:
                        self._take_commands(emit)
                        if self.stopping:
                            break
                        event = self.train_step(next(batches))
                        emit(event)
                        self._side_jobs(event.progress, emit)
                    return self._finish(emit)
                except Diverged:
                    self._rewind(emit)
        finally:
            self._stop_clock()

    def _rewind(self, emit: Emit) -> None:
        """Back to the last good checkpoint with half the learning rate, or give up."""
        self.rewinds += 1
        if self.rewinds > MAX_REWINDS or checkpoint.pointer(self.dir, "latest") is None:
            raise PoetuiError(
                "Training diverged (the loss became infinite, NaN or far worse than guessing) "
                "and nothing was saved over the good weights; lower the learning rate "
                "and train again."
            )
        before = self.lr_scale
        self.restore()
        self.lr_scale = min(before, self.lr_scale) / 2
        if self.team is not None:
            self.team.send_state(self)
        self._next_eval = (math.floor(self.progress() * 10) + 1) / 10
        self._next_checkpoint = self.wall + self.config.checkpoint_minutes * 60
        emit(RewindEvent(self.step, f"The loss diverged; training went back to step "
                                    f"{self.step} with the learning rate halved."))
        emit(StateEvent("training"))

    def batches_from_here(self) -> Iterator[Batch]:
        """The batches from where the run stands (a follower of a data-parallel run)."""
        return self._batches()

    def _batches(self) -> Iterator[Batch]:
        """Batches from where the run stands, across epochs for as long as it asks."""
        while True:
            yield from self.batches.epoch(self.position, seed=self.config.seed + self.epoch)
            self.epoch += 1
            self.position = 0
            self.carried = None  # a new epoch starts the streams afresh

    def _take_commands(self, emit: Emit) -> bool:
        """Obey what viewers asked for; wait here while paused. True once asked to stop."""
        # Commands arrive a few times a second at most: polling costs nothing per step.
        control = self._control
        if control is None or time.monotonic() - self._last_poll < self.poll_interval:
            return self.stopping
        self._last_poll = time.monotonic()
        self._heartbeat()
        self._obey(control(), emit)
        if self.paused:
            self._stop_clock()  # a pause is not part of any budget
            while self.paused and not self.stopping:
                time.sleep(0.2)
                self._heartbeat()
                self._obey(control(), emit)
            self._start_clock()
        return self.stopping

    def _heartbeat(self) -> None:
        """Followers wait on the lead while it evaluates, samples or is paused: tell them it
        is still there."""
        if self.team is not None:
            self.team.order(WAIT)

    def _obey(self, commands: list[str], emit: Emit) -> None:
        for command in commands:
            if command == "pause" and not self.paused:
                self.paused = True
                emit(StateEvent("paused"))
            elif command == "resume" and self.paused:
                self.paused = False
                emit(StateEvent(self.activity))
            elif command == "stop":
                self.stopping = True
            elif command == "checkpoint":
                self.save(emit, ("latest",))
            elif command == "sample":
                self.sample(emit)

    def train_step(self, batch: Batch, lr: float | None = None) -> StepEvent:
        """One optimiser step on ``batch`` (the global batch: in a data-parallel run, this
        process trains on its rows); ``lr`` is the lead's, for a follower."""
        cfg, model, optimizer = self.config, self.model, self.optimizer
        started = time.perf_counter()
        lr = self.learning_rate() if lr is None else lr
        for group in optimizer.param_groups:
            group["lr"] = lr
        state = self.carried if batch.carry else None
        optimizer.zero_grad(set_to_none=True)
        if self.team is None:
            y = to_device(batch.y, self.device)
            with autocast(self.device, self.precision):
                logits, state = self.kind.forward(model, batch, state, self.device)
            loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(),
                                   ignore_index=IGNORE, label_smoothing=cfg.label_smoothing)
            (loss * batch.tokens / len(y) if cfg.loss_sum else loss).backward()
        else:
            loss, state = self._team_loss(batch, state, lr)
        if cfg.clip_mode == "norm":
            grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip))
        else:
            grad_norm = float(torch.nn.utils.get_total_norm(
                [p.grad for p in model.parameters() if p.grad is not None]))
            torch.nn.utils.clip_grad_value_(model.parameters(), cfg.clip)
        optimizer.step()
        if self.average:
            self.average.update(model)
        self.carried = detach_state(state)
        self._loss = loss.item() if isinstance(loss, torch.Tensor) else loss
        if not self._loss <= self.loss_ceiling:  # NaN fails this too
            raise Diverged
        duration = time.perf_counter() - started

        self.step += 1
        self.position = batch.index
        self.elapsed += duration
        self.tokens_seen += batch.tokens
        self._recent.append((batch.tokens, duration))
        tps = sum(t for t, _ in self._recent) / max(sum(d for _, d in self._recent), 1e-9)
        wall = self.wall  # one reading: elapsed + eta must add up to a time budget exactly
        progress = self.progress(wall)
        return StepEvent(self.step, self.epoch + 1, self.position / len(self.batches),
                         progress, self._loss, lr, grad_norm, tps, wall,
                         self.eta(progress, wall), self.tokens_seen)

    def _team_loss(self, batch: Batch, state, lr: float) -> tuple[float, object]:
        """Forward and backward of this process's rows: (the global batch's loss, the state).

        DDP averages the gradients of the N processes, so each differentiates its rows' summed
        loss × N / (the global batch's tokens, or rows for ``loss_sum``): the average is then
        the gradient of the global batch's loss, as one process would have it."""
        team = self.team
        if team.lead:
            team.order(STEP, lr)
        part, weight = team.share(batch)
        y = to_device(part.y, self.device)
        with autocast(self.device, self.precision):
            logits, state = self.kind.forward(self.net, part, state, self.device)
        summed = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(),
                                 ignore_index=IGNORE, reduction="sum",
                                 label_smoothing=self.config.label_smoothing) * weight
        per = len(batch.y) if self.config.loss_sum else batch.tokens
        (summed * team.size / per).backward()
        return team.total(summed) / batch.tokens, state

    def _side_jobs(self, progress: float, emit: Emit) -> None:
        """Evaluate (ten times over the budget, or every eval_every steps; a minutes budget
        defers one that would take its evaluating past EVAL_SHARE of the clock), sample, and
        keep a latest checkpoint at least every checkpoint_minutes of training."""
        cfg = self.config
        if cfg.eval_per_epoch:
            due_eval = self.position == len(self.batches) and progress < 1.0
        elif cfg.eval_every:
            due_eval = self.step % cfg.eval_every == 0
        else:
            due_eval = self._next_eval <= progress < 1.0
        checkpoint_due = self.wall >= self._next_checkpoint
        self._eval_owed = self._eval_owed or due_eval
        if self._eval_owed and progress < 1.0 and self._eval_fits():
            self._eval_owed = False
            self._next_eval = (math.floor(progress * 10) + 1) / 10
            started = self.wall
            self.evaluate(emit)  # saves a checkpoint too
            if not cfg.sample_every and not self.stopping:
                self.sample(emit)
            self._eval_cost = self.wall - started
            self._eval_seconds += self._eval_cost
        elif checkpoint_due:
            self.save(emit, ("latest",))
        if checkpoint_due:
            self._next_checkpoint = self.wall + cfg.checkpoint_minutes * 60
        if cfg.sample_every and self.step % cfg.sample_every == 0 and not self.stopping:
            self.sample(emit)

    def _eval_fits(self) -> bool:
        """Whether an evaluation now keeps a minutes budget's evaluating within EVAL_SHARE of
        the clock so far (the last one's cost is what the next is taken to cost). Step and
        epoch budgets evaluate when due: there, evaluating costs time but no training."""
        if not self.config.minutes:
            return True
        return self._eval_seconds + self._eval_cost <= EVAL_SHARE * self.wall

    def _finish(self, emit: Emit) -> DoneEvent:
        # Asked to stop: checkpoint and go, at once; the last evaluation stands.
        val = None if self.stopping else self.evaluate(emit, save=False)
        self.save(emit, ("latest", "best") if val is not None and self.best_val == val
                  else ("latest",))
        val = self.last_val if val is None else val
        reason = "stopped" if self.stopping else "budget"
        if reason == "budget" and not self.config.sample_every:
            self.sample(emit)
        test = None
        if reason == "budget" and self.test_ids is not None:
            # As Zaremba's script does: the final weights on the test file, once, at the end.
            batches = self.kind.eval_batches(self.test_ids, self.vocab)
            result = validation_loss(self.kept_model, self.kind, batches, self.device,
                                     self.precision, lambda: self._take_commands(emit))
            test = result[0] if result is not None else None
        done = self._done(reason, val, test)
        emit(done)
        return done

    def stopped_early(self) -> DoneEvent:
        """The end of a run stopped before it began: where it stands, nothing trained or
        saved."""
        return self._done("stopped", self.last_val)

    def _done(self, reason: str, val: float | None, test: float | None = None) -> DoneEvent:
        return DoneEvent(
            model=self.name, steps=self.step, test_loss=test,
            test_perplexity=None if test is None else math.exp(min(test, 700.0)),
            epochs=round(self.epoch + self.position / len(self.batches), 3),
            val_loss=val, best_val_loss=self.best_val, train_loss=self._loss,
            tokens_per_second=self.tokens_seen / max(self.elapsed, 1e-9),
            elapsed=self.wall, reason=reason,
        )

    # -- the side jobs -----------------------------------------------------------------------

    def evaluate(self, emit: Emit, save: bool = True) -> float | None:
        """The validation loss, or None when a stop came in the middle of it."""
        self.activity = "evaluating"
        emit(StateEvent("evaluating"))
        batches = self.kind.eval_batches(self.val_ids, self.vocab)
        result = validation_loss(self.kept_model, self.kind, batches, self.device,
                                 self.precision, lambda: self._take_commands(emit))
        self.activity = "training"
        if result is None:
            return None
        emit(StateEvent("training"))
        val = result[0]
        if not val <= self.loss_ceiling:
            raise Diverged
        self.last_val = val
        best = self.best_val is None or val < self.best_val
        if best:
            self.best_val = val
        # Translation: chrF of a few hundred held-out pairs, so the user sees it learn. Seconds
        # of decoding: a stop ends them, and this evaluation is saved without its chrF.
        scored, scores = self._at_once(
            lambda: self.kind.quality(self.kept_model, self.vocab, self.val_ids[:QUALITY_ITEMS]))
        self.model.train()
        if not scored:
            self.stopping, scores = True, {}
        self.last_chrf = scores.get("chrf")
        self.last_accuracy = scores.get("accuracy")
        emit(EvalEvent(self.step, val, math.exp(min(val, 50)), val / math.log(2), best,
                       scores.get("chrf"), scores.get("accuracy"), scores.get("confusion")))
        if save:
            self.save(emit, ("latest", "best") if best else ("latest",))
        return val

    def sample(self, emit: Emit) -> None:
        def write() -> tuple[list[str], float | None]:
            items = self.kind.live_items(self.kept_model, self.vocab, self.val_ids,
                                         self.config.sample_length, self.config.seed + self.step)
            # Does it write or copy? Against the training text, built into a set on the first
            # sample of the run and kept, so each sample after costs only its own few n-grams.
            return items, self.novelty.score(items) if self.novelty else None

        # Writing and indexing the training text can take seconds: a stop ends them.
        written, result = self._at_once(write)
        self.model.train()  # a translator puts the model in eval mode
        if not written:
            self.stopping = True
            return
        items, novelty = result
        emit(SampleEvent(self.step, self.kind.separator.join(items), novelty))

    def save(self, emit: Emit, which: tuple[str, ...]) -> None:
        """Checkpoint; weights that are not all finite are never written over good ones."""
        models = (self.model, self.kept_model)
        if not all(bool(torch.isfinite(p).all()) for m in models for p in m.parameters()):
            raise Diverged
        carried = self.carried
        if self.team is not None:
            carried = self.team.gather_carried(carried)  # every process's streams
        if carried is not None:
            carried = [t.detach().cpu().float() for t in
                       (carried if isinstance(carried, tuple) else (carried,))]
        state = {
            "step": self.step, "epoch": self.epoch, "position": self.position,
            "elapsed": self.elapsed, "wall": self.wall, "tokens_seen": self.tokens_seen,
            "lr_scale": self.lr_scale, "chrf": self.last_chrf, "accuracy": self.last_accuracy,
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


def _whole(work: Callable[[], T]) -> tuple[bool, T]:
    """``work`` run to its end: the side jobs of a run that has no stop signals."""
    return True, work()
