"""JSON files written whole or not at all, and read back with a sentence when they cannot be."""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.errors import PoetuiError


def read_json(path: Path) -> object:
    """The JSON value in ``path``; a sentence naming the file when it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PoetuiError(f"{path.name} in {path.parent} is unreadable ({exc}).") from None


def write_json_atomic(path: Path, data: object) -> None:
    """Write to a temporary name, fsync, rename: a crash leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
