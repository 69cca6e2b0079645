"""The processes of a data-parallel run: PyTorch's own machinery (``torch.distributed`` and
``DistributedDataParallel``), as nanoGPT's train.py uses it.

A run of N processes has one *lead* (rank 0) and N − 1 *followers*. The lead is the process that
trains a model alone otherwise (the CLI, or the app's worker): it alone holds the model's lock
and writes its run store, checkpoints, evaluations and live samples. Followers only train. Each
step every process builds the same global batch (the batching is seeded and deterministic) and
trains on its own share of its rows; DDP averages the gradients, and the loss each process
differentiates is scaled so that the average is exactly the gradient of the global batch's
loss. So the global batch and the learning rate are the user's, whatever N is.

The lead tells the followers what comes next through a small broadcast (an *order*): a step at
this learning rate, wait (a heartbeat while it evaluates, samples or is paused), send your
carried state (before a checkpoint, so it holds every stream's state), take these weights (the
start, or a rewind after a divergence), or stop. The weights and settings a follower needs come
from the lead, so a follower on another machine needs only the corpus.

The world comes from torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``); ``poetui train --nproc N`` on one
machine sets the same variables for the followers it starts (``python -m engine.train.follower``).
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from dataclasses import replace
from datetime import timedelta

import torch
import torch.distributed as dist

from engine.errors import PoetuiError
from engine.train.world import GATHER, STOP, SYNC, World, forget_world

# How long a process waits at a collective: the lead sends a heartbeat a few times a second
# while it evaluates or is paused, so this is only reached when a process is lost silently.
TIMEOUT = timedelta(minutes=10)
LOST_SECONDS = 2.0  # how long a lost process may take to be seen ending


class Team:
    """This process's place in the run, and what it says to the others."""

    def __init__(self, world: World, followers: list[subprocess.Popen] | None = None) -> None:
        self.world = world
        self.followers = followers or []  # the processes this lead started, if it did
        self.rows_of_batch = 0  # rows of the last global batch: how the carried state splits
        # The CPU collectives (orders, the loss) go through gloo; a CUDA model's gradients
        # through NCCL. Every process makes the same choice, so they agree.
        backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend, rank=world.rank, world_size=world.size,
                                timeout=TIMEOUT)

    @property
    def lead(self) -> bool:
        return self.world.lead

    @property
    def size(self) -> int:
        return self.world.size

    # -- the share of a batch -----------------------------------------------------------------

    def rows(self, n: int, rank: int | None = None) -> slice:
        """Rank ``rank``'s rows of ``n``: a contiguous share, the sizes differing by one."""
        r = self.world.rank if rank is None else rank
        return slice(r * n // self.size, (r + 1) * n // self.size)

    def share(self, batch):
        """(this process's part of the global ``batch``, its weight). A process whose share is
        empty (a last, small batch of records) trains on one row with weight 0, so that every
        process still takes part in the gradients' average."""
        n = len(batch.y)
        self.rows_of_batch = n
        mine, weight = self.rows(n), 1.0
        if mine.start == mine.stop:
            if batch.carry:
                raise PoetuiError(f"The text gives only {n} parallel streams, too few for "
                                  f"{self.size} processes; use a smaller --nproc.")
            mine, weight = slice(0, 1), 0.0
        part = replace(batch, x=batch.x[mine], y=batch.y[mine],
                       src=None if batch.src is None else batch.src[mine],
                       src_lengths=None if batch.src_lengths is None
                       else batch.src_lengths[mine])
        return part, weight

    def my_rows(self, carried, n: int):
        """This process's rows of a carried state of all ``n`` rows (None stays None)."""
        if carried is None:
            return None
        mine = self.rows(n)
        parts = tuple(t[:, mine].contiguous() for t in carried)
        return parts if len(parts) > 1 else parts[0]

    # -- what passes between the processes ----------------------------------------------------

    def total(self, value: torch.Tensor) -> float:
        """The sum over every process of a scalar."""
        t = value.detach().float().cpu().reshape(1)
        dist.all_reduce(t)
        return float(t[0])

    def order(self, code: int, lr: float = 0.0) -> None:
        """The lead: tell the followers what comes next."""
        dist.broadcast(torch.tensor([float(code), lr], dtype=torch.float64), 0)

    def next_order(self) -> tuple[int, float]:
        """A follower: wait for the lead's next order."""
        t = torch.zeros(2, dtype=torch.float64)
        dist.broadcast(t, 0)
        return int(t[0]), float(t[1])

    def _send(self, obj: object) -> object:
        """The lead sends ``obj`` (tensors, numbers, strings, lists and dicts); every process
        returns it. Serialised by torch.save and read back with ``weights_only``: no pickle
        of arbitrary objects crosses between the processes."""
        if self.lead:
            buffer = io.BytesIO()
            torch.save(obj, buffer)
            data = torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)
            length = torch.tensor([len(data)], dtype=torch.int64)
        else:
            length = torch.zeros(1, dtype=torch.int64)
        dist.broadcast(length, 0)
        if not self.lead:
            data = torch.empty(int(length[0]), dtype=torch.uint8)
        dist.broadcast(data, 0)
        if self.lead:
            return obj
        return torch.load(io.BytesIO(data.numpy().tobytes()), weights_only=True,
                          map_location="cpu")

    def send_settings(self, meta: dict, vocab: dict) -> tuple[dict, dict]:
        """The model's settings and vocabulary, from the lead to every process."""
        return json.loads(self._send(json.dumps([meta, vocab])))  # type: ignore[arg-type]

    def send_state(self, trainer) -> None:
        """The lead's weights, optimizer and place in the run, to every process (the start,
        and a rewind); each keeps its own rows of the carried state."""
        if self.lead:
            self.order(SYNC)
            carried = trainer.carried
            carried = None if carried is None else [
                t.detach().cpu() for t in (carried if isinstance(carried, tuple) else (carried,))]
            state = {"model": {k: v.detach().cpu() for k, v in
                               trainer.model.state_dict().items()},
                     "optimizer": trainer.optimizer.state_dict(),
                     "place": [trainer.step, trainer.epoch, trainer.position],
                     "lr_scale": trainer.lr_scale, "carried": carried or []}
        state = self._send(state if self.lead else None)
        if not self.lead:
            trainer.model.load_state_dict(state["model"])
            trainer.optimizer.load_state_dict(state["optimizer"])
            trainer.step, trainer.epoch, trainer.position = state["place"]
            trainer.lr_scale = state["lr_scale"]
        full = state["carried"]
        if full:
            device = trainer.device
            full = tuple(t.to(device) for t in full)
            trainer.carried = self.my_rows(full, full[0].shape[1])
        else:
            trainer.carried = None

    def gather_carried(self, carried):
        """The lead, before a checkpoint: every process's rows of the carried state, whole."""
        if carried is None:
            return None
        self.order(GATHER)
        mine = carried if isinstance(carried, tuple) else (carried,)
        whole = []
        for t in mine:
            parts = [t.detach().float().cpu()]
            for rank in range(1, self.size):
                rows = self.rows(self.rows_of_batch, rank)
                buffer = torch.empty(t.shape[0], rows.stop - rows.start, *t.shape[2:])
                dist.recv(buffer, rank)
                parts.append(buffer)
            whole.append(torch.cat(parts, dim=1))
        return tuple(whole) if len(whole) > 1 else whole[0]

    def send_carried(self, carried) -> None:
        """A follower's answer to GATHER."""
        for t in carried if isinstance(carried, tuple) else (carried,):
            dist.send(t.detach().float().cpu().contiguous(), 0)

    # -- the end ------------------------------------------------------------------------------

    def lost(self) -> str:
        """Which process was lost, in words (the lead's view). A dying process's sockets close
        before its exit can be collected, so the group may break a moment before the process
        is seen to end: look for a while before calling it unanswering."""
        deadline = time.monotonic() + LOST_SECONDS
        while True:
            for rank, process in enumerate(self.followers, start=1):
                code = process.poll()
                if code is not None:
                    how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
                    return f"training process {rank + 1} of {self.size} ended ({how})"
            if time.monotonic() >= deadline:
                return f"one of the {self.size} training processes stopped answering"
            time.sleep(0.05)

    def close(self, tell: bool = True) -> None:
        """Stop the followers (told to, or, failing that, terminated) and leave the group."""
        if tell and self.lead:
            try:
                self.order(STOP)
            except Exception:  # noqa: BLE001 — a lost process: the group is already broken
                pass
        try:
            dist.destroy_process_group()
        except Exception:  # noqa: BLE001
            pass
        for process in self.followers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.followers:
            forget_world()
