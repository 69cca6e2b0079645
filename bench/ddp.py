"""Data-parallel training on one machine: `--nproc 2` (one thread each) against one process
with two threads, the same model, global batch and steps, alternated in the same run.

On 2 cores DDP is not expected to win: the two processes exchange their gradients and a few
small messages every step, which one process with two threads does not. The figure is here so
that a user with more cores can run it and compare.

Run: python bench/ddp.py [--steps 60] [--repeats 3] [--nproc 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPE = dict(cell="lstm", layers=1, hidden=256, dropout=0.0, batch=32, seq_len=64,
             lr=3e-3, precision="fp32", average=0.0, eval_every=10**9, sample_every=10**9)


def measure(corpus: Path, name: str, steps: int, nproc: int, threads: int) -> float:
    """Tokens/s from the second step to the last (the first warms up), wall clock."""
    from engine.train import job
    from engine.train.worker import run_training

    model_dir = job.create_model(str(corpus), name, steps=steps, nproc=nproc, threads=threads,
                                 **SHAPE)
    times: list[float] = []
    run_training(model_dir, lambda e: times.append(time.perf_counter())
                 if e.kind == "step" else None)
    tokens = (len(times) - 1) * SHAPE["batch"] * SHAPE["seq_len"]
    return tokens / (times[-1] - times[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nproc", type=int, default=2)
    args = parser.parse_args()
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.corpus import load_corpus

    corpus = Path(tempfile.mkdtemp()) / "docs.txt"
    corpus.write_text(load_corpus("python-docs").text, encoding="utf-8")
    load = os.getloadavg()
    print(f"load before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    n = args.nproc
    alone, team = [], []
    for r in range(args.repeats):
        alone.append(measure(corpus, f"one-{r}", args.steps, 1, n))
        team.append(measure(corpus, f"team-{r}", args.steps, n, 1))
        print(f"repeat {r + 1}: 1 process × {n} threads {alone[-1]:,.0f} tok/s, "
              f"{n} processes × 1 thread {team[-1]:,.0f} tok/s", flush=True)
    ratios = [t / a for t, a in zip(team, alone, strict=True)]
    ratio = statistics.median(ratios)
    print(f"median: 1 process {statistics.median(alone):,.0f}, {n} processes "
          f"{statistics.median(team):,.0f} tok/s; ratio {ratio:.3f} "
          f"(per-repeat {', '.join(f'{x:.3f}' for x in ratios)})")
    record("ddp", f"Data-parallel training: --nproc {n} against one process",
           f"1×256 LSTM, global batch 32 × seq 64, fp32, {args.steps} steps per measurement, "
           f"{args.repeats} alternating repeats on python-docs; load average before "
           f"{load[0]:.2f}.\n\n"
           f"| | tokens/s (median, all processes together) |\n|---|---|\n"
           f"| 1 process, {n} threads | {statistics.median(alone):,.0f} |\n"
           f"| `--nproc {n}`, 1 thread each (gloo, DDP) | {statistics.median(team):,.0f} |\n"
           f"| **ratio** ({n} processes / 1, median of per-repeat ratios) | **{ratio:.3f}** |\n\n"
           f"Per-repeat ratios: {', '.join(f'{x:.3f}' for x in ratios)} (the machine is shared "
           "and noisy).\n\n"
           f"On {os.cpu_count()} cores this is not expected to win: each step the processes "
           "exchange their gradients (an all-reduce over the loopback) and the lead's orders, "
           "which one process with its threads does not. With more cores than one process's "
           "threads can use well, the processes' share of the work grows and the exchange "
           "stays the same size; run this there to see.\n")


if __name__ == "__main__":
    main()
