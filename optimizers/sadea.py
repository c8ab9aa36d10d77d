"""SADEA: surrogate-model-assisted differential evolution, one expensive run per generation.

B. Liu, H. Aliakbarian, Z. Ma, G. A. E. Vandenbosch, G. Gielen and P. Excell, "An Efficient
Method for Antenna Design Optimization Based on Evolutionary Computation and Machine Learning
Techniques", IEEE Trans. Antennas Propag. 62(1), 7-18, 2014 (SADEA); its later forms (B. Liu
et al., IEEE TAP 69(4), 2021) keep the same core, which is what this module does:

1. a Latin-hypercube sample of ``n_init`` designs, each simulated (the expensive model);
2. each generation: the ``population`` best designs of the database breed ``population``
   children by DE/current-to-best/1 with binomial crossover (``F``, ``CR``; Storn and Price
   1997; the scheme Liu et al. use);
3. a Gaussian process (the project's :class:`~rfdesign.surrogates.gp.GPSurrogate`), fitted to
   the database, predicts every child's outputs with their standard deviation; the child with
   the best lower confidence bound (``mean +- omega std`` on the optimistic side, ``omega =
   2``) is simulated and joins the database;
4. until the budget is spent or a design reaches the goal.

The expensive model returns *margins* (dB; positive: a requirement met with room), so the GP
models each margin and the objective is their minimum, the worst margin, maximised: the
constraint handling of Liu et al.'s penalty form without a penalty weight to tune. Children
closer than ``min_distance`` (a share of the box) to a simulated design are not simulated
again. Every random choice comes from one seeded generator.

The baseline the issue compares with, plain differential evolution on the expensive model, is
pymoo's ``DE`` (:func:`plain_de`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SadeaSettings:
    """How SADEA searches.

    Attributes:
        budget: Most expensive evaluations in all (initial sample included).
        n_init: Initial Latin-hypercube designs (default ``max(5, 3 d)``).
        population: Designs that breed each generation (``lambda``; Liu et al. use 50 for
            budgets of hundreds; the default suits budgets of tens).
        f_weight: DE's differential weight ``F``.
        cr: DE's crossover rate ``CR``.
        omega: Confidence multiplier of the lower confidence bound.
        min_distance: Least distance of a new design to a simulated one, as a share of the
            box's diagonal in unit coordinates.
        goal_db: Stop when the worst margin reaches this (``None``: spend the budget).
        seed: Seed of the sample, the DE draws and the GP fits.
    """

    budget: int = 40
    n_init: int | None = None
    population: int = 12
    f_weight: float = 0.8
    cr: float = 0.8
    omega: float = 2.0
    min_distance: float = 1e-3
    goal_db: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.budget < 3 or self.population < 4:
            raise ValueError("budget: >= 3; population: >= 4 (DE/current-to-best/1 draws 3)")
        if not (0 < self.f_weight <= 2 and 0 <= self.cr <= 1 and self.omega >= 0):
            raise ValueError("f_weight in (0, 2], cr in [0, 1], omega >= 0")


@dataclass(frozen=True)
class Evaluation:
    """One expensive evaluation.

    Attributes:
        x: The design (physical units).
        margins: Its margins (dB).
        stage: ``"init"`` (Latin hypercube) or ``"sadea"`` (a generation's pick).
        predicted: The GP's mean worst margin for it (``None`` for the initial sample).
        bound: Its optimistic bound, the worst of ``mean + omega std`` (``None`` likewise).
    """

    x: np.ndarray
    margins: np.ndarray
    stage: str
    predicted: float | None = None
    bound: float | None = None

    @property
    def worst(self) -> float:
        """The worst margin (dB)."""
        return float(np.min(self.margins))


@dataclass(frozen=True)
class SadeaResult:
    """What a SADEA run gives: every evaluation in order and the best one."""

    history: list[Evaluation] = field(default_factory=list)

    @property
    def best(self) -> Evaluation:
        """The evaluation with the largest worst margin."""
        return max(self.history, key=lambda e: e.worst)

    def runs_to(self, goal_db: float) -> int | None:
        """Evaluations until the first whose worst margin reaches ``goal_db`` (or None)."""
        for i, e in enumerate(self.history, start=1):
            if e.worst >= goal_db:
                return i
        return None


def latin_hypercube(bounds: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` designs in the box ``bounds`` (``d x 2``) by scipy's Latin hypercube."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(bounds), seed=rng).random(n)
    return qmc.scale(unit, bounds[:, 0], bounds[:, 1])


def current_to_best(
    pop: np.ndarray, best: np.ndarray, f: float, cr: float, rng: np.random.Generator
) -> np.ndarray:
    """DE/current-to-best/1/bin children of ``pop`` (``n x d``, unit box), clipped to it.

    ``v = x_i + F (x_best - x_i) + F (x_r1 - x_r2)``, then binomial crossover with ``x_i``
    (at least one coordinate from ``v``).
    """
    n, d = pop.shape
    children = np.empty_like(pop)
    for i in range(n):
        r1, r2 = rng.choice([j for j in range(n) if j != i], size=2, replace=False)
        v = pop[i] + f * (best - pop[i]) + f * (pop[r1] - pop[r2])
        take = rng.random(d) < cr
        take[rng.integers(d)] = True
        children[i] = np.clip(np.where(take, v, pop[i]), 0.0, 1.0)
    return children


def sadea(
    evaluate: Callable[[np.ndarray], np.ndarray],
    bounds: np.ndarray,
    settings: SadeaSettings = SadeaSettings(),
    on_evaluation: Callable[[Evaluation], None] | None = None,
) -> SadeaResult:
    """Maximise the worst margin of ``evaluate`` over the box ``bounds`` with SADEA.

    Args:
        evaluate: The expensive model: design (physical units) -> margins (dB).
        bounds: ``d x 2`` box (low, high per parameter).
        settings: The search's settings.
        on_evaluation: Called after every expensive evaluation (to log, checkpoint).

    Returns:
        Every evaluation in order.
    """
    from rfdesign.surrogates.gp import GPSurrogate

    s = settings
    bounds = np.asarray(bounds, float)
    lo, span = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    if np.any(span <= 0):
        raise ValueError("bounds: every high must exceed its low")
    d = len(bounds)
    rng = np.random.default_rng(s.seed)
    history: list[Evaluation] = []

    def record(e: Evaluation) -> bool:
        history.append(e)
        if on_evaluation is not None:
            on_evaluation(e)
        log.info("sadea %d (%s): worst margin %+.2f dB", len(history), e.stage, e.worst)
        return s.goal_db is not None and e.worst >= s.goal_db

    n_init = min(s.n_init or max(5, 3 * d), s.budget)
    for x in latin_hypercube(bounds, n_init, rng):
        if record(Evaluation(x, np.atleast_1d(np.asarray(evaluate(x), float)), "init")):
            return SadeaResult(history)
    generation = 0
    while len(history) < s.budget:
        generation += 1
        xs = np.array([(e.x - lo) / span for e in history])
        ys = np.array([e.margins for e in history])
        worst = ys.min(axis=1)
        order = np.argsort(-worst)
        pop = xs[order[: min(s.population, len(history))]]
        gp = GPSurrogate(seed=s.seed + generation, n_restarts=1).fit(
            xs, ys, bounds=np.c_[np.zeros(d), np.ones(d)]
        )
        children = current_to_best(pop, pop[0], s.f_weight, s.cr, rng)
        near = np.min(np.linalg.norm(children[:, None] - xs[None], axis=2), axis=1)
        children = children[near > s.min_distance * np.sqrt(d)]
        if not len(children):  # the population has collapsed: a random design instead
            children = rng.random((1, d))
        mean, std = gp.predict_with_uncertainty(children)
        bound = np.min(mean + s.omega * std, axis=1)
        pick = int(np.argmax(bound))
        x = lo + span * children[pick]
        e = Evaluation(
            x,
            np.atleast_1d(np.asarray(evaluate(x), float)),
            "sadea",
            predicted=float(np.min(mean[pick])),
            bound=float(bound[pick]),
        )
        if record(e):
            break
    return SadeaResult(history)


def plain_de(
    evaluate: Callable[[np.ndarray], np.ndarray],
    bounds: np.ndarray,
    budget: int,
    pop_size: int = 8,
    seed: int = 0,
    on_evaluation: Callable[[Evaluation], None] | None = None,
) -> SadeaResult:
    """The baseline: pymoo's differential evolution (DE/rand/1/bin) on the expensive model.

    Maximises the worst margin with ``budget`` evaluations from a Latin-hypercube population
    of ``pop_size``; returns the evaluations in order, like :func:`sadea`.
    """
    from pymoo.algorithms.soo.nonconvex.de import DE
    from pymoo.core.problem import Problem
    from pymoo.operators.sampling.lhs import LHS
    from pymoo.optimize import minimize
    from pymoo.termination import get_termination

    bounds = np.asarray(bounds, float)
    history: list[Evaluation] = []

    class _Worst(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(bounds), n_obj=1, xl=bounds[:, 0], xu=bounds[:, 1])

        def _evaluate(self, x, out, *args, **kwargs):
            f = []
            for xi in np.atleast_2d(x):
                e = Evaluation(np.asarray(xi, float), np.atleast_1d(evaluate(xi)), "de")
                history.append(e)
                if on_evaluation is not None:
                    on_evaluation(e)
                f.append(-e.worst)
            out["F"] = np.array(f)

    algorithm = DE(pop_size=pop_size, sampling=LHS(), variant="DE/rand/1/bin", CR=0.8, F=0.8)
    minimize(_Worst(), algorithm, get_termination("n_evals", budget), seed=seed, verbose=False)
    return SadeaResult(history[:budget])
