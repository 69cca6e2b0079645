"""Fixtures for the TUI tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import time

import pytest


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Dates on screen in one zone, so snapshots do not depend on the machine's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
