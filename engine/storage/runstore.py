"""The run store: a model's training history in SQLite (WAL: one writer, many readers).

The training process appends steps, evaluations, samples and log lines; any number of viewers
(the dashboard, a second terminal over SSH, `poetui attach`) read what is new by rowid. Viewers
talk back through the ``commands`` table (pause, resume, stop, checkpoint, sample)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

DB = "run.db"
COMMANDS = ("pause", "resume", "stop", "checkpoint", "sample")

SCHEMA = """
CREATE TABLE IF NOT EXISTS steps(step INTEGER, epoch INTEGER, epoch_progress REAL,
    progress REAL, loss REAL, lr REAL, grad_norm REAL, tokens_per_second REAL, elapsed REAL,
    eta REAL, time REAL, tokens INTEGER);
CREATE TABLE IF NOT EXISTS evals(step INTEGER, val_loss REAL, perplexity REAL,
    bits_per_token REAL, best INTEGER, time REAL, chrf REAL, accuracy REAL);
CREATE TABLE IF NOT EXISTS samples(step INTEGER, text TEXT, time REAL, novelty REAL);
CREATE TABLE IF NOT EXISTS log(kind TEXT, message TEXT, time REAL);
CREATE TABLE IF NOT EXISTS commands(id INTEGER PRIMARY KEY, command TEXT, time REAL,
    taken INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS status(key TEXT PRIMARY KEY, value TEXT);
"""

STEP_FIELDS = ("step", "epoch", "epoch_progress", "progress", "loss", "lr", "grad_norm",
               "tokens_per_second", "elapsed", "eta", "tokens")
EVAL_FIELDS = ("step", "val_loss", "perplexity", "bits_per_token", "best", "chrf",
               "accuracy")
# Columns a later poetui added, with their table: the writer adds them to an older store.
LATER_COLUMNS = (("samples", "novelty"), ("steps", "tokens"), ("evals", "chrf"),
                 ("evals", "accuracy"))


def connect(model_dir: Path) -> sqlite3.Connection:
    db = sqlite3.connect(model_dir / DB, timeout=10, isolation_level=None,
                         check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


class RunWriter:
    """Used by the training process only. Steps are buffered and written a few times a second
    so that recording never slows training; everything else is written at once."""

    def __init__(self, model_dir: Path, flush_every: float = 0.5) -> None:
        self.db = connect(model_dir)
        _add_missing_columns(self.db)
        self.flush_every = flush_every
        self._steps: list[tuple] = []
        self._last_flush = time.monotonic()

    def truncate_after(self, step: int, old_commands: bool = True) -> None:
        """Forget history past the checkpoint the run continues from (and, when a run starts,
        the commands addressed to an earlier one)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM steps WHERE step > ?", (step,))
            self.db.execute("DELETE FROM evals WHERE step > ?", (step,))
            self.db.execute("DELETE FROM samples WHERE step > ?", (step,))
            if old_commands:
                self.db.execute("UPDATE commands SET taken = 1")

    def record(self, event) -> None:
        kind = event.kind
        now = time.time()
        if kind == "step":
            self._steps.append((*(getattr(event, f) for f in STEP_FIELDS), now))
            if time.monotonic() - self._last_flush >= self.flush_every:
                self.flush()
            return
        self.flush()
        if kind == "eval":
            self.db.execute(
                f"INSERT INTO evals({','.join(EVAL_FIELDS)}, time) "
                f"VALUES ({','.join('?' * (len(EVAL_FIELDS) + 1))})",
                (*(getattr(event, f) for f in EVAL_FIELDS), now),
            )
            if event.chrf is not None:  # translation: the latest held-out chrF
                self.set_status(chrf=event.chrf)
            if event.confusion is not None:  # a classifier: the latest confusion matrix
                self.set_status(confusion=event.confusion)
        elif kind == "sample":
            self.db.execute("INSERT INTO samples(step, text, time, novelty) VALUES (?,?,?,?)",
                            (event.step, event.text, now, event.novelty))
        elif kind == "state":
            self.set_status(state=event.state)
        elif kind == "checkpoint":
            self.log("checkpoint", f"{event.which} checkpoint saved at step {event.step}")
        elif kind == "done":
            self.set_status(state="done" if event.reason == "budget" else "stopped",
                            summary=json.dumps(asdict(event)))
        elif kind == "rewind":
            self.truncate_after(event.step, old_commands=False)
            self.log("notice", event.message)
        elif kind == "error":
            self.set_status(state="error", message=event.message)
            self.log("error", event.message)

    def flush(self) -> None:
        if self._steps:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany(
                    f"INSERT INTO steps({','.join(STEP_FIELDS)}, time) "
                    f"VALUES ({','.join('?' * (len(STEP_FIELDS) + 1))})", self._steps)
            self._steps.clear()
        self._last_flush = time.monotonic()

    def log(self, kind: str, message: str) -> None:
        self.db.execute("INSERT INTO log VALUES (?,?,?)", (kind, message, time.time()))

    def set_status(self, **values: object) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO status VALUES (?, ?)",
                [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in values.items()],
            )

    def take_commands(self) -> list[str]:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            rows = self.db.execute(
                "SELECT id, command FROM commands WHERE taken = 0 ORDER BY id").fetchall()
            if rows:
                self.db.execute("UPDATE commands SET taken = 1 WHERE id <= ?", (rows[-1][0],))
        return [command for _, command in rows]

    def close(self) -> None:
        self.flush()
        self.db.close()


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a run store written by an earlier poetui up to this schema, so a resumed run can
    record what it now records. Only the writer does this: a viewer reads an old store as it
    is (rows without the column read as missing, which the screens show as no figure)."""
    for table, column in LATER_COLUMNS:
        if column not in columns_of(db, table):
            kind = "INTEGER" if column == "tokens" else "REAL"
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def columns_of(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def send_command(model_dir: Path, command: str) -> None:
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    db = connect(model_dir)
    try:
        db.execute("INSERT INTO commands(command, time) VALUES (?, ?)", (command, time.time()))
    finally:
        db.close()


def read_status(model_dir: Path) -> dict[str, str]:
    """The run's status table (state, message, …); empty if it never trained."""
    if not (model_dir / DB).exists():
        return {}
    db = sqlite3.connect(model_dir / DB, timeout=5)
    try:
        return dict(db.execute("SELECT key, value FROM status").fetchall())
    except sqlite3.Error:
        return {}
    finally:
        db.close()


def rows_of(model_dir: Path, table: str) -> Iterator[dict]:
    """Every row of ``steps``, ``evals`` or ``samples`` in the order written, as dicts of the
    columns the store has; read as they are iterated (an export of a long run)."""
    if table not in ("steps", "evals", "samples"):
        raise ValueError(f"unknown table {table!r}")
    db = sqlite3.connect(f"file:{model_dir / DB}?mode=ro", uri=True, timeout=10)
    db.row_factory = sqlite3.Row
    try:
        for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid"):
            yield dict(row)
    finally:
        db.close()


@dataclass
class RunDelta:
    steps: list[dict] = field(default_factory=list)
    evals: list[dict] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)


class RunReader:
    """Used by viewers: each ``poll`` returns only the rows added since the last one."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.db: sqlite3.Connection | None = None
        self.cursor = {"steps": 0, "evals": 0, "samples": 0, "log": 0}

    def _connect(self) -> sqlite3.Connection | None:
        if self.db is None and (self.model_dir / DB).exists():
            self.db = connect(self.model_dir)
            self.db.row_factory = sqlite3.Row
        return self.db

    def poll(self, limit: int = 100_000,
             tables: tuple[str, ...] = ("steps", "evals", "samples", "log")) -> RunDelta:
        """What is new in ``tables`` (and the whole status). A viewer that reads the steps,
        evaluations and samples as columns (engine.storage.history) asks for the log only."""
        delta = RunDelta()
        db = self._connect()
        if db is None:
            return delta
        for table in tables:
            rows = db.execute(
                f"SELECT rowid AS id, * FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (self.cursor[table], limit),
            ).fetchall()
            if rows:
                self.cursor[table] = rows[-1]["id"]
                getattr(delta, table).extend(dict(row) for row in rows)
        delta.status = dict(db.execute("SELECT key, value FROM status").fetchall())
        return delta

    def connection(self) -> sqlite3.Connection | None:
        """The reader's connection (None until the run store exists), for a columns reader."""
        return self._connect()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
