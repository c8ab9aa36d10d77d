"""Stage 2, search: the registered search methods and the one that runs.

A search method is a function ``(problem, context) -> SearchOutcome`` registered in
:data:`SEARCH_METHODS` under the name a spec's ``search.algorithm`` uses; ``auto`` is resolved
by :func:`choose_algorithm`. A new method (synthesis, say) is one more registered function
and one more name in :class:`rfdesign.spec.SearchSettings`; the other stages do not change.

Built in (the algorithms are pymoo's, :mod:`rfdesign.optimizers.ga`):

* ``exhaustive``: every layout (up to 2^20), the evaluator's proven optimum;
* ``ga``: the binary GA, its first population seeded with ``search.initial`` and any
  proposals (GAN seeding);
* ``nsga2``: NSGA-II on the trade-off objectives, its Pareto set ranked by K;
* ``random``: distinct random layouts, the baseline every search must beat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rfdesign.core.registry import Registry
from rfdesign.optimizers.ga import (
    EXHAUSTIVE_LIMIT_BITS,
    Progress,
    SearchResult,
    exhaustive,
    random_search,
    run_ga,
)
from rfdesign.optimizers.problems import PixelFilterProblem, PixelTradeoffProblem
from rfdesign.spec import SearchSettings


@dataclass(frozen=True)
class SearchContext:
    """What a search method may use besides the problem.

    Attributes:
        settings: The spec's search settings (population, generations, top-k, ...).
        seed: The run's seed.
        initial: Layouts for the first population, ``m x d`` uint8 (``search.initial``,
            then GAN proposals); methods without a population ignore them.
        progress: Called as ``progress(evaluations done, evaluations planned)`` after each
            batch or generation.
    """

    settings: SearchSettings
    seed: int
    initial: np.ndarray
    progress: Progress | None = None


@dataclass(frozen=True)
class SearchOutcome:
    """What the search stage hands on.

    Attributes:
        found: The top-k distinct candidates (best first), their objective and history.
        pareto: NSGA-II's non-dominated layouts with their objectives, else ``None``.
    """

    found: SearchResult
    pareto: list[dict] | None = field(default=None)

    def record(self) -> dict:
        """The JSON-ready search record of the design report."""
        f = self.found
        return {
            "algorithm": f.algorithm,
            "evaluations": f.evaluations,
            "feasible_evaluated": int(f.n_feasible),
            "repaired": int(f.repaired),
            "seed": f.seed,
            # best K so far; None while no admissible layout has been evaluated (JSON has no inf)
            "history": [[int(a), float(b) if np.isfinite(b) else None] for a, b in f.history],
            "pareto": self.pareto,
        }


SearchMethod = Callable[[PixelFilterProblem, SearchContext], SearchOutcome]
SEARCH_METHODS: Registry[SearchMethod] = Registry("search algorithm")
"""Search algorithm name -> method; the names a spec's ``search.algorithm`` may take."""


@SEARCH_METHODS.register("exhaustive")
def _exhaustive(problem: PixelFilterProblem, ctx: SearchContext) -> SearchOutcome:
    return SearchOutcome(exhaustive(problem, top_k=ctx.settings.top_k, progress=ctx.progress))


@SEARCH_METHODS.register("random")
def _random(problem: PixelFilterProblem, ctx: SearchContext) -> SearchOutcome:
    return SearchOutcome(
        random_search(
            problem,
            ctx.settings.budget,
            seed=ctx.seed,
            top_k=ctx.settings.top_k,
            progress=ctx.progress,
        )
    )


@SEARCH_METHODS.register("ga")
def _ga(problem: PixelFilterProblem, ctx: SearchContext) -> SearchOutcome:
    s = ctx.settings
    found = run_ga(
        problem,
        pop_size=s.population,
        generations=s.generations,
        seed=ctx.seed,
        top_k=s.top_k,
        initial=ctx.initial if len(ctx.initial) else None,
        multi_objective=False,
        progress=ctx.progress,
    )
    return SearchOutcome(found)


@SEARCH_METHODS.register("nsga2")
def _nsga2(problem: PixelFilterProblem, ctx: SearchContext) -> SearchOutcome:
    """NSGA-II on the four trade-off objectives; the Pareto set ranked by K for verification.

    The Pareto record lists every non-dominated layout with its objectives (-RL margin,
    -rejection margin, -IL margin in dB, metal area in mm^2).
    """
    s = ctx.settings
    trade = PixelTradeoffProblem(
        problem.grid, problem.masks, problem.evaluator, problem.allow_corner_contacts
    )
    front = run_ga(
        trade,
        pop_size=s.population,
        generations=s.generations,
        seed=ctx.seed,
        multi_objective=True,
        progress=ctx.progress,
    )
    out = problem.evaluate(front.bits, return_as_dictionary=True)
    cv = np.maximum(np.atleast_2d(out["G"]), 0).sum(axis=1)
    order = np.lexsort((out["F"][:, 0], cv > 0))[: s.top_k]
    found = SearchResult(
        algorithm="nsga2",
        bits=front.bits[order],
        objective=out["F"][order, 0],
        feasible=cv[order] <= 0,
        evaluations=front.evaluations,
        history=front.history,
        seed=ctx.seed,
        n_feasible=front.n_feasible,
        repaired=front.repaired,
    )
    pareto = [
        {"bits": "".join(map(str, b)), "objectives": [float(v) for v in f]}
        for b, f in zip(front.bits, np.atleast_2d(front.objective), strict=True)
    ]
    return SearchOutcome(found, pareto)


def choose_algorithm(settings: SearchSettings, n_bits: int, on_solver: bool) -> str:
    """The algorithm ``settings.algorithm`` names, with ``auto`` resolved.

    ``auto`` is exhaustive when the grid has at most 2^20 layouts (on the solver itself, only
    when the whole space fits in the GA's budget of population x generations), else the GA.
    """
    if settings.algorithm != "auto":
        return settings.algorithm
    limit = EXHAUSTIVE_LIMIT_BITS
    if on_solver:
        limit = min(limit, int(np.log2(settings.budget)))
    return "exhaustive" if n_bits <= limit else "ga"


def run_search(problem: PixelFilterProblem, algorithm: str, ctx: SearchContext) -> SearchOutcome:
    """Run the registered method ``algorithm`` (KeyError with the known names if unknown)."""
    return SEARCH_METHODS.get(algorithm)(problem, ctx)
