"""Where the detail of a true bug goes, for the CLI and the app alike: the data folder, or the
temporary folder when that one cannot take it (a full disk must not swallow the log too)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from engine import paths


def write_crash_log(detail: str) -> Path | None:
    """Append ``detail`` (a traceback) to the crash log; where it went, or None."""
    entry = f"--- {time.ctime()}\n{detail.rstrip()}\n\n"
    for path in (paths.home() / "crash.log", Path(tempfile.gettempdir()) / "poetui-crash.log"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(entry)
                f.flush()
                os.fsync(f.fileno())
            return path
        except OSError:
            continue
    return None


def crash_sentence(log: Path | None) -> str:
    where = f"details are in {log}" if log else "no log could be written"
    return f"{where}; please report it."
