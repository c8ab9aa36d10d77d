"""Design curves read backwards: the size for a wanted value, and where to measure next.

The "measurements" are analytic curves of the shapes EM design curves have (a coupling that
falls exponentially with the gap, a frequency inversely proportional to the length), so the
right answer is known exactly.
"""

import math

import numpy as np
import pytest

from rfdesign.optimizers.design_curves import DesignCurve, OutOfRange, extend_to


def k_of(gap):
    return 0.2 * math.exp(-gap / 0.18)


def f0_of(length):
    return 50.0 / length


def test_a_gp_curve_gives_back_the_size_of_a_wanted_coupling():
    gaps = (0.15, 0.3, 0.45, 0.6)
    curve = DesignCurve("k", "gap_mm", gaps, [k_of(g) for g in gaps], "log")
    for target in (0.08, 0.05, 0.03):
        assert curve.solve(target) == pytest.approx(-0.18 * math.log(target / 0.2), rel=0.01)
    mean, std = curve.predict([0.2, 0.5])
    assert mean == pytest.approx([k_of(0.2), k_of(0.5)], rel=0.01)
    assert np.all(std >= 0) and np.all(std < 0.05 * mean)


def test_two_points_give_a_straight_line_in_the_transform():
    curve = DesignCurve("f0_ghz", "length_mm", (1.1, 1.3), (f0_of(1.1), f0_of(1.3)), "reciprocal")
    # 1/f0 is linear in the length: two points are exact
    assert curve.solve(40.0) == pytest.approx(1.25, rel=1e-9)
    assert curve.predict(1.2)[0][0] == pytest.approx(f0_of(1.2), rel=1e-9)


def test_a_value_outside_the_curve_asks_for_a_point_and_extend_to_measures_it():
    gaps = (0.3, 0.45)
    curve = DesignCurve("k", "gap_mm", gaps, [k_of(g) for g in gaps], "log")
    with pytest.raises(OutOfRange, match="measure near") as exc:
        curve.solve(0.1)
    assert exc.value.suggestion == pytest.approx(-0.18 * math.log(0.5), rel=1e-6)
    calls = []

    def measure_at(g):
        calls.append(g)
        return k_of(g)

    wider = extend_to(curve, [0.1, 0.01], measure_at, bounds=(0.025, 2.0))
    assert 2 <= len(calls) <= 3  # one point below, one above
    for t in (0.1, 0.01):
        assert wider.solve(t) == pytest.approx(-0.18 * math.log(t / 0.2), rel=0.02)


def test_a_curve_stops_at_what_can_be_built():
    curve = DesignCurve("k", "gap_mm", (0.3, 0.45), (k_of(0.3), k_of(0.45)), "log")
    # a coupling of 0.5 would need a negative gap: one point at the bound, then it gives up
    out = extend_to(curve, [0.5], k_of, bounds=(0.025, 2.0))
    assert out.x[0] == 0.025
    with pytest.raises(OutOfRange):
        out.solve(0.5)


def test_a_curve_round_trips_and_rejects_bad_points():
    curve = DesignCurve("qe", "tap_mm", (0.4, 0.2, 0.3), (11.0, 3.0, 5.0), "log")
    assert curve.x == (0.2, 0.3, 0.4) and curve.y == (3.0, 5.0, 11.0)
    assert DesignCurve.from_dict(curve.to_dict()) == curve
    with pytest.raises(ValueError, match="measured twice"):
        DesignCurve("qe", "tap_mm", (0.2, 0.2), (3.0, 3.1))
    with pytest.raises(ValueError, match="transform"):
        DesignCurve("qe", "tap_mm", (0.2, 0.3), (3.0, 4.0), "cubic")
