"""Stepped-impedance low-pass: prototype values against textbook tables, the coarse model and
its optimisation.

References: Pozar, *Microwave Engineering*, 4th ed., Wiley 2012, section 8.3 and Table 8.4
(equal-ripple low-pass prototype element values); Hong and Lancaster, *Microstrip Filters for
RF/Microwave Applications*, Wiley 2001, Table 3.2 (Chebyshev element values, 0.1 dB ripple).
"""

import math

import numpy as np
import pytest

from rfdesign.layouts.substrate import Substrate
from rfdesign.optimizers.masks import Mask
from rfdesign.optimizers.stepped_design import (
    CascadeModel,
    chebyshev_g,
    chebyshev_order,
    initial_line,
    line_widths,
    optimise_lengths,
    ripple_db,
)

SUB = Substrate(eps_r=9.8, height_mm=0.254, tan_delta=1e-4)


@pytest.mark.parametrize(
    "n, ripple, table",
    [
        (3, 0.5, (1.5963, 1.0967, 1.5963, 1.0000)),  # Pozar Table 8.4
        (5, 0.5, (1.7058, 1.2296, 2.5408, 1.2296, 1.7058, 1.0000)),  # Pozar Table 8.4
        (4, 0.1, (1.1088, 1.3061, 1.7703, 0.8180, 1.3554)),  # Hong and Lancaster Table 3.2
        (5, 0.1, (1.1468, 1.3712, 1.9750, 1.3712, 1.1468, 1.0000)),  # Hong and Lancaster
    ],
)
def test_element_values_match_the_tables(n, ripple, table):
    g = chebyshev_g(n, ripple)
    assert g[0] == 1.0
    np.testing.assert_allclose(g[1:], table, atol=1.5e-4)  # the tables' 4 decimals


def test_ripple_and_return_loss_are_one_quantity():
    # 0.5 dB ripple <-> 9.64 dB return loss (Pozar section 8.3); 0.1 dB <-> 16.43 dB
    assert ripple_db(9.636) == pytest.approx(0.5, abs=1e-3)
    assert ripple_db(16.426) == pytest.approx(0.1, abs=1e-3)
    with pytest.raises(ValueError, match="return_loss_db"):
        ripple_db(0.0)


@pytest.mark.parametrize("ripple, omega_s, rejection", [(0.1, 2.0, 40.0), (0.04, 1.5, 30.0)])
def test_order_is_the_smallest_that_rejects_enough(ripple, omega_s, rejection):
    def attenuation(n: int) -> float:  # Chebyshev: 1 / |S21|^2 = 1 + eps^2 T_n(omega)^2
        eps2 = 10 ** (ripple / 10) - 1
        return 10 * math.log10(1 + eps2 * math.cosh(n * math.acosh(omega_s)) ** 2)

    n = chebyshev_order(ripple, omega_s, rejection)
    assert attenuation(n) >= rejection > attenuation(n - 1)


def test_widths_follow_the_impedances_and_the_limits():
    w = line_widths(SUB, 6.0, 16.0, 0.025)
    assert w.z_high_ohm == pytest.approx(100, rel=0.01)
    assert w.z_low_ohm == pytest.approx(20, rel=0.01)
    thin = line_widths(Substrate(eps_r=9.8, height_mm=0.127), 6.0, 16.0, 0.025)
    assert thin.high_mm == 0.025 and "fabrication limit" in thin.notes[0]
    thick = line_widths(Substrate(eps_r=9.8, height_mm=0.635), 6.0, 16.0, 0.025)
    assert "quarter guided wavelength" in thick.notes[0] and thick.z_low_ohm > 25


def test_classical_lengths_put_the_cutoff_near_fc_and_the_optimisation_meets_the_masks():
    f = np.linspace(0.5, 16, 63)
    masks = [
        Mask("pass", "pass", "s21", "min", -1.5, 0.5, 6.0),
        Mask("pass", "pass", "s11", "max", -15.0, 0.5, 6.0),
        Mask("stop", "stop", "s21", "max", -30.0, 9.5, 16.0),
    ]
    model = CascadeModel(SUB, f)
    widths = line_widths(SUB, 6.0, 16.0, 0.025)
    line = initial_line(chebyshev_g(7, ripple_db(18)), SUB, widths, 6.0)
    s21 = 20 * np.log10(np.abs(model(line).s[:, 1, 0]))
    f3 = f[np.argmax(s21 < -3)]
    # the formulas ignore the sections' parasitics: -3 dB at 5.25 GHz (on this 0.25 GHz grid)
    assert 0.85 * 6.0 < f3 < 1.05 * 6.0
    opt = optimise_lengths(line, model, masks, f, 0.025, enough_db=1.0)
    assert opt.worst_margin_db > 0.3  # measured +0.60 dB (loss-limited passband)
    assert opt.line.widths_mm == line.widths_mm
