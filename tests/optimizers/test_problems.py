"""pymoo problems: objectives equal the spec evaluator, constraints mean what they say."""

from pathlib import Path

import numpy as np
import pytest
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.operators.crossover.pntx import TwoPointCrossover
from pymoo.operators.mutation.bitflip import BitflipMutation
from pymoo.operators.sampling.rnd import BinaryRandomSampling
from pymoo.optimize import minimize

from rfdesign.evaluation import evaluate_response, spec_mask_set
from rfdesign.layouts import Layout
from rfdesign.layouts.grid import corner_contact_counts
from rfdesign.optimizers.problems import (
    PixelFilterProblem,
    PixelTradeoffProblem,
    network_evaluator,
    surrogate_evaluator,
)
from rfdesign.solvers.circuit import simulate_bits
from rfdesign.spec import load_spec
from rfdesign.surrogates.base import load_shipped

SPEC = load_spec(Path(__file__).resolve().parents[2] / "examples" / "ka_bandpass.yaml")


@pytest.fixture(scope="module")
def circuit_problem():
    grid = SPEC.pixel_grid()
    f = SPEC.frequencies_ghz()
    ev = network_evaluator(lambda b: simulate_bits(grid, b, f, n_threads=2))
    return PixelFilterProblem(grid, spec_mask_set(SPEC, f), ev)


def test_k_and_constraints_equal_the_reference_evaluator(circuit_problem):
    grid = circuit_problem.grid
    bits = np.random.default_rng(3).integers(0, 2, (40, grid.n_bits)).astype(np.uint8)
    out = circuit_problem.evaluate(bits, return_as_dictionary=True)
    s = simulate_bits(grid, bits, SPEC.frequencies_ghz())
    for i, b in enumerate(bits):
        rep = evaluate_response(SPEC, SPEC.frequencies_ghz(), s[i, :, 0, 0], s[i, :, 1, 0])
        assert out["F"][i, 0] == pytest.approx(rep.K, abs=1e-9)
        il = min(c.margin_db for c in rep.checks if c.quantity == "s21" and c.kind == "pass")
        assert out["G"][i, 0] == pytest.approx(-il, abs=1e-9)
        corners = len(Layout.from_bits(grid, b).connectivity.corner_contacts)
        assert out["G"][i, 1] == corners
    assert circuit_problem.evaluations == 40


def test_corner_constraint_can_be_dropped():
    grid = SPEC.pixel_grid()
    p = PixelFilterProblem(
        grid, spec_mask_set(SPEC), surrogate_evaluator(load_shipped("ka_pixel_4x5")), True
    )
    assert p.n_ieq_constr == 1


def test_ga_on_the_surrogate_returns_a_feasible_design_above_the_floor():
    grid = SPEC.pixel_grid()
    problem = PixelFilterProblem(
        grid, spec_mask_set(SPEC), surrogate_evaluator(load_shipped("ka_pixel_4x5"))
    )
    algo = GA(
        pop_size=40,
        sampling=BinaryRandomSampling(),
        crossover=TwoPointCrossover(),
        mutation=BitflipMutation(),
        eliminate_duplicates=True,
    )
    res = minimize(problem, algo, ("n_gen", 15), seed=1, verbose=False)
    assert res.X is not None
    assert res.F[0] >= problem.masks.k_floor - 1e-9
    bits = np.asarray(res.X, np.uint8)[None]
    assert (problem.evaluate(bits, return_as_dictionary=True)["G"] <= 0).all()


def test_tradeoff_objectives():
    grid = SPEC.pixel_grid()
    problem = PixelTradeoffProblem(
        grid, spec_mask_set(SPEC), surrogate_evaluator(load_shipped("ka_pixel_4x5"))
    )
    bits = np.zeros((1, grid.n_bits), np.uint8)
    out = problem.evaluate(bits, return_as_dictionary=True)
    fixed_area = (grid.masks(bits)[0] * grid.cell_areas_mm2).sum()
    assert out["F"].shape == (1, 4) and out["F"][0, 3] == pytest.approx(fixed_area)


def test_solver_evaluator_equals_the_solver_and_never_simulates_twice(tmp_path):
    from rfdesign.optimizers.problems import SolverEvaluator
    from rfdesign.solvers.base import ResultCache, get_solver

    grid = SPEC.pixel_grid()
    f = SPEC.frequencies_ghz()
    solver = get_solver("circuit", cache=ResultCache(tmp_path))
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2, (12, grid.n_bits)).astype(np.uint8)
    bits = np.concatenate([bits, bits[:4]])  # repeats inside one batch
    ev = SolverEvaluator(solver, grid, f, skip_corner_contacts=True)
    s11, s21 = ev(bits)
    corners = corner_contact_counts(grid.masks(bits)) > 0
    assert corners.any() and not corners.all()
    ref = simulate_bits(grid, bits[~corners], f)
    np.testing.assert_allclose(s21[~corners], 20 * np.log10(np.abs(ref[:, :, 1, 0])), atol=1e-9)
    # corner-contact layouts are not simulated: total reflection stands in for them
    assert np.all(s11[corners] == 0.0) and np.all(s21[corners] == -300.0)
    distinct = len({b.tobytes() for b in bits[~corners]})
    assert ev.simulated == ev.new_runs == distinct
    ev(bits)  # the same batch again: nothing new
    assert ev.simulated == distinct
    fresh = SolverEvaluator(solver, grid, f)  # a new search reads the result cache
    fresh(bits)
    assert fresh.simulated == distinct and fresh.new_runs == 0
