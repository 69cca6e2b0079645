"""engine.storage.history: the run store read as columns, by rowid, as a viewer reads it."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np

from engine.events import EvalEvent, RewindEvent, SampleEvent, StepEvent
from engine.storage.history import HistoryReader, RunHistory, read_history
from engine.storage.runstore import DB, RunWriter, connect


def step(n: int, loss: float) -> StepEvent:
    return StepEvent(n, 1, 0.5, n / 100, loss, 0.01, 0.25 * n, 1000.0, n * 0.5, 1.0,
                     tokens=n * 64)


def test_columns_arrive_in_pieces_and_hold_what_was_written(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    for n in range(1, 31):
        writer.record(step(n, 3.0 - n / 30))
        if n % 10 == 0:
            writer.record(EvalEvent(n, 2.5 - n / 100, 1.0, 1.0, True, chrf=n / 100))
            writer.record(SampleEvent(n, f"text at {n}", novelty=0.5))
    writer.flush()
    db = connect(tmp_path)
    reader, history = HistoryReader(), RunHistory()
    first = reader.read(db, limit=12)
    assert first.more and len(first.steps["step"]) == 12
    history.add(first)
    while True:
        chunk = reader.read(db, limit=12)
        history.add(chunk)
        if not chunk.more:
            break
    assert history.step_column("step").tolist() == list(range(1, 31))
    assert history.step_column("tokens").tolist() == [n * 64 for n in range(1, 31)]
    assert history.step_column("grad_norm")[-1] == 7.5
    assert history.eval_column("chrf").tolist() == [0.1, 0.2, 0.3]
    assert [s.text for s in history.samples] == ["text at 10", "text at 20", "text at 30"]
    # Nothing new: an empty chunk.
    assert not reader.read(db)
    writer.record(step(31, 1.0))
    writer.flush()
    new = reader.read(db)
    assert new.steps["step"].tolist() == [31] and new.last_step["epoch_progress"] == 0.5
    db.close()
    writer.close()


def test_a_rewind_cuts_the_history_back(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    for n in range(1, 21):
        writer.record(step(n, 2.0))
    writer.flush()
    history = read_history(tmp_path)
    assert len(history) == 20
    reader = HistoryReader()
    db = connect(tmp_path)
    history = RunHistory()
    history.add(reader.read(db))
    writer.record(RewindEvent(12, "went back"))
    for n in range(13, 16):
        writer.record(step(n, 1.0))
    writer.flush()
    assert history.add(reader.read(db)) is True  # went back in time
    assert history.step_column("step").tolist() == list(range(1, 16))
    assert history.step_column("loss")[-1] == 1.0
    db.close()
    writer.close()


def test_a_store_from_before_tokens_and_chrf_reads_them_as_missing(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB)
    db.executescript("""
        CREATE TABLE steps(step INTEGER, epoch INTEGER, epoch_progress REAL, progress REAL,
            loss REAL, lr REAL, grad_norm REAL, tokens_per_second REAL, elapsed REAL, eta REAL,
            time REAL);
        CREATE TABLE evals(step INTEGER, val_loss REAL, perplexity REAL, bits_per_token REAL,
            best INTEGER, time REAL);
        CREATE TABLE samples(step INTEGER, text TEXT, time REAL);
        INSERT INTO steps VALUES (1, 1, 0.1, 0.1, 2.5, 0.01, 0.3, 900, 0.1, NULL, 0);
        INSERT INTO evals VALUES (1, 2.4, 11.0, 3.4, 1, 0);
        INSERT INTO samples VALUES (1, 'old', 0);
    """)
    db.commit()
    db.close()
    history = read_history(tmp_path)
    assert history.step_column("loss").tolist() == [2.5]
    assert math.isnan(history.step_column("tokens")[0])
    assert np.isnan(history.eval_column("chrf")).all()
    assert history.samples[0].novelty is None
    # The writer of a resumed run brings the store up to date and records the new figures.
    writer = RunWriter(tmp_path)
    writer.record(step(2, 2.0))
    writer.record(EvalEvent(2, 2.0, 7.4, 2.9, True, chrf=0.4))
    writer.close()
    history = read_history(tmp_path)
    assert history.step_column("tokens")[-1] == 128
    assert history.eval_column("chrf")[-1] == 0.4


def test_a_long_history_comes_first_as_an_overview_then_whole(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    steps = 70_000  # past the overview's threshold (4,096 × 16)
    for n in range(1, steps + 1):
        writer._steps.append((n, 1, 0.5, n / steps, 3.0 - n / steps, 0.01, 0.5, 1000.0,
                              n * 0.1, 1.0, n * 64, float(n)))
        if n % 7_000 == 0:
            writer.record(EvalEvent(n, 2.0, 7.4, 2.9, True))
            writer.record(SampleEvent(n, f"at {n}"))
    writer.close()
    db = connect(tmp_path)
    reader, history = HistoryReader(), RunHistory()
    first = reader.overview(db)
    assert first.overview and first.more
    assert 4_000 <= len(first.steps["step"]) <= 4_097
    assert first.steps["step"][-1] == steps and first.last_step["step"] == steps
    assert len(first.evals["step"]) == 10 and len(first.samples) == 10
    history.add(first)
    assert history.overview and len(history) == len(first.steps["step"])
    rest = reader.read(db)
    assert len(rest.steps["step"]) == steps and not rest.evals["step"].size
    assert history.add(rest) is True  # the sample gave way to every step
    assert not history.overview
    assert history.step_column("step").tolist() == list(range(1, steps + 1))
    assert len(history.eval_column("step")) == 10 and len(history.samples) == 10
    assert reader.overview(db) is None  # once only, at the start
    db.close()
