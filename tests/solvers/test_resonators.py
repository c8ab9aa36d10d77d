"""Resonance measurement on analytic responses: Lorentzians of known f0, Q and peak."""

import numpy as np
import pytest

from rfdesign.solvers.resonators import (
    FittedPole,
    Resonance,
    coupling_coefficient,
    fit_resonance,
    merge_unresolved,
    split_peaks,
)

F = np.linspace(34.0, 46.0, 121)  # GHz, 0.1 GHz steps as the canonical checks


def lorentzian(f, f0, q, peak):
    """S21 of a single resonator: peak / (1 + 2j Q (f - f0) / f0)."""
    return peak / (1 + 2j * q * (f - f0) / f0)


@pytest.mark.parametrize(("f0", "q", "peak"), [(39.93, 50.0, 0.6), (41.27, 200.0, 0.2)])
def test_lorentzian_fit_recovers_frequency_q_and_peak_between_samples(f0, q, peak):
    res = fit_resonance(F, lorentzian(F, f0, q, peak))
    assert res.f_ghz == pytest.approx(f0, abs=1e-3)
    assert res.q_loaded == pytest.approx(q, rel=0.01)
    assert res.s21_peak == pytest.approx(peak, rel=0.01)
    assert res.points >= 5
    assert res.q_unloaded == pytest.approx(q / (1 - peak), rel=0.02)


def test_unloaded_q_of_a_lossless_resonator_is_undefined():
    assert np.isnan(Resonance(40.0, 100.0, 1.0, 5).q_unloaded)


def test_split_peaks_give_the_coupling_coefficient():
    f1, f2 = 38.0, 42.0
    s21 = lorentzian(F, f1, 60.0, 0.5) - lorentzian(F, f2, 60.0, 0.5)
    low, high = split_peaks(F, s21)
    k = coupling_coefficient(low.f_ghz, high.f_ghz)
    assert k == pytest.approx((f2**2 - f1**2) / (f2**2 + f1**2), rel=0.02)
    assert low.f_ghz < high.f_ghz


def test_a_response_without_a_peak_is_refused():
    with pytest.raises(ValueError, match="resonance"):
        fit_resonance(F, np.linspace(0.1, 0.9, F.size).astype(complex))
    with pytest.raises(ValueError, match="need 2"):
        split_peaks(F, lorentzian(F, 40.0, 50.0, 0.5))


def test_a_peak_split_into_two_close_poles_counts_once():
    # what a fit with spare poles once gave on CI: a pole pair 7 MHz apart with nearly
    # opposite residues beside the real 40.5 and 44.3 GHz resonances (k came out 0.0002)
    sigma = 2 * np.pi * 40.5e9 / (2 * 400)
    pair = [
        FittedPole(40.500, 400.0, 5.0e9 + 0.0j, sigma),
        FittedPole(40.507, 400.0, -4.9e9 + 0.0j, sigma),
    ]
    real = [FittedPole(40.55, 380.0, 1.0e9j, sigma), FittedPole(44.35, 300.0, 1.0e9j, sigma)]
    merged = merge_unresolved(pair + real)
    # the three poles within one bandwidth of 40.5 GHz become one
    assert [round(p.f_ghz, 2) for p in merged] == [40.55, 44.35]
    # two poles farther apart than their half bandwidths stay two
    apart = [FittedPole(40.0, 100.0, 1.0 + 0j, 1.0), FittedPole(41.0, 100.0, 1.0 + 0j, 1.0)]
    assert len(merge_unresolved(apart)) == 2
