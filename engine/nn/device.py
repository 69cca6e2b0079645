"""Device and precision choice: CUDA, then Apple MPS, then CPU; bf16 where it runs fast."""

from __future__ import annotations

import contextlib
from functools import lru_cache

import torch

from engine.config import PRECISIONS
from engine.errors import PoetuiError


def pick_device(requested: str | None = None) -> torch.device:
    if requested and requested != "auto":
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise PoetuiError(f"'{requested}' is not a device; use cpu, cuda or mps.") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise PoetuiError("CUDA was asked for but no CUDA GPU is available; use --device cpu.")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise PoetuiError("MPS was asked for but is not available here; use --device cpu.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """True when the CPU multiplies bf16 in hardware (AVX512-BF16 or AMX); else bf16 is slow."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(requested: str, device: torch.device) -> str:
    if requested not in PRECISIONS:
        raise PoetuiError(f"Unknown precision '{requested}'; use one of {', '.join(PRECISIONS)}.")
    if requested != "auto":
        return requested
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16"
    if device.type == "cpu" and cpu_has_native_bf16():
        return "bf16"
    return "fp32"


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision != "bf16":
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    if device.type == "cpu" and not cpu_has_native_bf16():
        # oneDNN's LSTM still takes bf16 input on CPUs that lack bf16 and then fails to build its
        # kernel; PyTorch's own RNN code runs it (slowly, as a forced bf16 is here).
        stack.enter_context(torch.backends.mkldnn.flags(enabled=False))
    stack.enter_context(torch.autocast(device.type, dtype=torch.bfloat16))
    return stack


def to_device(t: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """A batch's tensor on the training device. To a GPU through pinned (page-locked) host
    memory and a non-blocking copy, so the copy overlaps the work already queued on the GPU;
    elsewhere as it is."""
    device = torch.device(device)
    if device.type != "cuda":
        return t.to(device)
    return (t if t.is_pinned() else t.pin_memory()).to(device, non_blocking=True)


def prepare(device: torch.device) -> None:
    """Settings for training fast on ``device``. On a GPU: cuDNN's fused RNN kernels (nn.LSTM,
    GRU and RNN use them when cuDNN is enabled and the weights are one flat buffer, as the
    model keeps them), and TF32 for fp32 products on GPUs that have it (Ampere and later), as
    nanoGPT sets; bf16 autocast is chosen by ``resolve_precision`` where the GPU supports it."""
    if device.type == "cuda":
        torch.backends.cudnn.enabled = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
