"""Word-level Shakespeare (the TensorFlow cookbook LSTM): the `shakespeare-words` preset trained
for the same wall-clock minutes on ../shared/data/tinyshakespeare.txt.

The model trains on the first 90 % (the engine's split of a stream); the raw last 10 % is scored
as it is by `poetui eval`'s code path, the cookbook recipe (lowercase, punctuation stripped but
- and ', rare words as <unk>) applied by the model. Figures: held-out nats and perplexity per
word; of generated text, the share of <unk> and the share of 4-word runs never in the training
text; and the model's continuation of the cookbook's primes.
Target after 5 minutes: ≤ 4.90 nats per word (the cookbook reports a training loss of 5.7–6.0).

Run: python bench/words.py [--minutes 5] [--presets shakespeare-words word]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import isolate, scratch_file  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
PRIMES = ("thou art more", "to be or not to", "wherefore art thou")
NOTE = ("<unk> stands for every word seen 5 times or fewer: 14 % of the held-out words, more "
        "than any real word, so greedy decoding falls into it and sampling at 0.8 writes more of "
        "it than the text holds")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--presets", nargs="+", default=["shakespeare-words"])
    parser.add_argument("--samples", type=int, default=20, help="texts of 100 words sampled")
    args = parser.parse_args()
    isolate(DATA)
    from bench.record import record
    from engine.config import SampleConfig
    from engine.corpus import load_corpus
    from engine.data.tokenizer import UNK
    from engine.loading import load_model
    from engine.train import job
    from engine.train.assemble import open_trainer
    from engine.train.evaluate import evaluate_file

    _, held_out = load_corpus(str(DATA)).split()
    held_file = scratch_file("last-10-percent.txt", held_out)
    rows = []
    for preset in args.presets:
        model_dir = job.create_model(str(DATA), name=preset, preset=preset,
                                     minutes=args.minutes)
        started = time.perf_counter()
        done = open_trainer(model_dir).run(lambda e: None)
        wall = time.perf_counter() - started
        report = evaluate_file(preset, held_file)
        loaded = load_model(preset)
        sampler = loaded.sampler()
        texts = ["".join(sampler.stream(sampler.prime(""), SampleConfig(
            length=100, temperature=0.8, seed=i))) for i in range(args.samples)]
        words = " ".join(texts).split()
        unk = sum(w == UNK for w in words) / max(len(words), 1)
        new = loaded.novelty().score(texts)
        primed = {p: "".join(sampler.stream(sampler.prime(p), SampleConfig(
            length=12, greedy=True))) for p in PRIMES}
        rows.append((preset, done, wall, report, unk, new, primed))
        print(f"{preset}: {done.steps:,} steps ({done.epochs:.1f} epochs), wall {wall:.0f} s; "
              f"held-out {report['loss']:.3f} nats/word (perplexity {report['perplexity']:.1f}, "
              f"best during training {done.best_val_loss:.3f}); <unk> {unk:.1%} of generated "
              f"words; new 4-word runs {new:.1%}", flush=True)
        for prime, text in primed.items():
            print(f"    {prime} → {text.strip()}")
    table = ("| preset | steps (epochs) | held-out nats per word | perplexity | <unk> in "
             "generated text | new 4-word runs |\n|---|---|---|---|---|---|\n")
    for preset, done, _wall, report, unk, new, _ in rows:
        table += (f"| `{preset}` | {done.steps:,} ({done.epochs:.1f}) | **{report['loss']:.3f}** "
                  f"| {report['perplexity']:.1f} | {unk:.1%} | {new:.1%} |\n")
    best = min(r[3]["loss"] for r in rows)
    missed = "" if best <= 4.90 else (
        f"\n**The 4.90 target is not reached** (best here {best:.3f}). Tried on this machine: "
        "the issue's generic word settings (best 5.04 at the first evaluation, then "
        "overfitting); a tied 1×384 LSTM with dropout 0.5 on the output, 0.2 on the embedding "
        "and DropConnect 0.4 on the recurrent weights at lr 3e-3 (5.054 after 5 minutes) and "
        "6e-3 (4.998, the preset); in 100-s runs, lighter dropout (0.3 output, 0.1 embedding, "
        "0.2 recurrent) overfits "
        "at 5.222 where the preset is still falling, and batch 64 (5.162) is no better than "
        "batch 32 (5.133).\n")
    greedy = "\n".join(f"    {p} → {t.strip()}" for p, t in rows[0][6].items())
    record("words", "Word-level Shakespeare (the cookbook recipe; raw last 10 % of Tiny "
           "Shakespeare)",
           f"Each preset trained for {args.minutes:g} minutes of wall-clock time in this run on "
           f"the first 90 %; the raw last 10 % ({report['tokens']:,} words after the recipe) "
           f"scored by `poetui eval`'s code path. {args.samples} texts of 100 words sampled at "
           f"temperature 0.8 for the <unk> and novelty figures. Target after 5 minutes: ≤ 4.90 "
           f"nats per word.\n\n{table}{missed}\nGreedy continuations of `{rows[0][0]}` "
           f"({NOTE}):\n\n{greedy}\n")


if __name__ == "__main__":
    main()
