"""Corpora every Python installation already carries, so poetui works with no network."""

from __future__ import annotations

import sysconfig
from pathlib import Path

# The standard library is ~40 MB of source; a few MB is plenty for a small model and keeps
# loading and tokenising quick.
SOURCE_LIMIT_CHARS = 6_000_000


def python_docs() -> str:
    """The prose of the language reference and library topics (``pydoc_data.topics``)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip() for key in sorted(topics)) + "\n"


def python_source() -> str:
    """Top-level standard-library modules, in name order, up to SOURCE_LIMIT_CHARS."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    total = 0
    for path in sorted(stdlib.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        parts.append(f"# {path.name}\n{text}\n")
        total += len(parts[-1])
        if total >= SOURCE_LIMIT_CHARS:
            break
    return "".join(parts)
