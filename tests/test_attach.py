"""A bare `poetui attach` with two runs going asks which to watch (in the app, on a terminal)
or lists them (with nobody to ask): real training processes, the real command in a real
pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest
from helpers import POETUI, poetui, wait_until

from engine.storage import store
from engine.storage.runlock import is_locked
from engine.storage.runstore import RunReader, send_command
from engine.train import job
from engine.train.worker import spawn

pytestmark = pytest.mark.timeout(240)


class Terminal:
    """A command on a pseudo-terminal of 80×24: what it wrote, and keys typed into it."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "xterm-256color"}
        self.process = subprocess.Popen([POETUI, *args], stdin=slave, stdout=slave,
                                        stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.written = b""

    def wait_for(self, *phrases: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(p.encode() in self.written for p in phrases):
                return
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.written += os.read(self.master, 65536)
                except OSError:
                    break  # the command ended and closed its terminal
        raise AssertionError(f"never saw {phrases}; the command wrote:\n{self.written[-3000:]}")

    def exit_code(self, timeout: float = 30.0) -> int:
        """Its exit status, reading what it writes meanwhile (a full terminal would block it)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.written += os.read(self.master, 65536)
                except OSError:
                    pass
        return self.process.wait(timeout=1)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)


def test_bare_attach_with_two_runs_asks_which(pattern_file, runs) -> None:
    for name in ("first", "second"):
        job.create_model(str(pattern_file), name=name, preset="tiny", steps=1_000_000,
                         eval_every=10**9, checkpoint_minutes=1000.0)
        spawn(name)
        runs.append(name)
        # "second" starts last, the newest, listed first: a run's start is when its worker
        # takes the lock, so wait for that (a loaded machine may start a worker late).
        wait_until(lambda n=name: is_locked(store.existing(n)), what=f"{name}'s lock")
        time.sleep(0.05)
    for name in runs:
        reader = RunReader(store.existing(name))
        wait_until(lambda r=reader: r.poll().steps, what=f"{name}'s first steps")

    # Nobody to ask (not a terminal): both are listed, in one sentence that says what to type.
    result = poetui("attach", check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "2 runs are in progress: second (training" in result.stderr
    assert "; first (training" in result.stderr and "poetui attach NAME" in result.stderr

    # On a terminal the app opens and asks; 2 picks the second in the list: "first".
    terminal = Terminal("attach")
    try:
        terminal.wait_for("Which one do you want to watch?", "1. second", "2. first")
        terminal.type("2")
        terminal.wait_for("Pause/resume", "first")  # the dashboard of 'first'
        terminal.written = b""
        terminal.type("\x11")  # ctrl+q: with a watched run going it asks detach or stop
        terminal.wait_for("still going")
        terminal.type("d")
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
    assert all(is_locked(store.existing(name)) for name in runs)  # detached: both train on
    for name in runs:
        send_command(store.existing(name), "stop")
    wait_until(lambda: not any(is_locked(store.existing(n)) for n in runs), what="both stopped")
