"""The patch's transmission-line / cavity model against Balanis's worked design and limits.

Reference: C. A. Balanis, *Antenna Theory: Analysis and Design*, 4th ed., Wiley 2016,
section 14.2, the worked design of a rectangular patch for 10 GHz on eps_r = 2.2, h = 0.1588
cm: W = 1.186 cm (eq. 14-6), eps_eff = 1.972 (14-1), dL = 0.081 cm (14-2), L = 0.906 cm
(14-7); its slot conductance G1 = 0.00157 S (14-12) and the inset for 50 ohm, y0 = 0.3126 cm
(14-20a with 14-17's edge resistance).
"""

import numpy as np
import pytest

from rfdesign.solvers import patch_model as pm

F, EPS, H = 10.0, 2.2, 1.588  # GHz, -, mm


def test_balanis_design_of_a_10_ghz_patch():
    w = pm.design_width_mm(F, EPS)
    assert w == pytest.approx(11.86, abs=0.01)
    assert pm.eps_eff(EPS, H, w) == pytest.approx(1.972, abs=0.001)
    assert pm.fringe_extension_mm(EPS, H, w) == pytest.approx(0.81, abs=0.005)
    length = pm.resonant_length_mm(F, EPS, H, w)
    assert length == pytest.approx(9.06, abs=0.01)
    # the resonance of that length is the design frequency again
    assert pm.resonant_frequency_ghz(length, EPS, H, w) == pytest.approx(F, rel=1e-9)


def test_balanis_slot_conductance_and_50_ohm_inset():
    w = pm.design_width_mm(F, EPS)
    length = pm.resonant_length_mm(F, EPS, H, w)
    assert pm.slot_conductance_s(F, w) == pytest.approx(0.00157, abs=0.000005)
    patch = pm.design_patch(F, EPS, H, r_feed_ohm=50.0)
    assert patch.inset_mm == pytest.approx(3.126, abs=0.01)
    assert patch.resistance_ohm() == pytest.approx(50.0, rel=1e-9)
    # the mutual conductance is smaller than the self conductance and positive at L ~ lambda/2
    g12 = pm.mutual_conductance_s(F, w, length)
    assert 0 < g12 < pm.slot_conductance_s(F, w)


def test_directivity_limits():
    # a slot much narrower than the wavelength: D0 -> 3 (Balanis eq. 14-54, W << lambda0)
    assert pm.slot_directivity(1.0, 0.1) == pytest.approx(3.0, rel=1e-4)
    # wide slot: D0 -> 4 W / lambda0 (eq. 14-54, W >> lambda0)
    w = 20 * 299.792458 / 10.0
    assert pm.slot_directivity(10.0, w) == pytest.approx(4 * 20, rel=0.05)
    # two slots: more directive than one; a patch's typical 6-8 dBi
    patch = pm.design_patch(F, EPS, H)
    d2 = patch.directivity_dbi()
    assert 10 * np.log10(pm.slot_directivity(F, patch.width_mm)) < d2 < 8.5


def test_the_line_model_resonates_near_the_cavity_model_and_matches_there():
    patch = pm.design_patch(F, EPS, H, r_feed_ohm=50.0)
    f = np.linspace(9.0, 11.0, 401)
    s = np.abs(patch.s11(f))
    f_min = f[np.argmin(s)]
    # the line model's dispersive eps_eff (Kirschning-Jansen) lies a little above eq. 14-1's
    assert f_min == pytest.approx(patch.resonance_ghz, rel=0.03)
    assert 20 * np.log10(s.min()) < -15
    z = patch.input_impedance(np.array([f_min]))[0]
    assert z.real == pytest.approx(50.0, rel=0.25)


def test_an_inset_resistance_above_the_edge_one_is_refused():
    with pytest.raises(ValueError, match="r_ohm"):
        pm.inset_for_resistance_mm(300.0, 228.0, 9.0)
