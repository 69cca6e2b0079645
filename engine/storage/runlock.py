"""The lock a training process holds on its model folder: held while alive, gone when it dies
(even by SIGKILL), because the kernel releases flock locks with the process."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from engine.errors import PoetuiError

LOCK = "run.lock"


class RunLock:
    def __init__(self, model_dir: Path) -> None:
        self.path = model_dir / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PoetuiError(
                f"Model '{self.path.parent.name}' is already training in another process; "
                "attach to it with `poetui attach`."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def is_locked(model_dir: Path) -> bool:
    path = model_dir / LOCK
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def lock_owner(model_dir: Path) -> int | None:
    try:
        return int((model_dir / LOCK).read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None
