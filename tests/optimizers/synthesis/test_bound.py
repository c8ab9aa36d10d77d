"""Coupling-matrix filters against Chebyshev's closed form and Cohn's loss formula."""

import numpy as np
import pytest

from rfdesign.optimizers.masks import Mask, MaskSet
from rfdesign.optimizers.synthesis.bound import (
    best_margin,
    chebyshev_g,
    chebyshev_matrix,
    response,
)

F0, FBW = 42.0, 2.0 / 42.0


@pytest.mark.parametrize("n,ripple", [(3, 0.1), (4, 0.5), (5, 0.2)])
def test_lossless_chebyshev_matches_the_closed_form(n, ripple):
    f = np.linspace(36, 48, 301)
    s11, s21 = response(chebyshev_matrix(n, ripple), f, F0, FBW)
    omega = (f / F0 - F0 / f) / FBW
    eps2 = 10 ** (ripple / 10) - 1
    t = np.where(
        np.abs(omega) <= 1,
        np.cos(n * np.arccos(np.clip(omega, -1, 1))),
        np.cosh(n * np.arccosh(np.maximum(np.abs(omega), 1))),
    )
    np.testing.assert_allclose(np.abs(s21) ** 2, 1 / (1 + eps2 * t**2), atol=1e-9)
    np.testing.assert_allclose(np.abs(s11) ** 2 + np.abs(s21) ** 2, 1.0, atol=1e-9)


def test_g_values_match_the_tables():
    # Matthaei, Young and Jones, table 4.05-2(a), 0.5 dB ripple, n = 3
    np.testing.assert_allclose(chebyshev_g(3, 0.5)[1:4], [1.5963, 1.0967, 1.5963], atol=2e-4)


def test_loss_at_the_centre_follows_cohn():
    # Cohn (Proc. IRE 1959): dissipation loss at f0 ~ 4.343 * sum(g) / (FBW * Qu) dB
    n, qu = 4, 400.0
    g = chebyshev_g(n, 0.01)
    _, s21 = response(chebyshev_matrix(n, 0.01), np.array([F0]), F0, FBW, qu)
    expected = 4.343 * g[1 : n + 1].sum() / (FBW * qu)
    assert -20 * np.log10(abs(s21[0])) == pytest.approx(expected, rel=0.05)


def test_best_margin_finds_a_met_easy_spec_and_loss_makes_it_fail():
    f = np.linspace(36, 48, 121)
    masks = MaskSet(
        [
            Mask("stop_low", "stop", "s21", "max", -20.0, 36.0, 39.0),
            Mask("pass", "pass", "s21", "min", -1.0, 41.0, 43.0),
            Mask("pass", "pass", "s11", "max", -10.0, 41.0, 43.0),
            Mask("stop_high", "stop", "s21", "max", -20.0, 45.0, 48.0),
        ],
        f,
    )
    lossless = best_margin(masks, 3, np.inf, F0, FBW, maxiter=60, popsize=8)
    assert lossless.worst_margin_db > 0
    lossy = best_margin(masks, 3, 15.0, F0, FBW, maxiter=60, popsize=8)
    assert lossy.worst_margin_db < 0  # Qu = 15 costs ~4 dB in the passband
