"""The GPU path's parts that run anywhere: the device stepper (PyTorch on the model's device)
gives the numpy stepper's logits, the copy helper, and bench/gpu.py on a machine without CUDA."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.config import ModelConfig
from engine.generate.device_stepper import DeviceStepper, uses_device_stepper
from engine.generate.sampler import Stepper
from engine.nn.device import to_device
from engine.nn.model import LanguageModel

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_device_stepper_steps_as_the_numpy_one(cell):
    torch.manual_seed(0)
    model = LanguageModel(ModelConfig(30, cell, 2, 24)).eval()
    numpy_step, device_step = Stepper(model), DeviceStepper(model)
    a, b = numpy_step.zero_state(), device_step.zero_state()
    for token in [3, 7, 7, 1, 29, 0, 12]:
        assert torch.allclose(numpy_step.step(token, a), device_step.step(token, b),
                              atol=1e-5)
    assert not uses_device_stepper(model)  # on the CPU, numpy is the sampler's stepper


def test_to_device_leaves_a_cpu_tensor_as_it_is():
    t = torch.arange(6).view(2, 3)
    assert to_device(t, torch.device("cpu")) is t


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here: the bench measures it")
def test_gpu_bench_says_there_is_no_gpu_in_one_line():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert result.stdout.strip().count("\n") == 0 and "no CUDA GPU" in result.stdout
