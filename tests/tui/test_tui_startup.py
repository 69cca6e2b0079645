"""The library paints without PyTorch: it is imported only when a screen needs it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import asyncio, sys
from tui.app import PoetuiApp

async def main():
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(type(app.screen).__name__, "torch" in sys.modules)

asyncio.run(main())
"""


def test_library_paints_without_importing_torch():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["LibraryScreen", "False"]
