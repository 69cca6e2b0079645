"""Training on a shared machine: the default preset alone, and beside a second training run
that competes for the cores.

Each measurement is a real `poetui train` process on python-docs; its speed is the run's own
tokens per second (training steps only). Per repeat, in this order:

- alone, threads chosen by poetui (the default);
- alone, `--threads` set to every core (what the default must keep ≥ 90 % of);
- beside a competing run, both with the default (must keep ≥ 40 % of alone);
- beside a competing run, both pinned to every core with OpenMP's stock spin-waiting: how
  poetui behaved before it chose its threads (fewer steps: it is slow).

Run: python bench/contention.py [--steps 400] [--old-steps 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# libgomp's own default spin count: what every run used before poetui set its own.
STOCK_OPENMP = {"GOMP_SPINCOUNT": "300000"}


def train_command(name: str, steps: int, threads: int | None) -> list[str]:
    command = [sys.executable, "-m", "tui.cli.main", "train", "python-docs", "--name", name,
               "--steps", str(steps), "--eval-every", str(10**9), "--json"]
    return command + (["--threads", str(threads)] if threads else [])


def env(extra: dict | None = None) -> dict:
    return {**os.environ, **(extra or {}), "PYTHONPATH": str(ROOT)}


def measure(name: str, steps: int, threads: int | None, extra_env: dict | None = None,
            ) -> float:
    """Tokens per second of one whole run, from its done event."""
    out = subprocess.run(train_command(name, steps, threads), capture_output=True, text=True,
                         env=env(extra_env), cwd=ROOT, check=True).stdout
    done = [json.loads(line) for line in out.splitlines() if '"kind": "done"' in line][-1]
    return done["tokens_per_second"]


def beside_competitor(name: str, steps: int, threads: int | None,
                      extra_env: dict | None = None) -> float:
    """The same, while a second training run of the same preset trains throughout."""
    competitor = subprocess.Popen(train_command(f"{name}-rival", 10**7, threads),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=env(extra_env), cwd=ROOT)
    try:
        time.sleep(8)  # past its start-up: it is training when the measured run begins
        return measure(name, steps, threads, extra_env)
    finally:
        competitor.kill()
        competitor.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--old-steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.nn.threads import usable_cores

    cores = usable_cores()
    rows: dict[str, list[float]] = {"alone": [], "alone_all": [], "shared": [], "old": []}
    for r in range(args.repeats):
        rows["alone"].append(measure(f"a{r}", args.steps, None))
        rows["alone_all"].append(measure(f"b{r}", args.steps, cores))
        rows["shared"].append(beside_competitor(f"c{r}", args.steps, None))
        rows["old"].append(beside_competitor(f"d{r}", args.old_steps, cores, STOCK_OPENMP))
        print(f"repeat {r + 1}: alone {rows['alone'][-1]:,.0f}, alone --threads {cores} "
              f"{rows['alone_all'][-1]:,.0f}, shared {rows['shared'][-1]:,.0f}, "
              f"shared as before {rows['old'][-1]:,.0f} tok/s", flush=True)
    med = {k: statistics.median(v) for k, v in rows.items()}
    keeps_alone = statistics.median(a / b for a, b in zip(rows["alone"], rows["alone_all"],
                                                          strict=True))
    keeps_shared = statistics.median(s / a for s, a in zip(rows["shared"], rows["alone"],
                                                           strict=True))
    keeps_old = statistics.median(o / b for o, b in zip(rows["old"], rows["alone_all"],
                                                        strict=True))
    print(f"alone keeps {keeps_alone:.0%} of --threads {cores}; beside a second run it keeps "
          f"{keeps_shared:.0%} of alone (before: {keeps_old:.0%})")
    record("contention", "Training beside another training run (shared cores)",
           f"Preset `char` (its long-budget model, 1×512 LSTM) on python-docs, one `poetui train` "
           f"process per measurement ({args.steps} steps; {args.old_steps} for the slow old "
           f"behaviour), {args.repeats} repeats; tokens/s of the measured run's training steps. "
           f"The competitor is a second `poetui train` of the same preset, started 8 s earlier "
           f"and training throughout.\n\n"
           f"| run | tokens/s (median) |\n|---|---|\n"
           f"| alone, threads chosen by poetui | {med['alone']:,.0f} |\n"
           f"| alone, `--threads {cores}` | {med['alone_all']:,.0f} |\n"
           f"| beside a second run, both default | {med['shared']:,.0f} |\n"
           f"| beside a second run, both `--threads {cores}` with OpenMP's stock spinning "
           f"(the old behaviour) | {med['old']:,.0f} |\n\n"
           f"- alone ÷ alone with `--threads {cores}`: **{keeps_alone:.0%}** (target ≥ 90 %)\n"
           f"- beside a second run ÷ alone: **{keeps_shared:.0%}** (target ≥ 40 %; the fair "
           f"share is 50 %)\n"
           f"- the old behaviour, beside a second run ÷ alone: {keeps_old:.0%}\n")


if __name__ == "__main__":
    main()
