"""The GPU path, measured: training tokens/s and Tiny Shakespeare quality per minute on the GPU
next to the CPU in the same run, sampling tokens/s of both steppers, and which GPU it was.

- Training: the `char` preset (the same model on both devices, so the figures compare), then a
  model sized for a GPU (3×1024 LSTM, batch 256 × 128), each for the same wall-clock budget;
  the loss is on the last 10 % of Tiny Shakespeare, never trained on, as `poetui train FILE
  --minutes M` reports it. Precision is the engine's choice (bf16 autocast where the GPU has it).
- Sampling: one stream of 400 tokens from the numpy stepper (weights on the host) and from the
  device stepper (weights on the GPU) at hidden sizes 512, 1024 and 2048: where the device
  stepper wins is the rule in engine/generate/device_stepper.py.

On a machine without CUDA it says so in one line and exits (status 0): nothing to measure.

Run: python bench/gpu.py [--minutes 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
GPU_MODEL = dict(cell="lstm", layers=3, hidden=1024, batch=256, seq_len=128, lr=2e-3,
                 dropout=0.2)


def train(name: str, device: str, minutes: float, preset: str | None = None, **extra) -> dict:
    from engine.storage.folder import ModelFolder
    from engine.train import job
    from engine.train.worker import run_training

    model_dir = job.create_model(str(DATA), name, preset, device=device, minutes=minutes,
                                 sample_every=10**9, **extra)
    from engine.storage.runstore import read_status

    done = run_training(model_dir)
    m = ModelFolder(model_dir).model_config()
    status = read_status(model_dir)
    return {"model": f"{m.layers}×{m.hidden} {m.cell}", "device": device,
            "precision": status.get("precision", "?"), "loss": done.val_loss,
            "tps": done.tokens_per_second, "steps": done.steps}


def sampling_speed(hidden: int, device: str, vocab) -> float:
    import torch

    from engine.config import ModelConfig, SampleConfig
    from engine.generate.device_stepper import DeviceStepper
    from engine.generate.sampler import Sampler, Stepper
    from engine.kinds import kind_named
    from engine.nn.model import LanguageModel

    model = LanguageModel(ModelConfig(len(vocab), "lstm", 2, hidden)).to(device).eval()
    sampler = Sampler(model, vocab, kind_named("stream"))
    sampler.stepper = DeviceStepper(model) if device == "cuda" else Stepper(model)
    times = []
    for seed in range(3):
        start = time.perf_counter()
        n = sum(1 for _ in sampler.stream("", SampleConfig(length=400, seed=seed)))
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(n / (time.perf_counter() - start))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=1.0)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("bench/gpu.py: no CUDA GPU on this machine (torch.cuda.is_available() is False); "
              "nothing to measure.")
        return 0
    if not DATA.exists():
        print(f"bench/gpu.py: needs Tiny Shakespeare at {DATA}.")
        return 1
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")
    from bench.record import record
    from engine.data.tokenizer import Vocab

    props = torch.cuda.get_device_properties(0)
    gpu = (f"{props.name}, {props.total_memory / 2**30:.0f} GiB, compute capability "
           f"{props.major}.{props.minor}, bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}"
           f", CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    print(f"GPU: {gpu}", flush=True)
    rows = []
    for name, device, preset, extra in (("cpu-char", "cpu", "char", {}),
                                        ("gpu-char", "cuda", "char", {}),
                                        ("gpu-large", "cuda", None, GPU_MODEL)):
        rows.append(train(name, device, args.minutes, preset, **extra))
        r = rows[-1]
        print(f"{name}: {r['model']} on {device} ({r['precision']}): {r['tps']:,.0f} tok/s, "
              f"validation loss {r['loss']:.3f} after {args.minutes:g} min", flush=True)
    vocab = Vocab.build([DATA.read_text(encoding="utf-8")], "char")
    samples = []
    for hidden in (512, 1024, 2048):
        cpu, cuda = sampling_speed(hidden, "cpu", vocab), sampling_speed(hidden, "cuda", vocab)
        samples.append((hidden, cpu, cuda))
        print(f"sampling 2×{hidden} lstm: numpy (host) {cpu:,.0f} tok/s, device stepper "
              f"(GPU) {cuda:,.0f} tok/s", flush=True)
    table = "\n".join(
        f"| {r['model']} | {r['device']} | {r['precision']} | {r['tps']:,.0f} | "
        f"{r['steps']:,} | **{r['loss']:.3f}** |" for r in rows)
    sampling = "\n".join(f"| 2×{h} lstm | {c:,.0f} | {g:,.0f} | {g / c:.2f} |"
                         for h, c, g in samples)
    record("gpu", "The GPU path: training and sampling on the GPU next to the CPU",
           f"GPU: {gpu}.\n\nTiny Shakespeare, first 90 % trained for {args.minutes:g} min of "
           f"wall clock each, loss on the last 10 % (nats/char).\n\n"
           f"| model | device | precision | tokens/s | steps | validation loss |\n"
           f"|---|---|---|---|---|---|\n{table}\n\n"
           f"Sampling, one stream of 400 tokens, median of 3:\n\n"
           f"| model | numpy stepper (host) tok/s | device stepper (GPU) tok/s | GPU / host |\n"
           f"|---|---|---|---|\n{sampling}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
