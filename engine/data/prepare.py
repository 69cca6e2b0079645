"""Turning a verified download into the corpus file training reads.

Most downloads are the corpus as they are. The Anki archive (fra-eng) is a zip whose sentence
file has three columns, english<TAB>french<TAB>attribution: the corpus keeps the first two.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from corpora.cards import ANKI_PAIRS, AS_IS
from engine.data.textfile import LIMIT_TEXT, MAX_BYTES, decode, read_text_file
from engine.errors import PoetuiError


def corpus_text(how: str, path: Path) -> str | None:
    """The corpus text made from ``path``; None when the file is the corpus as it is (after
    checking that it reads as text, so a bad file is refused when added, not when trained)."""
    if how == AS_IS:
        read_text_file(path)
        return None
    if how == ANKI_PAIRS:
        return anki_pairs(path)
    raise ValueError(f"unknown preparation {how!r}")


def anki_pairs(path: Path) -> str:
    """english<TAB>french lines from an Anki archive (``fra-eng.zip``) or its sentence file."""
    text = _archive_member(path) if zipfile.is_zipfile(path) else read_text_file(path)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    pairs = []
    for line in text.split("\n"):
        columns = line.split("\t")
        if len(columns) >= 2 and columns[0].strip() and columns[1].strip():
            pairs.append(f"{columns[0].strip()}\t{columns[1].strip()}")
    if not pairs:
        raise PoetuiError(f"{path} has no english<TAB>french lines; give the Anki archive "
                          "(fra-eng.zip) or the fra.txt inside it.")
    return "\n".join(pairs) + "\n"


def _archive_member(path: Path) -> str:
    """The sentence file of an Anki archive: its one .txt that is not the ``_about.txt``."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.endswith(".txt")
                       and not Path(m.filename).name.startswith("_") and not m.is_dir()]
            if len(members) != 1:
                raise PoetuiError(f"{path} does not hold one sentence file (like fra.txt); give "
                                  "the Anki archive fra-eng.zip or the fra.txt inside it.")
            member = members[0]
            # The size in the archive's directory bounds what is read: a zip bomb is refused
            # before it is inflated.
            if member.file_size > MAX_BYTES:
                raise PoetuiError(f"{member.filename} in {path} is larger than poetui reads "
                                  f"({LIMIT_TEXT}); give a smaller file.")
            data = archive.read(member)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PoetuiError(f"{path} is a damaged zip archive ({exc}); download it again.") \
            from None
    return decode(data, f"{path}:{member.filename}")
