"""Matrix products for a batch of streams stepped together (branches, suggestions).

numpy's BLAS (OpenBLAS) is the right kernel for one stream: a (1, K) × (K, N) product only
reads the weights, and it reads them near the memory's speed. For a few rows at once it is
not: OpenBLAS picks its AVX2 (Haswell) kernels on CPUs it does not know, and its small-M path
ran 8 rows at a third of what the cores can do (2×512 LSTM, AMD EPYC with AVX-512: 0.50 ms a
step for the two recurrent products, where one row takes 0.12). oneDNN, inside PyTorch, has
a JIT kernel for the CPU it runs on and a weight layout packed for a small batch: the same 8
rows took 0.16 ms. Both are float32, so a batch's rows are still the single streams (they
differ only in the order the sums are added, ~1e-6 of a value). A batch runs on the process's
model thread (``engine.nn.threads.on_model_thread``): oneDNN's threads are OpenMP's.
"""

from __future__ import annotations

import platform

import numpy as np
import torch

# Pack the weights for about this many rows: oneDNN picks its blocking from it, and the same
# layout serves any count (one to sixteen were checked against numpy).
ROWS_HINT = 8


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
