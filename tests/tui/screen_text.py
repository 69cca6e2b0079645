"""What a pilot-driven app shows, as plain text: one string per terminal row.

Read from `App.export_screenshot()`, Textual's public screenshot: an SVG of what the terminal
shows (the current screen and, beneath a dialog, the screens it covers), after Textual's line
filters (NO_COLOR's among them). Rich writes that SVG one `<text>` element per run of styled
characters, clipped to its terminal row (`clip-path="url(#…-line-ROW)"`), at
`x = column × cell width` with `textLength = cell width × len(text)`; runs of nothing but spaces
are left out, and a run's background is a `<rect shape-rendering="crispEdges">` at the same
place. The rows are put back together from those, cell by cell."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from rich.cells import cell_len
from textual.app import App
from textual.color import Color
from textual.geometry import Region

SVG = "{http://www.w3.org/2000/svg}"
LINE = re.compile(r"-line-(\d+)\)$")
ROW_CLIP = re.compile(r"-line-\d+$")
RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")
FILL = re.compile(r"fill:\s*(#[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Run:
    """Characters in one style on a terminal row, from its column on."""

    column: int
    text: str
    color: Color       # as drawn: after the filters, reverse and dim
    background: Color  # the cell's background as drawn


def screen_runs(app: App) -> list[list[Run]]:
    """Each terminal row's runs of visible (not blank) characters, left to right."""
    # Rich writes every space as "&#160;" (a no-break space of the screen's own is left as
    # it is): spaces again here, kept as they are by the XML parser.
    root = ET.fromstring(app.export_screenshot().replace("&#160;", " "))
    fills = {name: FILL.search(css) for name, css in RULE.findall(
        "".join(style.text or "" for style in root.iter(f"{SVG}style")))}
    rects = list(root.iter(f"{SVG}rect"))
    # The terminal's own background: the window's frame, drawn first.
    default = Color.parse(next(r.get("fill") for r in rects if r.get("stroke")))
    # Row tops from the rows' clip paths, to place the backgrounds.
    tops = sorted(float(clip.find(f"{SVG}rect").get("y"))
                  for clip in root.iter(f"{SVG}clipPath") if ROW_CLIP.search(clip.get("id")))
    assert len(tops) > 1, "a screenshot of 3 rows or more (Rich clips all but the last)"
    height = tops[1] - tops[0]
    backgrounds: dict[tuple[int, float], Color] = {}
    for rect in rects:
        if rect.get("shape-rendering") == "crispEdges":
            row = round((float(rect.get("y")) - tops[0]) / height)
            backgrounds[row, float(rect.get("x"))] = Color.parse(rect.get("fill"))
    rows: list[list[Run]] = [[] for _ in range(app.size.height)]
    for text in root.iter(f"{SVG}text"):
        line = LINE.search(text.get("clip-path", ""))
        if line is None:
            continue  # the window's title, not the terminal's
        chars = text.text or ""
        if chars == "\n":
            continue  # a row's line break: a run of its own past the row's end
        x = float(text.get("x"))
        column = round(x * len(chars) / float(text.get("textLength")))
        fill = fills.get(text.get("class"))
        assert fill is not None, f"no colour for {text.get('class')} in the screenshot"
        row = int(line.group(1))
        rows[row].append(Run(column, chars, Color.parse(fill.group(1)),
                             backgrounds.get((row, x), default)))
    for runs in rows:
        runs.sort(key=lambda run: run.column)
    return rows


def screen_lines(app: App) -> list[str]:
    """The rows of the current screen (and the screens beneath a dialog), as the terminal
    would show them without colour."""
    width = app.size.width
    lines = []
    for runs in screen_runs(app):
        line, cells = "", 0
        for run in runs:
            assert run.column >= cells, f"runs overlap at column {run.column}: {runs}"
            line += " " * (run.column - cells) + run.text
            cells = run.column + cell_len(run.text)
        lines.append(line + " " * (width - cells))
    return lines


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))



def region_lines(app: App, region: Region) -> list[str]:
    """The rows of the screen within a region (a widget's `region`, say), cut to its columns:
    a wide character is kept where it starts inside."""
    lines = []
    for line in screen_lines(app)[region.y:region.bottom]:
        kept, cells = "", 0
        for char in line:
            if region.x <= cells < region.right:
                kept += char
            cells += cell_len(char)
        lines.append(kept)
    return lines
