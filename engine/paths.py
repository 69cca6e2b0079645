"""Where poetui keeps its files: one place, so tests and users can move it with POETUI_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """The root of the model store and the corpus cache."""
    override = os.environ.get("POETUI_HOME")
    root = Path(override).expanduser() if override else Path(platformdirs.user_data_dir("poetui"))
    return root


def models_dir() -> Path:
    return home() / "models"


def corpora_cache_dir() -> Path:
    return home() / "corpora"


def settings_file() -> Path:
    return home() / "settings.json"
