"""English→French translation on ../shared/data/fra_eng.txt: the default `translate` preset
against the Keras lstm_seq2seq recipe (`keras-seq2seq`), each trained for the same minutes in the
same run, then scored on the held-out 10 % of pairs (the engine's own seeded split, which
training never saw) through `poetui eval`'s code path: chrF, BLEU and exact match of greedy
translations, and of beam search.

Target after 10 minutes: the default's greedy chrF ≥ 0.45, beating the Keras recipe by ≥ 0.15.

Run: python bench/translation.py [--minutes 10] [--beam 5] [--beam-pairs 400]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--beam-pairs", type=int, default=400,
                        help="held-out pairs scored with beam search (it is slower)")
    parser.add_argument("--presets", nargs="+", default=["translate", "keras-seq2seq"])
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"needs {DATA}")
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.corpus import load_corpus
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.assemble import open_trainer
    from engine.train.evaluate import evaluate_file

    # The held-out pairs, written out as a file `poetui eval` reads.
    _, held_out = load_corpus(str(DATA)).split()
    folder = Path(tempfile.mkdtemp())
    held_file, beam_file = folder / "held-out.txt", folder / "held-out-beam.txt"
    held_file.write_text("".join(f"{s}\t{t}\n" for s, t in held_out), encoding="utf-8")
    beam_file.write_text("".join(f"{s}\t{t}\n" for s, t in held_out[: args.beam_pairs]),
                         encoding="utf-8")

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
        greedy_subset = evaluate_file(preset, beam_file)
        params = ModelFolder(model_dir).parameters
        rows.append((preset, done, wall, greedy, beam, greedy_subset, params))
        print(f"{preset}: {done.steps} steps, {done.epochs:.1f} epochs, wall {wall:.0f} s; "
              f"held-out loss {greedy['loss']:.3f}, chrF {greedy['chrf']:.3f}, BLEU "
              f"{greedy['bleu']:.3f}, exact {greedy['exact']:.1%}; beam {args.beam} on "
              f"{args.beam_pairs}: chrF {beam['chrf']:.3f} (greedy there "
              f"{greedy_subset['chrf']:.3f})", flush=True)

    table = ("| preset | params | steps (epochs) | held-out loss (nats/char) | chrF greedy | "
             "BLEU greedy | exact greedy | chrF greedy / beam " f"{args.beam} (first "
             f"{args.beam_pairs}) |\n|---|---|---|---|---|---|---|---|\n")
    for preset, done, _wall, greedy, beam, sub, params in rows:
        table += (f"| `{preset}` | {params:,} | {done.steps:,} ({done.epochs:.1f}) | "
                  f"{greedy['loss']:.3f} | **{greedy['chrf']:.3f}** | {greedy['bleu']:.3f} | "
                  f"{greedy['exact']:.1%} | {sub['chrf']:.3f} / {beam['chrf']:.3f} |\n")
    margin = ""
    if len(rows) == 2:
        gap = rows[0][3]["chrf"] - rows[1][3]["chrf"]
        margin = (f"\nDefault − Keras recipe, greedy chrF: **{gap:+.3f}** (target ≥ +0.15); "
                  f"default chrF {rows[0][3]['chrf']:.3f} (target ≥ 0.45).\n")
    record("translation", "English→French translation (fra_eng, held-out 10 %)",
           f"Each preset trained for {args.minutes:g} minutes of wall-clock time in this run "
           f"on the 90 % training split of `fra_eng.txt` ({len(held_out):,} held-out pairs "
           f"never trained on), scored with `poetui eval`'s code path (sacrebleu chrF and "
           f"BLEU, on a 0–1 scale).\n\n{table}{margin}")


if __name__ == "__main__":
    main()
