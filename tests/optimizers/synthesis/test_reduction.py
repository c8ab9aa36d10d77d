"""Transversal matrix and its similarity transforms: same response, the printed topology."""

import numpy as np
import pytest

from rfdesign.optimizers.synthesis.bound import chebyshev_matrix
from rfdesign.optimizers.synthesis.mapping import FrequencyMap
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
from rfdesign.optimizers.synthesis.polynomials import FilteringFunction
from rfdesign.optimizers.synthesis.reduction import (
    fold,
    folded_pattern,
    positive_main_line,
    quadruplet_pattern,
    to_topology,
    triplet_pattern,
)
from rfdesign.optimizers.synthesis.transversal import transversal_matrix

PROTO = FrequencyMap("lowpass", 1.0)  # Omega = f: the matrix's own variable
W = np.linspace(-3.0, 3.0, 241)

CASES = [
    (4, 22.0, (1.3217, 1.8082)),
    (4, 22.0, (-2.6207, 2.6207)),
    (5, 20.0, (1.2,)),
    (6, 23.0, (-1.5, 1.4)),
    (7, 20.0, (-2.0, -1.3, 1.25, 1.6, 3.0)),
    (8, 20.0, (-1.3, 1.25, 1.6)),
    (5, 18.0, ()),
    (4, 22.0, (-3.7431, -1.8051, 1.5699, 6.1910)),  # fully canonical: source-load coupling
    (3, 20.0, (-2.2, 2.0, 3.5)),
    (5, 20.0, (-1.6, 1.3, 1.9, 2.5)),  # N - 1 zeros: resonator 1 - load coupling
]

# Cameron's 4-2 example realised with trisections S-1-2 and 3-4-L, as printed (transcribed from
# Cameron, IEEE Microwave Magazine 12(6), 2011, table 1; four decimals).
CAMERON_TRISECTIONS = np.array(
    [
        [0.0, 0.9221, 0.5921, 0.0, 0.0, 0.0],
        [0.9221, -0.8333, 0.6259, 0.0, 0.0, 0.0],
        [0.5921, 0.6259, 0.6022, 0.8634, 0.0, 0.0],
        [0.0, 0.0, 0.8634, 0.5812, 0.2590, 0.8471],
        [0.0, 0.0, 0.0, 0.2590, -1.1092, 0.6952],
        [0.0, 0.0, 0.0, 0.8471, 0.6952, 0.0],
    ]
)


def load_positive(m):
    """The load's sign flipped to make M_N,L positive: port 2's reference plane (S21 -> -S21),
    the only freedom left after :func:`positive_main_line`, chosen differently by printed tables."""
    m = np.array(m)
    if m[-2, -1] < 0:
        m[-1, :] *= -1
        m[:, -1] *= -1
    return m


def s_of(m):
    return CouplingMatrix(m, PROTO).s_params(W)


@pytest.mark.parametrize("n,rl,zeros", CASES)
def test_transversal_realises_the_polynomials(n, rl, zeros):
    ff = FilteringFunction.chebyshev(n, rl, zeros)
    s = s_of(transversal_matrix(ff))
    s11, s21, s22 = ff.s_params(W)
    # the matrix network's reference planes differ by a quarter wave at each port: S -> -S
    np.testing.assert_allclose(s[:, 0, 0], -s11, atol=1e-9)
    np.testing.assert_allclose(s[:, 1, 0], -s21, atol=1e-9)
    np.testing.assert_allclose(s[:, 1, 1], -s22, atol=1e-9)


@pytest.mark.parametrize("n,rl,zeros", CASES)
def test_folded_matrix_has_the_folded_pattern_and_the_same_response(n, rl, zeros):
    t = transversal_matrix(FilteringFunction.chebyshev(n, rl, zeros))
    f = fold(t)
    assert np.all(f[~folded_pattern(n)] == 0.0)
    assert np.all(np.diag(f, 1)[:n] > 0)  # positive main line from the source on
    np.testing.assert_allclose(s_of(f), s_of(t), atol=1e-9)
    np.testing.assert_allclose(f, f.T, atol=0)


def test_all_pole_folded_is_the_inline_chebyshev_ladder():
    """The folded all-pole matrix has M_i,i+1 = 1/sqrt(g_i g_i+1) (Matthaei et al. sec. 4.05)."""
    for n, rl in [(3, 20.0), (4, 13.0), (6, 25.0)]:
        ripple = -10 * np.log10(1 - 10 ** (-rl / 10))
        f = fold(transversal_matrix(FilteringFunction.chebyshev(n, rl)))
        np.testing.assert_allclose(load_positive(f), chebyshev_matrix(n, ripple), atol=1e-9)


def test_symmetric_zeros_give_a_synchronously_tuned_matrix():
    f = fold(transversal_matrix(FilteringFunction.chebyshev(6, 22.0, (-1.8, 1.8))))
    np.testing.assert_allclose(np.diag(f), 0.0, atol=1e-9)
    assert f[2, 5] != 0  # the one cross coupling of a symmetric 6-2: 2-5
    assert f[1, 6] == 0


def test_cameron_trisections_are_reproduced():
    f = fold(transversal_matrix(FilteringFunction.chebyshev(4, 22.0, (1.3217, 1.8082))))
    m = to_topology(f, triplet_pattern(4, [0, 3]))
    printed = positive_main_line(CAMERON_TRISECTIONS)
    np.testing.assert_allclose(load_positive(m), load_positive(printed), atol=2e-4)
    np.testing.assert_allclose(s_of(m), s_of(f), atol=1e-9)


def test_fully_canonical_4_4_folded_matrix():
    """Cameron's (4-4) example (IEEE MTT 51(1), 2003; Cameron et al. 2007, ch. 8): values as
    recalled here, not checked against the printed page: M_S1 1.0600, M_12 0.8739,
    M_14 -0.3259, M_SL 0.0151."""
    f = fold(
        transversal_matrix(FilteringFunction.chebyshev(4, 22.0, (-3.7431, -1.8051, 1.5699, 6.1910)))
    )
    assert f[0, 1] == pytest.approx(1.0600, abs=2e-4)
    assert f[1, 2] == pytest.approx(0.8739, abs=2e-4)
    assert f[1, 4] == pytest.approx(-0.3259, abs=2e-4)
    assert abs(f[0, 5]) == pytest.approx(0.0151, abs=2e-4)
    assert f[1, 5] != 0 and f[0, 4] == 0


def test_cascaded_triplets_and_quadruplets_keep_the_response():
    f6 = fold(transversal_matrix(FilteringFunction.chebyshev(6, 22.0, (-1.5, 1.4))))
    trip = to_topology(f6, triplet_pattern(6, [1, 4]))
    assert trip[1, 3] != 0 and trip[4, 6] != 0
    np.testing.assert_allclose(s_of(trip), s_of(f6), atol=1e-9)
    f8 = fold(transversal_matrix(FilteringFunction.chebyshev(8, 22.0, (-1.7, 1.7))))
    quad = to_topology(f8, quadruplet_pattern(8, [3]))
    assert quad[3, 6] != 0
    np.testing.assert_allclose(s_of(quad), s_of(f8), atol=1e-9)


def test_an_unrealisable_topology_is_refused():
    f = fold(transversal_matrix(FilteringFunction.chebyshev(4, 22.0, (1.3217, 1.8082))))
    # overlapping triplets 1-2-3 and 2-3-4 cannot carry this response: M_14 is invariant
    with pytest.raises(ValueError, match="to_topology"):
        to_topology(f, triplet_pattern(4, [1, 2]), restarts=3)
