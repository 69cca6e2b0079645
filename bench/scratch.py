"""What the workload benches share before they train: the shared corpus they need, a private
model folder (so a bench never touches the user's models), and scratch files for held-out text."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def isolate(data: Path) -> None:
    """Stop with a sentence when ``data`` (../shared/data) is absent; otherwise keep every model
    this run makes in a fresh folder. Call before the engine is imported."""
    if not data.exists():
        sys.exit(f"needs {data}")
    os.environ["POETUI_HOME"] = tempfile.mkdtemp(prefix="poetui-bench-")


def scratch_file(name: str, text: str) -> Path:
    """``text`` in a new file named ``name`` in a fresh folder: held-out text to score."""
    path = Path(tempfile.mkdtemp()) / name
    path.write_text(text, encoding="utf-8")
    return path
