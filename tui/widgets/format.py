"""How numbers, times and sizes read on screen. Formatting only; nothing here computes."""

from __future__ import annotations

import time

DASH = "—"


def num(value: float | int | None, spec: str = ",") -> str:
    return DASH if value is None else format(value, spec)


def loss(value: float | None) -> str:
    return DASH if value is None else f"{value:.3f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def roughly(seconds: float | None) -> str:
    """A duration in words, rounded as an estimate deserves: 40 seconds, 12 minutes, 2 h 05 min."""
    if seconds is None:
        return DASH
    if seconds < 90:
        count = max(1, round(seconds))
        return f"{count} second{'s' if count > 1 else ''}"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min"


def count(amount: float | int, unit: str, spec: str = "g") -> str:
    """An amount with its unit, singular for exactly one: 1 minute, 2 minutes, 1,000 steps."""
    return f"{format(amount, spec)} {unit[:-1] if amount == 1 and unit.endswith('s') else unit}"


def size(n: int | None) -> str:
    """Bytes as a person reads them: 512 bytes, 4.6 MB."""
    if n is None:
        return "?"
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError


def when(stamp: float | None) -> str:
    return DASH if stamp is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def params(count: int | None) -> str:
    if count is None:
        return DASH
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 10_000:
        return f"{count / 1_000:.0f}k"
    return f"{count:,}"


def setting(value: object) -> str:
    """One stored setting as a person reads it: no JSON spellings (null, true, 0.0030000)."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings(values: dict) -> list[tuple[str, str]]:
    return [(key.replace("_", " "), setting(value)) for key, value in values.items()]


def aligned(pairs: list[tuple[str, str]], columns: int = 1, indent: int = 0) -> str:
    """Key–value pairs as a table: keys padded to one width, ``columns`` pairs to a line (filled
    down each column first, as one reads a list)."""
    if not pairs:
        return " " * indent + DASH
    key_width = max(len(key) for key, _ in pairs)
    cells = [f"{key:<{key_width}}  {value}" for key, value in pairs]
    cell_width = max(len(cell) for cell in cells)
    rows = -(-len(cells) // columns)  # ceiling division: rows needed for all the cells
    lines = []
    for row in range(rows):
        line = [cells[i] for i in range(row, len(cells), rows)]
        lines.append(" " * indent + "   ".join(f"{cell:<{cell_width}}" for cell in line).rstrip())
    return "\n".join(lines)


def compact(value: float | None) -> str:
    """A number in at most about five characters, for axis labels and legends: 0.0123, 1.23,
    12.3, 4,567, 12.3k, 1.2M."""
    if value is None or value != value:  # None or NaN
        return DASH
    a = abs(value)
    for limit, size, unit in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if a >= limit:
            return f"{value / size:.3g}{unit}"
    if a >= 100 or a == int(a):
        return f"{value:,.0f}"
    if a >= 0.01:
        return f"{value:.3g}"
    return f"{value:.1e}"


def clock(seconds: float | None) -> str:
    """Training time on an axis: 45s, 12m, 1h30m."""
    if seconds is None or seconds != seconds:
        return DASH
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


def origin_words(origin: dict) -> str:
    """What a continued model came from, as its card says it."""
    return (f"{origin.get('model', '?')} at step {origin.get('step', 0):,} "
            f"(trained on {origin.get('corpus', '?')})")
