from __future__ import annotations

from pathlib import Path

import pytest
import torch

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


def pattern_text(repeats: int = 400) -> str:
    """A made-up stream with an exactly learnable pattern."""
    return "the cat sat on the mat. " * repeats


@pytest.fixture
def pattern_file(tmp_path: Path) -> Path:
    path = tmp_path / "pattern.txt"
    path.write_text(pattern_text(), encoding="utf-8")
    return path


@pytest.fixture
def names_file(tmp_path: Path) -> Path:
    """Made-up records: a handful of short names, one per line."""
    names = ["anna", "bob", "carla", "dora", "emil", "fred", "gina", "hugo", "ines", "jan"] * 20
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path
