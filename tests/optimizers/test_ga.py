"""Searches on the shipped surrogate: exhaustive is the proven optimum, GA and random search
never beat it, the top-k are distinct and ordered, histories are monotone."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from rfdesign.evaluation import spec_mask_set
from rfdesign.optimizers.ga import all_bits, exhaustive, random_search, run_ga
from rfdesign.optimizers.problems import PixelFilterProblem, surrogate_evaluator
from rfdesign.spec import load_spec
from rfdesign.surrogates.base import load_shipped

SPEC_DIR = Path(__file__).resolve().parents[2] / "examples"
SPEC = load_spec(SPEC_DIR / "ka_bandpass.yaml")


@pytest.fixture(scope="module")
def problem():
    return PixelFilterProblem(
        SPEC.pixel_grid(), spec_mask_set(SPEC), surrogate_evaluator(load_shipped("ka_pixel_4x5"))
    )


@pytest.fixture(scope="module")
def optimum(problem):
    return exhaustive(problem, top_k=10)


def test_all_bits_enumerates_every_layout_once():
    b = all_bits(15)
    assert b.shape == (32768, 15) and len(np.unique(b, axis=0)) == 32768
    assert b[1].tolist() == [0] * 14 + [1]


def test_exhaustive_finds_the_best_feasible_layout(problem, optimum):
    assert optimum.evaluations == 32768
    assert optimum.feasible[0]
    assert np.all(np.diff(optimum.objective[optimum.feasible]) >= 0)
    assert len(np.unique(optimum.bits, axis=0)) == len(optimum.bits)
    # independent check: evaluate everything once more and take the feasible minimum
    out = problem.evaluate(all_bits(15), return_as_dictionary=True)
    ok = (out["G"] <= 0).all(axis=1)
    assert optimum.objective[0] == pytest.approx(out["F"][ok, 0].min())


@pytest.mark.parametrize("seed", [0, 1])
def test_ga_and_random_never_beat_the_proven_optimum(problem, optimum, seed):
    ga = run_ga(problem, pop_size=32, generations=20, seed=seed)
    rnd = random_search(problem, n=ga.evaluations, seed=seed)
    for res in (ga, rnd):
        assert res.objective[0] >= optimum.objective[0] - 1e-9
        best = [h[1] for h in res.history]
        assert all(a >= b for a, b in itertools.pairwise(best))
    again = run_ga(problem, pop_size=32, generations=20, seed=seed)
    np.testing.assert_array_equal(again.bits, ga.bits)


def test_exhaustive_refuses_huge_spaces():
    grid = __import__("rfdesign.layouts", fromlist=["get_grid"]).get_grid("ka_pixel_8x8")
    big = PixelFilterProblem(grid, spec_mask_set(SPEC), lambda b: (None, None))
    with pytest.raises(ValueError, match="use the GA"):
        exhaustive(big)


@pytest.mark.parametrize("search", ["ga", "nsga2", "random"])
def test_searches_evaluate_only_admissible_layouts_on_a_corner_rule_grid(search):
    # 97 % of random layouts of the 41-bit channel grid have corner-only contacts; the
    # repair operator must close them before any layout reaches the evaluator
    from rfdesign.layouts.grid import corner_contact_counts
    from rfdesign.optimizers.problems import PixelTradeoffProblem
    from rfdesign.solvers.circuit import simulate_bits

    spec = load_spec(SPEC_DIR / "ka_bandpass_channel.yaml")
    grid = spec.pixel_grid()
    f = np.asarray(spec.frequencies_ghz(), float)[::5]
    seen = []

    def evaluate(bits):
        seen.append(np.asarray(bits))
        s = simulate_bits(grid, bits, f)
        db = 20 * np.log10(np.maximum(np.abs(s), 1e-6))
        return db[:, :, 0, 0], db[:, :, 1, 0]

    cls = PixelTradeoffProblem if search == "nsga2" else PixelFilterProblem
    prob = cls(grid, spec_mask_set(spec, f), evaluate)
    if search == "random":
        res = random_search(prob, 40, seed=1)
    else:
        res = run_ga(prob, pop_size=10, generations=3, seed=1, multi_objective=search == "nsga2")
    bits = np.concatenate(seen)
    assert len(bits) > 0 and corner_contact_counts(grid.masks(bits)).max() == 0
    assert res.repaired > 0
