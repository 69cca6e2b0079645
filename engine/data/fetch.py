"""Downloading a catalog corpus: resumable, verified, never a half file where a whole one goes.

Each file downloads to ``<part>.partial`` in the card's cache folder. A connection that breaks
off is picked up where it stopped with an HTTP Range request (a few times in one call, and
again by the next fetch, which finds the partial file); ``If-Range`` makes a server whose file
changed meanwhile send the whole new file instead of a mismatched tail. Only a complete file
whose checksum matches the card is moved into place (``engine.data.cache.install``); one that does
not match is deleted. Built on the standard library's urllib: plain GETs with Range need
nothing more.

The app calls ``fetch`` from a worker thread: ``progress`` is called from that thread (post it
to the UI thread), and a cancelled download keeps its partial file for the next try.
``cancelled`` is polled from that thread too, between blocks and every ``SLICE`` seconds while
the network is silent (connecting, waiting for the headers, or for the next bytes), so a cancel
takes effect at once even on a line that has gone quiet; the silence still counts toward
``TIMEOUT`` as one wait, so a slow line is no more likely to be called broken than before.
"""

from __future__ import annotations

import functools
import http.client
import io
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from corpora.cards import Card, Source, find_card
from engine.data import cache
from engine.errors import PoetuiError, write_failure

Progress = Callable[[int, int | None], None]  # (bytes done, bytes in all or None if unknown)
Cancelled = Callable[[], bool]

# Some hosts refuse urllib's default agent ("Python-urllib/3.x"); say honestly who asks.
USER_AGENT = "poetui (corpus catalog download)"
TIMEOUT = 30.0  # seconds without a byte before a connection counts as broken
SLICE = 0.25  # seconds one wait on the network lasts before `cancelled` is asked again
BLOCK = 64 * 1024
RETRIES = 4  # attempts in a row that bring no new bytes before giving up (the next fetch resumes)


class FetchCancelled(PoetuiError):
    """The caller's ``cancelled()`` said stop; the partial file stays for the next fetch."""


def fetch(card: Card, progress: Progress | None = None, cancelled: Cancelled | None = None,
          *, again: bool = False) -> dict[str, Path]:
    """Download, verify and cache ``card``'s files; {part: corpus file}. Instant when cached
    (unless ``again``, which downloads afresh). Built-in cards have nothing to fetch: {}."""
    if card.builtin:
        return {}
    if not again and cache.is_cached(card):
        return cache.cached_files(card)
    total = card.download_size
    done = 0
    with cache.locked(card):
        for source in card.sources:
            if not again and cache.part_cached(card, source.part):
                done += source.size or 0
                continue

            def report(got: int, size: int | None, before: int = done) -> None:
                if progress is not None:
                    whole = total if total is not None else (
                        before + size if size is not None else None)
                    progress(before + got, whole)

            partial = cache.partial_file(card, source.part)
            got = _download(card, source, partial, report, cancelled)
            done += got
            _verify_and_install(card, source, partial)
    return cache.cached_files(card)


def needs_fetch(spec: str | None) -> Card | None:
    """The catalog card ``spec`` names when it is not cached yet; None for a built-in, a cached
    card, or a file path."""
    card = find_card(spec) if spec else None
    if card is None or cache.is_cached(card):
        return None
    return card


def ensure_cached(spec: str | None, progress: Progress | None = None,
                  cancelled: Cancelled | None = None) -> Card | None:
    """Fetch the catalog corpus ``spec`` names if it is not cached yet (what `poetui train`
    does before it loads the corpus). Returns the card fetched, or None if nothing was."""
    card = needs_fetch(spec)
    if card is not None:
        fetch(card, progress, cancelled)
    return card


def _verify_and_install(card: Card, source: Source, partial: Path) -> None:
    sha, verified = cache.verify(source, partial)
    if verified is False:
        _discard(partial)
        raise PoetuiError(
            f"The file downloaded from {source.url} is not the one the card names "
            f"({cache.mismatch(source, sha)}), so it was deleted; try again later, and if it "
            f"still differs the source has changed: a copy you trust can be added with "
            f"`poetui corpus add PATH --as {card.name} --force`."
        )
    cache.install(card, source, partial, origin=source.url, sha256=sha, verified=verified,
                  keep=False)
    _validator_file(partial).unlink(missing_ok=True)


def _discard(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    _validator_file(partial).unlink(missing_ok=True)


def _validator_file(partial: Path) -> Path:
    """Where the ETag / Last-Modified of a partial download is kept, for If-Range."""
    return partial.with_name(partial.name + ".json")


def _download(card: Card, source: Source, partial: Path, report: Progress,
              cancelled: Cancelled | None) -> int:
    """Bring ``partial`` to the whole file at ``source.url``, resuming what is there. Returns
    its size."""
    url = source.url
    check = _cancel_check(card, cancelled)
    opener = _opener(check)
    fruitless = 0
    while True:
        have = partial.stat().st_size if partial.exists() else 0
        if have and have == source.size:  # whole already (stopped before it was checked)
            return have
        response = _open(card, url, partial, have, opener)
        if response is None:  # the partial was unusable and is gone: start again
            continue
        with response:
            if response.status == 206:
                start = _range_start(response.headers.get("Content-Range", ""))
                if start != have:  # not the tail we asked for: start again from nothing
                    _discard(partial)
                    continue
            else:  # 200: the whole file (the server ignores Range, or the file changed)
                have = 0
                _save_validator(partial, response)
            length = response.headers.get("Content-Length")
            size = have + int(length) if length and length.isdigit() else None
            before = have
            have, broke = _receive(response, partial, have, size, report, check)
        if broke is None and (size is None or have >= size):
            return have
        fruitless = 0 if have > before else fruitless + 1
        if fruitless > RETRIES:
            of = f" of {size:,}" if size else ""
            why = broke or "the connection closed early"
            raise PoetuiError(
                f"The download of {url} broke off at {have:,}{of} bytes ({why}); "
                f"run `poetui corpus fetch {card.name}` again to resume where it stopped."
            )
        _pause(0.25 * fruitless, check)  # at once after progress, longer each fruitless try


def _cancel_check(card: Card, cancelled: Cancelled | None) -> Callable[[], None]:
    """A function that raises FetchCancelled once ``cancelled()`` says stop."""
    def check() -> None:
        if cancelled is not None and cancelled():
            raise FetchCancelled(f"The download of '{card.name}' was cancelled; fetch it again "
                                 "to resume where it stopped.")
    return check


def _pause(seconds: float, check: Callable[[], None]) -> None:
    """Sleep ``seconds``, calling ``check`` every SLICE seconds."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        check()
        time.sleep(min(left, SLICE))
    check()


def _open(card: Card, url: str, partial: Path, have: int,
          opener: urllib.request.OpenerDirector):
    """The response to a GET (a Range GET when ``have`` bytes are already here), None when the
    partial file turned out unusable and was deleted, or the sentence saying why not."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = _load_validator(partial)
        if validator:
            headers["If-Range"] = validator
    try:
        return opener.open(urllib.request.Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:  # the partial is no prefix of the file: start over
            _discard(partial)
            return None
        raise PoetuiError(
            f"{url} answered HTTP {exc.code} ({exc.reason}), so '{card.name}' could not be "
            f"downloaded; the file may have moved: get it another way and add it with "
            f"`poetui corpus add PATH --as {card.name}`."
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        reason = getattr(reason, "strerror", None) or str(reason)
        raise PoetuiError(
            f"Could not download {url} ({reason}); check that you are online and try again, or "
            f"get the file another way and add it with `poetui corpus add PATH --as "
            f"{card.name}`."
        ) from None


def _receive(response, partial: Path, have: int, size: int | None, report: Progress,
             check: Callable[[], None]) -> tuple[int, str | None]:
    """Append the response body to ``partial``; (bytes now there, why it broke off or None).
    A cancel (FetchCancelled, from ``check`` here or from the response's reads) leaves the
    whole blocks written so far."""
    try:
        with open(partial, "ab" if have else "wb") as out:
            try:
                while True:
                    check()
                    try:
                        block = response.read(BLOCK)
                    except (http.client.HTTPException, OSError) as exc:  # reset, timeout
                        return have, type(exc).__name__ if not str(exc) else str(exc)
                    if not block:
                        return have, None
                    out.write(block)
                    have += len(block)
                    report(have, size)
            finally:
                out.flush()
                os.fsync(out.fileno())  # what is counted as here is on disk, for the resume
    except OSError as exc:  # writing: a full disk is not a network hiccup to retry
        raise write_failure(exc, partial.parent, "the part downloaded so far is kept") \
            from None


def _opener(check: Callable[[], None]) -> urllib.request.OpenerDirector:
    """urllib's usual opener (proxies, redirects, errors as HTTPError), but whose connections
    call ``check`` (which raises FetchCancelled) every SLICE seconds while they wait."""
    return urllib.request.build_opener(_HTTPHandler(check), _HTTPSHandler(check))


class _Watched:
    """Mixed into http.client's connections. Connecting (the name look-up, TCP and TLS) runs in
    a helper thread that the caller waits for in slices, calling ``check`` between them; on a
    cancel the helper is left to finish (within the connection's timeout) and closes what it
    made. The response reads its socket in slices the same way (``_SlicedReader``)."""

    def __init__(self, *args, check: Callable[[], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._check = check
        self.response_class = functools.partial(_SlicedResponse, check=check)

    def connect(self) -> None:
        self._check()
        failure: list[BaseException] = []
        done, abandoned, lock = threading.Event(), threading.Event(), threading.Lock()
        connect = super().connect

        def run() -> None:
            try:
                connect()
            except BaseException as exc:  # noqa: BLE001 — raised again in the waiting thread
                failure.append(exc)
            with lock:
                done.set()
                if abandoned.is_set():
                    self.close()  # nobody is waiting for this connection any more

        threading.Thread(target=run, name="poetui-connect", daemon=True).start()
        try:
            while not done.wait(SLICE):
                self._check()
        except BaseException:  # a cancel, or ctrl+c in the CLI
            with lock:
                abandoned.set()  # urllib closes the connection if it was made meanwhile
            raise
        if failure:
            raise failure[0]


class _HTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, check: Callable[[], None]) -> None:
        super().__init__()
        self._check = check

    def http_open(self, req):
        return self.do_open(_HTTPConnection, req, check=self._check)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, check: Callable[[], None]) -> None:
        super().__init__()
        self._check = check

    def https_open(self, req):  # http.client's default context, as urlopen's
        return self.do_open(_HTTPSConnection, req, check=self._check)


class _SlicedResponse(http.client.HTTPResponse):
    """A response whose status line, headers and body come through a ``_SlicedReader``."""

    def __init__(self, sock: socket.socket, *args, check: Callable[[], None], **kwargs) -> None:
        super().__init__(_SlicedSocket(sock, check), *args, **kwargs)


class _SlicedSocket:
    """What HTTPResponse asks of its socket: a file to read it through."""

    def __init__(self, sock: socket.socket, check: Callable[[], None]) -> None:
        self._sock, self._check = sock, check

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        return io.BufferedReader(_SlicedReader(self._sock, self._check))


class _SlicedReader(io.RawIOBase):
    """A socket read in waits of SLICE seconds, ``check`` called before each. Only TIMEOUT
    seconds without a byte in all time out, with the socket's own error, as a single wait
    would. (A socket file gives up for good after one timeout, so this reads the socket
    itself, and holds an unused socket file only to keep the socket open while it reads, as
    urllib closes the connection's own reference at once.)"""

    def __init__(self, sock: socket.socket, check: Callable[[], None]) -> None:
        super().__init__()
        self._sock, self._check = sock, check
        self._hold = sock.makefile("rb", buffering=0)
        sock.settimeout(SLICE)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        silent_since = time.monotonic()
        while True:
            self._check()
            try:
                return self._sock.recv_into(buffer)
            except TimeoutError:
                if time.monotonic() - silent_since >= TIMEOUT:
                    raise

    def close(self) -> None:
        if not self.closed:
            self._hold.close()
        super().close()


def _range_start(content_range: str) -> int | None:
    """The first byte of 'bytes START-END/TOTAL'."""
    try:
        return int(content_range.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _save_validator(partial: Path, response) -> None:
    validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
    target = _validator_file(partial)
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
        if validator and not validator.startswith("W/"):  # If-Range takes strong ETags only
            target.write_text(json.dumps({"if_range": validator}), encoding="utf-8")
        else:
            target.unlink(missing_ok=True)
    except OSError as exc:
        raise write_failure(exc, partial.parent) from None


def _load_validator(partial: Path) -> str | None:
    try:
        return json.loads(_validator_file(partial).read_text(encoding="utf-8"))["if_range"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
