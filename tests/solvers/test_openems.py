"""openEMS against references: scikit-rf's microstrip model and a scikit-rf stub circuit.

These run the real solver (a few seconds each on 2 cores); they are marked slow and run in CI.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from rf_references.microstrip import notch_ghz, stub_circuit, stub_layout

from rfdesign.layouts import Layout, PixelGrid, Substrate, get_grid, microstrip_width_mm
from rfdesign.layouts.feeds import microstrip_line
from rfdesign.solvers.base import ResultCache, SolverError, get_solver
from rfdesign.solvers.canonical import CHECKS, canonical_settings
from rfdesign.solvers.mesh import cell_count, shared_boundaries
from rfdesign.solvers.openems import (
    MESH_PRESETS,
    OpenEMSSettings,
    OpenEMSSolver,
    build_mesh,
    coarser_preset,
    parse_log,
)

F = np.linspace(34, 46, 25)  # GHz
SUB = Substrate()
W50 = microstrip_width_mm(SUB)


def through_layout(length_mm: float = 2.1) -> Layout:
    """A 50-ohm strip built from pixels: one row as wide as the feed, all metal."""
    g = PixelGrid((length_mm / 6,) * 3, (W50,), SUB, W50, mirror=True, name="through")
    return Layout(g, "111")


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
    """A 0.75 mm open stub on the 50-ohm line: openEMS notch vs the scikit-rf circuit
    (lines, Hammerstad's T-junction reference plane, Kirschning-Jansen-Koster open end)."""
    f = np.linspace(34, 46, 121)
    lay = stub_layout(W50, 0.12, (0.25, 0.25, 0.25))
    assert lay.grid.port_rows == (0,) and lay.connectivity.connected  # the feeds drive the line
    net = solver.simulate(lay, f)
    ref = stub_circuit(W50, 0.12, 0.75, f)
    f_sim, f_ref = notch_ghz(f, net.s[:, 1, 0]), notch_ghz(f, ref.s[:, 1, 0])
    assert 36 < f_ref < 44  # the reference notch lies inside the band, away from its ends
    assert abs(f_sim / f_ref - 1) < 0.05, (f_sim, f_ref)
    assert net.s_db[:, 1, 0].min() < -15  # a real notch
    # Shape: with the notch frequencies aligned, |S21| follows the circuit within 2 dB away
    # from the null (openEMS and the circuit differ by a few percent in the notch frequency).
    f_wide = np.linspace(25, 55, 601)
    ref_db = stub_circuit(W50, 0.12, 0.75, f_wide).s_db[:, 1, 0]
    aligned = np.interp(f * f_ref / f_sim, f_wide, ref_db)
    away = np.abs(f - f_sim) > 1.5
    assert np.abs(net.s_db[away, 1, 0] - aligned[away]).max() < 2.0


@pytest.mark.slow
def test_random_layout_is_passive_and_reciprocal():
    # a random layout of the committed test set (data/openems_ka_pixel_4x5_standard_test) that
    # rings briefly on draft (13k steps per excitation); Layout.random(seed=11)'s rang 212 s
    # with both excitations on model 2's meshing, a seventh of CI's time budget
    lay = Layout.from_bits(get_grid("ka_pixel_4x5"), "000110111111010")
    # -50 dB end criterion: at the default -40 dB the residual ringing left |S21 - S12| at
    # 0.021 at 34 GHz in one run (truncation error at the band edge, not non-reciprocity).
    settings = OpenEMSSettings(preset="draft", excite_both_ports=True, end_criteria_db=-50.0)
    net = OpenEMSSolver(settings).simulate(lay, F)
    s = net.s
    p1 = np.abs(s[:, 0, 0]) ** 2 + np.abs(s[:, 1, 0]) ** 2
    p2 = np.abs(s[:, 1, 1]) ** 2 + np.abs(s[:, 0, 1]) ** 2
    assert p1.max() <= 1.02 and p2.max() <= 1.02, (p1.max(), p2.max())
    assert np.abs(s[:, 1, 0] - s[:, 0, 1]).max() < 0.02
    # The layout is mirror-symmetric: the two excitations see the same reflection.
    assert np.abs(s[:, 0, 0] - s[:, 1, 1]).max() < 0.02
    assert len(net.rfdesign_info["runs"]) == 2


@pytest.mark.slow
def test_channel_housing_stops_the_radiation_of_an_open_strip():
    """A 1.3 mm strip end-coupled to both feeds (a half-wave resonator near 39.5 GHz).

    Open boundaries: its open ends radiate, so at resonance a large part of the power leaves
    neither port (docs/design_space.md measured 35 %). In a channel housing (PEC walls 0.6 mm
    beside it, lid 1 mm above) nothing can radiate; with PEC metal only the substrate's
    tan delta = 1e-4 dissipates (Q_d = 1e4), so the power sum must stay at 1. The walls may
    pull the resonance a little, not move it out of place.
    """
    f = np.linspace(34, 46, 61)
    g = PixelGrid((0.10, 0.65), (0.27,), SUB, W50, mirror=True, name="end-coupled strip")
    lay = Layout(g, "01")
    housed = {"side_margin_mm": 0.6, "air_height_mm": 1.0}

    def run(side: str, extra: dict):
        # -50 dB end criterion: in the housing the resonator rings down only through the weak
        # end couplings, and at -40 dB the truncation alone moved the power sum by 2 %. Draft:
        # the ring-down takes 220k of its time steps (standard's smaller cells need over 300k)
        settings = OpenEMSSettings(
            preset="draft",
            side_boundary=side,
            end_criteria_db=-50.0,
            max_timesteps=600_000,
            **extra,
        )
        return OpenEMSSolver(settings).simulate(lay, f)

    # the two runs side by side, one core each (each openEMS job is its own process)
    with ThreadPoolExecutor(2) as pool:
        jobs = {
            side: pool.submit(run, side, extra) for side, extra in (("MUR", {}), ("PEC", housed))
        }
        nets = {side: job.result() for side, job in jobs.items()}
    lost = {k: 1 - np.abs(n.s[:, 0, 0]) ** 2 - np.abs(n.s[:, 1, 0]) ** 2 for k, n in nets.items()}
    peak = {k: f[np.argmax(np.abs(n.s[:, 1, 0]))] for k, n in nets.items()}
    assert 36 < peak["MUR"] < 44 and 36 < peak["PEC"] < 44, peak
    assert abs(peak["PEC"] / peak["MUR"] - 1) < 0.04, peak
    assert lost["MUR"].max() > 0.2, lost["MUR"].max()
    # In the housing the ports gain 1-2 % power across the band (model version 2; 1-2.3 % with
    # version 1), and 3-5 % at the resonance, where the ring-down is cut at -50 dB (two runs:
    # 3.2 % and 4.9 %): the ports' calibration and truncation, not radiation, which is a loss
    # of tens of percent at the resonance as in the open case.
    assert np.median(np.abs(lost["PEC"])) < 0.03, np.abs(lost["PEC"])
    assert np.abs(lost["PEC"]).max() < 0.08, np.abs(lost["PEC"]).max()


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


def test_mesh_has_lines_on_every_metal_edge_and_follows_the_ladder():
    lay = Layout.random(get_grid("ka_pixel_4x5"), seed=0)
    g = lay.grid
    counts = []
    rects = [*lay.metal_rects(), *lay.feed_rects()]
    for preset in ("draft", "standard", "fine", "reference"):
        s = MESH_PRESETS[preset].refinement
        # exactly on the lines: openEMS decides by exact comparison whether a line lies inside
        # a metal box (a line 5e-16 outside an edge drops a cell of metal)
        on_line = build_mesh(lay, 46.0, OpenEMSSettings(preset=preset, edge_rule="on-line"))
        for x0, y0, x1, y1 in lay.metal_rects():
            assert {x0, x1} <= set(on_line["x"]) and {y0, y1} <= set(on_line["y"])
        assert set(g.feed_span_mm) <= set(on_line["y"])
        mesh = build_mesh(lay, 46.0, OpenEMSSettings(preset=preset))
        assert set(shared_boundaries(rects, "x")) <= set(mesh["x"])  # where two boxes meet
        assert set(shared_boundaries(rects, "y")) <= set(mesh["y"])
        h_max = 299.792458 / 46.0 / np.sqrt(SUB.eps_r) / (20 * s)
        patch = (mesh["x"] >= 0) & (mesh["x"] <= g.width_mm)
        assert np.diff(mesh["x"][patch]).max() <= h_max + 1e-9
        assert np.sum(mesh["z"] <= SUB.height_mm + 1e-12) - 1 == max(2, round(2 * s))
        assert np.all(np.diff(mesh["x"]) > 0) and np.all(np.diff(mesh["z"]) > 0)
        ratios = np.diff(mesh["z"])[1:] / np.diff(mesh["z"])[:-1]
        assert ratios.max() <= 1.4 + 1e-9
        counts.append(cell_count(mesh))
    assert counts == sorted(counts)
    # The side boundaries (a channel's walls) stand exactly side_margin_mm beside the patch,
    # also when that is narrower than the finely meshed strip beside it.
    for margin in (0.2, 0.6, 1.0):
        y = build_mesh(lay, 46.0, OpenEMSSettings(side_margin_mm=margin))["y"]
        assert abs(y[0] + margin) < 1e-9 and abs(y[-1] - g.height_mm - margin) < 1e-9


def test_thirds_rule_keeps_lines_off_free_edges_and_on_shared_ones():
    lay = through_layout()  # one strip: free edges at the strip's sides, cells meeting in x
    g = lay.grid
    mesh = build_mesh(lay, 46.0, OpenEMSSettings(preset="standard", edge_rule="thirds"))
    y0, y1 = g.feed_span_mm
    h = 299.792458 / 46.0 / np.sqrt(SUB.eps_r) / MESH_PRESETS["standard"].edge_cells_per_wavelength
    for edge, inward in ((y0, 1), (y1, -1)):
        assert edge not in set(mesh["y"])
        assert np.min(np.abs(mesh["y"] - (edge + inward * h / 3))) < 1e-9
        assert np.min(np.abs(mesh["y"] - (edge - inward * 2 * h / 3))) < 1e-9
    for x in g.x_edges_mm[1:-1]:  # cells meeting: a line on their common edge
        assert x in set(mesh["x"])


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
    with pytest.raises(ValueError, match="error_estimate: 'draft' is the coarsest"):
        OpenEMSSettings(preset="draft", error_estimate=True)
    with pytest.raises(ValueError, match="edge_rule"):
        OpenEMSSettings(edge_rule="halves")
    assert coarser_preset("reference") == "fine" and coarser_preset("fine") == "draft"
    assert coarser_preset("standard") == "draft" and coarser_preset("draft") is None
    with pytest.raises(KeyError, match="did you mean 'openems'"):
        get_solver("openem")


@pytest.mark.slow
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_canonical_checks_pass_on_the_standard_mesh(check):
    """Impedance, resonator frequency and Q, coupling coefficient against their references
    (rfdesign/solvers/canonical.py states each tolerance; make bench BENCH=canonical has
    every preset of both engines)."""
    solver = OpenEMSSolver(canonical_settings("openems", "standard", threads=2))
    results = CHECKS[check](solver.simulate)
    assert results
    for r in results:
        assert r.passed, (r.quantity, r.measured, r.reference, r.deviation)
