"""The app under a real terminal (tmux): first paint, key-to-repaint latency while a run trains
(on its dashboard, and in a library of many models), and training speed with the dashboard open
against the same run headless.

Targets: first paint of the library < 1.5 s; key press → repaint ≤ 50 ms (median) while a run
trains, with 50 models in the library (issue 16; 100 ms before); training tokens/s with the
dashboard open ≥ 0.9× headless.

Run: python bench/tui.py [--repeats 3] [--steps 60] [--models 50]   (needs tmux)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.terminal import ControlTerminal, Terminal  # noqa: E402  (after the path it needs)

TERMINAL = Terminal("poetui-bench", 80, 24)
# Keys are sent and the screen read through one control-mode client: a `tmux capture-pane`
# process every 5 ms took CPU from the app it was timing (while the run holds both cores).
KEYS = ControlTerminal("poetui-bench-keys", 80, 24)


def first_paint(name: str) -> float:
    started = TERMINAL.start()
    painted = TERMINAL.wait(lambda s: name in s)
    TERMINAL.kill()
    return painted - started


def run_tokens_per_second(model_dir: Path) -> float:
    """Median of the tokens/s the run recorded, past its first steps (warm-up)."""
    from engine.storage.runstore import RunReader

    rows = RunReader(model_dir).poll().steps
    return statistics.median(r["tokens_per_second"] for r in rows[len(rows) // 4 :])


def shelf(corpus: Path, count: int) -> None:
    """``count`` models in the store beside the runs (copies of one made model: the library
    reads each of them as it would any)."""
    from engine.storage import store
    from engine.storage.folder import ModelFolder
    from engine.train import job

    first = job.create_model(str(corpus), name="shelf-000", preset="tiny")
    for i in range(1, count):
        name = f"shelf-{i:03d}"
        shutil.copytree(first, store.model_path(name))
        copy = ModelFolder(store.model_path(name))
        copy.write({**copy.meta, "name": name})


def time_keys(presses: list[tuple[str, Callable[[str], bool]]], running: Callable[[], bool],
              rounds: int = 1000) -> dict[str, list[float]]:
    """Send each key and time until the screen shows its effect, while ``running()``: the
    latencies by key."""
    latencies: dict[str, list[float]] = {key: [] for key, _ in presses}
    for _ in range(rounds):
        for key, shown in presses:
            if not running():
                return latencies
            pressed = time.perf_counter()
            KEYS.send(key)
            try:
                latencies[key].append(KEYS.wait(shown, timeout=5) - pressed)
            except TimeoutError:
                return latencies
            time.sleep(0.3)
    return latencies


def train(name: str, corpus: Path, steps: int, watch: bool, press: bool = False,
          library: bool = False) -> tuple[float, dict[str, list[float]]]:
    """Train one run; ``watch`` opens its dashboard in tmux; ``press`` also times key presses
    (a separate run: polling the terminal every 5 ms would itself slow the training);
    ``library`` times them in the library instead (its info dialog opened, and closed by q
    and by escape in turn)."""
    from engine.storage.runlock import is_locked
    from engine.storage.runstore import read_status
    from engine.train import job
    from engine.train.worker import spawn

    def running() -> bool:
        return read_status(model_dir).get("state") not in ("done", "stopped", "error")

    model_dir = job.create_model(str(corpus), name=name, preset="char", steps=steps,
                                 eval_every=10**9)
    spawn(name)
    latencies: dict[str, list[float]] = {}
    if library:
        while not is_locked(model_dir):
            time.sleep(0.05)
        KEYS.start()
        KEYS.wait(lambda s: "shelf-000" in s)
        shown, closed = (lambda s: "Model settings" in s), (lambda s: "Model settings" not in s)
        latencies = time_keys([("i", shown), ("q", closed), ("i", shown), ("Escape", closed)],
                              running)
        KEYS.kill()
    elif watch:
        while not is_locked(model_dir):  # attach needs the run to have started
            time.sleep(0.05)
        terminal, latencies["l"] = (KEYS if press else TERMINAL), []
        terminal.start("attach", name)
        terminal.wait(lambda s: "loss" in s and "step" in s)
        while running() and not press:
            time.sleep(0.2)
        while running():
            # Toggle the chart (its legend says "smoothing") and time until the terminal shows
            # the change.
            before = "smoothing" in terminal.screen()
            pressed = time.perf_counter()
            terminal.send("l")
            try:
                shown = terminal.wait(lambda s, b=before: ("smoothing" in s) != b, timeout=5)
            except TimeoutError:
                break
            latencies["l"].append(shown - pressed)
            time.sleep(0.3)
        terminal.kill()
    while running():
        time.sleep(0.2)
    return run_tokens_per_second(model_dir), latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--models", type=int, default=50, help="models in the library")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        sys.exit("needs tmux")
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.corpus import load_corpus

    corpus = Path(os.environ["POETUI_HOME"]) / "docs.txt"
    corpus.write_text(load_corpus("python-docs").text, encoding="utf-8")
    shelf(corpus, args.models)

    headless, watched, latencies, in_library, escapes = [], [], [], [], []
    for r in range(args.repeats):
        tps, _ = train(f"headless-{r}", corpus, args.steps, watch=False)
        headless.append(tps)
        tps, _ = train(f"watched-{r}", corpus, args.steps, watch=True)
        watched.append(tps)
        _, lat = train(f"pressed-{r}", corpus, args.steps, watch=True, press=True)
        latencies.extend(lat["l"])
        _, lib = train(f"listed-{r}", corpus, args.steps, watch=False, library=True)
        in_library.extend(lib["i"] + lib["q"])
        escapes.extend(lib["Escape"])
        print(f"repeat {r + 1}: headless {headless[-1]:,.0f} tok/s, dashboard open "
              f"{watched[-1]:,.0f} tok/s, {len(lat['l'])} key presses on the dashboard, "
              f"{sum(map(len, lib.values()))} in the library", flush=True)
    paints = [first_paint("shelf-000") for _ in range(5)]
    ratios = [w / h for w, h in zip(watched, headless, strict=True)]
    ratio = statistics.median(ratios)
    latency = statistics.median(latencies) * 1000
    library_latency = statistics.median(in_library) * 1000
    escape = statistics.median(escapes) * 1000
    paint = statistics.median(paints)
    each = ", ".join(f"{x:.3f}" for x in ratios)
    print(f"tokens/s ratio dashboard/headless: {ratio:.3f} ({each})")
    print(f"key → repaint: median {latency:.0f} ms over {len(latencies)} presses "
          f"(p90 {statistics.quantiles(latencies, n=10)[-1] * 1000:.0f} ms)")
    print(f"key → repaint in the library ({args.models} models): median "
          f"{library_latency:.0f} ms over {len(in_library)} presses "
          f"(p90 {statistics.quantiles(in_library, n=10)[-1] * 1000:.0f} ms)")
    print(f"escape closing the info dialog: median {escape:.0f} ms over {len(escapes)} presses")
    print(f"first paint of the library: median {paint:.2f} s over {len(paints)} starts")
    record("tui", "The app: first paint, key latency, training speed with the dashboard open",
           f"Measured through tmux (80×24) on the real app; a `char` preset run "
           f"({args.steps} steps) per measurement, headless and watched alternating (the "
           f"watched run only displays; key latency is timed in a third run per repeat on "
           f"its dashboard, and in a fourth in the library), {args.repeats} repeats, with "
           f"{args.models} models in the library throughout.\n\n"
           f"| figure | measured | target |\n|---|---|---|\n"
           f"| training tokens/s, dashboard open ÷ headless (median of per-repeat ratios) | "
           f"**{ratio:.3f}** ({statistics.median(watched):,.0f} vs "
           f"{statistics.median(headless):,.0f} tok/s) | ≥ 0.9 |\n"
           f"| key press → repaint on the dashboard while training (median, "
           f"{len(latencies)} presses) | **{latency:.0f} ms** | ≤ 50 ms |\n"
           f"| key press → repaint in the library while a run trains (`i` opens the info "
           f"dialog, `q` closes it; median, {len(in_library)} presses) | "
           f"**{library_latency:.0f} ms** | ≤ 50 ms |\n"
           f"| escape closing the same dialog (median, {len(escapes)} presses) | "
           f"{escape:.0f} ms | — |\n"
           f"| first paint of the library (median of {len(paints)}) | **{paint:.2f} s** | "
           f"< 1.5 s |\n\nKey latency runs from the key sent to the first read of the screen "
           f"that shows the change, both through one tmux control-mode client (the screen read "
           f"at each output of the app and at least every 2 ms), so it includes tmux. "
           f"The first paint is timed by `capture-pane` every 5 ms. "
           f"Escape is reported apart: in a terminal without the kitty keyboard protocol (tmux "
           f"here) a lone escape byte may begin an arrow key's sequence, and Textual's input "
           f"thread takes it for the escape key when its 100 ms wait for more input ends, so "
           f"escape reads about 100 ms more than the repaint, whatever the app does.")


if __name__ == "__main__":
    main()
