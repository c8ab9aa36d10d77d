"""SADEA (GP-assisted differential evolution) against pymoo's plain DE on an analytic problem.

Two margins (dB-like, positive when met) of three parameters, both largest at one point; the
worst margin's maximum is 1.0 at x = c. A test problem, not physics: the antenna runs are in
``make bench BENCH=antenna``.
"""

import numpy as np
import pytest

from rfdesign.optimizers.sadea import (
    SadeaSettings,
    current_to_best,
    latin_hypercube,
    plain_de,
    sadea,
)

C = np.array([0.3, 0.7, 0.5])
BOUNDS = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])


def margins(x):
    x = np.asarray(x)
    return np.array(
        [1 - 10 * abs(x[0] - C[0]) - 2 * (x[1] - C[1]) ** 2, 1.5 - 8 * np.sum((x - C) ** 2)]
    )


def test_sadea_beats_plain_de_on_the_same_budget():
    # over four seeds (one seed's path depends on the GP fits' last digits): measured here,
    # SADEA's best 0.875-0.978 in 25 evaluations, DE's 0.169-0.858 (mean 0.54)
    best_s, best_d = [], []
    for seed in range(4):
        s = sadea(margins, BOUNDS, SadeaSettings(budget=25, seed=seed))
        d = plain_de(margins, BOUNDS, 25, seed=seed)
        assert len(s.history) == 25 and len(d.history) == 25
        best_s.append(s.best.worst)
        best_d.append(d.best.worst)
        # every generation's pick carries the GP's prediction and its optimistic bound
        picks = [e for e in s.history if e.stage == "sadea"]
        assert picks and all(e.bound >= e.predicted for e in picks)
    assert min(best_s) > 0.75  # within 0.25 of the optimum 1.0
    assert np.mean(best_s) > np.mean(best_d) + 0.1


def test_a_goal_stops_the_search_and_a_seed_repeats_it():
    a = sadea(margins, BOUNDS, SadeaSettings(budget=20, seed=3, goal_db=0.5))
    b = sadea(margins, BOUNDS, SadeaSettings(budget=20, seed=3, goal_db=0.5))
    assert a.history[-1].worst >= 0.5 and a.runs_to(0.5) == len(a.history) <= 20
    assert [e.x.tolist() for e in a.history] == [e.x.tolist() for e in b.history]


def test_de_steps_and_samples_stay_in_the_box():
    rng = np.random.default_rng(0)
    x = latin_hypercube(np.array([[1.0, 2.0], [-3.0, 3.0]]), 7, rng)
    assert x.shape == (7, 2) and np.all(x[:, 0] >= 1) and np.all(x[:, 1] <= 3)
    pop = rng.random((6, 3))
    kids = current_to_best(pop, pop[0], 0.8, 0.8, rng)
    assert kids.shape == pop.shape and np.all((kids >= 0) & (kids <= 1))
    with pytest.raises(ValueError, match="population"):
        SadeaSettings(population=3)
