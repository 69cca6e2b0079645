"""Showing new text in a widget at the least cost. A `Static.update` asks for a new layout by
default, and a layout repaints every widget on the screen: on a live dashboard, four polls a
second did that for an ETA that moved by a second. A text that keeps its shape (as many lines,
none wider) repaints only its own widget."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def shape(text: str, markup: bool = True) -> tuple[int, int]:
    """Lines and widest line (cells) of ``text`` as a widget shows it."""
    content = Content.from_markup(text) if markup else Content(text)
    lines = content.split("\n")
    return len(lines), max((line.cell_length for line in lines), default=0)


def put_text(widget: Static, text: str) -> None:
    """Show ``text`` in ``widget``: nothing when it is what is shown, a repaint of the widget
    alone when it keeps the shape of the text before, a new layout otherwise."""
    before = widget.content
    if isinstance(before, str) and before == text:
        return
    markup = widget._render_markup  # how the widget reads its text (a Static's own setting)
    same = isinstance(before, str) and shape(before, markup) == shape(text, markup)
    widget.update(text, layout=not same)
