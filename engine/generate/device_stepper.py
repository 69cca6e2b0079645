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

    def zero_state(self) -> list:
        return [None]

    def step(self, token: int, state: list) -> torch.Tensor:
        x = torch.tensor([[token]], device=self.device)
        with torch.inference_mode():
            logits, state[0] = self.model(x, state[0])
        return logits[0, 0].float().cpu()
