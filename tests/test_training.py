"""Real training on made-up data: each cell learns a pattern to a stated loss."""

import time

import numpy as np
import pytest
import torch
from helpers import NAMES

from engine.errors import PoetuiError
from engine.nn.model import LanguageModel
from engine.storage import checkpoint
from engine.train import job
from engine.train.assemble import open_trainer


def train(path, **overrides):
    model_dir = job.create_model(str(path), **overrides)
    trainer = open_trainer(model_dir)
    events = []
    done = trainer.run(events.append)
    return trainer, done, events


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_each_cell_learns_a_repeating_pattern(pattern_file, cell):
    trainer, done, events = train(
        pattern_file, name=f"p-{cell}", cell=cell, layers=1, hidden=48, seq_len=24, batch=8,
        lr=1e-2, steps=200, warmup=10, precision="fp32")
    # The pattern has period 24 and 12 distinct characters: chance is ln 12 ≈ 2.5 nats.
    assert done.val_loss < 0.15, done
    assert done.steps == 200
    kinds = {e.kind for e in events}
    assert {"state", "step", "eval", "sample", "checkpoint", "done"} <= kinds


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forced_bf16_trains_on_any_cpu(pattern_file, cell):
    # On CPUs without native bf16, oneDNN's LSTM used to fail to build its kernel.
    trainer, done, _ = train(
        pattern_file, name=f"bf16-{cell}", cell=cell, layers=1, hidden=48, seq_len=24, batch=8,
        lr=1e-2, steps=120, warmup=10, precision="bf16")
    assert trainer.precision == "bf16"
    assert done.val_loss < 0.5, done


def test_records_model_learns_names(names_file):
    trainer, done, events = train(names_file, name="names", layers=1, hidden=48, batch=16,
                                  lr=1e-2, steps=250, warmup=10, precision="fp32")
    # Ten names, each equally likely: ~ln(10)/5 + small per-character loss once learned.
    assert done.val_loss < 0.75
    sample = [e for e in events if e.kind == "sample"][-1].text.splitlines()
    assert len(sample) == 5
    assert sum(s in NAMES for s in sample) >= 3
    assert len(set(sample)) >= 3  # successive items differ: not one name five times


def test_word_level_model_learns(pattern_file):
    _, done, _ = train(pattern_file, name="words", level="word", layers=1, hidden=32,
                       seq_len=12, batch=8, lr=1e-2, steps=150, warmup=5, precision="fp32")
    assert done.val_loss < 0.2


def test_metrics_in_events_are_sane(pattern_file):
    _, done, events = train(pattern_file, name="m", layers=1, hidden=16, seq_len=16,
                            batch=4, steps=30, warmup=5, lr=1e-2)
    steps = [e for e in events if e.kind == "step"]
    assert [e.step for e in steps] == list(range(1, 31))
    assert steps[0].lr < steps[10].lr  # warm-up
    assert steps[-1].lr < steps[10].lr  # cosine decay
    assert all(e.tokens_per_second > 0 and e.grad_norm >= 0 for e in steps)
    assert steps[-1].progress == 1.0
    evals = [e for e in events if e.kind == "eval"]
    assert all(abs(e.bits_per_token - e.val_loss / np.log(2)) < 1e-9 for e in evals)


def test_step_decay_schedule(pattern_file):
    model_dir = job.create_model(str(pattern_file), name="ptb", optimizer="sgd", lr=1.0,
                                 schedule="step", decay=0.5, decay_after=2, epochs=4,
                                 layers=1, hidden=8, seq_len=50, batch=4, warmup=0)
    trainer = open_trainer(model_dir)
    lrs = {}
    trainer.run(lambda e: e.kind == "step" and lrs.setdefault(e.epoch, e.lr))
    assert lrs == {1: 1.0, 2: 1.0, 3: 0.5, 4: 0.25}


@pytest.mark.parametrize("average", [0.0, 0.9])
def test_resume_continues_the_same_run(pattern_file, average):
    """Stop half-way, resume: the same weights as one uninterrupted run (and the same average)."""
    settings = dict(layers=1, hidden=24, seq_len=20, batch=4, steps=40, warmup=5,
                    dropout=0.0, precision="fp32", lr=5e-3, average=average)
    straight = open_trainer(job.create_model(str(pattern_file), name="straight", **settings))
    straight.run(lambda e: None)

    first = open_trainer(job.create_model(str(pattern_file), name="halves", **settings))
    first.poll_interval = 0.0
    first.run(lambda e: None, control=lambda: ["stop"] if first.step >= 20 else [])
    assert first.step == 20
    second = open_trainer(first.dir)
    assert second.resumed and second.step == 20 and second.position == first.position
    done = second.run(lambda e: None)
    assert done.steps == 40
    for (name, a), (_, b) in zip(straight.model.state_dict().items(),
                                 second.model.state_dict().items(), strict=False):
        assert torch.allclose(a, b, atol=1e-6), name
    for (name, a), (_, b) in zip(straight.kept_model.state_dict().items(),
                                 second.kept_model.state_dict().items(), strict=False):
        assert torch.allclose(a, b, atol=1e-6), name


def test_weight_average_is_what_is_evaluated_and_saved(pattern_file):
    trainer, done, _ = train(
        pattern_file, name="avg", layers=1, hidden=48, seq_len=24, batch=8, lr=1e-2,
        steps=200, warmup=10, precision="fp32", average=0.95)
    assert done.val_loss < 0.15, done  # the average has learned the pattern too
    saved = LanguageModel(trainer.model.config)
    checkpoint.load_weights(trainer.dir, "latest", saved)
    for name, value in saved.state_dict().items():
        assert torch.equal(value, trainer.average.model.state_dict()[name]), name
    assert not torch.equal(saved.rnn.weight_hh_l0, trainer.model.rnn.weight_hh_l0)


def test_finished_budget_needs_a_larger_one(pattern_file):
    model_dir = job.create_model(str(pattern_file), name="f", layers=1, hidden=8, steps=3)
    open_trainer(model_dir).run(lambda e: None)
    with pytest.raises(PoetuiError, match="already used its whole budget"):
        open_trainer(model_dir).run(lambda e: None)
    job.update_budget("f", {"steps": 6})
    assert open_trainer(model_dir).run(lambda e: None).steps == 6


def test_best_and_latest_checkpoints_are_kept(pattern_file):
    trainer, done, _ = train(pattern_file, name="ck", layers=1, hidden=16, steps=50,
                             warmup=5, lr=1e-2)
    latest = checkpoint.pointer(trainer.dir, "latest")
    best = checkpoint.pointer(trainer.dir, "best")
    assert latest["step"] == 50
    assert best["val_loss"] == pytest.approx(done.best_val_loss)
    folders = {p.name for p in (trainer.dir / "ckpt").iterdir()}
    assert folders == {latest["dir"], best["dir"]}
    assert not list(trainer.dir.glob("**/*.tmp"))


def test_model_name_clash_and_bad_settings(pattern_file):
    job.create_model(str(pattern_file), name="x", steps=1)
    with pytest.raises(PoetuiError, match="already exists"):
        job.create_model(str(pattern_file), name="x", steps=1)
    with pytest.raises(PoetuiError, match="no preset named"):
        job.create_model(str(pattern_file), preset="huge")
    with pytest.raises(PoetuiError, match="too short"):
        open_trainer(job.create_model(str(pattern_file), name="y", seq_len=100_000, steps=1))


def test_a_time_budget_is_wall_clock_time_evaluations_included(pattern_file):
    """Three seconds of budget end about three seconds later though evaluating takes much of
    them, and the ETA counts down to the budget's end."""
    model_dir = job.create_model(str(pattern_file), name="clock", layers=1, hidden=16,
                                 seq_len=16, batch=4, minutes=0.05, eval_every=3)
    trainer = open_trainer(model_dir)
    events = []
    started = time.monotonic()
    done = trainer.run(events.append)
    took = time.monotonic() - started
    assert done.elapsed >= 3.0 and took < 3.0 + 2.0
    assert done.elapsed > trainer.elapsed  # the clock ran during evaluations too
    steps = [e for e in events if e.kind == "step" and e.eta is not None]
    assert steps and all(abs(e.elapsed + e.eta - 3.0) < 0.05 for e in steps)


def test_a_time_budget_spends_at_most_a_tenth_of_it_evaluating(pattern_file):
    """Evaluations that cost many steps each, asked for every 2 steps: a minutes budget defers
    them so that evaluating (with its sample and checkpoint) stays within EVAL_SHARE of the
    clock, and the rest of it trains."""
    from engine.config import EVAL_SHARE

    model_dir = job.create_model(str(pattern_file), name="share", layers=1, hidden=16,
                                 seq_len=16, batch=4, minutes=0.1, eval_every=2)
    trainer = open_trainer(model_dir)
    trainer.val_ids = np.tile(trainer.val_ids, 40)  # an evaluation costs tens of steps' time
    stamped = []
    done = trainer.run(lambda event: stamped.append((time.monotonic(), event)))
    spans, began = [], None  # each evaluation: from "evaluating" to the next step
    for when, event in stamped:
        if event.kind == "state" and event.state == "evaluating":
            began = when
        elif event.kind == "step" and began is not None:
            spans.append(when - began)
            began = None
    assert len(spans) >= 1  # evaluated within the budget, not only at its end
    assert len(spans) < done.steps / 2 / 4  # far fewer than every 2 steps
    # Each deferred one waits until the share holds with the last one's cost as the guess:
    # over the run, the share, give or take the difference between two evaluations' costs.
    assert sum(spans) <= EVAL_SHARE * done.elapsed + (max(spans) - min(spans)) + 0.05


def test_evaluations_say_so_and_a_stop_cuts_one_short(names_file):
    """The run store learns an evaluation is running; a stop that arrives in the middle of one
    takes effect between its batches, not after it."""
    model_dir = job.create_model(str(names_file), name="ev", layers=1, hidden=16, batch=4,
                                 steps=1000, eval_every=5)
    trainer = open_trainer(model_dir)
    trainer.poll_interval = 0.0
    trainer.val_ids = trainer.val_ids * 50  # many evaluation batches: room to stop inside
    events = []
    done = trainer.run(events.append, control=lambda: (
        ["stop"] if events and getattr(events[-1], "state", None) == "evaluating" else []))
    kinds = [(e.kind, getattr(e, "state", None)) for e in events]
    assert ("state", "evaluating") in kinds
    assert done.reason == "stopped" and done.steps == 5
    assert not [e for e in events if e.kind == "eval"]  # the evaluation was cut short
    assert checkpoint.pointer(trainer.dir, "latest")["step"] == 5


def test_estimates_price_the_whole_budget(pattern_file):
    from engine.train.estimate import budget_cost, estimate

    result = estimate(str(pattern_file), "tiny")
    assert result["seconds_per_step"] > 0 and result["steps_per_epoch"] > 0
    per_step, per_epoch = result["seconds_per_step"], result["steps_per_epoch"]
    assert budget_cost(result, "steps", 100)["seconds"] == pytest.approx(100 * per_step)
    assert budget_cost(result, "epochs", 2)["steps"] == pytest.approx(2 * per_epoch)
    assert budget_cost(result, "minutes", 1)["seconds"] == pytest.approx(60)
    # A minute trains for what its evaluations leave of it.
    assert budget_cost(result, "minutes", 1)["steps"] == pytest.approx(54 / per_step)


def test_the_estimate_says_when_other_work_keeps_the_cores_busy(pattern_file):
    """Two processes spinning on the cores while the estimate is made: it says the machine is
    busy, and how busy."""
    import subprocess
    import sys

    from engine.train.estimate import BUSY_CORES, estimate

    spin = [sys.executable, "-c", "while True: pass"]
    spinners = [subprocess.Popen(spin) for _ in range(2)]
    try:
        time.sleep(0.3)
        result = estimate(str(pattern_file), "tiny")
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    assert result["cores"] >= 1
    assert result["busy"] is not None and result["busy"] >= BUSY_CORES
