"""`poetui serve`: the same app in a browser, through textual-serve.

Each browser tab is a copy of the app in its own process (textual-serve starts one per
websocket), so every tab is one more viewer of the same model folders and run stores; training
runs in processes of its own, so closing a tab, or stopping the server, stops no run.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import shlex
import signal
import sys
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

from engine.errors import PoetuiError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def app_command() -> str:
    """The shell command textual-serve runs per tab: this Python, this poetui (PYTHONPATH and
    POETUI_HOME travel in the environment it inherits)."""
    return shlex.join([sys.executable, "-m", "tui.cli.main"])


def exposure_warning(host: str, port: int) -> str | None:
    """One line for a server reachable from other machines, None for a local one."""
    if host in LOCAL_HOSTS:
        return None
    return (f"poetui: warning: serving on {host}, and the page has no login: anyone who can "
            "reach this port can use your models and start or stop training; the safe way is "
            f"to serve on 127.0.0.1 and forward the port over SSH (ssh -L {port}:127.0.0.1:"
            f"{port} THIS-HOST).")


class PoetuiServer(Server):
    """textual-serve's server, with the page's links made from the address its browser used.

    textual-serve writes the websocket's and the static files' URLs from the host it binds to,
    so a page served on 0.0.0.0 points at ws://0.0.0.0/, and one reached through
    `ssh -L 9000:127.0.0.1:8000` points at the far end's port (textual-serve issue #42). The
    Host header is what the browser reached, so the links use it."""

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        origin = f"{request.scheme}://{request.host}"
        router = request.app.router
        static = origin + str(router["static"].url_for(filename="/")).rstrip("/") + "/"
        websocket = ("wss://" if request.scheme == "https" else "ws://") + request.host + \
            str(router["websocket"].url_for())
        return {
            "font_size": 16,
            "app_websocket_url": websocket,
            "config": {"static": {"url": static}},
            "application": {"name": "poetui"},
        }

    def serve(self, debug: bool = False) -> None:
        """textual-serve's own serve(), but the line saying where to point the browser comes
        once the port is bound (its banner came before, even when binding then failed), and
        without a log line per file the page loads."""
        self.initialize_logging()
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        loop = asyncio.new_event_loop()
        loop.add_signal_handler(signal.SIGINT, self.request_exit)
        loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False,
                    loop=loop, print=lambda _banner: print(
                        f"poetui: serving the app on {self.public_url} (each browser tab is one "
                        "more viewer; Ctrl+C stops serving, and no training run with it)",
                        flush=True))

    async def on_startup(self, app: web.Application) -> None:
        pass  # textual-serve prints its banner here


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve the app until Ctrl+C (or SIGTERM)."""
    if not 0 < port < 65536:
        raise PoetuiError(f"--port {port} is not a port; give one from 1 to 65535 "
                          f"(default {DEFAULT_PORT}).")
    warning = exposure_warning(host, port)
    if warning:
        print(warning, file=sys.stderr)
    server = PoetuiServer(app_command(), host=host, port=port, title="poetui")
    try:
        server.serve()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PoetuiError(f"port {port} on {host} is already in use; choose another with "
                              "--port.") from None
        raise PoetuiError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); check "
                          "--host names an address of this machine.") from None
    return 0
