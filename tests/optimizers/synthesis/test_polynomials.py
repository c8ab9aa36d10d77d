"""Generalised Chebyshev polynomials against printed values and the closed form."""

import numpy as np
import pytest

from rfdesign.optimizers.synthesis.polynomials import (
    FilteringFunction,
    chebyshev_g,
    chebyshev_magnitudes,
    return_loss_from_ripple,
    ripple_from_return_loss,
)

# Cameron's 4-2 example: N = 4, 22 dB return loss, zeros at s = +j1.3217 and +j1.8082.
# Printed values as transcribed from Cameron, "Advanced filter synthesis", IEEE Microwave
# Magazine 12(6), 2011, table 1 (the same example as Cameron et al. 2007, ch. 6), four decimals;
# E's coefficients are printed rounded from the roots, so they agree to about 2e-4.
CAMERON_EPS = 1.1548
CAMERON_E = [-0.1268 - 2.0658j, 2.4874 - 3.6255j, 3.6706 - 2.1950j, 2.4015 - 0.7591j, 1.0]
CAMERON_F = [0.0208, -0.5432j, 0.7869, -0.7591j, 1.0]
CAMERON_P = [-2.3899j, 3.1299, 1.0j]
CAMERON_F_ROOTS = [-0.8593j, -0.0365j, 0.6845j, 0.9705j]
CAMERON_E_ROOTS = [-0.7437 - 1.4178j, -1.1031 + 0.1267j, -0.4571 + 0.9526j, -0.0977 + 1.0976j]


@pytest.fixture(scope="module")
def cameron_4_2():
    return FilteringFunction.chebyshev(4, 22.0, (1.3217, 1.8082))


def test_cameron_4_2_epsilon_and_polynomials(cameron_4_2):
    ff = cameron_4_2
    assert ff.eps == pytest.approx(CAMERON_EPS, abs=1e-4)
    assert ff.eps_r == 1.0
    np.testing.assert_allclose(ff.e.coef, CAMERON_E, atol=2e-4)
    np.testing.assert_allclose(ff.f.coef, CAMERON_F, atol=1e-4)
    np.testing.assert_allclose(ff.p.coef, CAMERON_P, atol=1e-4)


def test_cameron_4_2_roots(cameron_4_2):
    f_roots = sorted(cameron_4_2.f.roots(), key=lambda z: z.imag)
    np.testing.assert_allclose(f_roots, sorted(CAMERON_F_ROOTS, key=lambda z: z.imag), atol=1e-4)
    e_roots = cameron_4_2.poles
    for r in CAMERON_E_ROOTS:
        assert np.min(np.abs(e_roots - r)) < 1e-4
    assert np.all(e_roots.real < 0)  # Hurwitz


@pytest.mark.parametrize(
    "ripple,expected",
    [
        # Matthaei, Young and Jones 1964, table 4.05-2(a), n = 4 (g1..g5)
        (0.01, [0.7128, 1.2003, 1.3212, 0.6476, 1.1008]),
        (0.1, [1.1088, 1.3061, 1.7703, 0.8180, 1.3554]),
        (0.5, [1.6703, 1.1926, 2.3661, 0.8419, 1.9841]),
    ],
)
def test_g_values_match_the_table(ripple, expected):
    np.testing.assert_allclose(chebyshev_g(4, ripple)[1:], expected, atol=1.5e-4)


@pytest.mark.parametrize(
    "n,rl,zeros",
    [
        (4, 22.0, (1.3217, 1.8082)),
        (6, 20.0, (-1.5, 1.4)),
        (5, 15.0, ()),
        (7, 25.0, (-2, 1.2, 3)),
        (4, 22.0, (-3.7431, -1.8051, 1.5699, 6.1910)),  # fully canonical
    ],
)
def test_response_is_the_closed_form_filtering_function(n, rl, zeros):
    """|S21|^2 = 1 / (1 + eps^2 C_N^2) with C_N = cosh(sum arccosh x_n) (Cameron eq. 6.12)."""
    ff = FilteringFunction.chebyshev(n, rl, zeros)
    w = np.linspace(-4.0, 4.0, 801)
    w = w[np.min(np.abs(w[:, None] - np.array([*zeros, 1e9])[None]), axis=1) > 1e-3]
    zs = list(zeros) + [np.inf] * (n - len(zeros))
    x = np.array([(w - 1 / z) / (1 - w / z) if np.isfinite(z) else w for z in zs], complex)
    c = np.cosh(np.sum(np.arccosh(x), axis=0)).real
    # |S21|^2 = 1 / (1 + k^2 C^2), k = eps |F/P|(Omega = 1) / eps_R: 1 / sqrt(10^(RL/10) - 1)
    # except for the fully canonical case, where eps_R (slightly above 1) changes it by a hair
    eps2 = (ff.eps / ff.eps_r * abs(ff.f(1j) / ff.p(1j))) ** 2
    if len(zeros) < n:
        assert eps2 == pytest.approx(1 / (10 ** (rl / 10) - 1), rel=1e-12)
    s11, s21, s22 = ff.s_params(w)
    np.testing.assert_allclose(np.abs(s21) ** 2, 1 / (1 + eps2 * c**2), rtol=1e-7)
    np.testing.assert_allclose(np.abs(s11) ** 2 + np.abs(s21) ** 2, 1.0, atol=1e-10)
    np.testing.assert_allclose(np.abs(s22), np.abs(s11), atol=1e-10)
    # unitarity: S11 S21* + S21 S22* = 0
    np.testing.assert_allclose(s11 * s21.conj() + s21 * s22.conj(), 0.0, atol=1e-10)


def test_fully_canonical_response_keeps_s21_at_infinity():
    """N zeros: eps_R = eps / sqrt(eps^2 - 1) (Cameron et al. 2007, sec. 6.3), and far from
    the band |S21| tends to 1/eps (the direct source-load path), not to zero."""
    ff = FilteringFunction.chebyshev(4, 22.0, (-3.7431, -1.8051, 1.5699, 6.1910))
    assert ff.eps_r == pytest.approx(ff.eps / np.sqrt(ff.eps**2 - 1))
    assert np.abs(ff.s_params(np.array([1e6]))[1][0]) == pytest.approx(1 / ff.eps, rel=1e-4)


def test_equiripple_return_loss_and_zeros(cameron_4_2):
    ff = cameron_4_2
    w = np.linspace(-1, 1, 2001)
    s11, _, _ = ff.s_params(w)
    assert 20 * np.log10(np.abs(s11).max()) == pytest.approx(-22.0, abs=1e-3)
    np.testing.assert_allclose(np.abs(ff.s_params(np.array(ff.zeros))[1]), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(ff.s_params(ff.reflection_zeros)[0]), 0.0, atol=1e-9)


def test_fast_magnitudes_equal_the_polynomial_form():
    w = np.linspace(-4, 4, 101) - 0.03j  # lossy: complex frequency
    for n, z in [(4, (1.3217, 1.8082)), (6, (-1.5, 1.4)), (3, ())]:
        ff = FilteringFunction.chebyshev(n, 20.0, z)
        s11, s21, _ = ff.s_params(w)
        m11, m21 = chebyshev_magnitudes(n, 20.0, z, w)
        np.testing.assert_allclose(m11, np.abs(s11), atol=1e-12)
        np.testing.assert_allclose(m21, np.abs(s21), atol=1e-12)


def test_ripple_and_return_loss_are_inverse():
    assert ripple_from_return_loss(20.0) == pytest.approx(0.0436, abs=1e-4)
    assert return_loss_from_ripple(ripple_from_return_loss(13.7)) == pytest.approx(13.7)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"order": 0, "return_loss_db": 20}, "order"),
        ({"order": 4, "return_loss_db": 0}, "return_loss_db"),
        ({"order": 3, "return_loss_db": 20, "zeros": (2, 3, 4, 5)}, "zeros"),
        ({"order": 4, "return_loss_db": 20, "zeros": (0.5,)}, "zeros"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        FilteringFunction.chebyshev(**kwargs)
