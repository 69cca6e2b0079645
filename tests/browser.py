"""A real headless Chromium, driven over the DevTools protocol, that reads what a served app's
terminal shows.

The page textual-serve sends holds no app text: the app's screen arrives over a websocket as
escape sequences, which xterm.js parses into its screen buffer and draws on a WebGL canvas, so
neither the HTML nor the DOM after it has any of it. What a person sees is that buffer, cell for
cell. textual.js keeps its xterm `Terminal` in a closure, so a script that runs before the page's
own catches the object where textual.js stores it (`this.terminal = new Terminal(...)`) with a
setter on Object.prototype; the test then reads the buffer's visible rows through xterm's public
API (`buffer.active.getLine(n).translateToString()`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp

CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true,
                                             enumerable: true});
    if (value && value.buffer && value.buffer.active && !window.__xterm) window.__xterm = value;
  },
});
"""

READ_SCREEN = """
(() => {
  const term = window.__xterm;
  if (!term) return null;
  const buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()
"""


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


class Tab:
    """One browser tab, spoken to over its DevTools websocket."""

    def __init__(self, browser: Browser, target_id: str, socket) -> None:
        self.browser, self.target_id, self.socket = browser, target_id, socket
        self._ids = itertools.count(1)

    async def call(self, method: str, **params) -> dict:
        ident = next(self._ids)
        await self.socket.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json(timeout=30)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        await self.call("Page.navigate", url=url)

    async def screen(self) -> str | None:
        """The terminal's visible rows as text, or None before the terminal exists."""
        result = await self.call("Runtime.evaluate", expression=READ_SCREEN, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for_text(self, *phrases: str, timeout: float = 60.0) -> str:
        """The screen, once it shows every one of ``phrases``; fail (not hang) if it never
        does, saying what it showed."""
        deadline = time.monotonic() + timeout
        text = None
        while time.monotonic() < deadline:
            text = await self.screen()
            if text and all(p in text for p in phrases):
                return text
            await asyncio.sleep(0.25)
        raise AssertionError(f"the page never showed {phrases}; its terminal showed:\n{text}")

    async def close(self) -> None:
        await self.socket.close()
        async with self.browser.http.get(f"{self.browser.base}/json/close/{self.target_id}"):
            pass


class Browser:
    """Headless Chromium in its own profile folder, on a DevTools port it chooses itself."""

    def __init__(self, binary: str) -> None:
        self.binary = binary

    async def __aenter__(self) -> Browser:
        self.profile = tempfile.TemporaryDirectory(prefix="poetui-chromium-")
        self.process = subprocess.Popen(
            [self.binary, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-extensions", "--window-size=1280,800",
             f"--user-data-dir={self.profile.name}", "--remote-debugging-port=0",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("headless Chromium did not start its DevTools port")
            await asyncio.sleep(0.1)
        self.base = f"http://127.0.0.1:{port_file.read_text().split()[0]}"
        self.http = aiohttp.ClientSession()
        return self

    async def new_tab(self, url: str) -> Tab:
        async with self.http.put(f"{self.base}/json/new?about:blank") as response:
            target = json.loads(await response.text())
        socket = await self.http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        tab = Tab(self, target["id"], socket)
        await tab.open(url)
        return tab

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.profile.cleanup()
