"""Before training: the parameter count and the time an epoch will take on this machine.

The time comes from a probe: a few real optimiser steps of the configured model on the first
batch of the corpus, so it reflects this CPU/GPU, the cell, the sizes and the batch shape."""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from engine.batching import IGNORE
from engine.config import ModelConfig, count_parameters
from engine.job import plan
from engine.model import build_model

PROBE_STEPS = 2  # the first step warms up; the second is timed too, keep the faster


def estimate(corpus_spec: str | None, preset: str | None = None, probe: bool = True,
             **overrides) -> dict:
    """{parameters, vocab_size, steps_per_epoch, seconds_per_step, seconds_per_epoch}."""
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
    return result


def _probe(config: ModelConfig, kind, batch) -> float:
    """The fastest of a few forward/backward/update steps on CPU (the first one warms up)."""
    model = build_model(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    best = float("inf")
    for _ in range(PROBE_STEPS):
        started = time.perf_counter()
        logits, _ = kind.forward(model, batch, None, "cpu")
        loss = F.cross_entropy(logits.flatten(0, 1), batch.y.flatten(), ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        best = min(best, time.perf_counter() - started)
    return best
