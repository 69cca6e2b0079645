"""Writing with a model at the desk: the cost of a keystroke, of a suggestion, and of branches
written in one batch. A 2×512 character LSTM over Tiny Shakespeare's 65 characters (its weights
untrained: speed does not depend on them).

Targets (issue 19): keystroke → state updated ≤ 2 ms (median); keystroke → first suggestion of
20 characters painted ≤ 50 ms (median, through the real app in a real terminal: tmux, read
through a control-mode client every 2 ms and at each output); 8 branches
of 200 tokens in one batch ≥ 3× faster than 8 single streams.

Run: python bench/desk.py [--keys 200] [--suggestions 30] [--repeats 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from engine.nn.threads import prepare_env  # noqa: E402  (after the path it needs)

prepare_env()  # as the command does, before numpy and PyTorch load
from bench.terminal import ControlTerminal  # noqa: E402

SESSION = "poetui-desk-bench"

TEXT = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, "
        "speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n")


def make_model(home: Path) -> str:
    """A 2×512 char LSTM model folder with (untrained) weights, in ``home``."""
    import torch

    from engine.nn.model import build_model
    from engine.nn.threads import torch_threads
    from engine.storage import checkpoint
    from engine.storage.folder import ModelFolder
    from engine.train.job import create_model

    corpus = home / "shakespeare.txt"
    corpus.write_text(TEXT * 40 + "".join(chr(32 + i) for i in range(95)), encoding="utf-8")
    path = create_model(str(corpus), name="desk-bench", level="char", cell="lstm", layers=2,
                        hidden=512)
    torch.manual_seed(0)
    # On one thread, as the app loads a model: a thread that ran PyTorch on two keeps an
    # OpenMP pool, and a second pool beside the model thread's halves its speed.
    with torch_threads(1):
        model = build_model(ModelFolder(path).model_config())
        checkpoint.save(path, model, {"step": 1}, None, ("latest", "best"))
    return "desk-bench"


def keystrokes(name: str, keys: int) -> list[float]:
    """ms per keystroke for the model's state to follow one more typed character (the
    engine's Follower, as the co-writer calls it)."""
    from engine.generate.follow import Follower
    from engine.loading import load_model

    sampler = load_model(name).sampler()
    follower = Follower(sampler)
    times = []
    with sampler.threads():
        text = ""
        for i in range(keys):
            text += TEXT[i % len(TEXT)]
            start = time.perf_counter()
            follower.follow(text)
            times.append((time.perf_counter() - start) * 1000)
    return times


def editor_line(shown: str, typed: str) -> str:
    """The co-writer's line that holds what was typed last (its last line)."""
    last = typed.split("\n")[-1]
    return next((line for line in shown.splitlines() if last and f"│ {last}" in line), "")


def editor_box(shown: str) -> str:
    """The co-writer's box: what is typed and the suggestion beside it."""
    lines = shown.splitlines()
    top = next((i for i, line in enumerate(lines) if "co-write ─" in line), 0)
    bottom = next((i for i in range(top + 1, len(lines)) if lines[i].startswith("╰")), top)
    return "\n".join(lines[top:bottom])


def in_app(name: str, keys: int, suggestions: int) -> tuple[list[float], list[float]]:
    """Through the real app in a real terminal (tmux, 80×24): ms from a key sent to its
    character painted, and from tab sent to the suggestion painted beside the text."""
    terminal = ControlTerminal(SESSION, 80, 24)
    terminal.start()
    try:
        terminal.wait(lambda s: name in s)
        terminal.send("g")
        terminal.wait(lambda s: "ready" in s)
        terminal.send("F5")
        terminal.wait(lambda s: "tab asks the model" in s)
        typed, echoed, suggested = "", [], []
        words = TEXT.replace("\n", " ").split()
        for i in range(keys + suggestions):
            if len(typed.split("\n")[-1]) > 50:  # a new line before the line wraps
                typed += "\n"
                terminal.send("Enter")
                terminal.wait(lambda s: "│ \n" not in s)
                time.sleep(0.05)
            char = " " + words[i % len(words)][0] if typed.strip(" ") else words[0][0]
            if typed.endswith("\n"):
                char = char.strip()
            for c in char:
                typed += c
                start = time.perf_counter()
                terminal.send(c, literal=True)
                painted = terminal.wait(lambda s, t=typed: editor_line(s, t) != "")
                if i < keys:
                    echoed.append((painted - start) * 1000)
            if i < keys:
                continue
            time.sleep(0.05)  # the state has followed (a step takes 1–2 ms)
            before = terminal.screen()

            def shows_suggestion(s: str, b: str = before) -> bool:
                # The model's answer may be that it has nothing to suggest: a notice, which
                # stays a few seconds (a new one is one more on the screen).
                if s.count("nothing to suggest") > b.count("nothing to suggest"):
                    return True
                return "suggestion 1 of" in s and editor_box(s) != editor_box(b)

            start = time.perf_counter()
            terminal.send("Tab")
            painted = terminal.wait(shows_suggestion)
            suggested.append((painted - start) * 1000)
            if "suggestion 1 of" in terminal.screen():  # (escape with none would leave)
                terminal.send("Escape")
                terminal.wait(lambda s: "tab asks the model" in s)
        return echoed, suggested
    finally:
        terminal.kill()


def branches(sampler, count: int, tokens: int, alternatives: int) -> tuple[float, float]:
    """(seconds for ``count`` branches of ``tokens`` in one batch, seconds for ``count``
    single streams of the same length), from one position, in a writing session (the model
    loaded once and a first batch written, as at the desk)."""
    from engine.config import SampleConfig
    from engine.generate.sampler import seeded

    config = SampleConfig(length=tokens, temperature=0.8, seed=0)
    with sampler.threads():
        start = sampler.begin("First Citizen:\n")
        t0 = time.perf_counter()
        batch = sampler.branches(start, count, config, seeded(config), alternatives)
        batched = time.perf_counter() - t0
        assert all(len(written) == tokens for written, _ in batch)
        generator = seeded(config)
        t0 = time.perf_counter()
        for _ in range(count):
            here = start.copy()
            for _ in range(tokens):
                w = here.draw(config, generator, alternatives)
                here.feed(w.id)
        single = time.perf_counter() - t0
    return batched, single


def products(sampler) -> tuple[float, float, float, int]:
    """(ms for one row's step products by numpy, ms for eight rows' by numpy, ms for eight
    rows' by the batch kernel the stepper uses, threads): the model's own two recurrent
    products (the first layer's state product, the second's over [input, state]), median of
    300, on the threads the sampler uses."""
    import numpy as np
    from threadpoolctl import threadpool_info

    from engine.nn.threads import on_model_thread, torch_threads

    stepper = sampler.stepper
    weights = [layer[1] if i == 0 else layer[0] for i, layer in enumerate(stepper.layers)]
    def median_ms(rows: int, product) -> float:
        xs = [np.random.default_rng(0).standard_normal((rows, w.shape[0]), np.float32)
              for w in weights]
        times = []
        for _ in range(320):
            t0 = time.perf_counter()
            for x, w in zip(xs, weights, strict=True):
                product(x, w)
            times.append(time.perf_counter() - t0)
        return statistics.median(times[20:]) * 1000

    with sampler.threads():
        threads = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        one, eight = median_ms(1, np.matmul), median_ms(8, np.matmul)
        def on_its_threads() -> float:
            with torch_threads(threads):
                return median_ms(8, stepper.products)

        # Where the stepper runs it: on the model thread, on as many threads.
        batched = on_model_thread(on_its_threads)
    return one, eight, batched, threads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--suggestions", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["POETUI_HOME"] = str(Path(tmp) / "home")
        name = make_model(Path(tmp))
        engine_keys = keystrokes(name, args.keys)
        app_keys, app_suggest = in_app(name, args.keys, args.suggestions)
        from engine.loading import load_model

        sampler = load_model(name).sampler()
        gc.freeze()  # as the desk does once its model is loaded
        first, _ = branches(sampler, 8, 20, 10)  # a session's first batch packs the weights
        one, eight, batched, threads = products(sampler)
        ratios = {}
        for alternatives in (0, 10):
            runs = [branches(sampler, 8, 200, alternatives) for _ in range(args.repeats)]
            ratios[alternatives] = ([s / b for b, s in runs],
                                    statistics.median(b for b, _ in runs),
                                    statistics.median(s for _, s in runs))
    med = statistics.median
    print(f"keystroke → state updated, engine: {med(engine_keys):.2f} ms median "
          f"(p90 {sorted(engine_keys)[int(0.9 * len(engine_keys))]:.2f}) over {args.keys} keys")
    print(f"keystroke → character painted, app: {med(app_keys):.1f} ms median over "
          f"{args.keys} keys")
    print(f"tab → suggestion painted, app: {med(app_suggest):.1f} ms median "
          f"(min {min(app_suggest):.1f}, max {max(app_suggest):.1f}) over {args.suggestions}")
    for alternatives, (r, b, s) in ratios.items():
        print(f"8 × 200 tokens (alternatives {alternatives}): one batch {b:.3f} s, 8 streams "
              f"{s:.3f} s, ratio {med(r):.2f}× (median of {args.repeats}; "
              f"{min(r):.2f}–{max(r):.2f})")
    print(f"the step's products: 1 row {one:.3f} ms, 8 rows {eight:.3f} ms by numpy "
          f"({eight / one:.1f}×), {batched:.3f} ms by the batch kernel "
          f"({batched / one:.1f}×), {threads} threads")
    from bench.record import record

    r0, b0, s0 = ratios[0]
    r10, b10, s10 = ratios[10]
    rows = [
        ("keystroke → state updated (engine `Follower.follow`, "
         f"{args.keys} keys)", f"**{med(engine_keys):.2f} ms**", "≤ 2 ms"),
        (f"keystroke → its character painted (the app in tmux, {args.keys} keys)",
         f"{med(app_keys):.1f} ms", "—"),
        (f"tab → first suggestion of 20 characters painted (the app in tmux, "
         f"{args.suggestions} tries)",
         f"**{med(app_suggest):.1f} ms** (min {min(app_suggest):.1f}, "
         f"max {max(app_suggest):.1f})", "≤ 50 ms"),
        ("8 branches × 200 tokens, one batch vs 8 single streams, as the loom writes them "
         "(10 alternatives kept per token)", f"**{med(r10):.2f}×** ({b10:.2f} s vs "
         f"{s10:.2f} s; {min(r10):.2f}–{max(r10):.2f} over {args.repeats})", "≥ 3×"),
        ("the same, tokens only (no alternatives)",
         f"{med(r0):.2f}× ({b0:.2f} s vs {s0:.2f} s)", "—"),
        ("a session's first batch (8 × 20 tokens; packs the weights for the batch kernel)",
         f"{first * 1000:.0f} ms", "—"),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    verdict = "" if med(r10) >= 3 else " **Not met: the branches' 3×.**"
    record("desk", "The desk: keystrokes, suggestions, branches (2×512 char LSTM)", f"""
Load average before the run: {load[0]:.2f} (1 min), {load[1]:.2f} (5 min).

| what | median | target |
|---|---|---|
{table}

A keystroke costs one model step (the co-writer's state follows the text in a thread,
`engine.generate.follow`); a suggestion is one continuation of 20 characters written alone and
shown, then three more in one batched pass (`Sampler.branches`) 0.1 s after it is on the screen.
The app is read through a tmux control-mode client (no process started per look at the
screen: at each output of the app and every 2 ms), and a figure runs from the key sent to the
first read of the screen that shows it.

Branches are timed in a writing session: the model loaded once (then `gc.freeze()`, as the
desk does), its first batch written (timed apart, above), then batches and single streams in
turn. In a batch each step reads
every weight matrix once for all eight rows, and the eight rows' probabilities and
alternatives are worked out together. The step's two recurrent products ({threads} threads,
median of 300): one row by numpy {one:.3f} ms; eight rows by numpy {eight:.3f} ms
({eight / one:.1f}×), by the batch kernel the stepper uses (`engine.generate.batch_products`:
oneDNN through PyTorch, on weights packed for a small batch) {batched:.3f} ms
({batched / one:.1f}×). numpy's OpenBLAS runs its AVX2 kernels on CPUs it does not know,
and its small-batch path at a fraction of their speed; one row, which only has to read the
weights, it does as fast as anything.{verdict}
""")


if __name__ == "__main__":
    main()
