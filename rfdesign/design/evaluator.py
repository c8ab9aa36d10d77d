"""Stage 1, the evaluator: what the search judges layouts with.

The shipped CNN of the spec's grid (``surrogate="auto"``), a checkpoint folder, the circuit
model (``"circuit"``; also the fallback of ``auto`` when no CNN exists for the grid), or the
verifying solver itself (``"solver"``: every search evaluation is a cached full-wave run, for
small grids or when no surrogate of the grid is good enough).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rfdesign.layouts.grid import PixelGrid
from rfdesign.optimizers.problems import (
    Evaluator,
    SolverEvaluator,
    network_evaluator,
    surrogate_evaluator,
)
from rfdesign.spec import FilterSpec


@dataclass(frozen=True)
class SearchModel:
    """The search's evaluator and the complex model behind it.

    Attributes:
        evaluator: bits ``N x d`` -> (|S11| dB, |S21| dB), each ``N x F``.
        predict_s: bits ``N x d`` -> complex S ``N x F x 2 x 2`` at :attr:`f_ghz`.
        f_ghz: The model's frequencies, GHz (``F``).
        description: What it is, for reports ("shipped CNN ka_pixel_4x5", "circuit model").
        training_runs: Solver runs spent *earlier* on training it (0 for the circuit model);
            not runs of this design.
        training_solver: Solver and mesh of those runs (e.g. ``"openems (standard)"``).
        on_solver: The :class:`~rfdesign.optimizers.problems.SolverEvaluator` when the search
            runs on the verifying solver itself, else ``None``.
    """

    evaluator: Evaluator
    predict_s: Callable[[np.ndarray], np.ndarray]
    f_ghz: np.ndarray
    description: str
    training_runs: int = 0
    training_solver: str | None = None
    on_solver: SolverEvaluator | None = None


def search_model(
    spec: FilterSpec,
    grid: PixelGrid,
    surrogate: str | Path,
    solver=None,
    executor: Executor | None = None,
    say: Callable[[str, int, int], None] | None = None,
) -> SearchModel:
    """The :class:`SearchModel` named by ``surrogate`` for ``spec`` on ``grid``.

    Args:
        spec: The spec (sweep and search budget).
        grid: The spec's grid.
        surrogate: ``"auto"``, ``"circuit"``, a shipped grid name, a checkpoint folder, or
            ``"solver"``.
        solver: The verifying solver (``None`` without verification); ``"solver"`` needs it.
        executor: Runs the solver's simulations for ``"solver"``.
        say: Progress callback ``(stage, done, total)``; the search stage reports its own
            progress per generation, this one only the loading of a model.

    Raises:
        ValueError: ``"solver"`` without a solver, or a model trained for another grid.
    """
    from rfdesign.solvers.circuit import simulate_bits
    from rfdesign.surrogates.base import load_shipped, load_surrogate, shipped_names

    model = None
    if surrogate == "solver":
        if solver is None:
            raise ValueError(
                "surrogate: 'solver' searches on the verifying solver; choose --verify "
                "openems, meep or circuit, not none"
            )
        f = np.asarray(spec.frequencies_ghz(), float)
        evaluator = SolverEvaluator(
            solver,
            grid,
            f,
            executor=executor,
            skip_corner_contacts=not spec.search.allow_corner_contacts,
        )
        return SearchModel(
            evaluator,
            evaluator.s,
            f,
            f"{solver.name} solver directly (no surrogate)",
            on_solver=evaluator,
        )
    if surrogate == "auto":
        surrogate = "circuit"
        if grid.name in shipped_names():
            shipped = load_shipped(grid.name)
            if shipped.grid.key() == grid.key():  # not the same name on another substrate
                model, surrogate = shipped, grid.name
    if surrogate == "circuit":
        f = np.asarray(spec.frequencies_ghz(), float)

        def simulate(bits: np.ndarray) -> np.ndarray:
            return simulate_bits(grid, bits, f, n_threads=2)

        return SearchModel(network_evaluator(simulate), simulate, f, "circuit model")
    if isinstance(surrogate, str) and surrogate in shipped_names():
        model, desc = model or load_shipped(surrogate), f"shipped CNN {surrogate}"
    else:
        model, desc = load_surrogate(surrogate), f"checkpoint {surrogate}"
    if getattr(model, "grid", None) is None or model.grid.key() != grid.key():
        raise ValueError(f"surrogate: {desc} was not trained for the spec's grid {grid.name!r}")
    prov = model.record.get("provenance", {})
    runs = int(prov.get("samples", 0))
    trained_on = prov.get("solver")
    if trained_on and (prov.get("settings") or {}).get("preset"):
        trained_on = f"{trained_on} ({prov['settings']['preset']})"
    return SearchModel(
        surrogate_evaluator(model), model.predict, np.asarray(model.f_ghz), desc, runs, trained_on
    )
