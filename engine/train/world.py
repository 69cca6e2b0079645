"""Who trains in a data-parallel run: the world torchrun describes in the environment, and
the followers ``--nproc N`` starts on this machine. Torch-free, so the CLI can ask before
PyTorch loads; the training itself is ``engine.train.team``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.errors import PoetuiError

# The lead's orders to its followers (engine.train.team): what comes next.
WAIT, STEP, GATHER, SYNC, STOP = 0, 1, 2, 3, 4
LEAD = "POETUI_LEAD_PID"  # a local follower's lead: it ends when the lead does
ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    local_rank: int = 0
    local_size: int = 1  # processes on this machine: they share its cores

    @property
    def lead(self) -> bool:
        return self.rank == 0


def world_from_env() -> World | None:
    """The world torchrun (or the lead of a local run) put in the environment; None when this
    process trains alone."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        if size <= 1:
            return None
        rank = int(os.environ["RANK"])
        return World(rank, size, int(os.environ.get("LOCAL_RANK", rank)),
                     int(os.environ.get("LOCAL_WORLD_SIZE", size)))
    except (KeyError, ValueError):
        raise PoetuiError("RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers (torchrun "
                          "sets them); unset WORLD_SIZE to train in one process.") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_followers(model_dir: Path, world: int) -> list[subprocess.Popen]:
    """The followers of a run of ``world`` processes on this machine, started detached from the
    terminal (a Ctrl-C is the lead's to take, which then stops them), each with its own log
    (``rank-R.log``: the only file of the folder it writes)."""
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    base = {**os.environ, "WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": str(world),
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), LEAD: str(os.getpid()),
            "PYTHONPATH": os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH"))
                                          if p)}
    os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE=str(world),
                      LOCAL_WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    followers = []
    for rank in range(1, world):
        with open(model_dir / f"rank-{rank}.log", "ab") as log:
            followers.append(subprocess.Popen(
                [sys.executable, "-m", "engine.train.follower", model_dir.name],
                env={**base, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                cwd=str(root)))
    return followers


def forget_world() -> None:
    """The lead of a local run is alone again (a later run in this process starts afresh)."""
    for key in ENV:
        os.environ.pop(key, None)


