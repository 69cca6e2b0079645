"""The footer of every screen: Textual's, recomposed only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """A recompose mounts one widget per key, about 100 ms of CPU on a small machine, and
    Textual's footer recomposes whenever the screen's bindings are refreshed: a dialog closing,
    focus moving, a run's state polled. Most of those change nothing it shows, and then the
    keys already on screen stay."""

    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            palette = screen.app.COMMAND_PALETTE_BINDING
            shown = tuple((key, binding.action, binding.description, enabled, tooltip)
                          for key, (_, binding, enabled, tooltip)
                          in screen.active_bindings.items()
                          if binding.show or key == palette)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
