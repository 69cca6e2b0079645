"""Reading a file the user owns as text: safely, in the encodings people's files are in.

Only regular files are read: a device such as ``/dev/zero`` never ends and a FIFO blocks until
someone writes, so both are refused before a byte is read. The file is memory-mapped and
decoded in one go, so a big file is held once (as text), not twice (bytes, then text): the
mapped bytes are the kernel's page cache, not the process's memory.

Encodings: UTF-8, and UTF-8, UTF-16 or UTF-32 with a byte-order mark. Anything else is refused
with the offset of the first byte that is not UTF-8, and how to convert it. Line ends are
normalised (CRLF and a lone CR become LF), so a Windows or old-Mac file trains like any other.
"""

from __future__ import annotations

import mmap
import os
import stat
from pathlib import Path

from engine.errors import PoetuiError

# poetui trains small models on a CPU: a few MB of text is a long run, 1 GB is far past useful,
# and its text would take several GB of memory once decoded and tokenised.
MAX_BYTES = 1_000_000_000
LIMIT_TEXT = "1 GB"

# Byte-order marks, longest first: UTF-32 LE's mark begins with UTF-16 LE's.
BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
SNIFF = 65536  # how far to look for NUL bytes that mark a binary file


def read_text_file(path: Path) -> str:
    """The text of a regular file, decoded and with LF line ends, or a one-sentence refusal."""
    path = Path(path)
    size = regular_file_size(path)
    if size == 0:
        raise PoetuiError(f"{path} is empty; give a file with some text in it.")
    if size > MAX_BYTES:
        raise PoetuiError(
            f"{path} is {size / 1e9:.1f} GB, more than poetui reads ({LIMIT_TEXT}); train on a "
            f"part of it, e.g. `head -c 200M {path} > part.txt`."
        )
    try:
        # O_NONBLOCK: should the path have become a FIFO since the check, opening it must not
        # wait for a writer; fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise PoetuiError(f"Cannot read {path} ({exc.strerror}); check its permissions.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            raise PoetuiError(f"{path} changed while it was being opened; try again.")
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
            text = decode(data, path)
    finally:
        os.close(fd)
    if not text or text.isspace():  # isspace: no copy of a big text, unlike strip()
        raise PoetuiError(f"{path} is empty; give a file with some text in it.")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def regular_file_size(path: Path) -> int:
    """The size of the regular file at ``path``; a sentence for anything else (never opens it)."""
    try:
        info = path.stat()  # stat never opens the file, so a FIFO cannot block here
    except FileNotFoundError:
        raise PoetuiError(f"There is no file at {path}; check the path and try again.") from None
    except OSError as exc:
        raise PoetuiError(f"Cannot read {path} ({exc.strerror}); check its permissions.") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise PoetuiError(f"{path} is a folder; give the path of a text file inside it.")
    if not stat.S_ISREG(mode):
        what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise PoetuiError(f"{path} is {what}, not a regular file; save the text to a file "
                          "and give that file's path.")
    return info.st_size


def decode(data: bytes | mmap.mmap, path: Path | str) -> str:
    """``data`` as text, by its byte-order mark, else as UTF-8; a sentence when it is not."""
    marked = [(bom, codec, label) for bom, codec, label in BOMS if data[:len(bom)] == bom]
    if marked:
        bom, codec, label = marked[0]
        skip = len(bom)
    else:
        skip, codec, label = 0, "utf-8", ""
        _refuse_binary(data, path)
    view = memoryview(data)
    try:
        text = str(view[skip:], codec)
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        if codec != "utf-8":
            raise PoetuiError(
                f"{path} is not UTF-8 text, and though it starts with a {label} byte-order "
                f"mark, the bytes at offset {offset:,} are not valid {label} either; save it "
                "again as UTF-8 from the program that made it."
            ) from None
        raise PoetuiError(
            f"{path} is not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset:,} is not "
            f"valid UTF-8); convert it, e.g. `iconv -f LATIN1 -t UTF-8 {path} > utf8.txt` "
            "with its real encoding in place of LATIN1."
        ) from None
    finally:
        view.release()  # an mmap cannot close while a view of it is alive
    if skip and "\x00" in text[:SNIFF]:
        raise PoetuiError(f"{path} looks like a binary file, not text; give a plain-text file.")
    return text


def _refuse_binary(data: bytes | mmap.mmap, path: Path | str) -> None:
    """NUL bytes near the start: binary, or UTF-16 that lost its byte-order mark."""
    head = data[:SNIFF]
    if b"\x00" not in head:
        return
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    # Mostly-Latin UTF-16 has a zero in nearly every other byte, and only there.
    if half >= 8 and max(even, odd) >= 0.5 * half and min(even, odd) <= 0.05 * half:
        order = "LE" if odd > even else "BE"
        raise PoetuiError(
            f"{path} looks like UTF-16 text without a byte-order mark; convert it, e.g. "
            f"`iconv -f UTF-16{order} -t UTF-8 {path} > utf8.txt`."
        )
    raise PoetuiError(f"{path} looks like a binary file, not text; give a plain-text file.")
