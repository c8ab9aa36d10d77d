"""Meep solver: plumbing in CI, physics against scikit-rf only as an opt-in cluster test.

Meep's uniform grid needs cluster-sized resolutions for the 0.127 mm substrate (docs/meep.md
has the measured convergence). So CI runs the real Meep plumbing at a low resolution, which
checks that the model is built, run, probed and turned into S-parameters, not that they are
accurate; the physics checks (through line and open stub against scikit-rf) are marked
``cluster`` and run with ``pytest -m cluster`` on a machine that can afford them.
"""

import dataclasses
import os
import sys

import numpy as np
import pytest
import skrf
from rf_references.microstrip import notch_ghz, stub_circuit, stub_layout

from rfdesign.core.constants import C0, C0_MM_PER_NS, ETA0
from rfdesign.layouts import Layout, PixelGrid, Substrate, microstrip_width_mm
from rfdesign.layouts.feeds import microstrip_line
from rfdesign.solvers.base import ResultCache, SolverError, get_solver
from rfdesign.solvers.meep import (
    MeepSettings,
    MeepSolver,
    grid_resolution,
    job_command,
    renormalize,
    scattering_matrix,
    separate_waves,
)

F = np.linspace(34, 46, 7)  # GHz
SUB = Substrate()
W50 = microstrip_width_mm(SUB)

# Small domain for the plumbing tests: 2 substrate cells (15.7 px/mm), thin PML and margins.
PLUMBING = MeepSettings(
    resolution=16.0,
    pml_mm=0.5,
    side_margin_mm=0.4,
    air_height_mm=0.4,
    feed_length_mm=1.4,
    timeout_s=600.0,
)


def through_layout(length_mm: float = 1.2) -> Layout:
    """A 50-ohm strip built from pixels: one row as wide as the feed, all metal."""
    g = PixelGrid((length_mm / 2,), (W50,), SUB, W50, mirror=True, name="through")
    return Layout(g, "1")


# ----------------------------------------------------------------------------------------------
# CI: the real Meep plumbing at low resolution (plumbing only, not accuracy)
# ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_plumbing_through_line_low_resolution(tmp_path):
    """Checks plumbing only, not accuracy.

    Runs real Meep on a 1.2 mm through line at 2 cells across the substrate, far too coarse
    for physics (its effective permittivity is ~75 % high, docs/meep.md). It checks that the
    job runs in its own process, the probes come back, and the result is a finite, passive-ish
    two-port with the run information recorded; and that the cache returns it unchanged.
    """
    cwd = os.getcwd()
    cache = ResultCache(tmp_path / "cache")
    solver = MeepSolver(PLUMBING, cache=cache)
    net = solver.simulate(through_layout(), F)
    assert os.getcwd() == cwd
    assert net.s.shape == (F.size, 2, 2) and np.all(np.isfinite(net.s))
    assert np.allclose(net.z0, 50.0)
    s11, s21 = np.abs(net.s[:, 0, 0]), np.abs(net.s[:, 1, 0])
    assert s11.max() < 0.1 and 0.9 < s21.min() and s21.max() < 1.03, (s11, s21)
    info = net.rfdesign_info
    assert info["substrate_cells"] == 2
    assert info["resolution"] == pytest.approx(2 / SUB.height_mm)
    assert info["cells"] > 10_000 and info["cells_computed"] == info["cells"] // 2
    assert info["symmetry_y"] and info["runs"] == 1
    assert info["meep_time_units"] > 50 and info["timesteps"] > 1000
    assert info["wall_s"] > 0 and info["cpu_s"] > 0 and not info["truncated"]
    assert len(info["eps_eff_feed"]) == F.size and len(info["z0_feed_ohm"]) == F.size
    again = solver.simulate(through_layout(), F)
    assert again.rfdesign_info["cache_hit"]
    np.testing.assert_array_equal(again.s, net.s)


@pytest.mark.slow
def test_plumbing_both_excitations_without_y_symmetry():
    """Checks plumbing only: two excitations (S = B A^-1) on a layout with no y symmetry.

    The stub makes the metal asymmetric about the feed line, so the full cell is simulated;
    the layout is symmetric end to end, so the two excitations must agree (S11 = S22) and the
    result must be reciprocal, which exercises the wave separation of both ports.
    """
    settings = dataclasses.replace(PLUMBING, excite_both_ports=True)
    net = MeepSolver(settings).simulate(stub_layout(W50, 0.12, (0.3,)), F)
    s = net.s
    assert np.all(np.isfinite(s))
    info = net.rfdesign_info
    assert info["runs"] == 2 and not info["symmetry_y"]
    assert info["cells_computed"] == info["cells"]
    assert np.abs(s[:, 1, 0] - s[:, 0, 1]).max() < 0.03
    # Edges snapped to a coarse grid are not exactly symmetric end to end: looser for S11/S22.
    assert np.abs(s[:, 0, 0] - s[:, 1, 1]).max() < 0.05
    power = np.abs(s[:, 0, 0]) ** 2 + np.abs(s[:, 1, 0]) ** 2
    assert power.max() < 1.05


@pytest.mark.slow
def test_timeout_kills_the_run_and_reports_the_log():
    import time

    solver = MeepSolver(dataclasses.replace(PLUMBING, timeout_s=1.0))
    t0 = time.perf_counter()
    with pytest.raises(SolverError, match="timeout") as info:
        solver.simulate(through_layout(), F)
    assert time.perf_counter() - t0 < 30  # the process group was killed, not waited for
    assert info.value.log_tail is not None


def test_failed_job_raises_with_log_tail(monkeypatch):
    def failing(settings, job_file):
        return [sys.executable, "-c", "import sys; print('meep blew up'); sys.exit(3)"]

    monkeypatch.setattr("rfdesign.solvers.meep.job_command", failing)
    with pytest.raises(SolverError, match="exit code 3") as info:
        MeepSolver(PLUMBING).simulate(through_layout(), F)
    assert "meep blew up" in info.value.log_tail


# ----------------------------------------------------------------------------------------------
# Opt-in: physics at a cluster-sized resolution (pytest -m cluster)
# ----------------------------------------------------------------------------------------------
def cluster_solver() -> MeepSolver:
    """The ``fine`` preset (8 cells across the substrate) under MPI.

    Environment: RFDESIGN_MEEP_MPI_PROCESSES (ranks, default 1), RFDESIGN_MEEP_MPI_LAUNCHER
    (default ``mpirun -np {n}``), RFDESIGN_MEEP_RESOLUTION (px/mm, overrides the preset).
    """
    ranks = int(os.environ.get("RFDESIGN_MEEP_MPI_PROCESSES", "1"))
    resolution = os.environ.get("RFDESIGN_MEEP_RESOLUTION")
    launcher = os.environ.get("RFDESIGN_MEEP_MPI_LAUNCHER", "mpirun -np {n}")
    return MeepSolver(
        MeepSettings(
            preset="fine",
            resolution=float(resolution) if resolution else None,
            mpi_processes=ranks,
            mpi_launcher=launcher,
            timeout_s=48 * 3600,
        )
    )


@pytest.mark.cluster
def test_cluster_through_line_matches_microstrip_model():
    f = np.linspace(34, 46, 13)
    length = 3.0
    net = cluster_solver().simulate(through_layout(length), f)
    assert net.s_db[:, 0, 0].max() < -20.0
    assert net.s_db[:, 1, 0].min() > -0.5
    ref = microstrip_line(SUB, W50, f)
    phase = -np.unwrap(np.angle(net.s[:, 1, 0]))
    beta_ref = ref.gamma.imag * length * 1e-3
    phase += 2 * np.pi * np.round((beta_ref[0] - phase[0]) / (2 * np.pi))
    k0 = 2 * np.pi * f * 1e9 / C0
    eps = (phase / (length * 1e-3) / k0) ** 2
    rel = np.abs(eps / np.real(ref.ep_reff_f) - 1)
    assert rel.max() < 0.05, rel.max()


@pytest.mark.cluster
def test_cluster_open_stub_notch_matches_scikit_rf_circuit():
    """A 0.75 mm open stub on the 50-ohm line vs the scikit-rf circuit (lines, Hammerstad's
    T-junction reference plane, Kirschning-Jansen-Koster open end); same check as openEMS's."""
    f = np.linspace(34, 46, 121)
    lay = stub_layout(W50, 0.12, (0.25, 0.25, 0.25))
    assert lay.grid.port_rows == (0,) and lay.connectivity.connected
    net = cluster_solver().simulate(lay, f)
    ref = stub_circuit(W50, 0.12, 0.75, f)
    f_sim, f_ref = notch_ghz(f, net.s[:, 1, 0]), notch_ghz(f, ref.s[:, 1, 0])
    assert 36 < f_ref < 44
    assert abs(f_sim / f_ref - 1) < 0.05, (f_sim, f_ref)
    assert net.s_db[:, 1, 0].min() < -15


# ----------------------------------------------------------------------------------------------
# Fast: settings, registry, command line, job geometry and the wave algebra (no Meep run)
# ----------------------------------------------------------------------------------------------
def test_registry_builds_the_meep_solver():
    solver = get_solver("meep", preset="draft")
    assert isinstance(solver, MeepSolver)
    assert solver.fidelity == "fullwave" and solver.name == "meep"
    assert solver.settings.requested_resolution == 16.0
    assert "model" in solver.version
    with pytest.raises(KeyError, match="did you mean 'meep'"):
        get_solver("mep")
    with pytest.raises(TypeError, match="unknown field"):
        get_solver("meep", resolutoin=20)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"preset": "ultra"}, "preset"),
        ({"metal": "foil"}, "metal"),
        ({"resolution": 0.0}, "resolution"),
        ({"pml_mm": 0.0}, "pml_mm"),
        ({"mpi_processes": 0}, "mpi_processes"),
        ({"mpi_processes": 2, "mpi_launcher": "mpirun"}, "mpi_launcher"),
        ({"feed_length_mm": 0.8}, "feed_length_mm"),
        ({"reference": "75ohm"}, "reference"),
        ({"deembed_gamma": "guess"}, "deembed_gamma"),
    ],
)
def test_bad_settings_are_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        MeepSettings(**changes)


def test_settings_are_frozen_and_hashable():
    s = MeepSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.preset = "fine"  # type: ignore[misc]
    assert MeepSolver(s).cache_key(through_layout(), F) != MeepSolver(
        MeepSettings(preset="fine")
    ).cache_key(through_layout(), F)


def test_resolution_snaps_to_whole_substrate_cells():
    assert grid_resolution(16.0, 0.127) == (pytest.approx(2 / 0.127), 2)
    assert grid_resolution(24.0, 0.127) == (pytest.approx(3 / 0.127), 3)
    assert grid_resolution(1.0, 0.127) == (pytest.approx(1 / 0.127), 1)


def test_mpirun_command_line():
    serial = job_command(MeepSettings(), "/tmp/j/job.json")
    assert serial == [sys.executable, "-m", "rfdesign.solvers._meep_job", "/tmp/j/job.json"]
    mpi = job_command(MeepSettings(mpi_processes=8), "/tmp/j/job.json")
    assert mpi == ["mpirun", "-np", "8", *serial]
    slurm = job_command(MeepSettings(mpi_processes=4, mpi_launcher="srun -n {n} --mpi=pmi2"), "j")
    assert slurm[:4] == ["srun", "-n", "4", "--mpi=pmi2"]
    assert slurm[4:] == [sys.executable, "-m", "rfdesign.solvers._meep_job", "j"]


def test_job_geometry_is_on_the_grid():
    lay = stub_layout(W50, 0.12, (0.25, 0.25, 0.25))
    solver = MeepSolver(MeepSettings(preset="standard"))
    job = solver.job(lay, F, 2)
    res = job["resolution"]
    assert job["substrate_cells"] == 4 and res == pytest.approx(4 / SUB.height_mm)

    def on_grid(v):
        return abs(v * res - round(v * res)) < 1e-6

    (x0, x1), (y0, y1), z_top = job["cell"]["x"], job["cell"]["y"], job["cell"]["z_top"]
    for span in (x1 - x0, y1 - y0, z_top):
        n = round(span * res)
        assert abs(span * res - n) < 1e-6 and n % 2 == 0  # even counts: centre on the grid
    xc, yc = (x0 + x1) / 2, (y0 + y1) / 2
    assert xc == pytest.approx(lay.grid.width_mm / 2)  # grid mirror-symmetric about the patch
    assert yc == pytest.approx(job["strip"]["yc"])  # Meep's mirror plane on the feed line
    for planes in job["planes"]:
        assert all(on_grid(x - xc) for x in planes)
        assert np.ptp(np.diff(planes)) < 1e-9
    np.testing.assert_allclose(np.add(*job["planes"]), 2 * xc)  # mirror images
    # Snapped metal: every box edge a quarter cell beyond a grid plane.
    for bx0, by0, bx1, by1 in job["metal"]:
        assert on_grid(bx0 - xc + 0.25 / res) and on_grid(bx1 - xc - 0.25 / res)
        assert on_grid(by0 - yc + 0.25 / res) and on_grid(by1 - yc - 0.25 / res)
    assert job["strip"]["w_grid"] * res == pytest.approx(4)  # 0.12 mm = 3.79 px -> 4 cells
    assert job["planes"][0][0] == pytest.approx(-0.3, abs=0.5 / res + 1e-9)
    assert job["source"]["x"] > job["planes"][1][-1] and job["source"]["port"] == 2
    assert not job["symmetry_y"]  # the stub sits on one side of the line
    assert solver.job(through_layout(), F, 1)["symmetry_y"]
    z0, z1 = job["metal_z"]
    assert z0 < SUB.height_mm < z1 and (z1 - z0) * res == pytest.approx(0.5)  # one E plane
    assert job["freqs"][0] == pytest.approx(34 / C0_MM_PER_NS)
    # metal="block": max(4 um, 1 cell) = one cell thick, i.e. two planes of E nodes.
    b0, b1 = MeepSolver(MeepSettings(metal="block")).job(lay, F, 1)["metal_z"]
    assert (b1 - b0) * res == pytest.approx(1.5) and b0 < SUB.height_mm


def synthetic(A, B, gamma, z0, u):
    """Probe voltages (Meep's e^{-iwt}) and +x powers from waves A, B at the plane u[0]."""
    d = (u - u[0])[None, :, None]
    V = A[:, None] * np.exp(gamma * d) + B[:, None] * np.exp(-gamma * d)  # port x plane x f
    P = np.array([1.0, -1.0])[:, None] * (np.abs(A) ** 2 - np.abs(B) ** 2) / (z0 / ETA0)
    return np.conj(V), P


def test_wave_separation_recovers_known_waves():
    rng = np.random.default_rng(1)
    nf = 5
    gamma = 0.01 + 1j * np.linspace(1.8, 2.5, nf)  # 1/mm
    u = 0.3 + 0.25 * np.arange(3)
    runs = []
    truth = []
    for _ in range(2):
        A = rng.normal(size=(2, nf)) + 1j * rng.normal(size=(2, nf))
        B = rng.normal(size=(2, nf)) + 1j * rng.normal(size=(2, nf))
        runs.append(synthetic(A, B, gamma, 47.0, u))
        truth.append((A, B))
    waves = separate_waves([r[0] for r in runs], [r[1] for r in runs], 0.25)
    np.testing.assert_allclose(waves["gamma"], gamma, rtol=1e-9)
    np.testing.assert_allclose(waves["z0"], 47.0, rtol=1e-9)
    for e, (A, B) in enumerate(truth):
        np.testing.assert_allclose(waves["A"][e], A, rtol=1e-9)
        np.testing.assert_allclose(waves["B"][e], B, rtol=1e-9)


def test_scattering_matrix_from_two_excitations():
    rng = np.random.default_rng(2)
    nf = 4
    S = rng.normal(size=(nf, 2, 2)) + 1j * rng.normal(size=(nf, 2, 2))
    A = rng.normal(size=(2, 2, nf)) + 1j * rng.normal(size=(2, 2, nf))  # excitation x port x f
    B = np.einsum("fij,ejf->eif", S, A)
    got, _ = scattering_matrix(A, B, both=True)
    np.testing.assert_allclose(got, S, rtol=1e-9, atol=1e-12)
    A1 = A.copy()
    A1[0, 1] = 0
    B1 = np.einsum("fij,ejf->eif", S, A1)
    one, ratio = scattering_matrix(A1, B1, both=False)
    np.testing.assert_allclose(one[:, 0, 0], S[:, 0, 0])
    np.testing.assert_allclose(one[:, 1, 0], S[:, 1, 0])
    assert ratio == 0.0


def test_renormalize_matches_scikit_rf():
    rng = np.random.default_rng(3)
    nf = 3
    S = 0.3 * (rng.normal(size=(nf, 2, 2)) + 1j * rng.normal(size=(nf, 2, 2)))
    z = np.array([55.0, 60.0, 45.0])
    freq = skrf.Frequency.from_f([1, 2, 3], unit="GHz")
    net = skrf.Network(frequency=freq, s=S, z0=np.repeat(z[:, None], 2, axis=1))
    net.renormalize(50.0)
    np.testing.assert_allclose(renormalize(S, z, 50.0), net.s, atol=1e-12)
