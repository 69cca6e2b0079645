from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from helpers import NAMES, pattern_text

from engine.storage import store
from engine.storage.runlock import is_locked, lock_owner

# Tests train tiny models: one thread is faster for them and does not fight the other core.
torch.set_num_threads(1)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def poetui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty store: nothing touches the user's real data dir."""
    home = tmp_path / "poetui-home"
    monkeypatch.setenv("POETUI_HOME", str(home))
    return home


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the reference corpora in {SHARED_DATA} (absent in this checkout)")
    return SHARED_DATA


@pytest.fixture
def pattern_file(tmp_path: Path) -> Path:
    path = tmp_path / "pattern.txt"
    path.write_text(pattern_text(), encoding="utf-8")
    return path


@pytest.fixture
def names_file(tmp_path: Path) -> Path:
    """Made-up records: a handful of short names, one per line."""
    names = NAMES * 20
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def runs():
    """Names of models whose training processes a test starts. Any still running when the
    test ends (say, after a failed assertion) are killed, so none trains on in the background."""
    names: list[str] = []
    yield names
    for name in names:
        try:
            path = store.existing(name)
        except Exception:  # noqa: BLE001 — renamed or deleted by the test
            continue
        pid = lock_owner(path) if is_locked(path) else None
        if pid and pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
