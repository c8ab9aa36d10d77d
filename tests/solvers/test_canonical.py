"""The canonical checks' references, without a full-wave run (those are in test_openems.py
and test_palace.py): each reference against a second, independent way to the same number."""

import dataclasses

import numpy as np
import pytest

from rfdesign.layouts.feeds import microstrip_line
from rfdesign.solvers.canonical import (
    CANONICAL_SUBSTRATE,
    F_GHZ,
    GAP_MM,
    RESONATOR_MM,
    CheckResult,
    canonical_settings,
    dielectric_q,
    feed_width_mm,
    line_impedance,
    lossless_substrate,
    mode_resonances,
    resonator_circuit,
)
from rfdesign.solvers.resonators import coupling_coefficient, fit_resonance

SUB = CANONICAL_SUBSTRATE
WF = feed_width_mm()


def test_feeds_are_50_ohm_and_the_narrow_strip_about_73():
    assert line_impedance(SUB, WF, 40.0) == pytest.approx(50.0, rel=0.005)
    assert 70.0 < line_impedance(SUB, 0.05, 40.0) < 76.0


def test_lossless_resonator_circuit_is_passive_reciprocal_and_half_wave():
    lossless = dataclasses.replace(SUB, tan_delta=0.0)
    net = resonator_circuit(lossless, WF, RESONATOR_MM, GAP_MM, F_GHZ)
    power = np.abs(net.s[:, 0, 0]) ** 2 + np.abs(net.s[:, 1, 0]) ** 2
    np.testing.assert_allclose(power, 1.0, atol=1e-9)
    np.testing.assert_allclose(net.s[:, 0, 1], net.s[:, 1, 0], atol=1e-12)
    res = fit_resonance(F_GHZ, net.s[:, 1, 0])
    assert res.s21_peak == pytest.approx(1.0, abs=0.01)  # symmetric coupling: full transmission
    # half wave: beta (l + 2 dl + gap loading) = pi; the ends' loading shortens the line's
    # half-wave frequency c0 / (2 l sqrt(eps_eff)) by a few percent
    line = microstrip_line(lossless_substrate(SUB), WF, F_GHZ)
    eps = float(np.interp(res.f_ghz, F_GHZ, np.real(line.ep_reff_f)))
    f_bare = 299.792458 / (2 * RESONATOR_MM * np.sqrt(eps))
    assert 0.9 * f_bare < res.f_ghz < f_bare


def test_dielectric_q_agrees_with_the_lossy_circuit_where_the_line_holds_the_energy():
    """Q_u of the circuit (loss in the line only, lossless end capacitances) lies above Q_d by
    about the share of energy in the ends (2 dl / (l + 2 dl), 5-9 %)."""
    net = resonator_circuit(SUB, WF, RESONATOR_MM, GAP_MM, F_GHZ)
    res = fit_resonance(F_GHZ, net.s[:, 1, 0])
    q_d = dielectric_q(SUB, WF, res.f_ghz)
    assert 45.0 < q_d < 60.0  # tan delta 0.02, filling factor 0.94
    assert 1.0 < res.q_unloaded / q_d < 1.12


def test_mode_resonances_bracket_the_single_resonator():
    f_even, f_odd = mode_resonances(SUB, WF, RESONATOR_MM, GAP_MM)
    single = fit_resonance(
        F_GHZ, resonator_circuit(SUB, WF, RESONATOR_MM, GAP_MM, F_GHZ).s[:, 1, 0]
    )
    assert f_even < single.f_ghz < f_odd
    assert 0.08 < coupling_coefficient(f_even, f_odd) < 0.2


def test_check_result_judges_relative_deviation():
    r = CheckResult("resonator", "f (GHz)", 40.5, 40.0, 0.015, "test")
    assert r.deviation == pytest.approx(0.0125) and r.passed
    assert not dataclasses.replace(r, measured=41.0).passed


def test_settings_put_both_engines_in_the_same_housing():
    a, b = canonical_settings("openems", "draft"), canonical_settings("palace", "draft")
    assert a.side_boundary == b.side_boundary == "PEC"
    assert a.side_margin_mm == b.side_margin_mm and a.air_height_mm == b.air_height_mm
