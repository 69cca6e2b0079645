"""Fixtures for the TUI tests: tiny made-up corpora, real model folders, real run stores."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from engine import store
from engine.runlock import is_locked, lock_owner
from engine.runstore import send_command


@pytest.fixture
def cat_file(tmp_path: Path) -> Path:
    path = tmp_path / "cat.txt"
    path.write_text("the cat sat on the mat. " * 300, encoding="utf-8")
    return path


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Dates on screen in one zone, so snapshots do not depend on the machine's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def stop_runs():
    """Names of models whose training processes a test started; stopped at the end."""
    names: list[str] = []
    yield names
    for name in names:
        try:
            path = store.existing(name)
        except Exception:  # noqa: BLE001 — renamed or deleted by the test
            continue
        if is_locked(path):
            send_command(path, "stop")
            deadline = time.monotonic() + 30
            while is_locked(path) and time.monotonic() < deadline:
                time.sleep(0.2)
            pid = lock_owner(path)
            if is_locked(path) and pid:
                os.kill(pid, signal.SIGKILL)
