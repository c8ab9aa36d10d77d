"""Resonances between samples, Richardson extrapolation and observed order, mesh errors."""

import math

import numpy as np
import pytest

from rfdesign.solvers.convergence import (
    FLOOR_DB,
    Resonance,
    match,
    mesh_error,
    observed_order,
    resonances,
    richardson,
    well_defined,
)


def lossless_two_port(s21: np.ndarray) -> np.ndarray:
    """A symmetric lossless two-port with transmission ``s21`` (``F x 2 x 2``)."""
    s11 = np.sqrt(np.clip(1 - np.abs(s21) ** 2, 0, 1)) + 0j
    s = np.zeros((s21.size, 2, 2), complex)
    s[:, 0, 0] = s[:, 1, 1] = s11
    s[:, 1, 0] = s[:, 0, 1] = s21
    return s


def two_pole(f: np.ndarray, f1: float, f2: float | None = None, q: float = 60.0) -> np.ndarray:
    """S of a lossless two-port whose |S21| peaks at f1 (and near f2), ``F x 2 x 2``."""
    s21 = 1 / (1 + 1j * q * (f / f1 - f1 / f))
    if f2 is not None:
        s21 = 0.5 * (s21 + 1 / (1 + 1j * q * (f / f2 - f2 / f)))
    return lossless_two_port(s21)


def test_resonance_found_between_samples():
    f = np.linspace(34, 46, 121)  # 0.1 GHz steps
    for f1 in (38.437, 42.061, 40.0):
        res = resonances(f, two_pole(f, f1))
        found = {r.kind: r for r in res}
        assert sorted(found) == ["s11_min", "s21_fall", "s21_max", "s21_rise"]
        # -3 dB of a Q = 60 resonance: f1 (1 -+ 1 / (2 Q)) to first order
        assert abs(found["s21_rise"].f_ghz - f1 * (1 - 1 / 120)) < 0.01 * f1 / 60
        assert abs(found["s21_fall"].f_ghz - f1 * (1 + 1 / 120)) < 0.01 * f1 / 60
        # a parabola through three samples 0.1 GHz apart: within 5 MHz of a Q = 60 peak
        assert abs(found["s21_max"].f_ghz - f1) < 0.005
        assert abs(found["s11_min"].f_ghz - f1) < 0.005
        assert found["s21_max"].level_db == pytest.approx(0.0, abs=0.05)


def test_richardson_recovers_the_limit_of_a_power_law():
    f_inf, c, p = 43.9, 1.7, 1.5
    values = [f_inf - c * s**-p for s in (1.0, 2.0, 3.0)]
    assert observed_order(tuple(values), (1.0, 2.0, 3.0)) == pytest.approx(p, rel=1e-6)
    assert richardson(values[1], values[2], 3.0 / 2.0, p) == pytest.approx(f_inf, rel=1e-12)
    assert math.isnan(observed_order((1.0, 2.0, 1.5), (1.0, 2.0, 3.0)))  # not monotone
    with pytest.raises(ValueError, match="ratio"):
        richardson(1.0, 2.0, 1.0, 2.0)


def pole_and_zero(f: np.ndarray, f1: float, f2: float, q: float = 60.0) -> np.ndarray:
    """A pass band at f1 (|S21| = 1) and a transmission zero at f2, ``F x 2 x 2``."""
    notch = 1 - 0.7 / (1 + 1j * 20 * (f / f2 - f2 / f))  # a resolved null, -32 dB
    s21 = notch / (1 + 1j * q * (f / f1 - f1 / f))
    return lossless_two_port(s21)


def test_mesh_error_of_a_shifted_response():
    f = np.linspace(34, 46, 241)
    coarse, fine = pole_and_zero(f, 38.0, 42.0), pole_and_zero(f, 38.2, 42.2)
    err = mesh_error(f, coarse, fine, preset="b", coarser="a", ratio=2.0, order=1.0)
    # order 1, ratio 2: the limit lies one more shift above the fine run
    kinds = sorted(p[0] for p in err.pairs)
    assert kinds == ["s11_min", "s21_fall", "s21_min", "s21_rise"]  # flat maxima left out
    np.testing.assert_allclose(err.error_ghz, 0.2, atol=0.02)
    assert err.relative == pytest.approx(0.2 / 38.2, rel=0.1)
    assert err.to_dict()["coarser"] == "a"
    # nothing to match: relative error unknown (NaN), reported as None
    flat = np.zeros_like(fine)
    flat[:, 1, 0] = flat[:, 0, 1] = 1.0
    none = mesh_error(f, flat, flat, preset="b", coarser="a", ratio=2.0, order=1.0)
    assert none.pairs == [] and none.to_dict()["relative"] is None


def test_match_pairs_the_same_kind_only():
    f = np.linspace(34, 46, 121)
    a, b = resonances(f, two_pole(f, 38.0, 42.0)), resonances(f, two_pole(f, 38.3, 42.4))
    pairs = match(a, b)
    assert pairs and all(x.kind == y.kind for x, y in pairs)
    assert all(abs(x.f_ghz - y.f_ghz) < 0.5 for x, y in pairs)
    assert match(a, b, max_shift=0.001) == []


def test_only_well_defined_features_measure_the_mesh_error():
    assert well_defined(Resonance("s21_rise", 40.0, -3.0))
    assert well_defined(Resonance("s21_min", 43.0, -30.0))
    assert not well_defined(Resonance("s21_min", 43.0, FLOOR_DB))  # flat at the clip floor
    assert well_defined(Resonance("s21_max", 38.5, -16.0))  # a weakly coupled peak
    assert not well_defined(Resonance("s11_max", 37.8, -2.1))  # flat near 0 dB


def test_match_pairs_one_to_one_and_leaves_an_unresolved_feature_unpaired():
    """A null the coarser mesh does not resolve must not borrow its neighbour's partner."""
    ref = [Resonance("s11_min", 43.35, -20.0), Resonance("s11_min", 44.90, -20.0)]
    other = [Resonance("s11_min", 43.20, -20.0)]
    pairs = match(ref, other)
    assert [(a.f_ghz, b.f_ghz) for a, b in pairs] == [(43.35, 43.20)]


def test_a_passband_null_paired_with_another_null_is_left_out():
    # a band-pass whose skirts move 0.4 % between meshes; its deep |S11| null is a different
    # null of the passband on each mesh (41.9 vs 42.5 GHz): not a 1.5 % move of one feature
    f = np.linspace(34.0, 46.0, 241)

    def response(lo, hi, null):
        s21 = 1.0 / np.sqrt(1.0 + ((f - (lo + hi) / 2) / ((hi - lo) / 2)) ** 16)
        s11 = np.sqrt(np.clip(1 - s21**2, 0, 1)) + 0.3 * s21
        s11 = s11 * (np.abs(f - null) + 0.01) / (np.abs(f - null) + 0.1)
        s = np.zeros((f.size, 2, 2), complex)
        s[:, 0, 0] = s[:, 1, 1] = s11
        s[:, 1, 0] = s[:, 0, 1] = s21
        return s

    coarse, fine = response(40.65, 43.0, 41.87), response(40.81, 43.17, 42.54)
    est = mesh_error(f, coarse, fine, preset="reference", coarser="fine", ratio=1.5, order=1.0)
    kinds = [p[0] for p in est.pairs]
    assert "s21_rise" in kinds and "s21_fall" in kinds and "s11_min" not in kinds
    assert est.dropped == 1
    assert est.relative == pytest.approx(2 * 0.0040, rel=0.15)  # the skirts' move, order 1
