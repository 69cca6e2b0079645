"""Training throughput: the engine against a bare PyTorch loop over the same model, batch and
precision, interleaved step by step in one process so machine noise hits both alike.

The engine path is the real one (`run_training`: run lock, run store, events, control polls,
checkpoints at the end). At each of the engine's step events the listener runs one step of the
bare loop, the minimum any TBPTT trainer must do, on its own copy of the model; the engine's
step is the time between the listener's calls (its event recording included), the bare step the
time inside them. Both run on the same number of threads (PyTorch's default here).
Target: ratio ≥ 0.95.

Run: python bench/throughput.py [--steps 100] [--repeats 5] [--preset char]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class BareLoop:
    """One optimiser step at a time: state carried and detached, as the engine does."""

    def __init__(self, model, data: torch.Tensor, seq_len: int, lr: float, beta2: float,
                 precision: str) -> None:
        self.model, self.data, self.seq_len, self.precision = model, data, seq_len, precision
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, beta2))
        self.state, self.i = None, 0

    def step(self) -> int:
        t = (self.i * self.seq_len) % (self.data.shape[1] - self.seq_len - 1)
        self.i += 1
        x = self.data[:, t : t + self.seq_len]
        y = self.data[:, t + 1 : t + 1 + self.seq_len]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            logits, state = self.model(x, self.state)
        loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.state = tuple(s.detach() for s in state) if isinstance(state, tuple) \
            else state.detach()
        loss.item()
        return x.numel()


def interleaved(corpus: Path, preset: str, steps: int, n: int, bare: BareLoop
                ) -> tuple[float, float]:
    """(engine tokens/s, bare tokens/s) over one run, the first step of each left out (warm-up)."""
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.worker import run_training

    # Fixed threads: left to choose (threads 0), the engine takes its fair share of a shared
    # machine's cores, another feature with its own bench (bench/contention.py).
    model_dir = job.create_model(str(corpus), name=f"t{n}", preset=preset, steps=steps,
                                 eval_every=10**9, threads=torch.get_num_threads())
    engine_s, bare_s, bare_tokens, steps_seen = 0.0, 0.0, 0, 0
    left: float | None = None  # when the listener last returned to the engine

    def listen(event) -> None:
        nonlocal engine_s, bare_s, bare_tokens, left, steps_seen
        if event.kind != "step":
            return
        entered = time.perf_counter()
        if left is not None:
            engine_s += entered - left
            steps_seen += 1
        tokens = bare.step()
        if event.step > 1:
            bare_s += time.perf_counter() - entered
            bare_tokens += tokens
        left = time.perf_counter()

    run_training(model_dir, listen)
    config = ModelFolder(model_dir).train_config()
    return steps_seen * config.batch * config.seq_len / engine_s, bare_tokens / bare_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--preset", default="char")
    args = parser.parse_args()
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.config import ModelConfig
    from engine.corpus import load_corpus
    from engine.data.tokenizer import Vocab
    from engine.nn.device import pick_device, resolve_precision
    from engine.nn.model import LanguageModel
    from engine.train.job import resolve_settings

    # A step budget takes the preset's last tier: the model of the long budgets.
    _, s = resolve_settings(args.preset, {"steps": args.steps})
    corpus_path = Path(tempfile.mkdtemp()) / "docs.txt"
    corpus_path.write_text(load_corpus("python-docs").text, encoding="utf-8")
    text = corpus_path.read_text(encoding="utf-8")
    vocab = Vocab.build([text], "char")
    ids = torch.from_numpy(vocab.encode_array(text))
    n = len(ids) // s["batch"]
    data = ids[: n * s["batch"]].view(s["batch"], n)
    precision = resolve_precision("auto", pick_device())

    ours, bare, ratios = [], [], []
    for r in range(args.repeats):
        torch.manual_seed(r)
        model = LanguageModel(ModelConfig(len(vocab), s["cell"], s["layers"], s["hidden"],
                                          s.get("embed", 0), s.get("dropout", 0.0)))
        loop = BareLoop(model, data, s["seq_len"], s["lr"], s["beta2"], precision)
        engine_tps, bare_tps = interleaved(corpus_path, args.preset, args.steps, r, loop)
        ours.append(engine_tps)
        bare.append(bare_tps)
        ratios.append(engine_tps / bare_tps)
        print(f"repeat {r + 1}: engine {engine_tps:,.0f} tok/s, bare loop {bare_tps:,.0f} tok/s,"
              f" ratio {ratios[-1]:.3f}", flush=True)
    ratio = statistics.median(ratios)
    print(f"median: engine {statistics.median(ours):,.0f}, bare {statistics.median(bare):,.0f}"
          f" tok/s; ratio {ratio:.3f} (per-repeat {', '.join(f'{x:.3f}' for x in ratios)})")
    record("throughput", "Training throughput: engine vs a bare PyTorch loop",
           f"Preset `{args.preset}` ({s['layers']}×{s['hidden']} {s['cell']}, batch "
           f"{s['batch']}, seq {s['seq_len']}, {precision}), {args.steps} steps per run, "
           f"{args.repeats} runs on python-docs, {torch.get_num_threads()} threads for both. "
           "The bare loop's steps are interleaved one by one with the engine's (run inside its "
           "step listener), so the machine's noise falls on both alike.\n\n"
           f"| | tokens/s (median) |\n|---|---|\n"
           f"| bare PyTorch loop | {statistics.median(bare):,.0f} |\n"
           f"| engine (`run_training`, run store on) | {statistics.median(ours):,.0f} |\n"
           f"| **ratio** (median of per-run ratios; each run: "
           f"{', '.join(f'{x:.3f}' for x in ratios)}) | **{ratio:.3f}** (target ≥ 0.95) |\n")


if __name__ == "__main__":
    main()
