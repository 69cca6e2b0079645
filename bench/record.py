"""Write a benchmark's figures into docs/benchmarks.md, under its own heading, with the command
that produced them (re-running a bench replaces its section and leaves the others)."""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from pathlib import Path

import torch

from engine.nn.device import cpu_has_native_bf16

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = "# Benchmarks\n\nFigures measured by the scripts in `bench/`; each section names the " \
         "command that produced it. Speeds are medians; ratios are measured in the same run.\n"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="ignore"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # Machines of the same name differ: with native bf16 the same run trains about 2× faster.
    bf16 = "native bf16" if cpu_has_native_bf16() else \
        f"no native bf16 ({torch.backends.cpu.get_cpu_capability()})"
    return (f"{cpu}, {bf16}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def record(key: str, title: str, body: str) -> None:
    command = "python " + " ".join(["bench/" + Path(sys.argv[0]).name, *sys.argv[1:]])
    section = (f"<!-- bench:{key} -->\n## {title}\n\n`{command}` — {time.strftime('%Y-%m-%d')}, "
               f"{machine()}\n\n{body.strip()}\n<!-- /bench:{key} -->\n")
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{key} -->.*?<!-- /bench:{key} -->\n", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + section
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"recorded in {DOC}")
