"""A catalog corpus served over real HTTP on 127.0.0.1, for the app's download flows.

The server can hold a download part-way (until the test lets it go), so a test sees the bar
mid-download, presses keys meanwhile, and cancels; it honours Range, so a resumed download
asks for the rest only. Catalog cards are built as in tests/test_fetch.py."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from corpora.cards import Card, Source

TEXT = ("".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(4000))
        ).encode()  # ~220 kB: several 64 kB blocks


@dataclass
class CorpusServer:
    base: str
    bodies: dict[str, bytes] = field(default_factory=dict)
    hold_after: int | None = None  # bytes sent before waiting for `go`
    go: threading.Event = field(default_factory=threading.Event)
    ranges: list[str | None] = field(default_factory=list)  # the Range header of each GET

    def url(self, path: str) -> str:
        return self.base + path

    def card(self, path: str, name: str = "test-text") -> Card:
        """A catalog card like the real ones, pointing here and pinned to what is served."""
        body = self.bodies[path]
        return Card(name=name, title="A test text served from 127.0.0.1", kind="stream",
                    level="char", preset="tiny", licence="test",
                    sources=(Source(self.url(path), sha256=hashlib.sha256(body).hexdigest(),
                                    size=len(body)),))


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        server: CorpusServer = self.server.corpus  # type: ignore[attr-defined]
        wanted = self.headers.get("Range")
        server.ranges.append(wanted)
        body = server.bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = int(wanted.removeprefix("bytes=").split("-")[0]) if wanted else 0
        if start:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        payload = body[start:]
        hold = server.hold_after if not start else None
        try:
            if start and server.hold_after is not None:
                # A client that gave up on a held response and resumed is held too, so the
                # test, not the client's timeout, decides when the download may finish.
                server.go.wait(60)
            if hold is not None:
                self.wfile.write(payload[:hold])
                self.wfile.flush()
                server.go.wait(60)
                payload = payload[hold:]
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the app gave up on this response (cancelled): nothing more to send


@contextmanager
def serving() -> Iterator[CorpusServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    state = CorpusServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.corpus = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.go.set()  # never leave a handler waiting
        httpd.shutdown()
        httpd.server_close()
