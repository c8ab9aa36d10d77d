"""Spec evaluation on synthetic networks, against values computed by hand."""

import numpy as np
import pytest
import skrf

from rfdesign.evaluation import evaluate_network, evaluate_response
from rfdesign.spec import FilterSpec


def network(f_ghz, s11_db, s21_db) -> skrf.Network:
    """A reciprocal, symmetric two-port with the given magnitudes (phases zero)."""
    s11 = 10 ** (np.asarray(s11_db, float) / 20)
    s21 = 10 ** (np.asarray(s21_db, float) / 20)
    s = np.zeros((len(f_ghz), 2, 2), complex)
    s[:, 0, 0] = s[:, 1, 1] = s11
    s[:, 1, 0] = s[:, 0, 1] = s21
    return skrf.Network(frequency=skrf.Frequency.from_f(f_ghz, unit="GHz"), s=s)


F = np.arange(34.0, 47.0)  # 34, 35, ..., 46 GHz


def test_bandpass_by_hand(bandpass_spec):
    s21 = np.full(F.size, -30.0)
    s21[(F >= 41) & (F <= 43)] = -0.5
    s21[F == 44] = -20.0
    s11 = np.full(F.size, -0.1)
    s11[(F >= 41) & (F <= 43)] = -15.0
    s11[F == 42] = -12.0
    rep = evaluate_network(bandpass_spec, network(F, s11, s21))
    m = rep.band_margins_db
    assert m["stop_low"] == pytest.approx(5.0)
    assert m["stop_high"] == pytest.approx(-5.0)
    assert m["pass"] == pytest.approx(0.5)  # min(S21 margin 0.5, S11 margin 2.0)
    s11_check = next(c for c in rep.checks if c.quantity == "s11")
    assert s11_check.margin_db == pytest.approx(2.0) and s11_check.worst_freq_ghz == 42.0
    high = next(c for c in rep.checks if c.band == "stop_high")
    assert high.violations_ghz == ((44.0, 44.0),) and high.worst_freq_ghz == 44.0
    # K = max(-12, -10) + 1 * max(-20, -25) = -10 - 20 = -30; floor -10 - 25 = -35.
    assert rep.K == pytest.approx(-30.0) and rep.K_floor == pytest.approx(-35.0)
    assert not rep.passed and rep.worst_margin_db == pytest.approx(-5.0)


def test_exactly_on_every_limit_passes_at_the_floor(bandpass_spec):
    s21 = np.full(F.size, -25.0)
    s21[(F >= 41) & (F <= 43)] = -1.0
    s11 = np.full(F.size, 0.0)
    s11[(F >= 41) & (F <= 43)] = -10.0
    rep = evaluate_network(bandpass_spec, network(F, s11, s21))
    assert rep.passed
    assert all(abs(c.margin_db) < 1e-9 for c in rep.checks)
    assert rep.K == pytest.approx(rep.K_floor, abs=1e-9) == -35.0


def test_band_edges_between_frequency_points_are_interpolated(bandpass_spec):
    f = np.arange(34.0, 47.0, 2.0)  # 34, 36, ..., 46: the passband 41-43 holds only 42 GHz
    s21 = np.where(f == 42, -0.5, -30.0)
    s11 = np.where(f == 42, -20.0, 0.0)
    rep = evaluate_response(bandpass_spec, f, 10 ** (s11 / 20), 10 ** (s21 / 20))
    s21_pass = next(c for c in rep.checks if c.band == "pass" and c.quantity == "s21")
    # Edge 41 GHz lies half way between 40 (-30 dB) and 42 (-0.5 dB): -15.25 dB.
    assert s21_pass.worst_db == pytest.approx(-15.25)
    assert s21_pass.margin_db == pytest.approx(-14.25)
    assert s21_pass.violations_ghz == ((41.0, 41.0), (43.0, 43.0))
    # Stop band 34-40: 40 GHz is a grid point at -30 dB, so the margin is 5 dB.
    assert rep.band_margins_db["stop_low"] == pytest.approx(5.0)


def test_unequal_limits_generalise_eq4():
    spec = FilterSpec.model_validate(
        {
            "name": "dual",
            "sweep": {"start_ghz": 34, "stop_ghz": 46, "points": 13},
            "w": 0.8,
            "bands": [
                {"kind": "pass", "f_min_ghz": 34, "f_max_ghz": 36, "s11_max_db": -15},
                {"kind": "pass", "f_min_ghz": 38, "f_max_ghz": 42, "s11_max_db": -10},
                {"kind": "stop", "f_min_ghz": 44, "f_max_ghz": 46, "s21_max_db": -25},
            ],
        }
    )
    s11 = np.where(F <= 36, -16.0, np.where((F >= 38) & (F <= 42), -7.0, 0.0))
    s21 = np.where(F >= 44, -22.0, -1.0)
    rep = evaluate_response(spec, F, 10 ** (s11 / 20), 10 ** (s21 / 20))
    # Strictest RL limit -15; worst excess 3 dB (band 2: -7 vs -10). Stop excess 3 dB.
    # K = (-15 + 3) + 0.8 * (-25 + 3) = -12 - 17.6 = -29.6; floor -15 + 0.8 * -25 = -35.
    assert rep.K == pytest.approx(-29.6) and rep.K_floor == pytest.approx(-35.0)
    assert [spec.band_label(i) for i in range(3)] == ["pass1", "pass2", "stop1"]


def test_errors(bandpass_spec):
    with pytest.raises(ValueError, match="not covered"):
        evaluate_response(bandpass_spec, np.linspace(35, 46, 12), np.ones(12), np.ones(12))
    with pytest.raises(ValueError, match="2-port"):
        evaluate_network(
            bandpass_spec,
            skrf.Network(frequency=skrf.Frequency(34, 46, 3, "GHz"), s=np.zeros((3, 1, 1))),
        )


def test_report_serialises(bandpass_spec):
    rep = evaluate_response(bandpass_spec, F, np.full(F.size, 0.1), np.full(F.size, 0.9))
    d = rep.to_dict()
    assert d["passed"] is False and set(d["margins_db"]) == {"stop_low", "pass", "stop_high"}
    assert "| pass |" in rep.to_markdown()
