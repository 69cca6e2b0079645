"""Dinosaur names (the classic numpy character RNN): the `dinosaurs` preset against the original
(`dinosaurs-original`: a plain 1×50 RNN, SGD, element-wise clipping, one name per step), each
trained for the same wall-clock time on ../shared/data/dinos.txt.

Figures, on the engine's held-out 10 % of names (never trained on), through `poetui eval`'s
code path: the mean loss per name in nats (<eos> included); and of 1,000 generated names, the
share not in the training list and the share well formed (letters only, 3–25 long).
Targets: ≤ 19.0 nats per name after 60 s; ≥ 80 % new; ≥ 95 % well formed.

Run: python bench/dinosaurs.py [--seconds 60] [--names 1000]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import isolate, scratch_file  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "dinos.txt"
WELL_FORMED = re.compile(r"[a-z]{3,25}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--presets", nargs="+", default=["dinosaurs", "dinosaurs-original"])
    args = parser.parse_args()
    isolate(DATA)
    from bench.record import record
    from engine.config import SampleConfig
    from engine.corpus import load_corpus
    from engine.generate.novelty import novel_items
    from engine.loading import load_model
    from engine.train import job
    from engine.train.assemble import open_trainer
    from engine.train.evaluate import evaluate_file

    train, held_out = load_corpus(str(DATA)).split()
    held_file = scratch_file("held-out.txt", "\n".join(held_out) + "\n")
    training = [t.lower() for t in train]
    rows = []
    for preset in args.presets:
        model_dir = job.create_model(str(DATA), name=preset, preset=preset,
                                     minutes=args.seconds / 60)
        started = time.perf_counter()
        done = open_trainer(model_dir).run(lambda e: None)
        wall = time.perf_counter() - started
        report = evaluate_file(preset, held_file)
        sampler = load_model(preset).sampler()
        config = SampleConfig(length=40, temperature=1.0, seed=1)
        names = ["".join(item) for item in sampler.items("", config, args.names)]
        new = novel_items(names, training)
        formed = sum(bool(WELL_FORMED.fullmatch(n)) for n in names) / len(names)
        rows.append((preset, done, wall, report, new, formed, names[:8]))
        print(f"{preset}: {done.steps:,} steps ({done.epochs:.0f} epochs), wall {wall:.0f} s; "
              f"held-out {report['loss_per_item']:.2f} nats/name; new {new:.1%}, well formed "
              f"{formed:.1%}; e.g. {', '.join(names[:8])}", flush=True)
    table = ("| preset | steps (epochs) | held-out loss per name (nats) | new names | "
             "well formed | first names generated |\n|---|---|---|---|---|---|\n")
    for preset, done, _wall, report, new, formed, shown in rows:
        table += (f"| `{preset}` | {done.steps:,} ({done.epochs:.0f}) | "
                  f"**{report['loss_per_item']:.2f}** | {new:.1%} | {formed:.1%} | "
                  f"{', '.join(shown)} |\n")
    best = min(r[3]["loss_per_item"] for r in rows)
    missed = "" if best <= 19.0 else (
        f"\n**The 19.0 target is not reached** (best here {best:.2f}). Tried on this machine, "
        "each trained for 60 s or 2,400–6,000 steps and scored on these held-out names: "
        "dropout 0.3 on the output alone "
        "(20.05 with evaluation every epoch); dropout 0.5 with 0.2 on the embedding (19.78); "
        "DropConnect 0.3–0.5 on the recurrent weights added (19.62–19.73, the preset); 256 "
        "units (19.83–20.07), 64 units (20.11), two layers of 192 (20.01), a GRU (20.00), "
        "batch 16 or 64 (19.87, 19.69), lr 2e-3 or 1e-2 (20.17, 19.73), weight decay 0.5 "
        "(20.39), weight-average decay 0.995–0.998 (no change). The best held-out loss comes "
        "within 10–30 epochs and every regulariser tried only flattens the rise after it.\n")
    record("dinosaurs", "Dinosaur names (held-out 10 % of dinos.txt)",
           f"Each preset trained for {args.seconds:g} s of wall-clock time in this run; "
           f"{len(held_out)} held-out names scored by `poetui eval`'s code path; "
           f"{args.names:,} names sampled at temperature 1.0. Targets: ≤ 19.0 nats per name "
           f"(a tuned character 4-gram gets about 20.8; the exercise's smoothed training loss "
           f"ends near 22), ≥ 80 % new, ≥ 95 % well formed (letters only, 3–25 long).\n\n"
           f"{table}{missed}")


if __name__ == "__main__":
    main()
