"""One chart panel: lines on braille dots inside real axes (tick labels on y and x), and the
cursor's column. What to draw comes in as ``Line``s with the view and the scale; every number
(envelopes, tick values, dot positions) comes from engine.curves. Drawing costs what the
panel's size costs: each line is reduced to one envelope entry per dot column first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from engine import curves
from tui.widgets import format as fmt
from tui.widgets.braille import Canvas

LABEL_WIDTH = 7  # y tick labels, right-aligned, then the axis
TITLE_INDENT = 3


@dataclass(frozen=True)
class Line:
    x: np.ndarray
    y: np.ndarray
    colour: str  # a colour Rich reads ("#4ea1ff")
    points: bool = False  # mark each point (validation: points joined by a line)
    faded: bool = False  # drawn dim, beneath (the raw loss under its smoothed line)
    unit: str = "nats"  # a loss, shown in this unit (converted after the envelope: cheaper)
    blocks: curves.Blocks | None = None  # y's summary, for a view of many points per column


def x_label(axis: str) -> Callable[[float], str]:
    return fmt.clock if axis == "time" else fmt.compact


class PlotPanel(Widget):
    """``compact``: two y labels (top and bottom) and no x axis, for the small panels.
    ``title``: a muted first row naming the panel (drawn here rather than by a Label in a box
    of its own: two widgets fewer per panel, and each widget is layout and styling work on
    every key that shows the chart)."""

    COMPONENT_CLASSES = {"plot-panel--title"}
    DEFAULT_CSS = """
    PlotPanel { height: 1fr; }
    PlotPanel > .plot-panel--title { color: $text-muted; }
    """

    def __init__(self, compact: bool = False, title: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.compact = compact
        self.title = title
        self.lines: list[Line] = []
        self.view: tuple[float, float] = (0.0, 1.0)
        self.log_y = False
        self.x_axis = "step"
        self.cursor: float | None = None
        self.y_range: tuple[float, float] | None = None  # last drawn (the controller reads it)
        self._plot: tuple | None = None  # the drawn lines and labels, kept while the cursor moves
        self._strips: list[Strip] | None = None
        self._styled: tuple | None = None  # the drawn rows as segments, without the cursor

    def show(self, lines: list[Line], view: tuple[float, float], log: bool, x_axis: str,
             cursor: float | None) -> None:
        self.lines, self.view, self.log_y, self.x_axis, self.cursor = \
            lines, view, log, x_axis, cursor
        self._plot = self._strips = self._styled = None
        self.refresh()

    def move_cursor(self, cursor: float | None) -> None:
        """Only the cursor moved: the lines stay drawn, and only the two columns it left and
        reached are repainted (a whole chart's repaint is most of a key's cost)."""
        if cursor == self.cursor:
            return
        columns = [self.cursor_column(c) for c in (self.cursor, cursor)]
        self.cursor = cursor
        self._strips = None
        if None in columns:
            self.refresh()
            return
        self.refresh(*(Region(LABEL_WIDTH + 1 + c, 0, 1, self.size.height) for c in columns))

    def cursor_column(self, cursor: float | None) -> int | None:
        """The plot's cell column of x value ``cursor`` (None when off the view)."""
        lo, hi = self.view
        width = self.plot_width
        if cursor is None or hi <= lo or not lo <= cursor <= hi:
            return None
        return min(int((cursor - lo) / (hi - lo) * width), width - 1)

    def on_resize(self) -> None:
        self._plot = self._strips = self._styled = None

    # -- where things are on screen ----------------------------------------------------------------

    @property
    def plot_width(self) -> int:
        return max(self.size.width - LABEL_WIDTH - 1, 1)

    def set_title(self, title: str) -> None:
        if title != self.title:
            self.title, self._strips = title, None
            self.refresh()

    @property
    def plot_height(self) -> int:
        return max(self.size.height - (0 if self.compact else 2) - (1 if self.title else 0), 1)

    def x_at(self, column: int) -> float | None:
        """The x value under a screen column of this widget (None off the plot)."""
        c = column - LABEL_WIDTH - 1
        if not 0 <= c < self.plot_width:
            return None
        lo, hi = self.view
        return lo + (c + 0.5) / self.plot_width * (hi - lo)

    # -- drawing -----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if self._strips is None or len(self._strips) != self.size.height:
            self._strips = self._draw()
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)

    def _envelope(self, line: Line, dots: int) -> curves.Envelope:
        lo, hi = self.view
        env = curves.envelope(line.x, line.y, lo, hi, dots, line.blocks)
        if line.unit == "nats":
            return env
        return curves.Envelope(env.columns, *(curves.in_unit(a, line.unit) for a in
                                              (env.first, env.last, env.low, env.high)))

    def _draw(self) -> list[Strip]:
        if self._plot is None:
            self._plot = self._lay_out()
        rows, labels = self._plot
        return self._strips_of(rows, labels)

    def _lay_out(self) -> tuple[list, dict[int, str]]:
        width, height = self.plot_width, self.plot_height
        canvas = Canvas(width, height)
        envelopes = [self._envelope(line, canvas.dots_x) for line in self.lines]
        y_lo, y_hi = curves.value_range([e.low for e in envelopes], [e.high for e in envelopes],
                                        self.log_y)
        self.y_range = (y_lo, y_hi)
        scale = curves.Scale(y_lo, y_hi, canvas.dots_y, self.log_y)
        # A cell shows one colour, the last drawn into it: faded lines first, then the lines
        # joining points, then the plain lines, so the smoothed loss keeps the cells it shares
        # (the points themselves are marks over everything).
        order = sorted(range(len(self.lines)),
                       key=lambda i: 0 if self.lines[i].faded else 1 if self.lines[i].points
                       else 2)
        for i in order:
            _draw_envelope(canvas, envelopes[i], scale, i, self.lines[i].points)
        rows = canvas.rows()
        # y tick labels on the rows nearest their values
        # A small panel labels its top and bottom with the drawn values' own extremes.
        drawn_low = [float(e.low.min()) for e in envelopes if len(e.low)]
        drawn_high = [float(e.high.max()) for e in envelopes if len(e.high)]
        if self.compact:
            ticks = [max(drawn_high), min(drawn_low)] if drawn_low else []
        else:
            ticks = (curves.log_ticks if self.log_y else curves.nice_ticks)(
                y_lo, y_hi, max(2, height // 2))
        labels: dict[int, str] = {}
        for value in ticks:
            dot = int(scale.position(np.array([value]))[0])
            row = height - 1 - dot // 4
            if 0 <= row < height:
                labels.setdefault(row, fmt.compact(value))
        return rows, labels

    def _strips_of(self, rows: list, labels: dict[int, str]) -> list[Strip]:
        if self._styled is None:
            self._styled = self._style(rows, labels)
        segments, muted = self._styled
        cursor_col = self.cursor_column(self.cursor)
        width = self.size.width
        if cursor_col is None:
            strips = [Strip(row) for row in segments]
        else:
            theme = self.app.current_theme
            cursor_bg = Style(bgcolor=theme.panel or "#303040")
            strips = [Strip(_with_cursor(row, cursor_col, cursor_bg))
                      for row in segments]
        if not self.compact:
            strips.extend(self._x_axis(self.plot_width, muted, cursor_col))
        if self.title:
            title = self.get_component_rich_style("plot-panel--title")
            text = (" " * TITLE_INDENT + self.title)[:width].ljust(width)
            strips.insert(0, Strip([Segment(text, title)]))
        return [strip.crop_extend(0, width, None) for strip in strips]

    def _style(self, rows: list, labels: dict[int, str]) -> tuple[list[list[Segment]], Style]:
        """Each row's segments (its label, the axis, the canvas's runs of one colour), made
        once per drawing: a cursor move only splits the run under it."""
        theme = self.app.current_theme
        muted = Style(color=theme.foreground or "#a0a0a0", dim=True)
        # A faded line is its colour blended halfway into the background (dim alone is lost
        # in some terminals and in screenshots).
        background = Color.parse(theme.background or "#000000")
        styles = [Style(color=Color.parse(line.colour).blend(background, 0.55).hex
                        if line.faded else line.colour) for line in self.lines]
        plain = Style()
        segments = []
        for r, runs in enumerate(rows):
            label = labels.get(r, "")
            row = [Segment(f"{label:>{LABEL_WIDTH}}", muted),
                   Segment("┤" if label else "│", muted)]
            row.extend(Segment(text, styles[colour] if colour >= 0 else plain)
                       for text, colour in runs)
            segments.append(row)
        return segments, muted

    def _x_axis(self, width: int, muted: Style, cursor_col: int | None) -> list[Strip]:
        lo, hi = self.view
        label = x_label(self.x_axis)
        most = max(2, width // 10)
        ticks = curves.nice_ticks(lo, hi, most, time=self.x_axis == "time")
        rule = ["─"] * width
        text = [" "] * (width + LABEL_WIDTH + 1)
        for value in ticks:
            c = min(int((value - lo) / (hi - lo) * width), width - 1) if hi > lo else 0
            if not 0 <= c < width:
                continue
            rule[c] = "┬"
            words = label(value)
            start = LABEL_WIDTH + 1 + c - len(words) // 2
            start = max(0, min(start, len(text) - len(words)))
            if all(ch == " " for ch in text[max(start - 1, 0):start + len(words) + 1]):
                text[start:start + len(words)] = words
        if cursor_col is not None:
            rule[cursor_col] = "▲"
        return [Strip([Segment(" " * LABEL_WIDTH + "└" + "".join(rule), muted)]),
                Strip([Segment("".join(text), muted)])]


def _with_cursor(row: list[Segment], cell: int, cursor_bg: Style) -> list[Segment]:
    """A row's segments (its label and axis, then the plot's runs) with the plot's cell
    ``cell`` on the cursor's background (an empty cell shows the cursor's line)."""
    column = 0
    for i in range(2, len(row)):
        text, style = row[i].text, row[i].style
        if column <= cell < column + len(text):
            k = cell - column
            return [*row[:i], Segment(text[:k], style),
                    Segment(text[k] if text[k] != " " else "│", style + cursor_bg),
                    Segment(text[k + 1:], style), *row[i + 1:]]
        column += len(text)
    return row


def _draw_envelope(canvas: Canvas, env: curves.Envelope, scale: curves.Scale, colour: int,
                   points: bool) -> None:
    """Each column's span from its lowest to its highest point, and a segment from each
    column's last point to the next column's first: the line through every point, drawn in
    steps bounded by the canvas's width."""
    if not len(env.columns):
        return
    cols = env.columns
    first, last = scale.position(env.first), scale.position(env.last)
    low, high = scale.position(env.low), scale.position(env.high)
    canvas.spans(cols, low, high, colour)
    if len(cols) > 1:
        canvas.segments(cols[:-1], last[:-1], cols[1:], first[1:], colour)
    if points and len(cols) <= canvas.width // 2:  # dense points read better as the line
        for c, y in zip(cols.tolist(), first.tolist(), strict=True):
            canvas.mark(c, y, "•", colour)
