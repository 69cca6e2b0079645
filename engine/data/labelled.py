"""Labelled examples: sequences with their class, read from the files people keep them in.

Two shapes of example:

- images read row by row (MNIST): the CSV form `label,pixel0,…,pixel783` (0–255, row by row,
  a header line optional, gzipped or not) and the IDX files MNIST is published as (an images
  file and the labels file beside it, gzipped or not);
- texts: `label<TAB>text` lines (names by language, sentiment, any user's own).

Everything here is numpy and the standard library (no PyTorch): a corpus can be described and
a model created without it. A file that is not what it claims is one sentence naming the file
and what is wrong with it.
"""

from __future__ import annotations

import gzip
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.textfile import LIMIT_TEXT, MAX_BYTES, decode, regular_file_size
from engine.errors import PoetuiError

SIDE = 28  # MNIST's images are 28×28: 28 steps of 28 pixels
PIXELS = SIDE * SIDE
GZIP_MAGIC = b"\x1f\x8b"
IDX_UBYTE = 0x08  # the IDX type code of unsigned bytes, the only one MNIST uses
VALIDATION_FRACTION = 0.1
SPLIT_SEED = 1337


@dataclass
class Labelled:
    """Examples and their labels (as written in the file: "7", "positive", "French").
    ``images`` (N, 28, 28) uint8 for images, ``texts`` for texts; the other is None."""

    labels: list[str]
    images: np.ndarray | None = None
    texts: list[str] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def are_images(self) -> bool:
        return self.images is not None

    def subset(self, indices: list[int]) -> Labelled:
        return Labelled([self.labels[i] for i in indices],
                        self.images[indices] if self.images is not None else None,
                        [self.texts[i] for i in indices] if self.texts is not None else None)

    def classes(self) -> list[str]:
        """The distinct labels, in number order when they are all numbers ("2" before "10")."""
        distinct = set(self.labels)
        if all(label.lstrip("-").isdigit() for label in distinct):
            return sorted(distinct, key=int)
        return sorted(distinct)


def stratified_split(data: Labelled, fraction: float = VALIDATION_FRACTION,
                     seed: int = SPLIT_SEED) -> tuple[Labelled, Labelled]:
    """(train, held out): a seeded ``fraction`` of each class is held out (at least one of a
    class with two or more examples), so every class is measured and in the same proportion."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(data.labels):
        by_class[label].append(i)
    rng = random.Random(seed)
    held: set[int] = set()
    for label in sorted(by_class):
        members = by_class[label]
        rng.shuffle(members)
        n = max(1, round(len(members) * fraction)) if len(members) > 1 else 0
        held.update(members[:n])
    train = [i for i in range(len(data)) if i not in held]
    return data.subset(train), data.subset(sorted(held))


# -- telling a file's shape ------------------------------------------------------------------


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip; a sentence for a missing, odd or broken
    file."""
    path = Path(path)
    size = regular_file_size(path)
    if size == 0:
        raise PoetuiError(f"{path} is empty; give a file with some examples in it.")
    if size > MAX_BYTES:
        raise PoetuiError(f"{path} is {size / 1e9:.1f} GB, more than poetui reads "
                          f"({LIMIT_TEXT}); give a part of it.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PoetuiError(f"Cannot read {path} ({exc.strerror}); check its permissions.") \
            from None
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        # Bounded: a small file that inflates to more than poetui reads is refused, not
        # inflated into all of memory.
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, MAX_BYTES + 1)
        if len(out) > MAX_BYTES:
            raise PoetuiError(f"{path} holds more than poetui reads ({LIMIT_TEXT}) once "
                              "unpacked; give a part of it.")
        if not inflater.eof:
            raise EOFError
        return out
    except (zlib.error, EOFError, gzip.BadGzipFile):
        raise PoetuiError(f"{path} is a damaged or cut-short gzip file; download or "
                          "compress it again.") from None


def is_idx(data: bytes) -> bool:
    """Starts with an IDX header of unsigned bytes: two zero bytes, type 0x08, 1–4 dims."""
    return len(data) >= 4 and data[:3] == b"\x00\x00\x08" and 1 <= data[3] <= 4


def is_digits_csv(data: bytes) -> bool:
    """A CSV of images: its first line is `label,pixel0,…` or 785 numbers."""
    first = data[:20_000].split(b"\n", 1)[0].strip()
    if first.lower().startswith(b"label,pixel0"):
        return True
    fields = first.split(b",")
    return len(fields) == PIXELS + 1 and all(f.strip().isdigit() for f in fields)


def labelled_images(path: Path) -> Labelled | None:
    """The images of ``path`` when it is an image file (a digits CSV or an IDX images file);
    None when it is something else (text, for the other kinds to read)."""
    path = Path(path)
    regular_file_size(path)  # a folder, FIFO or device is refused before it is opened
    try:
        with open(path, "rb") as f:
            head = f.read(20_000)
    except OSError as exc:
        raise PoetuiError(f"Cannot read {path} ({exc.strerror}); check its permissions.") \
            from None
    # Only a file that starts like one is read whole here: a text corpus is read once, as text.
    if not (head[:2] == GZIP_MAGIC or is_idx(head) or is_digits_csv(head)):
        return None
    data = read_bytes(path)
    if is_idx(data):
        return read_idx_pair(path, data)
    if is_digits_csv(data):
        return parse_digits_csv(data, path)
    return None


# -- CSV ---------------------------------------------------------------------------------------


def parse_digits_csv(data: bytes, path: Path | str) -> Labelled:
    """`label,pixel0,…,pixel783` rows (pixels 0–255, row by row), a header line optional."""
    text = decode(data, path)
    lines = text.replace("\r\n", "\n").split("\n")
    start = 1 if lines and lines[0].strip()[:1].isalpha() else 0
    rows = [(n, line) for n, line in enumerate(lines[start:], start + 1) if line.strip()]
    if not rows:
        raise PoetuiError(f"{path} has a header but no rows of pixels; give one digit per row.")
    for n, line in rows:
        count = line.count(",") + 1
        if count != PIXELS + 1:
            raise PoetuiError(
                f"Row {n} of {path} has {count} values, not {PIXELS + 1} (a label and "
                f"{SIDE}×{SIDE} pixels); fix or remove that row.")
    try:
        values = np.array(",".join(line for _, line in rows).split(","), dtype=np.int64)
    except ValueError:
        bad = next(n for n, line in rows if not all(v.strip().lstrip("-").isdigit()
                                                     for v in line.split(",")))
        raise PoetuiError(f"Row {bad} of {path} holds a value that is not a whole number; "
                          "give a label and 784 pixel values from 0 to 255 per row.") from None
    table = values.reshape(len(rows), PIXELS + 1)
    pixels = table[:, 1:]
    if pixels.min() < 0 or pixels.max() > 255:
        bad = rows[int(np.nonzero((pixels < 0).any(1) | (pixels > 255).any(1))[0][0])][0]
        raise PoetuiError(f"Row {bad} of {path} has a pixel outside 0–255; give pixels as "
                          "0 (background) to 255 (ink).")
    labels = [str(v) for v in table[:, 0].tolist()]
    return Labelled(labels, pixels.astype(np.uint8).reshape(-1, SIDE, SIDE))


def write_digits_csv(path: Path, data: Labelled) -> None:
    """The examples as a `label,pixel0,…` CSV with a header (gzipped when the name ends in
    .gz): how a bench writes its own held-out split."""
    assert data.images is not None
    header = "label," + ",".join(f"pixel{i}" for i in range(PIXELS))
    body = "\n".join(f"{label}," + ",".join(map(str, image.reshape(-1).tolist()))
                     for label, image in zip(data.labels, data.images, strict=True))
    raw = (header + "\n" + body + "\n").encode("ascii")
    Path(path).write_bytes(gzip.compress(raw, 6, mtime=0) if str(path).endswith(".gz") else raw)


# -- IDX ---------------------------------------------------------------------------------------


def parse_idx(data: bytes, path: Path | str) -> np.ndarray:
    """An IDX array of unsigned bytes (MNIST's format: a magic number, the dimensions as
    big-endian 32-bit numbers, then the bytes)."""
    if not is_idx(data):
        raise PoetuiError(f"{path} is not an IDX file of bytes (MNIST's format); give "
                          "train-images-idx3-ubyte(.gz) or its labels file.")
    dims = data[3]
    header = 4 + 4 * dims
    if len(data) < header:
        raise PoetuiError(f"{path} is cut short inside its header; download it again.")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    expected = int(np.prod(shape, dtype=np.int64))
    have = len(data) - header
    if have < expected:
        raise PoetuiError(f"{path} is cut short: its header promises {expected:,} bytes of "
                          f"data but it holds {have:,}; download it again.")
    if have > expected:
        raise PoetuiError(f"{path} holds {have - expected:,} bytes more than its header "
                          "says; it is not a whole IDX file, so download it again.")
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(shape)


def labels_file_for(images: Path) -> Path:
    """The labels file MNIST publishes beside an images file: `…-images-idx3-ubyte` →
    `…-labels-idx1-ubyte` (gzipped if the images file is, or the other way round)."""
    name = images.name.replace("images-idx3", "labels-idx1").replace("images.idx3",
                                                                     "labels.idx1")
    candidates = [images.with_name(name), images.with_name(name.removesuffix(".gz")),
                  images.with_name(name + ".gz")]
    found = [c for c in candidates if c != images and c.is_file()]
    if not found:
        raise PoetuiError(f"{images} is an IDX images file, but its labels file ({name}) is "
                          "not beside it; put the labels file in the same folder.")
    return found[0]


def read_idx_pair(images_path: Path, images_data: bytes | None = None,
                  labels_path: Path | None = None) -> Labelled:
    """Images (N, 28, 28) and the N labels of the file beside them (or ``labels_path``)."""
    images_path = Path(images_path)
    data = images_data if images_data is not None else read_bytes(images_path)
    images = parse_idx(data, images_path)
    if images.ndim == 1:
        raise PoetuiError(f"{images_path} is an IDX labels file; give the images file "
                          "(its labels are read from beside it).")
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise PoetuiError(f"{images_path} holds images of {' × '.join(map(str, images.shape[1:]))}"
                          f" pixels; poetui reads {SIDE}×{SIDE} images (MNIST's).")
    labels_path = labels_path or labels_file_for(images_path)
    labels = parse_idx(read_bytes(labels_path), labels_path)
    if labels.ndim != 1 or len(labels) != len(images):
        raise PoetuiError(f"{labels_path} holds {labels.size:,} labels for the "
                          f"{len(images):,} images of {images_path}; give the two files of "
                          "one set.")
    return Labelled([str(v) for v in labels.tolist()], images)


# -- text --------------------------------------------------------------------------------------


def parse_labelled_text(text: str, where: str = "the corpus") -> Labelled:
    """`label<TAB>text` lines (a line without a tab, or with an empty side, is refused)."""
    labels, texts = [], []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        label, tab, body = line.partition("\t")
        if not tab or not label.strip() or not body.strip():
            raise PoetuiError(f"Line {n} of {where} is not `label<TAB>text`; give a label, a "
                              "tab and the text on every line.")
        labels.append(label.strip())
        texts.append(body.strip())
    if not labels:
        raise PoetuiError(f"There are no `label<TAB>text` lines in {where}.")
    return Labelled(labels, texts=texts)


SENTENCE_ENDS = tuple(".!?…。！？")


def looks_labelled(lines: list[str]) -> bool:
    """Every line `label<TAB>text` with few distinct labels, each used many times: a labelled
    set, where translation pairs have a different source on almost every line.

    Pairs can repeat their sources heavily too (Tatoeba's sentences with eight translations
    each, a phrase book of ten words written out twenty times), so two more signs decide: the
    labels are names, not sentences (most of Tatoeba's sources end in . ! or ?), and each
    label has texts of its own that vary (a repeated phrase book has one text per source)."""
    split = [line.split("\t", 1) for line in lines]
    firsts = [parts[0].strip() for parts in split]
    distinct = set(firsts)
    if not (len(lines) >= 10 and len(distinct) <= min(100, len(lines) // 5)
            and all(f and len(f) <= 40 for f in distinct)):
        return False
    sentences = sum(f.endswith(SENTENCE_ENDS) for f in distinct)
    examples = {(parts[0].strip(), parts[-1].strip()) for parts in split}
    return 2 * sentences <= len(distinct) and len(examples) >= 2 * len(distinct)


@dataclass
class Examples:
    """Labelled examples as a model reads them: class ids, and the images (uint8) or the
    texts' token ids. What a labels corpus encodes to; sliced like a list."""

    targets: np.ndarray  # (N,) int64 class ids
    images: np.ndarray | None = None  # (N, 28, 28) uint8
    ids: list[np.ndarray] | None = None  # token ids per text

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, which: slice) -> Examples:
        return Examples(self.targets[which],
                        self.images[which] if self.images is not None else None,
                        self.ids[which] if self.ids is not None else None)

    def take(self, indices: list[int] | np.ndarray) -> Examples:
        indices = np.asarray(indices, dtype=np.int64)
        return Examples(self.targets[indices],
                        self.images[indices] if self.images is not None else None,
                        [self.ids[i] for i in indices] if self.ids is not None else None)


# -- an image as text ------------------------------------------------------------------------

INK = 96  # a pixel at least this dark (of 255) is drawn as ink


def half_blocks(image: np.ndarray) -> list[str]:
    """The image in half-block characters, two pixel rows per line: 28×28 → 14 lines of 28."""
    ink = np.asarray(image) >= INK
    if len(ink) % 2:
        ink = np.vstack([ink, np.zeros((1, ink.shape[1]), bool)])
    glyphs = np.array([" ", "▄", "▀", "█"])
    codes = ink[0::2].astype(np.int64) * 2 + ink[1::2]
    return ["".join(row) for row in glyphs[codes]]
