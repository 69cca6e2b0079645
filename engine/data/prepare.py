"""Turning a verified download into the corpus file training reads.

Most downloads are the corpus as they are. The Anki archive (fra-eng) is a zip whose sentence
file has three columns, english<TAB>french<TAB>attribution: the corpus keeps the first two.
The chinese-poetry project's JSON files (tang-qijue) are lists of poems, each with its `title`
and its `paragraphs`: the corpus has one `title:poem` line per poem, and the card's recipe
chooses among them.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from corpora.cards import ANKI_PAIRS, AS_IS, IDX, POETRY_JSON, Source
from engine.data.textfile import LIMIT_TEXT, MAX_BYTES, decode, read_text_file
from engine.errors import PoetuiError


def corpus_text(source: Source, path: Path) -> str | None:
    """The corpus text made from ``path``, the user's or downloaded copy of ``source``; None
    when the file is the corpus as it is (after checking that it reads as text, so a bad file
    is refused when added, not when trained)."""
    if source.prepare == AS_IS:
        read_text_file(path)
        return None
    if source.prepare == IDX:  # binary: checked whole (a cut-short file is refused here)
        from engine.data.labelled import parse_idx, read_bytes

        parse_idx(read_bytes(path), path)
        return None
    if source.prepare == ANKI_PAIRS:
        return anki_pairs(path, source.file_name)
    if source.prepare == POETRY_JSON:
        return poetry_lines(path)
    raise ValueError(f"unknown preparation {source.prepare!r}")


def anki_pairs(path: Path, archive_name: str) -> str:
    """english<TAB>french lines from an Anki archive (``fra-eng.zip``) or its sentence file."""
    sentences = sentence_file(archive_name)
    text = _archive_member(path, archive_name) if zipfile.is_zipfile(path) \
        else read_text_file(path)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    pairs = []
    for line in text.split("\n"):
        columns = line.split("\t")
        if len(columns) >= 2 and columns[0].strip() and columns[1].strip():
            pairs.append(f"{columns[0].strip()}\t{columns[1].strip()}")
    if not pairs:
        raise PoetuiError(f"{path} has no english<TAB>translation lines; give the Anki "
                          f"archive ({archive_name}) or the {sentences} inside it.")
    return "\n".join(pairs) + "\n"


def poetry_lines(path: Path) -> str:
    """One `title:poem` line per poem of a chinese-poetry JSON file (its paragraphs joined).
    A colon in a title becomes a full-width one, so the title ends at the first colon."""
    try:
        poems = json.loads(read_text_file(path))
    except ValueError as exc:
        raise PoetuiError(f"{path} is not JSON ({exc}); give one of the chinese-poetry "
                          "project's poet.tang.N.json files.") from None
    lines = []
    for poem in poems if isinstance(poems, list) else []:
        if not isinstance(poem, dict):
            continue
        title, paragraphs = poem.get("title"), poem.get("paragraphs")
        if not isinstance(title, str) or not isinstance(paragraphs, list) \
                or not all(isinstance(p, str) for p in paragraphs):
            continue
        body = "".join("".join(paragraphs).split())
        title = " ".join(title.replace(":", "：").split())
        if body:
            lines.append(f"{title}:{body}")
    if not lines:
        raise PoetuiError(f"{path} holds no poems in the chinese-poetry format (a list of "
                          "objects with a title and paragraphs); give one of its "
                          "poet.tang.N.json files.")
    return "\n".join(lines) + "\n"


def sentence_file(archive_name: str) -> str:
    """The sentence file an Anki archive holds at its top: ``fra.txt`` in ``fra-eng.zip``."""
    return archive_name.split("-", 1)[0].removesuffix(".zip") + ".txt"


def _archive_member(path: Path, archive_name: str) -> str:
    """The sentence file of an Anki archive, found by its name at the archive's top level.

    Any other archive is not what the card describes, whatever its members hold: a member
    elsewhere (in a folder, or named ``../x.txt``) is refused, never taken for the sentences.
    Members are only ever read into memory, so no name in an archive can write anywhere."""
    expected = sentence_file(archive_name)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename == expected]
            if len(members) != 1:
                raise PoetuiError(f"{path} is not the Anki archive {archive_name}: it does not "
                                  f"hold one {expected} at its top level; give that archive "
                                  f"or the {expected} inside it.")
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
