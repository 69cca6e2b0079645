"""A braille dot canvas: each terminal cell holds 2×4 dots, so a chart gets twice the columns
and four times the rows of the cells it covers. Dots are set by position; each cell takes the
colour of the last thing drawn into it (draw the most important line last)."""

from __future__ import annotations

import numpy as np

# Bit of each dot in a braille character (U+2800 + bits), by [dot column][dot row from the top].
_BITS = np.array([[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]], dtype=np.uint8)


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        """``width`` × ``height`` cells; dots are 0 ≤ x < 2·width and 0 ≤ y < 4·height, y
        upwards from the bottom."""
        self.width, self.height = width, height
        self.dots_x, self.dots_y = 2 * width, 4 * height
        self.bits = np.zeros((height, width), dtype=np.uint8)
        self.colour = np.full((height, width), -1, dtype=np.int16)  # index into a palette
        self.marks: dict[tuple[int, int], tuple[str, int]] = {}  # cell → (character, colour)

    def dots(self, x: np.ndarray, y: np.ndarray, colour: int) -> None:
        x, y = np.asarray(x, dtype=np.int64), np.asarray(y, dtype=np.int64)
        inside = (x >= 0) & (x < self.dots_x) & (y >= 0) & (y < self.dots_y)
        x, y = x[inside], self.dots_y - 1 - y[inside]  # rows from the top
        cy, cx = y // 4, x // 2
        np.bitwise_or.at(self.bits, (cy, cx), _BITS[x % 2, y % 4])
        self.colour[cy, cx] = colour

    def segment(self, x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
        """A straight run of dots from (x0, y0) to (x1, y1), ends included."""
        n = max(abs(x1 - x0), abs(y1 - y0)) + 1
        if n > 4 * (self.dots_x + self.dots_y):  # far outside: clip by sampling fewer dots
            n = 4 * (self.dots_x + self.dots_y)
        self.dots(np.rint(np.linspace(x0, x1, n)), np.rint(np.linspace(y0, y1, n)), colour)

    def spans(self, x: np.ndarray, y0: np.ndarray, y1: np.ndarray, colour: int) -> None:
        """Vertical runs of dots, one per entry: at column x[i] from y0[i] to y1[i]."""
        low, high = np.minimum(y0, y1), np.maximum(y0, y1)
        low, high = np.clip(low, -1, self.dots_y), np.clip(high, -1, self.dots_y)
        lengths = high - low + 1
        offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
        self.dots(np.repeat(x, lengths),
                  np.repeat(low, lengths) + np.arange(int(lengths.sum())) - offsets, colour)

    def segments(self, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                 colour: int) -> None:
        """Straight runs of dots from (x0[i], y0[i]) to (x1[i], y1[i]), ends included, all
        at once (a line is some hundreds of them)."""
        longest = self.dots_x + self.dots_y
        y0, y1 = np.clip(y0, -longest, 2 * longest), np.clip(y1, -longest, 2 * longest)
        n = np.minimum(np.maximum(np.abs(x1 - x0), np.abs(y1 - y0)) + 1, 4 * longest)
        offsets = np.repeat(np.cumsum(n) - n, n)
        t = (np.arange(int(n.sum())) - offsets) / np.repeat(np.maximum(n - 1, 1), n)
        self.dots(np.rint(np.repeat(x0, n) + t * np.repeat(x1 - x0, n)),
                  np.rint(np.repeat(y0, n) + t * np.repeat(y1 - y0, n)), colour)

    def mark(self, x: int, y: int, char: str, colour: int) -> None:
        """A character over the cell holding dot (x, y): a point that must stand out."""
        if 0 <= x < self.dots_x and 0 <= y < self.dots_y:
            self.marks[(self.dots_y - 1 - y) // 4, x // 2] = (char, colour)

    def rows(self) -> list[list[tuple[str, int]]]:
        """Each row as runs of (characters, colour index; -1 for empty cells)."""
        filled = self.bits > 0
        codes = np.where(filled, 0x2800 + self.bits.astype(np.uint32), ord(" "))
        colours = np.where(filled, self.colour, -1)
        for (r, c), (char, colour) in self.marks.items():
            codes[r, c], colours[r, c] = ord(char), colour if char != " " else -1
        out = []
        for r in range(self.height):
            # A row at once (a Python loop over a chart's cells was most of drawing it).
            text = codes[r].astype("<u4").tobytes().decode("utf-32-le")
            row = colours[r]
            starts = np.r_[0, np.flatnonzero(row[1:] != row[:-1]) + 1].tolist()
            ends = starts[1:] + [self.width]
            out.append([(text[a:b], int(row[a])) for a, b in zip(starts, ends, strict=True)])
        return out
