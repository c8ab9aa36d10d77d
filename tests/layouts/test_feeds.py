"""Feed synthesis against the closed-form Hammerstad-Jensen microstrip formulas."""

import math

import pytest

from rfdesign.layouts import Substrate, microstrip_width_mm, microstrip_z0


def hammerstad_static_z0(w_over_h: float, eps_r: float) -> float:
    """Quasi-static Z0 of a zero-thickness strip, w/h <= 1 (Hammerstad 1975), in ohm."""
    u = w_over_h
    eps_eff = (eps_r + 1) / 2 + (eps_r - 1) / 2 * ((1 + 12 / u) ** -0.5 + 0.04 * (1 - u) ** 2)
    return 60 / math.sqrt(eps_eff) * math.log(8 / u + u / 4)


def test_50_ohm_on_alumina_is_about_one_substrate_height_wide():
    sub = Substrate()
    w = microstrip_width_mm(sub, 50.0, 40.0)
    # Textbook rule: a 50-ohm line on eps_r 9.8 alumina has w/h close to 0.95.
    assert 0.90 < w / sub.height_mm < 1.0
    # The synthesised width really gives 50 ohm in scikit-rf's model (0.1 um drawing grid).
    assert microstrip_z0(sub, w, 40.0) == pytest.approx(50.0, abs=0.1)
    # And the independent static closed form agrees within 2 % (dispersion, 4 um metal).
    assert hammerstad_static_z0(w / sub.height_mm, sub.eps_r) == pytest.approx(50.0, rel=0.02)


@pytest.mark.parametrize("z0", [25.0, 75.0])
def test_other_impedances_and_monotonic_width(z0):
    sub = Substrate()
    w = microstrip_width_mm(sub, z0, 40.0, round_to_mm=None)
    assert microstrip_z0(sub, w, 40.0) == pytest.approx(z0, rel=1e-6)
    w50 = microstrip_width_mm(sub, 50.0, 40.0, round_to_mm=None)
    assert (w > w50) == (z0 < 50.0)


def test_unreachable_impedance_is_a_clear_error():
    with pytest.raises(ValueError, match="z0_ohm"):
        microstrip_width_mm(Substrate(), 500.0)


def test_bad_substrate_is_rejected_naming_the_field():
    with pytest.raises(ValueError, match="height_mm"):
        Substrate(height_mm=-0.1)
