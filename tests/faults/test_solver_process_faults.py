"""Fault injection on solver processes and run folders (issue 21).

A parent killed with SIGKILL must take its solver job with it, leave no run folder behind
once the next run has swept, and a job that finished before the kill must be reused on resume.
The unit tests use harmless Python children (a sleeper, a writer that counts its runs); one
slow test kills a real openEMS run between its two excitations and resumes it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from rfdesign.layouts import Layout, PixelGrid, Substrate, microstrip_width_mm
from rfdesign.solvers import isolated
from rfdesign.solvers.base import ResultCache, SolverError
from rfdesign.solvers.isolated import (
    KEPT_NAME,
    RESULT_MAX_AGE_S,
    die_with_parent,
    run_folder,
    run_job,
    sweep_stale_runs,
)
from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc")

F = np.linspace(34, 46, 5)  # GHz


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
def alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def processes_with(*needles: str) -> list[int]:
    """Pids of the live processes whose command line contains every one of ``needles``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(n in cmdline for n in needles) and alive(int(proc.name)):
            pids.append(int(proc.name))
    return pids


def wait_for(predicate, timeout_s: float, step_s: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout_s`` has passed; its last value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())


# A child that counts its runs in job["count"] and writes its result atomically, as the real
# job modules do (a job that fails on purpose exits 3 before writing anything).
WRITER = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    job = json.load(open(sys.argv[1]))
    with open(job["count"], "a") as fh:
        fh.write("x")
    if job.get("fail"):
        sys.exit(3)
    np.savez("out.tmp.npz", v=np.array(job["v"]))
    os.replace("out.tmp.npz", "out.npz")
    """
)


def write_job(workdir: Path, job: dict, count: Path, **extra) -> isolated.JobResult:
    full = job | {"count": str(count)} | extra
    return run_job("fake", [sys.executable, "-c", WRITER], full, workdir, "out.npz", 60)


def runs(count: Path) -> int:
    return len(count.read_text()) if count.exists() else 0


# ----------------------------------------------------------------------------------------------
# (1) The child dies with its parent
# ----------------------------------------------------------------------------------------------
PARENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from rfdesign.solvers.isolated import run_job
    child = "import os, time; open('child.pid', 'w').write(str(os.getpid())); time.sleep(120)"
    run_job("sleeper", [sys.executable, "-c", child], {}, Path(sys.argv[1]), "out.npz", 300)
    """
)


@linux_only
def test_killed_parent_takes_its_job_with_it(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)])
    pid_file = tmp_path / "child.pid"
    child = None
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text(), 60)
        child = int(pid_file.read_text())
        assert alive(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        t0 = time.monotonic()
        assert wait_for(lambda: not alive(child), 2.0), "the job outlived its killed parent"
        assert time.monotonic() - t0 < 2.0
    finally:
        parent.kill()
        if child is not None and alive(child):
            os.kill(child, signal.SIGKILL)


@linux_only
def test_a_child_whose_parent_died_before_prctl_kills_itself(tmp_path):
    # The expected parent pid is not this process's, as if the parent had died between the
    # fork and the prctl call: the command must never run.
    marker = tmp_path / "ran"
    cmd = die_with_parent([sys.executable, "-c", f"open({str(marker)!r}, 'w')"], -1)
    assert subprocess.run(cmd, timeout=30).returncode == -signal.SIGKILL
    assert not marker.exists()
    # With the right parent pid the wrapper becomes the command (same pid, same exit code).
    ok = die_with_parent([sys.executable, "-c", "import os, sys; sys.exit(7)"], os.getpid())
    assert subprocess.run(ok, timeout=30).returncode == 7


def test_the_command_runs_unwrapped_off_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert die_with_parent(["solver", "job.json"], os.getpid()) == ["solver", "job.json"]


def test_a_missing_command_is_reported_before_anything_runs(tmp_path):
    with pytest.raises(SolverError, match="cannot start 'no-such-solver-here'"):
        run_job("fake", ["no-such-solver-here"], {}, tmp_path, "out.npz", 10)


# ----------------------------------------------------------------------------------------------
# (2) Stale folders are swept, live and reusable ones are not
# ----------------------------------------------------------------------------------------------
def make_run(root: Path, name: str, result_age_s: float | None = None, kept: bool = False) -> Path:
    """A run folder as a killed run leaves it: job, log, and perhaps a finished result."""
    port = root / name / "port1"
    port.mkdir(parents=True)
    (port / "job.json").write_text("{}")
    (port / "openems.log").write_text("...")
    (port / "ports.tmp.npz").write_bytes(b"half a zip")  # killed while writing: no result
    if result_age_s is not None:
        np.savez(port / "ports.npz", v=np.zeros(3))
        t = time.time() - result_age_s
        os.utime(port / "ports.npz", (t, t))
    if kept:
        (root / name / KEPT_NAME).touch()
    return root / name


def test_sweep_removes_only_folders_nobody_holds_or_needs(tmp_path):
    stale = make_run(tmp_path, "rfdesign-openems-killed")
    old = make_run(tmp_path, "rfdesign-openems-old", result_age_s=RESULT_MAX_AGE_S + 60)
    fresh = make_run(tmp_path, "rfdesign-openems-fresh", result_age_s=10)
    kept = make_run(tmp_path, "rfdesign-openems-kept", kept=True)
    mine = make_run(tmp_path, "rfdesign-openems-mine")
    held = make_run(tmp_path, "rfdesign-openems-held")
    half_removed = make_run(tmp_path, "rfdesign-openems-x.removing-1-ab")
    other = make_run(tmp_path, "rfdesign-meep-killed")
    # Another live process holds `held`, as a running solver holds its folder.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX);"
            " print('locked', flush=True); time.sleep(120)",
            str(held / ".lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        removed = sweep_stale_runs(tmp_path, "rfdesign-openems-*", skip={mine})
        assert sorted(removed) == sorted([stale, old])
        for gone in (stale, old, half_removed):
            assert not gone.exists(), gone
        for there in (fresh, kept, mine, held, other):
            assert there.exists(), there
        assert not list(tmp_path.glob("*.removing-*"))
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the holder's lock with the holder: now it is stale.
    assert sweep_stale_runs(tmp_path, "rfdesign-openems-*", skip={mine}) == [held]


def test_sweep_leaves_folders_locked_in_this_process(tmp_path):
    # flock locks belong to open files, not processes: a folder held by another thread of
    # this process is as safe as one held by another process.
    folder = make_run(tmp_path, "rfdesign-openems-busy")
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        assert sweep_stale_runs(tmp_path, "rfdesign-openems-*") == []
    assert sweep_stale_runs(tmp_path, "rfdesign-openems-*") == [folder]


# ----------------------------------------------------------------------------------------------
# (3) Run folders: reuse, sharing, failure, keep
# ----------------------------------------------------------------------------------------------
def test_a_finished_job_is_reused_and_a_changed_one_is_run(tmp_path):
    count = tmp_path / "count"
    cache_root = tmp_path / "cache"
    with run_folder("fake", "k1", cache_root) as folder:
        assert folder == cache_root / "runs" / "k1"
        sub = folder / "port1"
        sub.mkdir()
        first = write_job(sub, {"v": 1}, count)
        again = write_job(sub, {"v": 1}, count)
        changed = write_job(sub, {"v": 2}, count)
    assert (first.reused, again.reused, changed.reused) == (False, True, False)
    assert runs(count) == 2
    assert int(again.arrays["v"]) == 1 and int(changed.arrays["v"]) == 2
    assert not folder.exists()  # removed after success


def test_without_a_cache_the_folder_is_named_in_the_temp_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with run_folder("openems", "abc") as folder:
        assert folder == tmp_path / "rfdesign-openems-abc"
        assert folder.is_dir()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_use_is_not_shared(tmp_path):
    with run_folder("fake", "k", tmp_path) as first, run_folder("fake", "k", tmp_path) as second:
        assert first != second and second.name.startswith("k-")
        assert first.parent == second.parent
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_failed_run_keeps_its_finished_jobs_for_the_retry(tmp_path):
    count = tmp_path / "count"
    with pytest.raises(SolverError, match="exit code 3"), run_folder("fake", "k", tmp_path) as f:
        for port in (1, 2):
            (f / f"port{port}").mkdir()
            write_job(f / f"port{port}", {"v": port}, count, fail=port == 2)
    assert (f / "port1" / "out.npz").exists()
    with run_folder("fake", "k", tmp_path) as again:
        assert again == f
        assert write_job(f / "port1", {"v": 1}, count, fail=False).reused
        assert not write_job(f / "port2", {"v": 2}, count, fail=False).reused
    assert runs(count) == 3 and not f.exists()


def test_a_failed_run_with_nothing_finished_leaves_nothing(tmp_path):
    count = tmp_path / "count"
    with pytest.raises(SolverError), run_folder("fake", "k", tmp_path) as f:
        (f / "port1").mkdir()
        write_job(f / "port1", {"v": 1}, count, fail=True)
    assert not f.exists()


def test_keep_files_marks_the_folder_and_sweeps_leave_it(tmp_path):
    with run_folder("fake", "k", tmp_path, keep=True) as f:
        pass
    assert (f / KEPT_NAME).exists()
    assert sweep_stale_runs(tmp_path / "runs", "*", max_result_age_s=0) == []


# A reusable openEMS result, made by hand: no openEMS process may start.
SUB = Substrate()
W50 = microstrip_width_mm(SUB)


def through_layout(length_mm: float = 1.2) -> Layout:
    """A 50-ohm strip of three pixels (mirror-symmetric: one excitation)."""
    g = PixelGrid((length_mm / 6,) * 3, (W50,), SUB, W50, mirror=True, name="through")
    return Layout(g, "111")


def test_openems_reuses_the_waves_a_killed_run_left(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path / "cache")
    solver = OpenEMSSolver(OpenEMSSettings(preset="draft"), cache=cache)
    lay = through_layout()
    port = cache.root / "runs" / solver.cache_key(lay, F) / "port1"
    port.mkdir(parents=True)
    job = solver.job(lay, F, 1, port / "sim")
    (port / "job.json").write_text(json.dumps(job))
    (port / "openems.log").write_text("Time for 4321 iterations with 9010.00 cells : 2.00 sec\n")
    d = solver.settings.deembed_mm
    np.savez(
        port / "ports.npz",
        f_hz=F * 1e9,
        uf_inc1=np.ones(F.size, complex),
        uf_ref1=np.full(F.size, 0.1 + 0j),
        uf_ref2=np.full(F.size, 0.9 + 0j),
        uf_inc2=np.zeros(F.size, complex),
        meas_x1=np.array(-d),
        meas_x2=np.array(lay.grid.width_mm + d),
        n_cells=np.array(9010),
    )

    def no_process(*args, **kwargs):
        raise AssertionError("a finished run was started again")

    monkeypatch.setattr(isolated.subprocess, "Popen", no_process)
    net = solver.simulate(lay, F)
    info = net.rfdesign_info
    assert not info["cache_hit"]
    assert info["runs"][0]["reused_run"] and info["timesteps"] == 4321
    # The stored waves came through: |S11| = 0.1 (the 0.3 mm feed shift barely changes it).
    np.testing.assert_allclose(np.abs(net.s[:, 0, 0]), 0.1, rtol=0.02)
    assert not port.parent.exists() and list((cache.root / "runs").iterdir()) == []
    assert solver.simulate(lay, F).rfdesign_info["cache_hit"]


# ----------------------------------------------------------------------------------------------
# (4) A real openEMS run killed between its excitations, then resumed
# ----------------------------------------------------------------------------------------------
SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from rfdesign.layouts import Layout, PixelGrid, Substrate, microstrip_width_mm
    from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver

    sub = Substrate()
    w50 = microstrip_width_mm(sub)
    grid = PixelGrid((0.2,) * 3, (w50,), sub, w50, mirror=True, name="through")
    settings = OpenEMSSettings(preset="draft", excite_both_ports=True)
    net = OpenEMSSolver(settings).simulate(Layout(grid, "111"), np.linspace(34, 46, 5))
    print(json.dumps(net.rfdesign_info["runs"]))
    """
)


@linux_only
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("openEMS") is None, reason="openEMS not installed")
def test_openems_killed_mid_run_leaves_nothing_and_resumes(tmp_path):
    """Kill -9 the parent while openEMS runs the second excitation; then resume.

    No cache, as in ``rfdesign dataset generate``: the run folder is in TMPDIR (here a folder
    of this test, so that other openEMS runs on the machine are not counted). About 15 s.
    """
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    cmd = [sys.executable, "-c", SCRIPT]

    def jobs(*needles: str) -> list[int]:
        return processes_with("rfdesign.solvers._openems_job", str(tmp), *needles)

    parent = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: jobs("port2"), 90), "the second excitation never started"
        assert len(list(tmp.glob("rfdesign-openems-*/port1/ports.npz"))) == 1
        time.sleep(0.5)  # openEMS is running (a run takes ~5 s)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_for(lambda: not jobs(), 2.0), "openEMS outlived its killed parent"
    finally:
        parent.kill()
        for pid in jobs():
            os.kill(pid, signal.SIGKILL)
    (folder,) = tmp.glob("rfdesign-openems-*")  # kept: it holds port 1's finished waves

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    runs_info = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["reused_run"] for r in runs_info] == [True, False]
    assert all(r["timesteps"] > 1000 for r in runs_info)
    assert not folder.exists() and not list(tmp.glob("rfdesign-openems-*"))
    assert not jobs()
