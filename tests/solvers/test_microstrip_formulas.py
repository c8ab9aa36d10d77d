"""Coupled-microstrip formulas against each other and against the single strip they tend to.

Kirschning-Jansen (1984, frequency dependent) and Garg-Bahl (1979, quasi-static) are two
independent fits to full-wave and measured data; scikit-rf's single-strip Kirschning-Jansen
dispersion is the limit of the coupled formulas for a wide gap.
"""

import itertools

import numpy as np
import pytest
from skrf.media.mline import hammerstad_ab, hammerstad_er, kirsching_er

from rfdesign.solvers.microstrip_formulas import (
    coupled_lines_garg_bahl,
    coupled_lines_kirschning_jansen,
)

H, ER = 0.127, 9.8  # mm, the paper's alumina
W = 0.12  # mm, about 50 ohm
F = np.array([1.0, 20.0, 40.0, 46.0])  # GHz


def test_wide_gap_gives_the_single_strip_with_its_dispersion():
    """At s = 40 h both modes are the single strip (skrf's Kirschning-Jansen) within 0.1 %."""
    modes = coupled_lines_kirschning_jansen(W, 40 * H, H, ER, F)
    u = W / H
    single = kirsching_er(u, F * H, ER, hammerstad_er(u, ER, *hammerstad_ab(u, ER)))
    np.testing.assert_allclose(modes.eps_even, single, rtol=1e-3)
    np.testing.assert_allclose(modes.eps_odd, single, rtol=1e-3)


@pytest.mark.parametrize("s_mm", [0.03, 0.05, 0.1, 0.2])
def test_two_independent_models_agree_on_the_static_modes(s_mm):
    """Garg-Bahl (3 %) and Kirschning-Jansen (1 %) at 1 GHz: within their summed accuracy."""
    kj = coupled_lines_kirschning_jansen(W, s_mm, H, ER, np.array([1.0]))
    gb = coupled_lines_garg_bahl(W, s_mm, H, ER)
    assert float(gb.eps_even) == pytest.approx(float(kj.eps_even[0]), rel=0.04)
    assert float(gb.eps_odd) == pytest.approx(float(kj.eps_odd[0]), rel=0.05)
    # odd mode: more field in the air of the gap, lower permittivity, lower impedance
    assert float(gb.eps_odd) < float(gb.eps_even) and float(gb.z0_odd) < float(gb.z0_even)
    # a 50-ohm strip pair: Z0e above and Z0o below 50 ohm, sqrt(Z0e Z0o) near 50
    assert float(gb.z0_odd) < 50.0 < float(gb.z0_even)
    assert np.sqrt(float(gb.z0_even * gb.z0_odd)) == pytest.approx(50.0, rel=0.1)


def test_modes_separate_as_the_gap_closes_and_disperse_upwards():
    gaps = [0.03, 0.05, 0.1, 0.2, 0.5]
    split = [
        float(m.eps_even[0] - m.eps_odd[0])
        for m in (coupled_lines_kirschning_jansen(W, s, H, ER, np.array([40.0])) for s in gaps)
    ]
    assert all(a > b for a, b in itertools.pairwise(split))
    m = coupled_lines_kirschning_jansen(W, 0.05, H, ER, F)
    assert np.all(np.diff(m.eps_even) > 0) and np.all(np.diff(m.eps_odd) > 0)
    assert np.all(m.eps_even < ER) and np.all(m.eps_odd > 1)
