"""What the tests share: waiting for a condition, in plain code or under Textual's pilot, and
made-up corpora."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

NAMES = ["anna", "bob", "carla", "dora", "emil", "fred", "gina", "hugo", "ines", "jan"]


def pattern_text(repeats: int = 400) -> str:
    """A made-up stream with an exactly learnable pattern (period 24, 12 distinct characters)."""
    return "the cat sat on the mat. " * repeats


def wait_until(predicate: Callable[[], T], timeout: float = 120.0, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something true, and return that; fail (not hang)
    if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Let the app run until ``predicate`` holds; fail (not hang) if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.1)
