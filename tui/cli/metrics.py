"""`poetui models metrics NAME [--csv|--json]`: a run's steps, evaluations and samples, for a
user's own tools. CSV (the default): one row per step with every value the run store holds for
it, and the evaluation and sample taken at that step in the same row (blank elsewhere). JSON:
the three lists as the run store holds them. Both are written as they are read, so a run of a
million steps never sits in memory whole."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from engine.errors import PoetuiError
from engine.storage.runstore import rows_of

# The evaluation's and the sample's columns in a CSV row, named so they cannot clash with a
# step's own ("time" is the step's; the evaluation's is eval_time).
EVAL_COLUMNS = ("val_loss", "perplexity", "bits_per_token", "best", "chrf", "eval_time")
SAMPLE_COLUMNS = ("sample", "novelty")


def write_metrics(model_dir: Path, name: str, out: TextIO, as_json: bool) -> None:
    if not (model_dir / "run.db").exists():
        raise PoetuiError(f"Model '{name}' has not trained yet, so it has no metrics; "
                          "train it first (t in the library).")
    (_json if as_json else _csv)(model_dir, name, out)


def _csv(model_dir: Path, name: str, out: TextIO) -> None:
    evals = {row["step"]: row for row in rows_of(model_dir, "evals")}
    samples = {row["step"]: row for row in rows_of(model_dir, "samples")}  # the last at a step
    steps = rows_of(model_dir, "steps")
    first = next(steps, None)
    if first is None:
        raise PoetuiError(f"Model '{name}' has no recorded steps yet.")
    step_columns = list(first)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*step_columns, *EVAL_COLUMNS, *SAMPLE_COLUMNS])
    for row in _chain(first, steps):
        e, s = evals.get(row["step"]), samples.get(row["step"])
        writer.writerow([
            *(_cell(row[c]) for c in step_columns),
            *((_cell(e.get("time" if c == "eval_time" else c)) for c in EVAL_COLUMNS) if e
              else [""] * len(EVAL_COLUMNS)),
            *((_cell(s["text"]), _cell(s.get("novelty"))) if s else ["", ""]),
        ])


def _json(model_dir: Path, name: str, out: TextIO) -> None:
    out.write(f'{{"model": {json.dumps(name)}')
    for table in ("steps", "evals", "samples"):
        out.write(f', "{table}": [')
        for i, row in enumerate(rows_of(model_dir, table)):
            out.write((", " if i else "") + json.dumps(row))
        out.write("]")
    out.write("}\n")


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


def _cell(value: object) -> str:
    """A value as CSV holds it: blank for none, floats with every digit (repr round-trips)."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)
