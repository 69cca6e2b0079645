"""Sharing the machine: the training thread count follows the cores other work leaves free
(real /proc readings, a real competing process)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from engine.errors import PoetuiError
from engine.nn.threads import ThreadGovernor, cgroup_quota, fair_share, free_cores, usable_cores
from engine.train import job


def test_cgroup_quotas_are_read_in_both_versions(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(v1) == 2.0
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_quota(v1) is None


def test_fair_share_leaves_busy_cores_alone():
    assert fair_share(2, 0.0) == 2
    assert fair_share(2, 0.2) == 2
    assert fair_share(2, 0.5) == 1  # a second thread would wait on a half-busy core
    assert fair_share(2, 1.0) == 1
    assert fair_share(2, 5.0) == 1  # never none
    assert fair_share(8, 3.0) == 5


def test_a_requested_count_is_used_as_is():
    applied = []
    cores = usable_cores()  # within the cores: above them it is capped (tests/test_hostile_cli)
    governor = ThreadGovernor(cores, applied.append)
    assert governor.threads == cores and applied == [cores]
    assert not governor.check()


@pytest.mark.skipif(usable_cores() < 2, reason="needs two cores to share")
def test_a_busy_process_takes_a_core_away():
    """A CPU-bound neighbour on one core leaves this run the others (and the sampler's BLAS
    the same), where the default would use every core and collapse."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        applied = []
        governor = ThreadGovernor(0, applied.append)
        assert governor.threads <= usable_cores() - 1
        assert free_cores(0.3) <= usable_cores() - 1
    finally:
        burner.kill()
        burner.wait()


def test_thread_counts_below_zero_are_refused(pattern_file):
    with pytest.raises(PoetuiError, match="thread count"):
        job.create_model(str(pattern_file), name="t", threads=-1, steps=1)
