"""The app's entries in the ctrl+p command palette (beside Textual's own: theme, quit, keys)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from engine.storage.folder import RunState

if TYPE_CHECKING:
    from tui.app import PoetuiApp


def app_commands(app: PoetuiApp) -> Iterable[SystemCommand]:
    yield SystemCommand("New model", "Pick a corpus and settings, then start training",
                        app.open_new_model)
    for model in app.known_models:
        name = model.name
        if model.state is RunState.DAMAGED:
            continue  # nothing to do with it but delete it, in the library
        if model.state.live:
            yield SystemCommand(f"Attach: {name}", f"Open the live dashboard of '{name}'",
                                lambda name=name: app.open_dashboard(name))
        else:
            yield SystemCommand(f"Train: {name}", f"Train '{name}' further (its budget)",
                                lambda name=name: app.start_run(name))
        if model.steps and model.translates:
            yield SystemCommand(f"Translate: {name}", f"Open the translate screen on '{name}'",
                                lambda name=name: app.open_desk(name, translates=True))
        elif model.steps:
            yield SystemCommand(f"Generate: {name}", f"Open the writing desk on '{name}'",
                                lambda name=name: app.open_desk(name, translates=False))
