"""Dataset generation: samplers, resume after kill -9, worker death, recorded failures."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from rfdesign.datasets.generate import generate, sample_bits
from rfdesign.datasets.store import Dataset
from rfdesign.layouts import Layout, get_grid
from rfdesign.solvers.base import SolverError, get_solver
from rfdesign.solvers.circuit import CircuitSolver

GRID = get_grid("ka_pixel_4x5")
F = np.linspace(34, 46, 11)


def test_samplers_are_unique_seeded_and_sized():
    for sampler in ("random", "sobol"):
        a = sample_bits(GRID, sampler, 200, seed=4)
        b = sample_bits(GRID, sampler, 200, seed=4)
        assert a.shape == (200, 15) and np.array_equal(a, b)
        assert len({row.tobytes() for row in a}) == 200
    everything = sample_bits(GRID, "all")
    assert everything.shape == (32768, 15) and len({r.tobytes() for r in everything}) == 32768
    assert Layout(GRID, everything[5]) == Layout.from_index(GRID, 5)
    with pytest.raises(ValueError, match="sampler"):
        sample_bits(GRID, "grid", 3)
    with pytest.raises(ValueError, match="2\\^62"):
        sample_bits(get_grid("ka_pixel_8x8"), "all")


def test_resume_skips_stored_layouts(tmp_path):
    solver = get_solver("circuit")
    ds = Dataset.create(tmp_path / "d", GRID, "circuit", solver.settings_dict(), F)
    bits = sample_bits(GRID, "random", 40, seed=0)
    first = generate(ds, solver, GRID, bits[:25], chunk_size=8)
    second = generate(ds, solver, GRID, bits, chunk_size=8)
    assert (first.computed, second.skipped, second.computed) == (25, 25, 15)
    assert len(ds) == 40


class FailingSolver(CircuitSolver):
    """The circuit model, except that layouts whose first bit is 1 raise (bookkeeping test)."""

    def _simulate(self, layout, f_ghz):
        if layout.bits[0]:
            raise SolverError("synthetic failure for the bookkeeping test", "log tail")
        return super()._simulate(layout, f_ghz)

    simulate_bits = None  # force the one-by-one path


def test_failures_are_recorded_and_the_batch_goes_on(tmp_path):
    solver = FailingSolver()
    ds = Dataset.create(tmp_path / "d", GRID, "circuit", solver.settings_dict(), F)
    bits = sample_bits(GRID, "random", 30, seed=1)
    report = generate(ds, solver, GRID, bits, chunk_size=4, retries=1)
    n_bad = int(bits[:, 0].sum())
    assert 0 < n_bad < 30
    assert (report.computed, report.failed) == (30 - n_bad, n_bad)
    summary = ds.summary()
    assert (summary["samples"], summary["failed"]) == (30 - n_bad, n_bad)
    assert all("synthetic failure" in err for _, err in ds.failures())
    assert all(json.loads(x)["attempts"] == 2 for x in ds._root["info"][:] if "error" in x)


def _cli(*args):
    return [sys.executable, "-m", "rfdesign.cli", "dataset", "generate", *args]


@pytest.mark.slow
def test_kill_minus_nine_then_resume_loses_and_repeats_nothing(tmp_path):
    out = tmp_path / "ds"
    args = [
        "--solver",
        "circuit",
        "--sampler",
        "random",
        "--n",
        "3000",
        "--seed",
        "5",
        "--chunk",
        "50",
        "--cluster",
        "none",
        "--points",
        "11",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "journal").glob("*.npz"))) < 4:
        if proc.poll() is not None:
            pytest.fail("the generator finished before it could be killed; raise --n")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = len(Dataset.open(out))
    assert 0 < stored < 3000 and stored % 50 == 0  # whole chunks only, nothing half-written
    done = subprocess.run(_cli(*args, "--json"), capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["skipped"] == stored and report["computed"] == 3000 - stored
    assert report["dataset"] == {"samples": 3000, "unique": 3000, "failed": 0}
    ds = Dataset.open(out)
    bits, s = ds.arrays()
    assert np.isfinite(s).all()
    # Spot-check stored results against a fresh computation (the model is deterministic).
    solver = get_solver("circuit")
    for i in (0, len(bits) // 2, len(bits) - 1):
        fresh = solver.simulate(Layout(GRID, bits[i]), ds.f_ghz)
        np.testing.assert_allclose(s[i], fresh.s, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_killed_dask_worker_loses_nothing(tmp_path):
    """Real openEMS runs (draft) on two local Dask workers; one worker is killed mid-task."""
    from rfdesign.cluster import executor_for

    solver = get_solver("openems", preset="draft")
    bits = sample_bits(GRID, "random", 4, seed=9)
    ds = Dataset.create(tmp_path / "d", GRID, "openems", solver.settings_dict(), F)
    with executor_for("local", workers=2) as executor:
        pids = executor._client.run(os.getpid)
        result = {}
        worker = threading.Thread(
            target=lambda: result.update(
                r=generate(ds, solver, GRID, bits, executor=executor, retries=2)
            )
        )
        worker.start()
        time.sleep(3.0)  # both workers are inside an openEMS run now
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        worker.join(timeout=600)
    report = result["r"]
    assert report.computed == 4 and report.failed == 0
    summary = ds.summary()
    assert (summary["samples"], summary["unique"], summary["failed"]) == (4, 4, 0)
