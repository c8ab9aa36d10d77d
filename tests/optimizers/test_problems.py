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
