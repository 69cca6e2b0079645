"""The corpus cache: catalog corpora on disk, checked against their cards.

One folder per downloaded text, ``$POETUI_HOME/corpora/<card>/`` (cards that share a text
share a folder)::

    manifest.json        what each part came from: URL or path, its SHA-256, whether it matched
    text.txt             the corpus training reads (train.txt, valid.txt, test.txt for a corpus
                         that brings its own split)
    text.original.zip    the archive a prepared corpus was made from (fra-eng: attributions)
    text.partial         a download under way or broken off; the next fetch resumes it
    .lock                held while a download or an add writes here

A part counts as cached once its file is in place *and* the manifest names it: both are
written to a temporary name and renamed, so a crash leaves a part either whole or absent.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from corpora.cards import ANKI_PAIRS, CARDS, Card, Source, find_card
from engine import paths
from engine.data.prepare import corpus_text
from engine.data.textfile import regular_file_size
from engine.errors import PoetuiError, did_you_mean, write_failure
from engine.files import write_json_atomic

MANIFEST = "manifest.json"


def folder(card: Card) -> Path:
    return paths.corpora_cache_dir() / card.cache_key


def corpus_file(card: Card, part: str) -> Path:
    return folder(card) / f"{part}.txt"


def partial_file(card: Card, part: str) -> Path:
    return folder(card) / f"{part}.partial"


def manifest(card: Card) -> dict:
    """The parts recorded for ``card``'s folder ({} when none or unreadable: then not cached)."""
    try:
        data = json.loads((folder(card) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    parts = data.get("parts") if isinstance(data, dict) else None
    return parts if isinstance(parts, dict) else {}


def part_cached(card: Card, part: str) -> bool:
    return part in manifest(card) and corpus_file(card, part).is_file()


def is_cached(card: Card) -> bool:
    """True for a built-in card, and for a catalog card whose every part is on disk."""
    return card.builtin or all(part_cached(card, s.part) for s in card.sources)


def state(card: Card) -> str:
    """built-in | downloaded (or added, and the card's file) | added (from a file, where the
    card pins no checksum) | your copy (added with --force: differs from the card's file) |
    to download."""
    if card.builtin:
        return "built-in"
    if not is_cached(card):
        return "to download"
    entries = [manifest(card)[s.part] for s in card.sources]
    if any(e.get("verified") is False for e in entries):
        return "your copy"
    if any(e.get("verified") is None and not str(e.get("origin", "")).startswith(("http:",
                                                                                  "https:"))
           for e in entries):
        return "added"
    return "downloaded"


def size_on_disk(card: Card) -> int:
    return sum(corpus_file(card, s.part).stat().st_size for s in card.sources
               if corpus_file(card, s.part).is_file())


def card_size(card: Card) -> int | None:
    """Bytes: a built-in's text, a cached card's files, else what it would download."""
    if card.builtin:
        assert card.provider is not None
        return len(card.provider().encode("utf-8"))
    if is_cached(card):
        return size_on_disk(card)
    return card.download_size


def cached_files(card: Card) -> dict[str, Path]:
    """{part: corpus file} of a cached catalog card, or the sentence saying how to get it."""
    if not is_cached(card):
        raise PoetuiError(
            f"'{card.name}' is in the catalog but not downloaded yet; run `poetui corpus fetch "
            f"{card.name}` (or, for a copy you already have, `poetui corpus add PATH --as "
            f"{card.name}`)."
        )
    return {s.part: corpus_file(card, s.part) for s in card.sources}


@contextmanager
def locked(card: Card) -> Iterator[None]:
    """Hold the card folder's lock: one download or add at a time, across processes."""
    where = folder(card)
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle = open(where / ".lock", "w")  # held for the whole block
    except OSError as exc:
        raise write_failure(exc, where) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PoetuiError(f"'{card.name}' is being downloaded or added by another poetui "
                              "right now; wait for it to finish and try again.") from None
        yield  # the kernel releases the lock when the file closes, even if this process dies


# -- checking -----------------------------------------------------------------------------------


def digests(path: Path) -> tuple[str, str]:
    """(SHA-256, MD5) of a file, read in blocks."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                sha.update(block)
                md5.update(block)
    except OSError as exc:
        raise PoetuiError(f"Cannot read {path} ({exc.strerror}); check its permissions.") \
            from None
    return sha.hexdigest(), md5.hexdigest()


def verify(source: Source, path: Path) -> tuple[str, bool | None]:
    """(the file's SHA-256, whether it is the card's file): True or False against what the card
    pins (its SHA-256, else a published MD5), None when it pins nothing."""
    sha, md5 = digests(path)
    if source.sha256:
        return sha, sha == source.sha256
    if source.md5:
        return sha, md5 == source.md5
    return sha, None


def mismatch(source: Source, got_sha: str) -> str:
    """What differs, for a sentence: '(SHA-256 ab12… where the card pins cd34…)'."""
    if source.sha256:
        return f"SHA-256 {got_sha[:16]}… where the card pins {source.sha256[:16]}…"
    return f"its MD5 is not the published {source.md5}"


# -- installing ---------------------------------------------------------------------------------


def install(card: Card, source: Source, path: Path, *, origin: str, sha256: str,
            verified: bool | None, keep: bool) -> Path:
    """Make ``path`` the corpus file of ``source``'s part and record where it came from.
    ``keep``: the file is the user's, so it is copied; otherwise (our own download) it is
    moved. Returns the corpus file."""
    where = folder(card)
    dest = corpus_file(card, source.part)
    text = corpus_text(source, path)  # refuses a file that is not usable text
    try:
        where.mkdir(parents=True, exist_ok=True)
        if text is None:
            _put(path, dest, keep)
        else:
            _write_atomic(dest, lambda f: f.write(text.encode("utf-8")))
            for old in where.glob(f"{source.part}.original*"):
                old.unlink()
            if source.prepare == ANKI_PAIRS:  # kept for the attributions inside it
                original = Path(source.file_name if not keep else path.name)
                _put(path, where / f"{source.part}.original{original.suffix}", keep)
            elif not keep:
                path.unlink()  # our download, now in the corpus file
        parts = manifest(card)
        parts[source.part] = {"origin": origin, "sha256": sha256, "verified": verified,
                              "bytes": dest.stat().st_size, "time": time.time()}
        write_json_atomic(where / MANIFEST, {"card": card.cache_key, "parts": parts})
    except OSError as exc:
        raise write_failure(exc, where, "nothing that was cached before is lost") from None
    return dest


def _put(path: Path, dest: Path, keep: bool) -> None:
    if not keep:
        os.replace(path, dest)  # our download, already fsynced: same folder, atomic
        return

    def copy(out) -> None:
        with open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)

    _write_atomic(dest, copy)


def _write_atomic(dest: Path, write: Callable) -> None:
    """Write to a temporary name, fsync, rename: a crash leaves the old file or the new one."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def add(path: Path, name: str | None = None, force: bool = False) -> tuple[Card, list[str]]:
    """`poetui corpus add`: a file (or, for a card of several files, a folder) got elsewhere,
    checked against the card and cached as if downloaded. With no ``name`` the card is found by
    the file's checksum. A file that differs from what the card pins is refused unless
    ``force``, and is then recorded as the user's own copy. Returns (card, parts added)."""
    path = Path(path).expanduser()
    if name is None:
        card, source = _identify(path)
        pairs = [(source, path)]
    else:
        card = find_card(name)
        if card is None:
            names = [c.name for c in CARDS if not c.builtin]
            raise PoetuiError(f"There is no catalog corpus named '{name}'"
                              f"{did_you_mean(name, names)}; use one of: {', '.join(names)}.")
        if card.builtin:
            raise PoetuiError(f"'{name}' is built in and needs no file; to train on your file "
                              f"as it is, give its path: `poetui train {path}`.")
        pairs = _files_for(card, path)
    checked = []
    for source, file in pairs:  # every file checked before any is cached
        sha, verified = verify(source, file)
        if verified is False and not force:
            raise PoetuiError(
                f"{file} is not the file the '{card.name}' card names "
                f"({mismatch(source, sha)}); if it is a copy of your own that you want "
                f"used as '{card.name}', add --force."
            )
        checked.append((source, file, sha, verified))
    with locked(card):
        for source, file, sha, verified in checked:
            install(card, source, file, origin=str(file.resolve()), sha256=sha,
                    verified=verified, keep=True)
    return card, [source.part for source, *_ in checked]


def _identify(path: Path) -> tuple[Card, Source]:
    if path.is_dir():
        raise PoetuiError(f"{path} is a folder; say which corpus its files are with --as NAME.")
    regular_file_size(path)
    sha, md5 = digests(path)
    for card in CARDS:
        for source in card.sources:
            if sha == source.sha256 or (source.md5 and md5 == source.md5):
                return card, source
    raise PoetuiError(f"{path} matches no catalog file by its checksum; say which corpus it is "
                      f"with --as NAME (see `poetui corpus list`), or train on it as it is: "
                      f"`poetui train {path}`.")


def _files_for(card: Card, path: Path) -> list[tuple[Source, Path]]:
    """The card's sources and the user's files for them: a folder is searched for the files'
    own names; a single file is the card's one file, or the one of several it checksums as."""
    names = ", ".join(s.file_name for s in card.sources)
    if path.is_dir():
        found = [(s, path / s.file_name) for s in card.sources if (path / s.file_name).is_file()]
        if not found:
            raise PoetuiError(f"{path} holds none of the files of '{card.name}' ({names}); "
                              "give the folder that holds them, or the file itself.")
        for _, file in found:
            regular_file_size(file)
        return found
    regular_file_size(path)
    if len(card.sources) == 1:
        return [(card.sources[0], path)]
    sha, md5 = digests(path)
    for source in card.sources:
        if sha == source.sha256 or (source.md5 and md5 == source.md5):
            return [(source, path)]
    raise PoetuiError(f"'{card.name}' is made of several files ({names}) and {path} is none of "
                      "them unchanged; give the folder that holds them.")
