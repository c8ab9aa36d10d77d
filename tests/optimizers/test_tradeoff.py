"""The GP-assisted NSGA-II trade-off loop against Latin-hypercube sampling alone.

ZDT1 in three variables (Zitzler, Deb and Thiele, Evol. Comput. 8(2), 2000): the front is
``f2 = 1 - sqrt(f1)``; against the reference point (1.1, 11) its hypervolume is
``11 * 1.1 - 1/3 = 11.77``. A test problem, not physics; the patch's front is in
``make bench BENCH=antenna``.
"""

import numpy as np
import pytest

from rfdesign.optimizers.sadea import latin_hypercube
from rfdesign.optimizers.tradeoff import TradeoffSettings, hypervolume, non_dominated, tradeoff

BOUNDS = np.array([[0.0, 1.0]] * 3)
REF = np.array([1.1, 11.0])


def zdt1(x):
    g = 1 + 9 * np.mean(x[1:])
    return np.array([x[0], g * (1 - np.sqrt(x[0] / g))])


def test_the_gp_front_beats_as_many_samples_alone():
    r = tradeoff(zdt1, BOUNDS, TradeoffSettings(budget=30, batch=5, seed=0))
    assert len(r.x) == 30 and r.stage.count("init") == 15
    hv = hypervolume(r.f[r.front()], REF)
    x = latin_hypercube(BOUNDS, 30, np.random.default_rng(0))
    f = np.array([zdt1(xi) for xi in x])
    assert hv > hypervolume(f[non_dominated(f)], REF)
    assert hv == pytest.approx(11.77, abs=0.3)  # near the true front's


def test_non_dominated_and_hypervolume_on_a_small_set():
    f = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [2.5, 2.5], [1.0, 3.0]])
    assert non_dominated(f).tolist() == [0, 1, 2, 4]  # [2.5, 2.5] is dominated by [2, 2]
    # three boxes against (4, 4): 3x1 + 2x1 + 1x1 = 6
    assert hypervolume(f, np.array([4.0, 4.0])) == pytest.approx(6.0)
    assert hypervolume(f, np.array([0.5, 0.5])) == 0.0
