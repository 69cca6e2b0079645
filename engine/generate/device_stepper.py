"""One recurrence step run by PyTorch on the model's own device: the sampler's stepper for a
large model on a GPU, where one token's products are big enough to beat the host's numpy step
and the weights need not be copied off the device.

On a CPU, or for a small model, ``engine.generate.sampler.Stepper`` (numpy) is the faster: a
GPU pays a kernel launch per operation and a copy of the logits back per token. Which is faster
where is measured by ``bench/gpu.py``; ``uses_device_stepper`` holds the rule.
"""

from __future__ import annotations

import torch

from engine.nn.model import LanguageModel

# The smallest hidden size for which the device stepper is chosen on a GPU. Not yet measured
# (no GPU was available where this was written): bench/gpu.py prints both steppers' speeds
# for a small and a large model, from which this should be set.
MIN_HIDDEN = 1024


def uses_device_stepper(model: LanguageModel) -> bool:
    """Whether the sampler steps ``model`` on its device rather than in numpy."""
    device = next(model.parameters()).device
    return device.type == "cuda" and model.config.hidden >= MIN_HIDDEN


class DeviceStepper:
    """The ``Stepper`` interface over the model itself: state is a one-item list holding the
    recurrent state on the device; logits come back to the host as float32 (V,)."""

    def __init__(self, model: LanguageModel) -> None:
        self.model = model.eval()
        self.device = next(model.parameters()).device
        # A model with verse context: the tracker's state (numpy, on the host) is the
        # state's second item, and each step hands the model the context it gives.
        self.context = model.verse_context() if model.config.verse_context else None

    def zero_state(self) -> list:
        return [None] if self.context is None else [None, self.context.begin()]

    def step(self, token: int, state: list) -> torch.Tensor:
        return torch.from_numpy(self.advance(token, state))

    def advance(self, token, state: list):
        """One step for one stream (an int) or N (an array of N ids): logits (V,) or (N, V) as
        a numpy array on the host, as ``Stepper.advance`` gives them."""
        import numpy as np

        many = isinstance(token, np.ndarray)
        x = torch.as_tensor(np.asarray(token).reshape(-1, 1), device=self.device)
        context = None
        if self.context is not None:
            read = self.context.advance(state[1], token).reshape(len(x), 1, -1)
            context = torch.from_numpy(read).to(self.device)
        with torch.inference_mode():
            logits, state[0] = self.model(x, state[0], context)
        out = logits[:, 0].float().cpu().numpy()
        return out if many else out[0]

    # The state's copies, in the shape nn.LSTM/GRU/RNN keep it: (layers, streams, hidden).
    # The tracker's state, (SLOTS,) or (N, SLOTS), is copied as the numpy stepper's is.
    def copy(self, state: list) -> list:
        return [_each(state[0], lambda t: t.clone())] + [s.copy() for s in state[1:]]

    def repeat(self, state: list, n: int) -> list:
        import numpy as np

        return [_each(state[0], lambda t: t.repeat(1, n, 1))] + \
            [np.repeat(s[None], n, axis=0) for s in state[1:]]

    def row(self, state: list, i: int) -> list:
        return [_each(state[0], lambda t: t[:, i : i + 1].clone())] + \
            [s[i].copy() for s in state[1:]]


def _each(state, fn):
    """``fn`` over a state's tensors (h, or (h, c)); None (zeros, not made yet) stays None."""
    if state is None:
        return None
    return tuple(fn(t) for t in state) if isinstance(state, tuple) else fn(state)
