"""Before training: the parameter count, the time a step and an epoch will take on this
machine, and what a whole budget buys.

The time comes from a probe: a few real optimiser steps of the configured model on the first
batch of the corpus, so it reflects this CPU/GPU, the cell, the sizes and the batch shape.
PyTorch is imported inside the functions that need it: the new-model screen imports this
module for ``budget_cost`` as it paints."""

from __future__ import annotations

import time

from engine.config import EVAL_SHARE, ModelConfig, count_parameters
from engine.nn.threads import LoadMeter, usable_cores
from engine.train.job import plan

# The first steps warm up (oneDNN builds its kernels): the fastest of the later ones is the
# figure; two alone gave estimates 15× apart on a busy machine.
PROBE_STEPS = 5
# Other work using this many of our cores while the estimate is made: the machine is busy, and
# the figure (the fastest probe step) is what training gets only if the load goes away.
BUSY_CORES = 0.5


def estimate(corpus_spec: str | None, preset: str | None = None, probe: bool = True,
             **overrides) -> dict:
    """{parameters, vocab_size, steps_per_epoch, seconds_per_step, seconds_per_epoch,
    cores, busy}: ``busy`` is how many of the ``cores`` other processes kept busy meanwhile
    when that is BUSY_CORES or more (else None)."""
    meter = LoadMeter()  # over the whole estimate: reading the corpus, then the probe
    p = plan(corpus_spec, preset, **overrides)
    vocab, model_cfg, train_cfg = p.vocab, p.model, p.train
    batches = p.corpus.kind.train_batches(p.train_ids, vocab, train_cfg)
    result = {"parameters": count_parameters(model_cfg), "vocab_size": len(vocab),
              "steps_per_epoch": len(batches), "seconds_per_step": None,
              "seconds_per_epoch": None}
    if probe and len(batches):
        batch = next(iter(batches.epoch(0, seed=train_cfg.seed)))
        seconds = _probe(model_cfg, p.corpus.kind, batch)
        result["seconds_per_step"] = seconds
        result["seconds_per_epoch"] = seconds * len(batches)
    others = meter.others()
    result["cores"] = usable_cores()
    result["busy"] = round(others, 1) if others >= BUSY_CORES else None
    return result


def budget_cost(estimate: dict, unit: str, amount: float) -> dict | None:
    """{seconds, steps, epochs} of a budget of ``amount`` ``unit`` (steps, epochs, minutes),
    from an ``estimate``; None when the probe did not run."""
    per_step, steps_per_epoch = estimate.get("seconds_per_step"), estimate["steps_per_epoch"]
    if not per_step or not steps_per_epoch:
        return None
    # A minutes budget trains for what its evaluations leave of it (at most EVAL_SHARE).
    steps = {"steps": amount, "epochs": amount * steps_per_epoch,
             "minutes": amount * 60 * (1 - EVAL_SHARE) / per_step}[unit]
    seconds = amount * 60 if unit == "minutes" else steps * per_step
    return {"seconds": seconds, "steps": steps, "epochs": steps / steps_per_epoch}


def _probe(config: ModelConfig, kind, batch) -> float:
    """The fastest of a few forward/backward/update steps on CPU (the first ones warm up)."""
    import torch
    import torch.nn.functional as F

    from engine.data.batching import IGNORE
    from engine.nn.model import build_model

    model = build_model(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    best = float("inf")
    for i in range(PROBE_STEPS):
        started = time.perf_counter()
        logits, _ = kind.forward(model, batch, None, "cpu")
        loss = F.cross_entropy(logits.flatten(0, 1), batch.y.flatten(), ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if i > 0:  # the first step builds kernels: never the figure
            best = min(best, time.perf_counter() - started)
    return best
