"""`poetui models metrics NAME [--csv|--json]`: a real (short) run's record, written out and
read back against the run store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from engine.storage.runstore import rows_of
from engine.train.job import create_model
from engine.train.worker import run_training
from tui.cli.main import main


@pytest.fixture
def trained(pattern_file: Path) -> Path:
    """A real run through the worker's code path: 12 steps, evaluations and samples."""
    path = create_model(str(pattern_file), "ex", "tiny", steps=12)
    run_training(path)
    return path


def export(capsys: pytest.CaptureFixture, *flags: str) -> str:
    assert main(["models", "metrics", "ex", *flags]) == 0
    return capsys.readouterr().out


def test_csv_has_one_row_per_step_with_what_the_run_store_holds(
        trained: Path, capsys: pytest.CaptureFixture) -> None:
    steps = list(rows_of(trained, "steps"))
    evals = {row["step"]: row for row in rows_of(trained, "evals")}
    samples = {row["step"]: row for row in rows_of(trained, "samples")}
    assert len(steps) == 12 and evals and samples
    # What the run records per step now: tokens seen and the gradient norm.
    assert all(row["tokens"] > 0 and row["grad_norm"] > 0 for row in steps)
    assert [row["tokens"] for row in steps] == sorted(row["tokens"] for row in steps)

    text = export(capsys)
    assert text == export(capsys, "--csv")  # CSV is the default
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(steps)
    for row, stored in zip(rows, steps, strict=True):
        for column, value in stored.items():
            assert row[column] == ("" if value is None else str(value)), column
        e = evals.get(stored["step"])
        assert row["val_loss"] == (repr(e["val_loss"]) if e else "")
        s = samples.get(stored["step"])
        assert row["sample"] == (s["text"] if s else "")
    # Floats read back exactly: every digit is written.
    assert [float(r["loss"]) for r in rows] == [s["loss"] for s in steps]


def test_json_holds_the_three_lists(trained: Path, capsys: pytest.CaptureFixture) -> None:
    data = json.loads(export(capsys, "--json"))
    assert data["model"] == "ex"
    for table in ("steps", "evals", "samples"):
        assert data[table] == list(rows_of(trained, table))


def test_a_model_that_never_trained_says_so(pattern_file: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    create_model(str(pattern_file), "new", "tiny")
    assert main(["models", "metrics", "new"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("poetui: Model 'new' has not trained yet") and "Traceback" not in err
    assert main(["models", "metrics", "new", "--csv", "--json"]) == 1
    assert "not both" in capsys.readouterr().err
