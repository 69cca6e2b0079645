"""How many CPU threads a training run uses: its fair share of the cores it may run on.

On a shared machine the default (one thread per core) collapses: with another busy process on
one of two cores, each step waits at OpenMP barriers for a thread the scheduler has parked, and
training ran 10–30× slower than on one thread. So a run

- counts the cores it may use (CPU affinity, a container's CPU quota),
- measures how much of them other processes are using and takes what is left (at least one),
- measures again every few seconds as it trains, since other work starts and stops,
- and asks OpenMP to put waiting threads to sleep soon rather than spin on a shared core.

A user's ``--threads N`` fixes the count instead (at most the usable cores). Torch-free: the
worker calls ``prepare_env`` before PyTorch loads, and hands ``set_threads`` to whatever applies
the count.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# Take a second core only while others use less than this much of it: a sibling thread that
# the scheduler parks costs far more than the second core gains.
SPARE_NEEDED = 0.7
MEASURE_SECONDS = 0.25  # the first look at the machine, before training starts
RECHECK_SECONDS = 3.0  # then this often while training
CGROUP = Path("/sys/fs/cgroup")


def prepare_env() -> None:
    """Before OpenMP and OpenBLAS start (before PyTorch or numpy is imported): a waiting
    thread spins only briefly, then sleeps, so it never holds a core that another process or
    thread needs. Generation uses both pools in turn (numpy's BLAS for one stream, PyTorch's
    oneDNN for a batch of them): OpenBLAS's threads spin 2^28 cycles (~0.1 s) after each
    product by default, and a batch written in that time ran at half its speed; 2^22 cycles
    (~1 ms) still spans the gap between two tokens' products. The user's own settings win."""
    os.environ.setdefault("GOMP_SPINCOUNT", "20000")
    os.environ.setdefault("KMP_BLOCKTIME", "1")
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")


def usable_cores() -> int:
    """Cores this process may run on: its affinity, capped by a cgroup CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota + 0.5)))
    return max(1, cores)


def cgroup_quota(root: Path = CGROUP) -> float | None:
    """The container's CPU limit in cores (cgroup v2 ``cpu.max`` or v1 CFS quota), if any."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def _busy_jiffies(cpus: set[int]) -> tuple[int, int]:
    """(busy, total) clock ticks so far over the given cores, from /proc/stat."""
    busy = total = 0
    with open("/proc/stat", encoding="ascii") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *values = line.split()
            if int(name[3:]) not in cpus:
                continue
            ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
            total += sum(ticks)
            busy += sum(ticks) - ticks[3] - ticks[4]
    return busy, total


class LoadMeter:
    """How many cores' worth of work other processes did on our cores since the last look:
    what the cores did (/proc/stat) minus what this process did (its CPU time)."""

    def __init__(self) -> None:
        try:
            self.cpus = os.sched_getaffinity(0)
            self._mark: tuple[float, int, int, float] | None = self._sample()
        except (AttributeError, OSError, ValueError):
            self.cpus, self._mark = set(), None  # no /proc: assume the machine is ours

    def _sample(self) -> tuple[float, int, int, float]:
        busy, total = _busy_jiffies(self.cpus)
        return time.monotonic(), busy, total, time.process_time()

    def others(self) -> float:
        if self._mark is None:
            return 0.0
        then, mark = self._mark, self._sample()
        self._mark = mark
        wall, busy, total = mark[0] - then[0], mark[1] - then[1], mark[2] - then[2]
        if wall <= 0 or total <= 0:
            return 0.0
        own = (mark[3] - then[3]) / wall
        return max(0.0, busy / total * len(self.cpus) - own)


def fair_share(cores: int, others: float) -> int:
    """The threads to use when others keep ``others`` cores busy: what they leave, at least 1."""
    return max(1, min(cores, math.floor(cores - others + 1 - SPARE_NEEDED)))


def free_cores(window: float = 0.05) -> int:
    """A quick look (``window`` seconds) for short jobs such as sampling."""
    meter = LoadMeter()
    time.sleep(window)
    return fair_share(usable_cores(), meter.others())


class ThreadGovernor:
    """Chooses a training run's thread count and revises it as the machine's load changes."""

    def __init__(self, requested: int, apply: Callable[[int], None], share: int = 1) -> None:
        """``share``: the training processes of one run on this machine (``--nproc``), which
        divide the fair share between them."""
        self.fixed = requested > 0
        self.share = max(1, share)
        self.cores = usable_cores()
        self.apply = apply
        self.threads = 0
        self.meter = LoadMeter()
        if self.fixed:
            # More threads than cores only wait at barriers for each other (1000 on 2 cores
            # trained 15 times slower); the CLI tells the user when it caps a request.
            self._set(min(requested, max(1, self.cores // self.share)))
        else:
            time.sleep(MEASURE_SECONDS)
            self._set(self._fair())
        self._next = time.monotonic() + RECHECK_SECONDS

    def _fair(self) -> int:
        """The fair share of the cores, divided among the run's processes. The others of the
        run count as other work in the meter; they do about what this one does, so that much
        is given back before dividing."""
        own = self.threads if self.threads else 1
        others = max(0.0, self.meter.others() - (self.share - 1) * own)
        return max(1, fair_share(self.cores, others) // self.share)

    def _set(self, threads: int) -> None:
        if threads != self.threads:
            self.threads = threads
            self.apply(threads)

    def check(self) -> bool:
        """Look again if it is time; True when the thread count changed."""
        if self.fixed or time.monotonic() < self._next:
            return False
        self._next = time.monotonic() + RECHECK_SECONDS
        before = self.threads
        self._set(self._fair())
        return self.threads != before


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """PyTorch's thread count for the calling thread while inside (None: as it is). OpenMP
    keeps the count per thread: another thread keeps its own (one that starts using PyTorch
    meanwhile may take this one as its default). Each thread that runs a parallel region
    keeps a pool of workers for as long as it lives."""
    if count is None:
        yield
        return
    import torch  # here, not above: this module is read before PyTorch may load

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# An interactive process (the app) runs PyTorch's parallel work on this one thread: batches
# of branches, translations, classifications. PyTorch's OpenMP keeps a pool of worker threads
# for each thread that has used it, and once two pools are alive on a 2-core machine libgomp
# cuts its workers' spinning to almost nothing: each product then waits for a sleeping worker
# to wake. In the app, whose workers run on whichever of asyncio's threads is free, an 8-row
# product took 0.21-0.25 ms instead of 0.10. The work therefore queues: a co-writer's
# suggestion asked during a loom's long batch comes after it.
def _model_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="poetui-model",
                              initializer=lambda: setattr(_here, "inside", True))


_here = threading.local()  # ``inside``: True on the model thread
_MODEL_THREAD = _model_thread()


def _fresh_thread() -> None:
    # A forked child has no copy of the thread, only the executor's belief that it is idle.
    global _MODEL_THREAD
    _MODEL_THREAD = _model_thread()


if hasattr(os, "register_at_fork"):  # POSIX: where a process can fork at all
    os.register_at_fork(after_in_child=_fresh_thread)


def on_model_thread(work: Callable[[], T]) -> T:
    """``work()`` run on the process's model thread (at once, when called from it); its
    result, or its exception."""
    if getattr(_here, "inside", False):
        return work()
    return _MODEL_THREAD.submit(work).result()
