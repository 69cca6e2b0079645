"""A run's history as columns: what the chart draws, read from the run store by rowid.

A viewer's thread reads what is new (``HistoryReader.read``, the whole history the first time)
into numpy arrays, one per column, and hands that chunk to its UI thread, which adds it to its
``RunHistory``; so the arrays the chart draws from are only ever touched by one thread. A
million steps are some 50 MB of arrays, against about a gigabyte as rows of dicts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from engine.curves import Column
from engine.storage.runstore import columns_of

# What the charts draw. A column a store does not have (an older poetui's, or a figure another
# kind of run never reports) reads as missing values (NaN).
STEP_COLUMNS = ("step", "loss", "lr", "grad_norm", "tokens_per_second", "elapsed", "tokens")
# The evaluations' figures; a quality figure a kind reports (a translator's chrF; a
# classifier's accuracy, once the run store has that column) joins here and the chart offers
# its panel when the run has any value of it.
EVAL_COLUMNS = ("step", "val_loss", "chrf", "accuracy")
# SQLite's NULL reads into a float array as infinity (the literal 9e999), made NaN after: far
# quicker than turning each None into a float in Python, and no stored figure is infinite.
_MISSING = "9e999"


@dataclass
class Sample:
    step: int
    text: str
    novelty: float | None


@dataclass
class HistoryChunk:
    """What was new in the run store at one read."""

    steps: dict[str, np.ndarray] = field(default_factory=dict)
    evals: dict[str, np.ndarray] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    last_step: dict | None = None  # the newest step's whole row (epoch, progress, eta …)
    last_eval: dict | None = None
    more: bool = False  # the read stopped at its limit: read again at once
    reset: bool = False  # the store's history was cut back: this chunk starts from the start
    # The steps are an evenly spaced sample of a long history (read first, so a screen shows
    # the whole run at once); the next chunk with steps holds all of them and replaces it.
    overview: bool = False

    def merged(self, later: HistoryChunk) -> HistoryChunk:
        """This chunk and the one read after it, as one."""
        return HistoryChunk(
            {n: np.concatenate([a, later.steps[n]]) for n, a in self.steps.items()},
            {n: np.concatenate([a, later.evals[n]]) for n, a in self.evals.items()},
            self.samples + later.samples, later.last_step or self.last_step,
            later.last_eval or self.last_eval, later.more, self.reset)

    def __bool__(self) -> bool:
        return bool(len(self.steps.get("step", ())) or len(self.evals.get("step", ()))
                    or self.samples or self.reset)


class HistoryReader:
    """Reads what is new in a run store's steps, evaluations and samples (the viewer's
    thread's own; it keeps the last rowid of each table)."""

    def __init__(self) -> None:
        self.cursor = {"steps": 0, "evals": 0, "samples": 0}
        self.stamp = {"steps": None, "evals": None, "samples": None}  # the last row's time
        self._columns: dict[str, set[str]] = {}

    def _cut_back(self, db: sqlite3.Connection) -> bool:
        """Whether the rows last read are gone. A resumed or rewound run deletes history
        past its checkpoint, and SQLite then gives the next rows the freed rowids: so a rowid
        is not enough to know a row; its time is."""
        for table, rowid in self.cursor.items():
            if rowid:
                row = db.execute(f"SELECT time FROM {table} WHERE rowid = ?",
                                 (rowid,)).fetchone()
                if row is None or row[0] != self.stamp[table]:
                    return True
        return False

    def _select(self, db: sqlite3.Connection, table: str, names: tuple[str, ...]) -> str:
        if table not in self._columns or not set(names) <= self._columns[table]:
            self._columns[table] = columns_of(db, table)  # a writer may have added one since
        have = self._columns[table]
        return ", ".join(f"coalesce({n}, {_MISSING})" if n in have else _MISSING for n in names)

    def _columns_since(self, db: sqlite3.Connection, table: str, names: tuple[str, ...],
                       limit: int) -> dict[str, np.ndarray]:
        rows = db.cursor()
        rows.row_factory = None  # plain tuples, whatever the connection's factory
        rows.execute(
            f"SELECT rowid, time, {self._select(db, table, names)} FROM {table} "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?", (self.cursor[table], limit))
        dtype = np.dtype([("rowid", "i8"), ("time", "f8")] + [(n, "f8") for n in names])
        array = np.fromiter(rows, dtype=dtype)
        if len(array):
            self.cursor[table] = int(array["rowid"][-1])
            self.stamp[table] = float(array["time"][-1])
        return {n: _nan_for_missing(np.ascontiguousarray(array[n])) for n in names}

    def overview(self, db: sqlite3.Connection, points: int = 4096) -> HistoryChunk | None:
        """On a first read of a history longer than ``points`` × 16 steps: an evenly spaced
        sample of its steps (rowid lookups: milliseconds, where reading every step of a long
        run takes seconds), with the newest step, and all its evaluations and samples. The
        step cursor stays at the start, so the reads after it take every step."""
        if self.cursor["steps"]:
            return None
        last = db.execute("SELECT max(rowid) FROM steps").fetchone()[0] or 0
        if last <= points * 16:
            return None
        wanted = np.unique(np.r_[np.linspace(1, last, points).astype(np.int64), last])
        rows = db.cursor()
        rows.row_factory = None
        rows.execute(f"SELECT rowid, time, {self._select(db, 'steps', STEP_COLUMNS)} "
                     f"FROM steps WHERE rowid IN ({','.join(map(str, wanted.tolist()))}) "
                     "ORDER BY rowid")
        array = np.fromiter(rows, dtype=np.dtype(
            [("rowid", "i8"), ("time", "f8")] + [(n, "f8") for n in STEP_COLUMNS]))
        chunk = self.read(db, limit=0)  # evaluations and samples; no steps
        chunk.steps = {n: _nan_for_missing(np.ascontiguousarray(array[n])) for n in STEP_COLUMNS}
        chunk.overview, chunk.more = True, True
        tail = db.cursor()
        tail.row_factory = sqlite3.Row
        chunk.last_step = dict(tail.execute("SELECT * FROM steps WHERE rowid = ?",
                                            (last,)).fetchone())
        return chunk

    def read(self, db: sqlite3.Connection, limit: int = 250_000) -> HistoryChunk:
        chunk = HistoryChunk()
        if self._cut_back(db):
            self.cursor = dict.fromkeys(self.cursor, 0)
            chunk.reset = True
        chunk.steps = self._columns_since(db, "steps", STEP_COLUMNS, limit)
        chunk.more = len(chunk.steps["step"]) == limit > 0
        chunk.evals = self._columns_since(db, "evals", EVAL_COLUMNS, max(limit, 1_000_000))
        rows = db.cursor()
        rows.row_factory = sqlite3.Row
        if len(chunk.steps["step"]):
            chunk.last_step = dict(rows.execute("SELECT * FROM steps WHERE rowid = ?",
                                                (self.cursor["steps"],)).fetchone())
        if len(chunk.evals["step"]):
            chunk.last_eval = dict(rows.execute("SELECT * FROM evals WHERE rowid = ?",
                                                (self.cursor["evals"],)).fetchone())
        rows = rows.execute("SELECT rowid AS id, * FROM samples WHERE rowid > ? ORDER BY rowid",
                            (self.cursor["samples"],)).fetchall()
        if rows:
            self.cursor["samples"] = rows[-1]["id"]
            self.stamp["samples"] = rows[-1]["time"]
            chunk.samples = [Sample(r["step"], r["text"], dict(r).get("novelty"))
                             for r in rows]
        return chunk


def _nan_for_missing(values: np.ndarray) -> np.ndarray:
    values[np.isinf(values)] = np.nan
    return values


class RunHistory:
    """A run's steps, evaluations and samples so far, as columns (the UI thread's own)."""

    def __init__(self) -> None:
        self.steps = {n: Column() for n in STEP_COLUMNS}
        self.evals = {n: Column() for n in EVAL_COLUMNS}
        self.samples: list[Sample] = []
        self.sample_steps = Column()
        self.overview = False  # the steps held are a sample of a long run, the rest coming

    def step_column(self, name: str) -> np.ndarray:
        return self.steps[name].values

    def eval_column(self, name: str) -> np.ndarray:
        return self.evals[name].values

    def __len__(self) -> int:
        return self.steps["step"].size

    def add(self, chunk: HistoryChunk) -> bool:
        """Take in a chunk; True when it went back in time (a resumed run re-records steps
        past its checkpoint, and a rewind after divergence cuts them), so whatever was derived
        from the history must be made again."""
        cut = chunk.reset
        if chunk.reset:
            for column in (*self.steps.values(), *self.evals.values(), self.sample_steps):
                column.truncate(0)
            self.samples.clear()
        if chunk.overview or (self.overview and len(chunk.steps.get("step", ()))):
            for column in self.steps.values():  # a sample in, or the sample out
                column.truncate(0)
            self.overview, cut = chunk.overview, True
        cut |= _append(self.steps, chunk.steps)
        cut |= _append(self.evals, chunk.evals)
        if chunk.samples:
            first = chunk.samples[0].step
            keep = int(np.searchsorted(self.sample_steps.values, first, "left"))
            if keep < len(self.samples):
                del self.samples[keep:]
                self.sample_steps.truncate(keep)
                cut = True
            self.samples.extend(chunk.samples)
            self.sample_steps.extend(np.array([s.step for s in chunk.samples], dtype=float))
        return cut


def _append(columns: dict[str, Column], new: dict[str, np.ndarray]) -> bool:
    steps = new.get("step")
    if steps is None or not len(steps):
        return False
    held = columns["step"]
    keep = int(np.searchsorted(held.values, steps[0], "left"))
    cut = keep < held.size
    for name, column in columns.items():
        column.truncate(keep)
        column.extend(new[name])
    return cut


def read_history(model_dir) -> RunHistory:
    """A whole run's history at once (a run to compare, or a finished run's chart); empty when
    the model never trained."""
    from engine.storage.runstore import DB, connect

    history = RunHistory()
    if not (model_dir / DB).exists():
        return history
    db = connect(model_dir)
    try:
        reader = HistoryReader()
        while True:
            chunk = reader.read(db)
            history.add(chunk)
            if not chunk.more:
                return history
    finally:
        db.close()
