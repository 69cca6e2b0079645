"""Matrix products for a batch of streams stepped together (branches, suggestions).

numpy's BLAS (OpenBLAS) is the right kernel for one stream: a (1, K) × (K, N) product only
reads the weights, and it reads them near the memory's speed. For a few rows at once it is
not: OpenBLAS picks its AVX2 (Haswell) kernels on CPUs it does not know, and its small-M path
ran 8 rows at a third of what the cores can do (2×512 LSTM, AMD EPYC with AVX-512: 0.50 ms a
step for the two recurrent products, where one row takes 0.12). oneDNN, inside PyTorch, has
a JIT kernel for the CPU it runs on and a weight layout packed for a small batch: the same 8
rows took 0.16 ms. Both are float32, so a batch's rows are still the single streams (they
differ only in the order the sums are added, ~1e-6 of a value).
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

# Pack the weights for about this many rows: oneDNN picks its blocking from it, and the same
# layout serves any count (one to sixteen were checked against numpy).
ROWS_HINT = 8


# Every batch of the process is written on this one thread. PyTorch's OpenMP keeps a pool of
# worker threads for each thread that has used it, and once two pools are alive on a 2-core
# machine libgomp cuts its workers' spinning to almost nothing: each product then waits for a
# sleeping worker to wake. In the app, whose workers run on whichever of asyncio's threads is
# free, an 8-row product took 0.21-0.25 ms instead of 0.10. Batches therefore wait for each
# other: a co-writer's suggestion asked during a loom's long batch comes after it.
_BATCH_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="poetui-batches")
_here = threading.local()


def _fresh_thread() -> None:
    # A forked child has no copy of the thread, only the executor's belief that it is idle.
    global _BATCH_THREAD
    _BATCH_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="poetui-batches")


if hasattr(os, "register_at_fork"):  # POSIX: where a process can fork at all
    os.register_at_fork(after_in_child=_fresh_thread)


def on_batch_thread(work: Callable[[], T]) -> T:
    """``work()`` run on the process's batch thread (at once, when called from it); its
    result, or its exception."""
    if getattr(_here, "inside", False):
        return work()
    return _BATCH_THREAD.submit(_inside, work).result()


def _inside(work: Callable[[], T]) -> T:
    _here.inside = True
    return work()


def _onednn() -> bool:
    # x86 only: it is where oneDNN's JIT kernels were measured (elsewhere numpy's BLAS, e.g.
    # Apple's Accelerate, is the better guess).
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        return bool(torch.backends.mkldnn.is_available()) and \
            hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
    except (AttributeError, RuntimeError):
        return False


class BatchProducts:
    """``x @ w + b``: for one stream (``x`` (K,)) by numpy; for N (``x`` (N, K)) by oneDNN on
    a copy of ``w`` packed for it at the first batch (kept as long as this object), or by
    numpy where oneDNN is not there."""

    def __init__(self) -> None:
        self.enabled = _onednn()
        self._packed: dict[int, tuple[np.ndarray, torch.Tensor]] = {}

    def __call__(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        if self.enabled and x.ndim == 2:
            try:
                return self._onednn(x, w, b)
            except (AttributeError, RuntimeError, TypeError):
                # The ops are PyTorch's private ones (as its compiler uses them): one that has
                # changed them leaves the batch to numpy, slower but the same.
                self.enabled = False
        return x @ w if b is None else x @ w + b

    def _onednn(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        packed = self._packed.get(id(w))  # (w, packed): w held, so its id stays its own
        if packed is None:
            weight = torch.from_numpy(np.ascontiguousarray(w.T))  # (N, K), as nn.Linear
            packed = (w, torch.ops.mkldnn._reorder_linear_weight(weight, ROWS_HINT))
            self._packed[id(w)] = packed
        # No autograd to switch off: tensors made from numpy arrays never require grad.
        y = torch.ops.mkldnn._linear_pointwise(
            torch.from_numpy(np.ascontiguousarray(x)), packed[1],
            None if b is None else torch.from_numpy(b), "none", [None], "")
        return y.numpy()
