"""The real app in a real terminal, for the benches that time what a person sees: a tmux
session of a given size running `poetui`, its screen as text, keys sent to it, and the app's
memory.

The tmux server's environment is its own (a server already running keeps the environment it
started with), so each start names this checkout's code (PYTHONPATH) and the store
(POETUI_HOME) in the command itself: without that the app would import whatever the `poetui`
script's installation points at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POETUI = str(Path(sys.executable).with_name("poetui"))


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


class Terminal:
    """One tmux session holding the app (``width`` × ``height`` cells)."""

    def __init__(self, session: str, width: int = 80, height: int = 24) -> None:
        self.session, self.width, self.height = session, width, height

    def start(self, *args: str) -> float:
        """Start `poetui ARGS` in a fresh session (ending any earlier one); returns when it
        was started (perf_counter), for timing its first paint."""
        self.kill()
        started = time.perf_counter()
        # `exec`: the pane's process is the app itself (its memory is the app's).
        command = " ".join([f"POETUI_HOME={os.environ['POETUI_HOME']}", f"PYTHONPATH={ROOT}",
                            "exec", POETUI, *args])
        tmux("new-session", "-d", "-s", self.session, "-x", str(self.width), "-y",
             str(self.height), command)
        return started

    def kill(self) -> None:
        tmux("kill-session", "-t", self.session)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.session)

    def send(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.session, *keys)

    def wait(self, predicate: Callable[[str], bool], timeout: float = 60.0) -> float:
        """Poll the screen every 5 ms until ``predicate`` holds of it; returns when it did
        (perf_counter)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if predicate(self.screen()):
                return time.perf_counter()
            time.sleep(0.005)
        raise TimeoutError(f"screen never matched; last screen:\n{self.screen()}")

    def pid(self) -> int:
        return int(tmux("list-panes", "-t", self.session, "-F", "#{pane_pid}").strip())

    def rss_mb(self) -> float:
        """Resident memory of the app."""
        for line in open(f"/proc/{self.pid()}/status", encoding="ascii"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """CPU time the app has used so far (user and system)."""
        fields = open(f"/proc/{self.pid()}/stat", encoding="ascii").read().rsplit(")", 1)[1]
        user, system = fields.split()[11:13]
        return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")
