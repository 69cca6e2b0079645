"""A follower of a data-parallel run (rank ≥ 1): ``python -m engine.train.follower NAME``,
started by a lead on this machine (``--nproc``) or by torchrun (through ``poetui train``). It
trains as the lead says until the lead says stop, and writes nothing but its own log."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from engine.errors import PoetuiError
from engine.train.team import Team
from engine.train.trainer import Diverged
from engine.train.world import GATHER, LEAD, STEP, STOP, SYNC, world_from_env


def follow(trainer, team: Team, check_threads) -> None:
    """A follower's run: do as the lead says until it says stop."""
    batches = None
    while True:
        code, lr = team.next_order()
        if code == STEP:
            try:
                trainer.train_step(next(batches), lr)  # type: ignore[arg-type]
            except Diverged:
                pass  # the lead goes back to its last checkpoint and sends the weights
        elif code == GATHER:
            team.send_carried(trainer.carried)
        elif code == SYNC:
            team.send_state(trainer)
            batches = trainer.batches_from_here()
        elif code == STOP:
            return
        check_threads()


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.train.follower NAME``."""
    name = (argv if argv is not None else sys.argv[1:])[0]
    try:
        follow_run(name)
    except PoetuiError as exc:
        print(f"poetui (follower): {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # a failed collective: the lead or another process is gone
        print(f"poetui (follower): the run's other processes stopped answering ({exc}); "
              "this process stops too.", file=sys.stderr)
        return 1
    return 0


def follow_run(name: str) -> None:
    from engine.nn.threads import ThreadGovernor, prepare_env

    prepare_env()
    world = world_from_env()
    if world is None or world.lead:
        raise PoetuiError("A follower needs RANK ≥ 1 and WORLD_SIZE ≥ 2 in its environment.")
    lead = os.environ.get(LEAD)
    if lead:
        _end_with(int(lead))
    team = Team(world)
    try:
        from engine.storage.folder import ModelFolder
        from engine.train.assemble import assemble

        meta, vocab = team.send_settings({}, {})
        folder = ModelFolder.received(Path(name), meta, vocab)
        trainer = assemble(folder, follower=world.local_rank)
        trainer.join(team)
        torch.manual_seed(trainer.config.seed + world.rank)  # its own dropout masks
        governor = ThreadGovernor(trainer.config.threads, torch.set_num_threads,
                                  world.local_size)
        follow(trainer, team, governor.check)
    finally:
        team.close(tell=False)


def _end_with(pid: int) -> None:
    """Exit when the lead that started this process is gone. A lead killed outright (SIGKILL)
    tells nobody, and a follower still joining the group would otherwise wait for it until the
    group's timeout; once joined, the lost connection also ends it."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass  # it exists (as another user: not ours, but alive)

    threading.Thread(target=watch, daemon=True, name="lead-watch").start()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
