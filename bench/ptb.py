"""Zaremba, Sutskever & Vinyals (2014), the `ptb-small` recipe as their TensorFlow tutorial sets
it, run to the end of its 13 epochs on word-level Tiny Shakespeare (the PTB files cannot be
downloaded on these machines).

The corpus is a folder with its own split, as PTB is: the first 80 % of
../shared/data/tinyshakespeare.txt trains, the next 10 % validates and the last 10 % tests, each
read through the cookbook recipe (lowercase, punctuation stripped; the 10,000 most frequent
words, the rest <unk>, as PTB's vocabulary). Figures, as the original script prints them:
validation perplexity after every epoch, test perplexity at the end, and words per second.
The paper's figures on PTB itself: small 120.7 valid / 114.5 test.

Run: python bench/ptb.py [--preset ptb-small] [--epochs 13]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import isolate  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
PAPER = {"ptb-small": (120.7, 114.5), "ptb-medium": (86.2, 82.7), "ptb-large": (82.2, 78.4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="ptb-small")
    parser.add_argument("--epochs", type=float, help="fewer than the recipe's, for a quick look")
    args = parser.parse_args()
    isolate(DATA)
    from bench.record import record
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.assemble import open_trainer

    lines = DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    cut1, cut2 = int(len(lines) * 0.8), int(len(lines) * 0.9)
    folder = Path(tempfile.mkdtemp()) / "shakespeare-words"
    folder.mkdir()
    for part, chunk in (("train", lines[:cut1]), ("valid", lines[cut1:cut2]),
                        ("test", lines[cut2:])):
        (folder / f"shakespeare.{part}.txt").write_text("".join(chunk), encoding="utf-8")
    train_words = len((folder / "shakespeare.train.txt").read_text(encoding="utf-8").split())
    extra = {"epochs": args.epochs} if args.epochs else {}
    model_dir = job.create_model(str(folder), name="ptb", preset=args.preset,
                                 recipe="cookbook-words", **extra)
    epochs: list[tuple[int, float, float]] = []
    started = time.perf_counter()

    def watch(event) -> None:
        if event.kind == "step":
            watch.lr, watch.epoch = event.lr, event.epoch
        elif event.kind == "eval":
            epochs.append((len(epochs) + 1, watch.lr, event.perplexity))
            print(f"Epoch {len(epochs)}: learning rate {watch.lr:.3f}, valid perplexity "
                  f"{event.perplexity:.1f} ({time.perf_counter() - started:.0f} s)", flush=True)

    watch.lr, watch.epoch = 0.0, 0
    done = open_trainer(model_dir).run(watch)
    assert done.test_perplexity is not None
    print(f"Test perplexity {done.test_perplexity:.1f}; {done.tokens_per_second:,.0f} words/s; "
          f"{done.elapsed:.0f} s", flush=True)
    from engine.config import SampleConfig
    from engine.loading import load_model

    loaded = load_model("ptb", "latest")  # the final weights, as the test figure
    sampler = loaded.sampler()
    texts = ["".join(sampler.stream("", SampleConfig(length=100, temperature=1.0, seed=i)))
             for i in range(20)]
    new = loaded.novelty().score(texts)
    print(f"New 4-word runs in 20 sampled texts of 100 words: {new:.1%}", flush=True)
    folder = ModelFolder(model_dir)
    table = "| epoch | learning rate | valid perplexity |\n|---|---|---|\n" + "".join(
        f"| {e} | {lr:.4g} | {ppl:.1f} |\n" for e, lr, ppl in epochs)
    valid, test = PAPER.get(args.preset, (math.nan, math.nan))
    record(f"ptb-{args.preset}", f"The PTB recipe `{args.preset}` on word-level Tiny Shakespeare",
           f"`{args.preset}` exactly as the paper's tutorial sets it (vocabulary "
           f"{folder.vocab_size:,}, {folder.parameters:,} parameters), run to the end of its "
           f"schedule: {done.steps:,} steps, {done.epochs:g} epochs, "
           f"{done.elapsed / 60:.1f} minutes. Tiny Shakespeare split 80 / 10 / 10 % into train, "
           f"valid and test files, read through the cookbook recipe.\n\n{table}\n"
           f"**Test perplexity {done.test_perplexity:.1f}**; **{done.tokens_per_second:,.0f} "
           f"words/s**; {new:.1%} of the 4-word runs in 20 sampled texts of 100 words "
           f"(temperature 1.0) never occur in the training text. On PTB the paper reports "
           f"{valid} valid / {test} test for this recipe. "
           f"These figures are not comparable to those: this training text has "
           f"{train_words:,} words against PTB's 887,521, and another vocabulary.\n")


if __name__ == "__main__":
    main()
