"""What the tests share: waiting for a condition, in plain code or under Textual's pilot, and
made-up corpora."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import forkserver

T = TypeVar("T")

POETUI = str(Path(sys.executable).with_name("poetui"))
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


def poetui(*args: str, check: bool = True,
           input: str | None = None) -> subprocess.CompletedProcess:
    """The `poetui` command as a user runs it, in its own process (forked from one that has
    imported PyTorch: see forkserver). Its stdin is ``input``, or empty (never a terminal)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = forkserver.run(POETUI, list(args), env, input=input)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def assert_one_sentence(result: subprocess.CompletedProcess, phrase: str) -> None:
    """Failed with one plain line naming ``phrase``: no traceback, no "unexpected error"."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    assert phrase in result.stderr, result.stderr
    assert result.stderr.startswith("poetui: ") and result.stderr.count("\n") == 1


def assert_ends_with_sentence(result: subprocess.CompletedProcess, phrase: str) -> None:
    """A failure in the middle of training: the progress shown so far, then one plain line."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    last = result.stderr.rstrip("\n").split("\n")[-1]
    assert last.startswith("poetui: ") and phrase in last, result.stderr
