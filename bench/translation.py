"""English→French translation on ../shared/data/fra_eng.txt: the default `translate` preset
against the Keras lstm_seq2seq recipe (`keras-seq2seq`), each trained for the same minutes in the
same run, then scored on the held-out part of the engine's own split — a seeded 10 % of the
English sentences with every translation of each, so no held-out sentence was trained on with
another translation — through `poetui eval`'s code path: chrF, BLEU and exact match of greedy
translations, and of beam search.

Target after 10 minutes: the default's chrF ≥ 0.44 on those unseen sentences (greedy, or beam
search, which is `poetui translate`'s default decoding), the Keras recipe's beside it.

Run: python bench/translation.py [--minutes 10] [--beam 5] [--beam-pairs 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "fra_eng.txt"
TARGET = 0.44


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--beam-pairs", type=int, default=0,
                        help="score beam search on the first this many held-out pairs only "
                             "(0: all of them)")
    parser.add_argument("--presets", nargs="+", default=["translate", "keras-seq2seq"])
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"needs {DATA}")
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.corpus import load_corpus
    from engine.kinds import normalised
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.assemble import open_trainer
    from engine.train.evaluate import evaluate_file

    # The held-out pairs of the engine's split (by source sentence), as a file `poetui eval`
    # reads.
    train, held_out = load_corpus(str(DATA)).split()
    sources = len({normalised(s) for s, _ in held_out})
    assert not {normalised(s) for s, _ in held_out} & {normalised(s) for s, _ in train}
    beamed = held_out[: args.beam_pairs] if args.beam_pairs else held_out
    folder = Path(tempfile.mkdtemp())
    held_file, beam_file = folder / "held-out.txt", folder / "held-out-beam.txt"
    held_file.write_text("".join(f"{s}\t{t}\n" for s, t in held_out), encoding="utf-8")
    beam_file.write_text("".join(f"{s}\t{t}\n" for s, t in beamed), encoding="utf-8")
    load = os.getloadavg()[0]
    print(f"{len(held_out):,} held-out pairs of {sources:,} source sentences; load before "
          f"training {load:.2f}", flush=True)

    rows = []
    for preset in args.presets:
        model_dir = job.create_model(str(DATA), name=preset, preset=preset,
                                     minutes=args.minutes)
        trainer = open_trainer(model_dir)
        started = time.perf_counter()
        done = trainer.run(lambda e: None)
        wall = time.perf_counter() - started
        greedy = evaluate_file(preset, held_file)
        beam = evaluate_file(preset, beam_file, beam=args.beam)
        params = ModelFolder(model_dir).parameters
        rows.append((preset, done, greedy, beam, params))
        print(f"{preset}: {done.steps} steps, {done.epochs:.1f} epochs, wall {wall:.0f} s; "
              f"held-out loss {greedy['loss']:.3f}; greedy chrF {greedy['chrf']:.3f}, BLEU "
              f"{greedy['bleu']:.3f}, exact {greedy['exact']:.1%}; beam {args.beam}: chrF "
              f"{beam['chrf']:.3f}, BLEU {beam['bleu']:.3f}, exact {beam['exact']:.1%}",
              flush=True)

    on = f"the first {len(beamed):,} pairs" if args.beam_pairs else "all of them"
    table = (f"| preset | params | steps (epochs) | held-out loss (nats/char) | chrF greedy | "
             f"chrF beam {args.beam} | BLEU greedy / beam | exact greedy / beam |\n"
             "|---|---|---|---|---|---|---|---|\n")
    for preset, done, greedy, beam, params in rows:
        table += (f"| `{preset}` | {params:,} | {done.steps:,} ({done.epochs:.1f}) | "
                  f"{greedy['loss']:.3f} | **{greedy['chrf']:.3f}** | **{beam['chrf']:.3f}** | "
                  f"{greedy['bleu']:.3f} / {beam['bleu']:.3f} | "
                  f"{greedy['exact']:.1%} / {beam['exact']:.1%} |\n")
    verdict = ""
    if rows and rows[0][0] == "translate":
        best = max(rows[0][2]["chrf"], rows[0][3]["chrf"])
        verdict = (f"\nDefault (`translate`), best of greedy and beam {args.beam}: chrF "
                   f"**{best:.3f}** (target ≥ {TARGET} on unseen sentences: "
                   f"{'met' if best >= TARGET else 'not met'}).\n")
    record("translation", "English→French translation (fra_eng, held out by source sentence)",
           f"Each preset trained for {args.minutes:g} minutes of wall-clock time in this run "
           f"on the training part of `fra_eng.txt`'s split by source sentence: "
           f"{len(held_out):,} held-out pairs of **{sources:,} English sentences** that occur "
           f"nowhere in training (not even with another translation). Scored with `poetui "
           f"eval`'s code path (sacrebleu chrF and BLEU, on a 0–1 scale; each source is "
           f"translated once and scored against each of its references); beam search on "
           f"{on}. Load average before training: {load:.2f}.\n\n{table}{verdict}")


if __name__ == "__main__":
    main()
