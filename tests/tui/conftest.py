"""Fixtures for the TUI tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Dates on screen in one zone, so snapshots do not depend on the machine's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _reversals() -> str:
    """A made-up pairs corpus: short words and their reversals, source<TAB>target."""
    rng = random.Random(3)
    words = sorted({"".join(rng.choices("abcdefgh", k=rng.randint(2, 5))) for _ in range(260)})
    return "".join(f"{w}\t{w[::-1]}\n" for w in words[:200])


@pytest.fixture(scope="session")
def trained_translator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real translation model, trained once for the session (30 steps: it translates
    badly, but the way the engine says it does); tests copy it into their own store."""
    from engine.train.assemble import open_trainer
    from engine.train.job import create_model

    where = tmp_path_factory.mktemp("translator")
    pairs = where / "reverse.txt"
    pairs.write_text(_reversals(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POETUI_HOME", str(where / "home"))
        path = create_model(str(pairs), name="tr", preset="translate", steps=30, hidden=32,
                            embed=16)
        open_trainer(path).run(lambda event: None)
    return path


@pytest.fixture
def translator(trained_translator: Path, poetui_home: Path) -> str:
    """The trained translation model, in this test's store, named 'tr'."""
    shutil.copytree(trained_translator, poetui_home / "models" / "tr")
    return "tr"


@pytest.fixture(scope="session")
def trained_writer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real character model, trained once for the session (30 steps of a 1×32 LSTM on a
    repeated sentence: far from converged, so its probabilities spread); tests copy it."""
    from helpers import pattern_text

    from engine.train.assemble import open_trainer
    from engine.train.job import create_model

    where = tmp_path_factory.mktemp("writer")
    text = where / "cat.txt"
    text.write_text(pattern_text(200), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POETUI_HOME", str(where / "home"))
        path = create_model(str(text), name="cat", preset="tiny", steps=30, hidden=32,
                            precision="fp32", seed=0)
        open_trainer(path).run(lambda event: None)
    return path


@pytest.fixture
def writer(trained_writer: Path, poetui_home: Path) -> str:
    """The trained character model, in this test's store, named 'cat'."""
    shutil.copytree(trained_writer, poetui_home / "models" / "cat")
    return "cat"
