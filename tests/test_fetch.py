"""Catalog downloads over real HTTP: a server on 127.0.0.1, started here, serving good files,
corrupt ones, connections that drop halfway or go silent, a 404, and a port where nothing
listens."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import corpora.cards
from corpora.cards import ANKI_PAIRS, TEST, TRAIN, VALID, Card, Source
from engine.corpus import load_corpus
from engine.data import cache
from engine.data import fetch as fetching
from engine.data.fetch import FetchCancelled, ensure_cached, fetch
from engine.errors import PoetuiError

TEXT = ("".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(4000))
        ).encode()  # ~220 kB: several blocks, so a drop halfway is a real drop


@dataclass
class Route:
    body: bytes
    ranges: bool = True  # honours Range (and If-Range)
    drop_after: int | None = None  # the first `drops` responses stop after this many bytes
    drops: int = 1
    etag: str = '"v1"'
    status: int = 200
    silent_after: int | None = None  # the first response sends this many bytes, then nothing
    silent_headers: bool = False  # the first request gets no answer at all
    # (both keep the connection open, silent, until the server's `release`)
    trickle: float = 0.0  # seconds of silence before each 16 kB of the body
    served: int = 0


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    requests: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        server: Server = self.server.poetui  # type: ignore[attr-defined]
        server.requests.append({"path": self.path, "range": self.headers.get("Range"),
                                "if_range": self.headers.get("If-Range")})
        route = server.routes.get(self.path)
        if route is None or route.status != 200:
            self.send_error(route.status if route else 404)
            return
        if route.silent_headers and not route.served:
            route.served += 1
            server.release.wait(60)  # the request is in; no answer comes
            return
        body, start = route.body, 0
        wanted = self.headers.get("Range")
        if wanted and route.ranges and self.headers.get("If-Range") in (None, route.etag):
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("ETag", route.etag)
        self.end_headers()
        payload = body[start:]
        route.served += 1
        if route.drop_after is not None and route.served <= route.drops:
            self.wfile.write(payload[:route.drop_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # the line goes dead mid-file
            return
        try:
            if route.silent_after is not None and route.served == 1:
                self.wfile.write(payload[:route.silent_after])
                self.wfile.flush()
                server.release.wait(60)  # nothing more, yet the connection stays open
                payload = payload[route.silent_after:]
            for start in range(0, len(payload), 16384):
                time.sleep(route.trickle)
                self.wfile.write(payload[start:start + 16384])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on this response


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state = Server(f"http://127.0.0.1:{httpd.server_address[1]}", {})
    httpd.poetui = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.release.set()  # never leave a handler waiting
    httpd.shutdown()
    httpd.server_close()


def card_for(url: str, body: bytes | None = TEXT, name: str = "test-text", **source) -> Card:
    """A card like the catalog's, pointing at the local server, pinned to ``body``."""
    sha = hashlib.sha256(body).hexdigest() if body is not None else None
    return Card(name=name, title="test", kind="stream", level="char", preset="tiny",
                licence="test", sources=(Source(url, sha256=sha, size=len(body or b""),
                                                **source),))


def add_to_catalog(monkeypatch: pytest.MonkeyPatch, card: Card) -> None:
    """The catalog with ``card`` in it, wherever a module holds the list of cards."""
    import engine.corpus
    import tui.cli.corpus

    extended = (*corpora.cards.CARDS, card)
    for module in (corpora.cards, cache, engine.corpus, tui.cli.corpus):
        monkeypatch.setattr(module, "CARDS", extended)


def test_a_good_file_downloads_verifies_and_a_second_fetch_is_instant(server):
    server.routes["/text.txt"] = Route(TEXT)
    card = card_for(server.url("/text.txt"))
    seen: list[tuple[int, int | None]] = []
    files = fetch(card, lambda done, total: seen.append((done, total)))
    assert files["text"].read_bytes() == TEXT
    assert cache.state(card) == "downloaded"
    assert cache.manifest(card)["text"]["sha256"] == hashlib.sha256(TEXT).hexdigest()
    assert seen[-1] == (len(TEXT), len(TEXT)) and len(seen) > 2  # progress as it came
    assert not list(cache.folder(card).glob("*.partial*"))

    fetch(card)
    assert len(server.requests) == 1  # cached: no second request at all


def test_a_corrupt_download_is_deleted_and_said(server):
    server.routes["/text.txt"] = Route(TEXT.replace(b"lazy", b"LAZY", 1))
    card = card_for(server.url("/text.txt"))
    with pytest.raises(PoetuiError, match=r"downloaded from http://127\.0\.0\.1:\d+/text\.txt "
                       r"is not the one the card names \(SHA-256 .*so it was deleted"):
        fetch(card)
    assert cache.state(card) == "to download"
    assert [p.name for p in cache.folder(card).iterdir()] == [".lock"]  # no half, no whole


def test_a_dropped_connection_resumes_with_a_range_request(server):
    half = len(TEXT) // 2
    server.routes["/text.txt"] = Route(TEXT, drop_after=half)
    card = card_for(server.url("/text.txt"))
    assert fetch(card)["text"].read_bytes() == TEXT
    assert [r["range"] for r in server.requests] == [None, f"bytes={half}-"]
    assert server.requests[1]["if_range"] == '"v1"'  # only the same version's tail


def test_a_cancelled_download_keeps_its_part_and_the_next_fetch_resumes_it(server):
    server.routes["/text.txt"] = Route(TEXT)
    card = card_for(server.url("/text.txt"))
    got: list[int] = []
    with pytest.raises(FetchCancelled, match="cancelled; fetch it again to resume"):
        fetch(card, lambda done, total: got.append(done), cancelled=lambda: len(got) >= 2)
    partial = cache.partial_file(card, "text")
    kept = partial.stat().st_size
    assert 0 < kept < len(TEXT)
    assert not cache.corpus_file(card, "text").exists()  # never a half file where a whole goes

    assert fetch(card)["text"].read_bytes() == TEXT
    assert server.requests[-1]["range"] == f"bytes={kept}-"
    assert not partial.exists()


def cancel_in_the_silence(card: Card, ready=lambda got: True) -> tuple[BaseException, float]:
    """Fetch ``card`` in a thread; once ``ready(bytes so far)`` and the line has been silent a
    while, cancel. What the fetch raised, and how long the cancel took to take effect."""
    stop, got, outcome = threading.Event(), [0], []

    def run() -> None:
        try:
            fetch(card, lambda done, total: got.append(done), stop.is_set)
        except BaseException as exc:  # noqa: BLE001 — handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not ready(got[-1]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ready(got[-1])
    time.sleep(0.6)  # the fetch is now waiting on a line that sends nothing
    began = time.monotonic()
    stop.set()
    thread.join(10)
    took = time.monotonic() - began
    assert not thread.is_alive() and len(outcome) == 1
    return outcome[0], took


def test_a_cancel_while_the_line_is_silent_mid_file_is_prompt_and_keeps_the_part(server):
    """Not stuck until the 30 s timeout: the cancel is seen while the read waits."""
    server.routes["/text.txt"] = Route(TEXT, silent_after=100_000)
    card = card_for(server.url("/text.txt"))
    error, took = cancel_in_the_silence(card, lambda got: got >= 65_536)
    assert isinstance(error, FetchCancelled) and "resume where it stopped" in str(error)
    assert took < 3
    partial = cache.partial_file(card, "text")
    kept = partial.stat().st_size
    assert 65_536 <= kept < 100_000  # the whole blocks that came, on disk
    assert not cache.corpus_file(card, "text").exists()

    assert fetch(card)["text"].read_bytes() == TEXT
    assert server.requests[-1]["range"] == f"bytes={kept}-"  # resumed, not started over


def test_a_cancel_while_waiting_for_the_headers_is_prompt(server):
    server.routes["/text.txt"] = Route(TEXT, silent_headers=True)
    card = card_for(server.url("/text.txt"))
    error, took = cancel_in_the_silence(card, lambda got: len(server.requests) == 1)
    assert isinstance(error, FetchCancelled) and took < 3
    assert fetch(card)["text"].read_bytes() == TEXT


def test_a_cancel_while_connecting_is_prompt():
    """A listener whose queue is full drops new connections' first packet: the connect waits."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())  # takes the one place in the queue
        with socket.socket() as probe:
            probe.settimeout(0.3)
            try:
                probe.connect(listener.getsockname())
                pytest.skip("this system answers connects to a full listener")
            except TimeoutError:
                pass
        card = card_for(f"http://127.0.0.1:{listener.getsockname()[1]}/text.txt")
        error, took = cancel_in_the_silence(card)
    assert isinstance(error, FetchCancelled) and took < 3


def test_a_slow_line_is_not_a_broken_one(server, monkeypatch):
    """Waits shorter than the timeout, though longer than one slice, only wait."""
    monkeypatch.setattr(fetching, "SLICE", 0.02)
    monkeypatch.setattr(fetching, "TIMEOUT", 1.0)
    body = TEXT[:65_536]
    server.routes["/text.txt"] = Route(body, trickle=0.15)
    card = card_for(server.url("/text.txt"), body)
    assert fetch(card)["text"].read_bytes() == body
    assert len(server.requests) == 1


@pytest.mark.parametrize("route, said", [
    (Route(TEXT, silent_headers=True), r"Could not download http://\S+ \(timed out\); check "
                                       r"that you are online"),
    (Route(TEXT, silent_after=1000), r"broke off at 0 of [\d,]+ bytes \(timed out\); run "
                                     r"`poetui corpus fetch test-text` again to resume"),
], ids=["before the headers", "mid-file"])
def test_a_line_silent_for_the_whole_timeout_fails_with_its_sentence(server, monkeypatch, route,
                                                                     said):
    monkeypatch.setattr(fetching, "SLICE", 0.05)
    monkeypatch.setattr(fetching, "TIMEOUT", 0.5)
    monkeypatch.setattr(fetching, "RETRIES", 0)
    server.routes["/text.txt"] = route
    card = card_for(server.url("/text.txt"))
    began = time.monotonic()
    with pytest.raises(PoetuiError, match=said):
        fetch(card)
    assert 0.5 <= time.monotonic() - began < 3  # the whole timeout, not one slice of it


def test_a_file_changed_upstream_is_downloaded_whole_not_spliced(server):
    """If-Range: the old partial's tail is never appended to a different version."""
    new = TEXT.replace(b"fox", b"cat")
    server.routes["/text.txt"] = Route(new, etag='"v2"')
    card = card_for(server.url("/text.txt"), new)
    partial = cache.partial_file(card, "text")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(TEXT[:1000])  # left by an earlier try, of version 1
    partial.with_name(partial.name + ".json").write_text('{"if_range": "\\"v1\\""}')
    assert fetch(card)["text"].read_bytes() == new
    assert server.requests[0]["range"] == "bytes=1000-"


def test_a_server_without_ranges_restarts_from_the_beginning(server):
    server.routes["/text.txt"] = Route(TEXT, ranges=False, drop_after=5000)
    card = card_for(server.url("/text.txt"))
    assert fetch(card)["text"].read_bytes() == TEXT
    assert len(server.requests) == 2


def test_a_line_that_keeps_dropping_gives_up_with_the_resume_sentence(server):
    server.routes["/text.txt"] = Route(TEXT, drop_after=0, drops=100)
    card = card_for(server.url("/text.txt"))
    with pytest.raises(PoetuiError, match=r"broke off at 0 of [\d,]+ bytes .*run `poetui "
                                          r"corpus fetch test-text` again to resume"):
        fetch(card)


def test_a_missing_file_names_the_url_and_the_way_round(server):
    card = card_for(server.url("/gone.txt"))
    with pytest.raises(PoetuiError) as caught:
        fetch(card)
    sentence = str(caught.value)
    assert "/gone.txt answered HTTP 404" in sentence
    assert "`poetui corpus add PATH --as test-text`" in sentence
    assert sentence.count(".") >= 1 and "\n" not in sentence


def test_an_unreachable_host_says_so_in_one_sentence():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/input.txt"
    card = card_for(url, name="offline")
    with pytest.raises(PoetuiError) as caught:
        fetch(card)
    sentence = str(caught.value)
    assert sentence.startswith(f"Could not download {url} (Connection refused)")
    assert "`poetui corpus add PATH --as offline`" in sentence and "\n" not in sentence
    assert cache.state(card) == "to download"


def test_the_anki_archive_becomes_two_columns_and_its_hash_is_recorded(server):
    fra = "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #1\r\n" \
          "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2\r\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_about.txt", "about the file")
        archive.writestr("fra.txt", fra)
    body = buffer.getvalue()
    server.routes["/fra-eng.zip"] = Route(body)
    card = card_for(server.url("/fra-eng.zip"), None, name="pairs", prepare=ANKI_PAIRS)
    files = fetch(card)
    assert files["text"].read_text(encoding="utf-8") == "Go.\tVa !\nHi.\tSalut !\n"
    recorded = cache.manifest(card)["text"]
    assert recorded["sha256"] == hashlib.sha256(body).hexdigest()
    assert recorded["verified"] is None  # nothing pinned: recorded, not checked
    assert (cache.folder(card) / "text.original.zip").read_bytes() == body  # attributions


def test_a_corpus_with_its_own_split_downloads_each_file_and_trains_on_them(server,
                                                                           monkeypatch):
    texts = {TRAIN: b"the cat sat on the mat\n" * 300, VALID: b"a dog sat on a log\n" * 40,
             TEST: b"the dog sat\n" * 10}
    sources = []
    for part, body in texts.items():
        server.routes[f"/ptb.{part}.txt"] = Route(body)
        sources.append(Source(server.url(f"/ptb.{part}.txt"), part=part, size=len(body),
                              sha256=hashlib.sha256(body).hexdigest()))
    card = Card(name="mini-ptb", title="test", kind="stream", level="word", preset="tiny",
                licence="test", sources=tuple(sources))
    add_to_catalog(monkeypatch, card)
    seen = []
    assert ensure_cached("mini-ptb", lambda done, total: seen.append((done, total))) == card
    assert seen[-1] == (sum(map(len, texts.values())),) * 2  # one bar over all three files
    assert ensure_cached("mini-ptb") is None  # cached: nothing to do

    corpus = load_corpus("mini-ptb")
    train, valid = corpus.split()
    assert train == texts[TRAIN].decode() and valid == texts[VALID].decode()  # not a 10 % cut
    assert corpus.kind_origin == "card"


def test_one_download_at_a_time(server):
    server.routes["/text.txt"] = Route(TEXT)
    card = card_for(server.url("/text.txt"))
    with cache.locked(card), pytest.raises(PoetuiError, match="being downloaded or added by "
                                                              "another poetui"):
        fetch(card)
    assert server.requests == []


def test_poetui_corpus_fetch_then_list_and_load(server, monkeypatch, capsys):
    from tui.cli.main import main

    server.routes["/input.txt"] = Route(TEXT)
    card = card_for(server.url("/input.txt"), name="local-text")
    add_to_catalog(monkeypatch, card)
    assert main(["corpus", "list"]) == 0
    assert "local-text" in next(line for line in capsys.readouterr().out.splitlines()
                                if "local-text" in line and "to download" in line)
    assert main(["corpus", "fetch", "local-text"]) == 0
    out, err = capsys.readouterr()
    assert "downloaded and verified" in out
    assert "downloading local-text" in err and "218.9 kB" in err  # the bar, on stderr
    assert main(["corpus", "fetch", "local-text"]) == 0
    out, err = capsys.readouterr()
    assert "already here" in out and err == "" and len(server.requests) == 1  # no bar
    assert load_corpus("local-text").text == TEXT.decode()
    main(["corpus", "list"])
    assert any("local-text" in line and "downloaded" in line
               for line in capsys.readouterr().out.splitlines())
