"""The run store across versions: a run.db written before samples had a novelty figure still
reads, and a run resumed on it records the figure from then on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.events import SampleEvent
from engine.storage.runstore import DB, RunReader, RunWriter

# The samples table as poetui wrote it before it measured novelty.
OLD_SAMPLES = "CREATE TABLE samples(step INTEGER, text TEXT, time REAL)"


def old_store(model_dir: Path) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(model_dir / DB)
    db.execute(OLD_SAMPLES)
    db.execute("INSERT INTO samples VALUES (?, ?, ?)", (40, "anna\nbob", 1.0))
    db.commit()
    db.close()


def test_an_old_samples_table_still_reads(tmp_path: Path):
    old_store(tmp_path / "m")
    samples = RunReader(tmp_path / "m").poll().samples
    assert [(s["step"], s["text"], s.get("novelty")) for s in samples] == [(40, "anna\nbob", None)]


def test_a_run_resumed_on_an_old_store_records_novelty(tmp_path: Path):
    old_store(tmp_path / "m")
    writer = RunWriter(tmp_path / "m")
    writer.record(SampleEvent(80, "carla", 0.75))
    writer.record(SampleEvent(90, "→ a translation", None))
    writer.close()
    samples = RunReader(tmp_path / "m").poll().samples
    assert [(s["step"], s["novelty"]) for s in samples] == [(40, None), (80, 0.75), (90, None)]
    # Opening it again changes nothing more.
    RunWriter(tmp_path / "m").close()
    assert len(RunReader(tmp_path / "m").poll().samples) == 3
