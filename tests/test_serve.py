"""`poetui serve`: the app in a real headless browser (Chromium over the DevTools protocol), with
a real training process that the browser's tabs only watch."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from browser import Browser, chromium_binary
from helpers import POETUI, wait_until

from engine.storage.runlock import is_locked
from engine.storage.runstore import RunReader, send_command
from engine.train import job
from engine.train.worker import spawn
from tui.cli.serve import exposure_warning

pytestmark = pytest.mark.timeout(240)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc: the per-tab app processes)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.fixture
def server():
    port = free_port()
    process = subprocess.Popen([POETUI, "serve", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    line = process.stdout.readline()
    assert f"serving the app on http://127.0.0.1:{port}" in line, process.stderr.read()
    yield process, f"http://127.0.0.1:{port}/"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def test_tabs_in_a_real_browser_watch_a_run_and_closing_one_stops_nothing(
        pattern_file: Path, runs: list[str], server) -> None:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("needs a Chromium browser (`apt-get install chromium`; .ci/run installs it)")
    process, url = server
    model = job.create_model(str(pattern_file), name="watched", preset="tiny",
                             steps=1_000_000, eval_every=10**9, checkpoint_minutes=1000.0)
    spawn("watched")
    runs.append("watched")
    reader = RunReader(model)
    wait_until(lambda: reader.poll().steps, what="the run's first steps")

    async with Browser(binary) as browser:
        first = await browser.new_tab(url)
        # The library screen, drawn by the app in the browser's terminal: its sections, the
        # model and its live state ("detached": training in a process no app here started),
        # and the library's own footer keys.
        shown = await first.wait_for_text("Models", "Corpora", "watched", "detached", "New")
        assert "poetui" in shown
        app_processes = children(process.pid)
        assert app_processes, "the tab's app runs in a process of the server's"
        second = await browser.new_tab(url)
        await second.wait_for_text("watched", "detached")
        both = children(process.pid)
        assert len(both) > len(app_processes)  # one more app: the second tab's own

        await first.close()
        wait_until(lambda: not (app_processes & children(process.pid)), timeout=30,
                   what="the first tab's app to end")
        # The run goes on, and the other tab still watches it.
        assert is_locked(model)
        reader.poll()
        wait_until(lambda: reader.poll().steps, what="steps after the tab closed")
        await second.wait_for_text("watched", "detached")
        await second.close()

    send_command(model, "stop")
    wait_until(lambda: not is_locked(model), what="the run to stop")


def test_only_local_hosts_go_without_a_warning() -> None:
    assert exposure_warning("127.0.0.1", 8000) is None
    assert exposure_warning("localhost", 8000) is None
    warning = exposure_warning("0.0.0.0", 8001)
    assert warning is not None and "\n" not in warning
    assert "no login" in warning and "ssh -L 8001:127.0.0.1:8001" in warning


def test_a_port_in_use_is_one_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([POETUI, "serve", "--port", str(port)], capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (f"poetui: port {port} on 127.0.0.1 is already in use; choose "
                             "another with --port.\n")
