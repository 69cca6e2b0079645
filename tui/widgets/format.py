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
