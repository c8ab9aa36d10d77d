"""The coarse circuit model against scikit-rf and closed-form microstrip references.

References are computed here, independently of the model: scikit-rf's MLine (Hammerstad-Jensen
with Kirschning-Jansen dispersion), the Kirschning-Jansen-Koster open end and Hammerstad's
T-junction reference plane, each typed in from the papers.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rf_references.microstrip import kirschning_open_end_mm, notch_ghz, stub_circuit, stub_layout

from rfdesign.core.constants import C0
from rfdesign.layouts import Layout, PixelGrid, Substrate, get_grid, microstrip_width_mm
from rfdesign.layouts.feeds import microstrip_line
from rfdesign.solvers.base import get_solver
from rfdesign.solvers.circuit import CircuitSettings, CircuitSolver, simulate_bits

SUB = Substrate()  # 0.127 mm alumina, eps_r 9.8, 4 um gold
W50 = microstrip_width_mm(SUB)  # 0.121 mm
BAND = np.linspace(34, 46, 13)  # GHz


def line_layout(width_mm: float, length_mm: float = 1.0, n_cols: int = 4) -> Layout:
    """A straight strip of pixels: one row as tall as the feed, all cells metal."""
    g = PixelGrid((length_mm / n_cols,) * n_cols, (width_mm,), SUB, width_mm, mirror=False)
    return Layout(g, [1] * n_cols)


# ----------------------------------------------------------------------------------------------
# (1) a pixel line is scikit-rf's microstrip line
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width_mm", [0.12, 0.30, 0.60])
def test_pixel_line_has_the_microstrip_z0_and_eps_eff(width_mm):
    length = 1.0  # mm, below half a guided wavelength at 46 GHz: acosh stays on its branch
    net = CircuitSolver().simulate(line_layout(width_mm, length), BAND)
    a, b, c = net.a[:, 0, 0], net.a[:, 0, 1], net.a[:, 1, 0]
    z0 = np.sqrt(b / c)  # ABCD of a line: A = cosh(gl), B = Z0 sinh(gl), C = sinh(gl) / Z0
    gl = np.arccosh(a)
    gl = np.where(gl.imag < 0, -gl, gl)
    eps_eff = (gl.imag / (length * 1e-3) * C0 / (2 * np.pi * BAND * 1e9)) ** 2
    alpha = gl.real / (length * 1e-3)
    ref = microstrip_line(SUB, width_mm, BAND)
    z_ref, e_ref = np.real(ref.z0_characteristic), np.real(ref.ep_reff_f)
    assert np.abs(z0.real / z_ref - 1).max() < 0.05
    assert np.abs(eps_eff / e_ref - 1).max() < 0.05
    # losses (conductor + dielectric) follow scikit-rf's attenuation constant
    assert np.abs(alpha / ref.gamma.real - 1).max() < 0.10


def test_pixel_line_is_matched_when_its_impedance_is_50_ohm():
    net = CircuitSolver().simulate(line_layout(W50, 2.1, 6), BAND)
    assert net.s_db[:, 0, 0].max() < -30
    assert net.s_db[:, 1, 0].min() > -0.3  # 2.1 mm of gold on alumina loses ~0.1 dB


# ----------------------------------------------------------------------------------------------
# (2) an open stub built from pixels notches where scikit-rf's circuit of it does
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("w_thru", [W50, 0.30])
def test_open_stub_notch_matches_the_scikit_rf_circuit(w_thru):
    arm_rows = (0.25, 0.25, 0.25)  # a 0.75 mm stub, 0.12 mm wide: a quarter wave near 37-40 GHz
    f = np.linspace(25, 55, 601)
    net = CircuitSolver().simulate(stub_layout(w_thru, 0.12, arm_rows), f)
    ref = stub_circuit(w_thru, 0.12, sum(arm_rows), f)
    f_model, f_ref = notch_ghz(f, net.s[:, 1, 0]), notch_ghz(f, ref.s[:, 1, 0])
    assert 34 < f_ref < 46
    assert abs(f_model / f_ref - 1) < 0.05, (f_model, f_ref)
    assert net.s_db[:, 1, 0].min() < -25  # a real notch
    # the 5 % window is narrow enough to reject the ideal tee at the centre line
    ideal = stub_circuit(w_thru, 0.12, sum(arm_rows), f, junction=False)
    assert abs(f_model / notch_ghz(f, ideal.s[:, 1, 0]) - 1) > 0.08


def test_open_end_extension_of_a_pixel_line():
    """The end of a strip looks longer by the Kirschning-Jansen-Koster extension (+-15 %)."""
    w, length = 0.12, 0.6
    g = PixelGrid((length / 4,) * 4 + (0.4,), (w,), SUB, w, mirror=False)
    f = np.array([30.0, 40.0])
    net = CircuitSolver(CircuitSettings(include_losses=False)).simulate(
        Layout(g, [1, 1, 1, 1, 0]), f
    )
    s11 = net.s[:, 0, 0]
    zin = 50 * (1 + s11) / (1 - s11)
    ref = microstrip_line(SUB, w, f)
    z0, ee = np.real(ref.z0_characteristic), np.real(ref.ep_reff_f)
    beta = 2 * np.pi * f * 1e9 * np.sqrt(ee) / C0
    l_eff = np.arctan2(1.0, (1j * zin / z0).real) / beta * 1e3  # zin = -j z0 cot(beta l)
    for k in range(f.size):
        dl = kirschning_open_end_mm(w, ee[k], SUB.height_mm, SUB.eps_r)
        assert l_eff[k] - length == pytest.approx(dl, rel=0.15)


# ----------------------------------------------------------------------------------------------
# (4) passive and reciprocal for any layout
# ----------------------------------------------------------------------------------------------
sizes = st.floats(0.04, 0.5)


@st.composite
def grids_and_bits(draw):
    rows = draw(st.lists(sizes, min_size=1, max_size=4))
    cols = draw(st.lists(sizes, min_size=1, max_size=4))
    height = sum(rows)
    feed = draw(st.floats(0.02, min(0.3, height)))
    feed_y = draw(st.floats(feed / 2, height - feed / 2))
    sub = Substrate(eps_r=draw(st.floats(2.0, 12.0)), height_mm=draw(st.floats(0.05, 0.6)))
    g = PixelGrid(tuple(cols), tuple(rows), sub, feed, mirror=draw(st.booleans()), feed_y_mm=feed_y)
    bits = draw(st.lists(st.integers(0, 1), min_size=g.n_bits, max_size=g.n_bits))
    f = sorted(draw(st.sets(st.floats(1.0, 60.0), min_size=1, max_size=4)))
    return Layout(g, bits), np.array(f), draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids_and_bits())
def test_any_layout_is_passive_and_reciprocal(case):
    layout, f, losses = case
    s = CircuitSolver(CircuitSettings(include_losses=losses)).simulate(layout, f).s
    p1 = np.abs(s[:, 0, 0]) ** 2 + np.abs(s[:, 1, 0]) ** 2
    p2 = np.abs(s[:, 1, 1]) ** 2 + np.abs(s[:, 0, 1]) ** 2
    assert p1.max() <= 1 + 1e-9 and p2.max() <= 1 + 1e-9
    assert np.abs(s[:, 1, 0] - s[:, 0, 1]).max() <= 1e-9
    if not losses:  # a lossless network conserves power exactly
        assert np.abs(p1 - 1).max() < 1e-8 and np.abs(p2 - 1).max() < 1e-8


def test_mirror_symmetric_layouts_see_the_same_reflection_at_both_ports(ka_grid):
    rng = np.random.default_rng(5)
    s = simulate_bits(ka_grid, rng.integers(0, 2, (8, ka_grid.n_bits)), BAND)
    assert np.abs(s[:, :, 0, 0] - s[:, :, 1, 1]).max() < 1e-9


# ----------------------------------------------------------------------------------------------
# batch path, registry, settings
# ----------------------------------------------------------------------------------------------
def test_batch_equals_single_layout_runs(ka_grid):
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, (12, ka_grid.n_bits))
    solver = CircuitSolver()
    batch = solver.simulate_bits(ka_grid, bits, BAND)
    threaded = solver.simulate_bits(ka_grid, bits, BAND, n_threads=2)
    assert batch.shape == (12, BAND.size, 2, 2)
    for k, row in enumerate(bits):
        one = solver.simulate(Layout(ka_grid, row), BAND).s
        np.testing.assert_allclose(batch[k], one, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(threaded, batch, rtol=1e-12, atol=1e-14)


def test_registry_builds_the_circuit_solver():
    solver = get_solver("circuit", include_losses=False)
    assert isinstance(solver, CircuitSolver)
    assert solver.fidelity == "circuit" and solver.name == "circuit"
    assert solver.settings.include_losses is False
    assert solver.version.startswith("circuit-")
    lay = Layout.random(get_grid("ka_pixel_4x5"), seed=1)
    net = solver.simulate(lay, BAND)
    assert net.s.shape == (BAND.size, 2, 2) and net.rfdesign_info["n_nodes"] > 2


def test_settings_are_checked():
    with pytest.raises(ValueError, match="max_cell_wavelengths"):
        CircuitSettings(max_cell_wavelengths=0.0)
    with pytest.raises(TypeError, match="unknown field"):
        get_solver("circuit", cell_size=1)
