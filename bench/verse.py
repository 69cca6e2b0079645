"""Regulated verse (issue 20): how often the Tang presets write regulated, rhyming quatrains
left to themselves, what regulated decoding costs, and tang-qijue's held-out loss against the
generic `tang` preset.

Each model trains for its preset's minutes on ../shared/data (tang-wujue 3 on tang_wujue.txt,
tang-qijue 5 on tang_qijue.txt; `tang` 5 on tang_qijue.txt; with --baseline also tang-wujue
without verse features, 3). Per model, N poems at temperature 0.8:

- unconstrained: the share regulated and the share rhyming (engine.generate.verse), beside the
  training corpus's own;
- `--regulated`, and `--regulated` with a random 4-character acrostic: the share regulated and
  well formed (target 100 %);
- the mean log-probability per character, under the model, of the regulated poems against the
  unconstrained ones; the mean probability mass the mask removed per position, and at line 4's
  rhyme with and without the look-ahead (line 2 ending only in a wide group).

Run: python bench/verse.py [--poems 1000] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import isolate, scratch_file  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def corpus_figures(path: Path) -> tuple[float, float]:
    from engine.generate.verse import Summary, check

    summary = Summary()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            summary.add(check(line.strip()))
    return summary.share(summary.regulated), summary.share(summary.rhymes)


def log_prob_per_char(sampler, record: str) -> float:
    """Mean log-probability (nats) of each token of ``record`` and its end, under the model."""
    import numpy as np

    vocab, stepper = sampler.vocab, sampler.stepper
    state = stepper.zero_state()
    logits = None
    for token in sampler.kind.start_ids(vocab, []):
        logits = stepper.step(token, state)
    total, ids = 0.0, vocab.encode(record) + [vocab.eos_id]
    for token in ids:
        scores = logits.numpy().astype(np.float64)
        top = scores.max()
        total += scores[token] - top - math.log(np.exp(scores - top).sum())
        logits = stepper.step(token, state)
    return total / len(ids)


def rhyme_position_mass(records: list[str], pruned: list[list[float]]) -> float:
    """Mean mass removed at the last character of line 4 (where a rhyme may be a dead end)."""
    values = []
    for record, removed in zip(records, pruned, strict=True):
        poem_start = record.index(":") + 1 if ":" in record else 0
        poem = record[poem_start:]
        if len(poem) >= 4 and poem.count("，") + poem.count("。") >= 4:
            size = poem.index("，")
            k = poem_start + 4 * (size + 1) - 2
            if k < len(removed):
                values.append(removed[k])
    return sum(values) / len(values) if values else float("nan")


def sample(sampler, config, count, constraint=None) -> tuple[list[str], list[list[float]]]:
    records, pruned = [], []
    for item in sampler.items("", config, count, constraint):
        records.append("".join(item))
        pruned.append(list(constraint.pruned) if constraint is not None else [])
    return records, pruned


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--poems", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=1.0, help="training minutes × this "
                        "(a quick look; recorded figures use 1)")
    parser.add_argument("--baseline", action="store_true", help="also tang-wujue without "
                        "verse features")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    isolate(DATA)
    from bench.record import record
    from engine.config import SampleConfig
    from engine.generate.regulated import regulated_constraint
    from engine.generate.verse import Summary, check
    from engine.loading import load_model
    from engine.presets import PRESETS
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.assemble import open_trainer
    from engine.train.evaluate import evaluate_file

    load = os.getloadavg()
    print(f"load before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    wujue, qijue = DATA / "tang_wujue.txt", DATA / "tang_qijue.txt"
    runs = [("tang-wujue", "tang-wujue", wujue, {}), ("tang-qijue", "tang-qijue", qijue, {})]
    if args.baseline:
        runs.append(("tang-wujue-plain", "tang-wujue", wujue, {"verse_features": False}))
    runs.append(("tang", "tang", qijue, {"minutes": 5.0}))
    own = {path: corpus_figures(path) for path in (wujue, qijue)}
    rows, losses, examples = [], {}, {}
    for name, preset, data, extra in runs:
        minutes = extra.get("minutes", PRESETS[preset].settings.get("minutes", 5.0)) * args.scale
        overrides = {k: v for k, v in extra.items() if k != "minutes"}
        model_dir = job.create_model(str(data), name=name, preset=preset, minutes=minutes,
                                     **overrides)
        _, held_out = ModelFolder(model_dir).corpus_as_trained().split()
        started = time.perf_counter()
        done = open_trainer(model_dir).run(lambda e: None)
        wall = time.perf_counter() - started
        losses[name] = evaluate_file(name, scratch_file("held-out.txt",
                                                        "\n".join(held_out) + "\n"))["loss"]
        print(f"{name}: {done.steps:,} steps in {wall:.0f} s, held-out {losses[name]:.3f} "
              "nats/char", flush=True)
        if preset == "tang":
            continue  # only its loss is compared
        loaded = load_model(name)
        sampler, vocab = loaded.sampler(), loaded.vocab
        config = SampleConfig(length=120, temperature=0.8, seed=1)
        free, _ = sample(sampler, config, args.poems)
        free_v = [check(r) for r in free]
        regulated = regulated_constraint(vocab)
        fixed, fixed_pruned = sample(sampler, config, args.poems, regulated)
        fixed_v = [check(r) for r in fixed]
        narrow = regulated_constraint(vocab, wide=0)
        narrow_records, narrow_pruned = sample(sampler, config, args.poems, narrow)
        rng = random.Random(3)
        letters = [t for t in vocab.tokens if len(t) == 1 and "\u4e00" <= t <= "\u9fff"][:500]
        acro_ok = 0
        for i in range(args.poems):
            heads = "".join(rng.sample(letters, 4))
            item = next(sampler.items("", SampleConfig(length=120, temperature=0.8, seed=i), 1,
                                      regulated_constraint(vocab, heads)))
            v = check("".join(item))
            acro_ok += v.regulated and [line[0] for line in v.lines] == list(heads)
        summary = Summary()
        for v in free_v:
            summary.add(v)
        fixed_ok = sum(v.regulated and v.well_formed for v in fixed_v) / len(fixed_v)
        lp_free = [log_prob_per_char(sampler, r) for r in free[:300]]
        lp_fixed = [log_prob_per_char(sampler, r) for r in fixed[:300]]
        masked = [x for p in fixed_pruned for x in p]
        row = dict(name=name, steps=done.steps, epochs=done.epochs, loss=losses[name],
                   regulated=summary.share(summary.regulated),
                   rhymes=summary.share(summary.rhymes),
                   formed=summary.share(summary.well_formed),
                   own=own[data], fixed=fixed_ok, acrostic=acro_ok / args.poems,
                   lp_free=sum(lp_free) / len(lp_free), lp_fixed=sum(lp_fixed) / len(lp_fixed),
                   pruned=sum(masked) / len(masked),
                   rhyme_mass=rhyme_position_mass(fixed, fixed_pruned),
                   rhyme_mass_narrow=rhyme_position_mass(narrow_records, narrow_pruned))
        rows.append(row)
        examples[name] = (free[:2], [r for r, v in zip(fixed, fixed_v, strict=True)][:2])
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()},
              flush=True)
    if args.no_record:
        return
    table = ("| model | steps (epochs) | held-out loss | regulated (corpus) | rhyming (corpus) "
             "| well formed | `--regulated` | with `--acrostic` | log-prob/char free → "
             "regulated | mass pruned / position | at line 4's rhyme (no look-ahead) |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        table += (f"| `{r['name']}` | {r['steps']:,} ({r['epochs']:.1f}) | {r['loss']:.3f} | "
                  f"**{r['regulated']:.1%}** ({r['own'][0]:.1%}) | **{r['rhymes']:.1%}** "
                  f"({r['own'][1]:.1%}) | {r['formed']:.1%} | {r['fixed']:.1%} | "
                  f"{r['acrostic']:.1%} | {r['lp_free']:.3f} → {r['lp_fixed']:.3f} | "
                  f"{r['pruned']:.1%} | {r['rhyme_mass']:.1%} ({r['rhyme_mass_narrow']:.1%}) |\n")
    shown = "\n".join(f"- `{name}` free: {' / '.join(free)}\n- `{name}` regulated: "
                      f"{' / '.join(fixed)}" for name, (free, fixed) in examples.items())
    record("verse", "Regulated verse: tones and rhyme of the Tang presets (issue 20)",
           f"Load before the run: {load[0]:.2f}. The Tang presets read each character's "
           "verse features and the verse context (what the rules ask of the next character; "
           "engine/nn/verse_context.py); sampling is unconstrained but for `--regulated`. "
           f"Each model trained for its preset's minutes "
           f"(× {args.scale:g}) in this run; {args.poems:,} poems per column at temperature "
           "0.8, judged by `engine.generate.verse` (the rules of `poetui verse check`); the "
           "corpus's own shares beside them. Log-probabilities per character (nats, title and "
           "end included) over the first 300 poems of each kind, under the same model. Mass "
           "pruned: the share of the model's probability (temperature 1) the regulated mask "
           "removed, averaged over masked choices; at line 4's rhyme, with the look-ahead "
           "(line 2 may end only in a group of ≥ 30 known characters) and, in brackets, "
           "without. Targets: unconstrained ≥ 10 % regulated and ≥ 30 % rhyming; "
           "`--regulated` 100 %, with `--acrostic` too.\n\n" + table +
           f"\nHeld-out loss on tang_qijue.txt's held-out 10 %: `tang-qijue` "
           f"{losses['tang-qijue']:.3f} nats/char against the generic `tang` preset's "
           f"{losses['tang']:.3f}, each trained 5 minutes × {args.scale:g} in this run.\n\n"
           f"Poems:\n\n{shown}\n")


if __name__ == "__main__":
    main()
