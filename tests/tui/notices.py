"""The app's notifications as the user was told them, recorded through Textual's public
`App.notify`: a screen's or a widget's `self.notify(...)` is `self.app.notify(...)`
(`Widget.notify`), so every notification the app shows passes through it."""

from __future__ import annotations

from typing import Any

from tui.app import PoetuiApp


class RecordingApp(PoetuiApp):
    """The app, keeping the message of every notification it shows in `notices`, oldest
    first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notices: list[str] = []

    def notify(self, message: str, **options: Any) -> None:
        self.notices.append(message)
        super().notify(message, **options)
