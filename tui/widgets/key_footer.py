"""The footer of every screen: the keys that act here, drawn as one line of one widget."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class Key(NamedTuple):
    key: str  # what a click presses
    shown: str  # how the key reads (the app's key display)
    description: str
    enabled: bool
    tooltip: str


class KeyFooter(Widget, can_focus=False):
    """Looks like Textual's `Footer` (its colours, the command palette's key on the right), but
    is one widget: Textual's footer mounts one widget per key and recomposes them all whenever
    focus moves, a dialog closes or a binding is refreshed (60-100 ms of CPU on a small machine,
    on a key that changed nothing else); this one repaints its one line, and only when the keys
    it shows changed. A click on a key presses it; hovering shows its tooltip."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--hover",
                         "footer-key--border"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer-key--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        .footer-key--border {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[Key, ...] = ()
        self.palette: Key | None = None  # the command palette's key, drawn on the right
        self.spans: list[tuple[int, int, Key]] = []  # (first cell, end cell, key) as drawn
        self.hovered: Key | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        # While the terminal has lost focus Textual's footer keeps what it showed; so does this.
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            return
        palette_key = screen.app.COMMAND_PALETTE_BINDING
        keys, palette = [], None
        seen: set[str] = set()  # one entry per action, as Textual's footer shows them
        for key, (_, binding, enabled, tooltip) in screen.active_bindings.items():
            entry = Key(binding.key, screen.app.get_key_display(binding), binding.description,
                        enabled, tooltip or binding.tooltip or binding.description)
            if key == palette_key and screen.app.ENABLE_COMMAND_PALETTE:
                palette = entry
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append(entry)
        if (tuple(keys), palette) != (self.keys, self.palette):
            self.keys, self.palette = tuple(keys), palette
            self.refresh()

    def put(self, line: Text, key: Key, spans: list, compact: bool = False) -> None:
        """Draw ``key`` at the end of ``line`` and note the cells it takes (``compact``: as
        Textual draws the palette's key, " ^p palette" rather than " q Quit ")."""
        start = line.cell_len
        shown, description = (key.shown, f" {key.description} ") if compact else (
            f" {key.shown} ", f"{key.description} ")
        line.append(shown, self.get_component_rich_style("footer-key--key"))
        if key.description:
            line.append(description, self.get_component_rich_style("footer-key--description"))
        if key == self.hovered:
            line.stylize(self.get_component_rich_style("footer-key--hover"), start)
        if not key.enabled:
            line.stylize("dim", start)
        spans.append((start, line.cell_len, key))

    def render(self) -> Text:
        width = self.size.width
        line, spans = Text(no_wrap=True, end=""), []
        for key in self.keys:
            self.put(line, key, spans)
        if self.palette is not None:
            # Docked right behind a thin rule, like Textual's; the other keys are cut before it.
            right, at_right = Text("▏", self.get_component_rich_style("footer-key--border"),
                                   no_wrap=True, end=""), []
            self.put(right, self.palette, at_right, compact=True)
            room = max(0, width - right.cell_len)
            line.truncate(room, pad=True)
            spans = [(s, min(e, room), k) for s, e, k in spans if s < room]
            spans += [(room + s, room + e, k) for s, e, k in at_right]
            line.append_text(right)
        line.truncate(width, pad=True)
        self.spans = spans
        return line

    def key_at(self, x: int) -> Key | None:
        return next((key for start, end, key in self.spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self.key_at(event.x)
        if key != self.hovered:
            self.hovered = key
            self.tooltip = key.tooltip if key else None
            self.refresh()

    def on_leave(self, _: events.Leave) -> None:
        if self.hovered is not None:
            self.hovered = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
