"""What a pilot-driven app shows, as plain text: one string per terminal row."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_lines(app: App) -> list[str]:
    """The rows of the current screen (and the screens beneath a dialog), as the terminal
    would show them without colour."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(),
                      record=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))
