"""Training throughput: the engine against a bare PyTorch loop over the same model, batch and
precision, alternated in the same run so machine noise hits both alike.

The engine path is the real one (`run_training`: run lock, run store, events, checkpoints at
the end); the bare loop is the minimum any TBPTT trainer must do. Both run on the same number of
threads (PyTorch's default here). Target: ratio ≥ 0.95.

Run: python bench/throughput.py [--steps 40] [--repeats 3] [--preset char]
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


def bare_loop(model, data: torch.Tensor, steps: int, seq_len: int, lr: float, beta2: float,
              precision: str) -> float:
    """Tokens/s from step 2 to the last (step 1 warms up), state carried and detached."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, beta2))
    state, start, tokens = None, 0.0, 0
    for i in range(steps):
        t = (i * seq_len) % (data.shape[1] - seq_len - 1)
        x, y = data[:, t : t + seq_len], data[:, t + 1 : t + 1 + seq_len]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits, state = model(x, state)
        loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        loss.item()
        if i == 0:
            start = time.perf_counter()
        else:
            tokens += x.numel()
    return tokens / (time.perf_counter() - start)


def engine_run(corpus: Path, preset: str, steps: int, n: int) -> tuple[float, str]:
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.worker import run_training

    # The bare loop runs on PyTorch's own thread count; the engine is given the same, so the
    # figure compares the loops. Left to choose (threads 0), the engine takes its fair share of a
    # shared machine's cores, which is another feature with its own bench (bench/contention.py).
    model_dir = job.create_model(str(corpus), name=f"t{n}", preset=preset, steps=steps,
                                 eval_every=10**9, threads=torch.get_num_threads())
    times: list[tuple[float, int]] = []

    def listen(event) -> None:
        if event.kind == "step":
            times.append((time.perf_counter(), event.step))

    run_training(model_dir, listen)
    config = ModelFolder(model_dir).train_config()
    tokens = (len(times) - 1) * config.batch * config.seq_len
    from engine.nn.device import pick_device, resolve_precision

    return tokens / (times[-1][0] - times[0][0]), resolve_precision("auto", pick_device())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="char")
    args = parser.parse_args()
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.config import ModelConfig
    from engine.corpus import load_corpus
    from engine.data.tokenizer import Vocab
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

    bare, ours, precision = [], [], "fp32"
    for r in range(args.repeats):
        ours_tps, precision = engine_run(corpus_path, args.preset, args.steps, r)
        ours.append(ours_tps)
        torch.manual_seed(r)
        model = LanguageModel(ModelConfig(len(vocab), s["cell"], s["layers"], s["hidden"],
                                          s.get("embed", 0), s.get("dropout", 0.0)))
        bare.append(bare_loop(model, data, args.steps, s["seq_len"], s["lr"], s["beta2"],
                              precision))
        print(f"repeat {r + 1}: engine {ours[-1]:,.0f} tok/s, bare loop {bare[-1]:,.0f} tok/s",
              flush=True)
    ratios = [o / b for o, b in zip(ours, bare, strict=False)]
    ratio = statistics.median(ratios)
    print(f"median: engine {statistics.median(ours):,.0f}, bare {statistics.median(bare):,.0f}"
          f" tok/s; ratio {ratio:.3f} (per-repeat {', '.join(f'{x:.3f}' for x in ratios)})")
    record("throughput", "Training throughput: engine vs a bare PyTorch loop",
           f"Preset `{args.preset}` ({s['layers']}×{s['hidden']} {s['cell']}, batch "
           f"{s['batch']}, seq {s['seq_len']}, {precision}), {args.steps} steps per measurement, "
           f"{args.repeats} alternating repeats on python-docs, {torch.get_num_threads()} threads "
           f"for both.\n\n"
           f"| | tokens/s (median) |\n|---|---|\n"
           f"| bare PyTorch loop | {statistics.median(bare):,.0f} |\n"
           f"| engine (`run_training`, run store on) | {statistics.median(ours):,.0f} |\n"
           f"| **ratio** (median of per-repeat ratios) | **{ratio:.3f}** (target ≥ 0.95) |\n")


if __name__ == "__main__":
    main()
