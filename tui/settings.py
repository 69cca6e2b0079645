"""The app's remembered choices (the theme), in settings.json beside the model store."""

from __future__ import annotations

import json

from engine import paths

DEFAULT_THEME = "textual-dark"


def load() -> dict:
    try:
        data = json.loads(paths.settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(**values: object) -> None:
    """Merge ``values`` into the settings file; a read-only home only loses the preference."""
    data = {**load(), **values}
    path = paths.settings_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    except OSError:
        pass
