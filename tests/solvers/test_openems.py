"""openEMS against references: scikit-rf's microstrip model and a scikit-rf stub circuit.

These run the real solver (a few seconds each on 2 cores); they are marked slow and run in CI.
"""

import os

import numpy as np
import pytest
import skrf

from rfdesign.layouts import Layout, PixelGrid, Substrate, get_grid, microstrip_width_mm
from rfdesign.layouts.feeds import microstrip_line
from rfdesign.solvers.base import ResultCache, SolverError, get_solver
from rfdesign.solvers.mesh import cell_count
from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver, build_mesh, parse_log

F = np.linspace(34, 46, 25)  # GHz
SUB = Substrate()
W50 = microstrip_width_mm(SUB)


def through_layout(length_mm: float = 2.1) -> Layout:
    """A 50-ohm strip built from pixels: one row as wide as the feed, all metal."""
    g = PixelGrid((length_mm / 6,) * 3, (W50,), SUB, W50, mirror=True, name="through")
    return Layout(g, "111")


def stub_layout(stub_mm: float) -> Layout:
    """A through line with a 0.12 mm wide open stub of ``stub_mm`` above its centre."""
    g = PixelGrid((0.9, 0.06), (W50, stub_mm), SUB, W50, mirror=True, name="stub")
    return Layout(g, "1101")  # row 0: line; row 1: only the centre column (the stub)


def open_end_extension_mm(w_mm: float, eps_eff: float, h_mm: float) -> float:
    """Open-end length extension (Hammerstad and Jensen, IEEE MTT-S Digest 1980, p. 407)."""
    u = w_mm / h_mm
    return 0.412 * h_mm * (eps_eff + 0.3) * (u + 0.264) / ((eps_eff - 0.258) * (u + 0.8))


def stub_reference(stub_mm: float, f_ghz: np.ndarray) -> skrf.Network:
    """scikit-rf circuit of the same stub: line - (tee + open stub) - line, 50 ohm ports."""
    half = 0.96  # mm from each patch edge to the stub centre line
    feed = microstrip_line(SUB, W50, f_ghz)
    stub = microstrip_line(SUB, 0.12, f_ghz)
    eps = float(np.real(stub.ep_reff_f).mean())
    # Stub length from the main line's centre line, plus the open-end extension.
    length = stub_mm + W50 / 2 + open_end_extension_mm(0.12, eps, SUB.height_mm)
    net = (
        feed.line(half * 1e-3, "m")
        ** feed.shunt(stub.delay_open(length * 1e-3, "m"))
        ** feed.line(half * 1e-3, "m")
    )
    net.renormalize(50.0)
    return net


@pytest.fixture(scope="module")
def solver():
    return OpenEMSSolver(OpenEMSSettings(preset="standard"))


@pytest.mark.slow
def test_through_line_matches_microstrip_model(solver):
    net = solver.simulate(through_layout(), F)
    s11, s21 = net.s_db[:, 0, 0], net.s_db[:, 1, 0]
    assert s11.max() < -20.0, s11.max()
    assert s21.min() > -0.5, s21.min()
    # Phase delay of the 2.1 mm strip vs scikit-rf's microstrip (Kirschning-Jansen dispersion).
    beta_ref = microstrip_line(SUB, W50, F).gamma.imag * 2.1e-3
    phase = -np.unwrap(np.angle(net.s[:, 1, 0]))
    phase += 2 * np.pi * np.round((beta_ref[0] - phase[0]) / (2 * np.pi))
    rel = np.abs(phase / beta_ref - 1)
    assert rel.max() < 0.05, rel.max()
    info = net.rfdesign_info
    assert info["timesteps"] > 1000 and info["cells"] > 10_000 and not info["truncated"]


@pytest.mark.slow
def test_open_stub_notch_matches_scikit_rf_circuit(solver):
    f = np.linspace(34, 46, 121)
    net = solver.simulate(stub_layout(0.6), f)
    ref = stub_reference(0.6, f)
    f_sim = f[np.argmin(np.abs(net.s[:, 1, 0]))]
    f_ref = f[np.argmin(np.abs(ref.s[:, 1, 0]))]
    assert 36 < f_ref < 44  # the reference notch lies inside the band, away from its ends
    assert abs(f_sim / f_ref - 1) < 0.05, (f_sim, f_ref)
    assert net.s_db[:, 1, 0].min() < -15  # a real notch, not a ripple


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11])
def test_random_layout_is_passive_and_reciprocal(seed):
    lay = Layout.random(get_grid("ka_pixel_4x5"), seed=seed)
    net = OpenEMSSolver(OpenEMSSettings(preset="draft", excite_both_ports=True)).simulate(lay, F)
    s = net.s
    p1 = np.abs(s[:, 0, 0]) ** 2 + np.abs(s[:, 1, 0]) ** 2
    p2 = np.abs(s[:, 1, 1]) ** 2 + np.abs(s[:, 0, 1]) ** 2
    assert p1.max() <= 1.02 and p2.max() <= 1.02, (p1.max(), p2.max())
    assert np.abs(s[:, 1, 0] - s[:, 0, 1]).max() < 0.02
    # The layout is mirror-symmetric: the two excitations see the same reflection.
    assert np.abs(s[:, 0, 0] - s[:, 1, 1]).max() < 0.02
    assert len(net.rfdesign_info["runs"]) == 2


@pytest.mark.slow
def test_cache_and_isolation(tmp_path):
    cwd = os.getcwd()
    cache = ResultCache(tmp_path / "cache")
    solver = get_solver("openems", cache=cache, preset="draft")
    lay = through_layout(1.2)
    first = solver.simulate(lay, F)
    assert os.getcwd() == cwd  # openEMS ran elsewhere
    again = solver.simulate(lay, F)
    assert again.rfdesign_info["cache_hit"] and not first.rfdesign_info["cache_hit"]
    np.testing.assert_array_equal(first.s, again.s)
    assert len(list(cache.keys())) == 1


@pytest.mark.slow
def test_failed_run_raises_with_log_tail():
    solver = OpenEMSSolver(OpenEMSSettings(preset="draft", timeout_s=0.5))
    with pytest.raises(SolverError, match="timeout") as info:
        solver.simulate(through_layout(), F)
    assert info.value.log_tail is not None


def test_mesh_has_lines_on_every_edge_and_respects_the_preset():
    lay = Layout.random(get_grid("ka_pixel_4x5"), seed=0)
    g = lay.grid
    for preset, n_per_lambda in (("draft", 20), ("standard", 40), ("fine", 60)):
        mesh = build_mesh(lay, 46.0, OpenEMSSettings(preset=preset))
        for x in g.x_edges_mm:
            assert np.min(np.abs(mesh["x"] - x)) < 1e-9
        for y in [*g.y_edges_mm, *g.feed_span_mm]:
            assert np.min(np.abs(mesh["y"] - y)) < 1e-9
        h_max = 299.792458 / 46.0 / np.sqrt(SUB.eps_r) / n_per_lambda
        patch = (mesh["x"] >= 0) & (mesh["x"] <= g.width_mm)
        assert np.diff(mesh["x"][patch]).max() <= h_max + 1e-9
        assert np.all(np.diff(mesh["x"]) > 0) and np.all(np.diff(mesh["z"]) > 0)
        ratios = np.diff(mesh["z"])[1:] / np.diff(mesh["z"])[:-1]
        assert ratios.max() <= 1.4 + 1e-9
    assert cell_count(build_mesh(lay, 46.0, OpenEMSSettings(preset="fine"))) > cell_count(
        build_mesh(lay, 46.0, OpenEMSSettings(preset="draft"))
    )


def test_log_parser_reads_engine_lines():
    log = (
        "[@        4s] Timestep:        30304 || Speed:   57.6 MC/s (1.320e-04 s/TS) || "
        "Energy: ~6.67e-24 (-77.84dB)\nTime for 30304 iterations with 7605.00 cells : 4.00 sec\n"
    )
    assert parse_log(log) == {
        "timesteps": 30304,
        "engine_cells": 7605,
        "engine_s": 4.0,
        "final_energy_db": -77.84,
    }


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="threads"):
        OpenEMSSettings(threads=0)
    with pytest.raises(ValueError, match="preset"):
        OpenEMSSettings(preset="ultra")
    with pytest.raises(KeyError, match="did you mean 'openems'"):
        get_solver("openem")
