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
import queue
import subprocess
import sys
import threading
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

class ControlTerminal(Terminal):
    """The same session read and driven through one tmux control-mode client, so that
    measuring spawns no process. For small outputs read every 2 ms (the desk: a `tmux
    capture-pane` process every 2 ms took most of a core from the app, and its suggestion read
    200-280 ms that way, 47 ms through the client). Not for a 120×40 chart: tmux then passes
    every repaint's bytes to the client, escaped, and the dashboard's repaints read 69-75 ms
    through it against 42-47 ms with `Terminal`'s polling (one run each, quiet machine)."""

    def __init__(self, session: str, width: int = 80, height: int = 24) -> None:
        super().__init__(session, width, height)
        self.process: subprocess.Popen | None = None
        self.outputs = 0  # the app's outputs the client has been told of
        self.replies: queue.Queue = queue.Queue()
        self.changed = threading.Condition()

    def start(self, *args: str) -> float:
        started = super().start(*args)
        tmux("set-option", "-t", self.session, "window-size", "manual")  # the client keeps it
        self.attach()
        return started

    def attach(self) -> None:
        """Attach the control-mode client (``start`` does), to read and drive the app."""
        self.outputs, self.replies = 0, queue.Queue()
        self.process = subprocess.Popen(["tmux", "-C", "attach-session", "-t", self.session],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        bufsize=0)
        threading.Thread(target=self._read, args=(self.process, self.replies),
                         daemon=True).start()
        self._command(f"refresh-client -C {self.width}x{self.height}")

    def detach(self) -> None:
        """Close the client, the app going on: while training speed is measured, tmux and this
        process would otherwise pass on every repaint, CPU the training run then lacks."""
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(10)
            self.process = None

    def _read(self, process: subprocess.Popen, replies: queue.Queue) -> None:
        block, mine = None, False
        for raw in process.stdout:
            now = time.perf_counter()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if block is not None:
                if line.startswith(("%end", "%error")):
                    if mine:  # (not the attach's own reply, which comes first)
                        replies.put((now, block))
                    block = None
                else:
                    block.append(line)
            elif line.startswith("%begin"):
                block, mine = [], line.split()[-1] == "1"  # flags 1: a command of ours
            elif line.startswith("%output"):
                with self.changed:
                    self.outputs += 1
                    self.changed.notify_all()

    def _command(self, text: str) -> tuple[float, list[str]]:
        """(when the reply came, its lines)."""
        self.process.stdin.write((text + "\n").encode())
        return self.replies.get(timeout=60)

    def kill(self) -> None:
        self.detach()
        super().kill()

    def read(self) -> tuple[float, str]:
        """(when the client's reply came, the screen as it was)."""
        seen, lines = self._command(f"capture-pane -p -t {self.session}")
        return seen, "\n".join(lines)

    def screen(self) -> str:
        return self.read()[1]

    def send(self, *keys: str, literal: bool = False) -> None:
        flag = "-l " if literal else ""
        quoted = " ".join("'" + k.replace("'", "'\\''") + "'" for k in keys)
        self._command(f"send-keys -t {self.session} {flag}{quoted}")

    def wait(self, predicate: Callable[[str], bool], timeout: float = 60.0) -> float:
        """When the screen was first seen to show what ``predicate`` waits for (perf_counter):
        read at each new output of the app and at least every 2 ms, so a figure is at most a
        read late, never early (tmux may note an output after a reply that shows it)."""
        deadline = time.perf_counter() + timeout
        seen, shown = -1, ""
        while time.perf_counter() < deadline:
            with self.changed:
                if self.outputs == seen:
                    self.changed.wait(0.002)
                seen = self.outputs
            painted, shown = self.read()
            if predicate(shown):
                return painted
        raise TimeoutError(f"screen never matched; last screen:\n{shown}")
