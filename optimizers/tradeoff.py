"""Trade-off fronts from a multi-output GP: NSGA-II on it, full-wave runs where it is unsure.

The source workflow's multi-objective step (SEED-NOTES section 4).

The loop (Koziel and Pietrenko-Dabrowska's surrogate-assisted multi-objective design in its
simplest form; the algorithm is pymoo's NSGA-II, Deb et al., IEEE TEC 6(2), 2002):

1. ``n_init`` Latin-hypercube designs are simulated (the expensive model);
2. the project's multi-output GP (:class:`~rfdesign.surrogates.gp.GPSurrogate`) is fitted to
   every simulated design's objectives;
3. NSGA-II runs on the GP's mean and gives a predicted front;
4. of the predicted front, the ``batch`` designs whose predictions are least certain (largest
   summed standardised deviation), kept apart from each other and from simulated designs,
   are simulated (active learning: refit and sample where the GP is unsure on the front);
5. 2-4 until the budget is spent. The front is the non-dominated set of the *simulated*
   designs only: every point on it is a full-wave result, none a prediction.

Objectives are minimised (give ``-gain`` for a gain). :func:`hypervolume` is pymoo's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rfdesign.optimizers.sadea import latin_hypercube

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TradeoffSettings:
    """How the trade-off loop spends its budget.

    Attributes:
        budget: Most expensive evaluations in all.
        n_init: Latin-hypercube designs first (default ``max(10, 5 d)``).
        batch: Designs simulated per round.
        pop_size: NSGA-II population on the surrogate.
        generations: NSGA-II generations on the surrogate per round.
        seed: Seed of every random choice.
    """

    budget: int = 150
    n_init: int | None = None
    batch: int = 5
    pop_size: int = 40
    generations: int = 40
    seed: int = 0


@dataclass(frozen=True)
class TradeoffResult:
    """Every simulated design and its objectives, in the order simulated.

    Attributes:
        x: Designs (``N x d``, physical units).
        f: Their objectives (``N x m``, minimised).
        stage: ``"init"`` or the round that chose each.
    """

    x: np.ndarray
    f: np.ndarray
    stage: list[str]

    def front(self) -> np.ndarray:
        """Indices of the non-dominated simulated designs."""
        return non_dominated(self.f)


def non_dominated(f: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``f`` (minimised) that no other row dominates."""
    f = np.asarray(f, float)
    keep = []
    for i in range(len(f)):
        dominated = np.any(np.all(f <= f[i], axis=1) & np.any(f < f[i], axis=1))
        if not dominated:
            keep.append(i)
    return np.array(keep, dtype=int)


def hypervolume(f: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume of the points ``f`` (minimised) against the reference point (pymoo's HV)."""
    from pymoo.indicators.hv import HV

    f = np.asarray(f, float)
    inside = np.all(f < ref, axis=1)
    if not inside.any():
        return 0.0
    return float(HV(ref_point=np.asarray(ref, float))(f[inside]))


def _surrogate_front(gp, s: TradeoffSettings, seed: int) -> np.ndarray:
    """NSGA-II on the GP's mean over its unit box: the predicted front's designs."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    d = gp.input_dim

    class _OnGP(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=d, n_obj=gp.output_dim, xl=0.0, xu=1.0)

        def _evaluate(self, x, out, *args, **kwargs):
            out["F"] = gp.predict(np.atleast_2d(x))

    res = minimize(_OnGP(), NSGA2(pop_size=s.pop_size), ("n_gen", s.generations), seed=seed)
    return np.atleast_2d(res.X)


def tradeoff(
    evaluate: Callable[[np.ndarray], np.ndarray],
    bounds: np.ndarray,
    settings: TradeoffSettings = TradeoffSettings(),
    on_evaluation: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> TradeoffResult:
    """The trade-off loop: simulated designs whose non-dominated set is the front.

    Args:
        evaluate: The expensive model: design (physical units) -> objectives (minimised).
        bounds: ``d x 2`` box.
        settings: Budget, batch, NSGA-II sizes, seed.
        on_evaluation: Called ``(x, f)`` after each expensive evaluation.
    """
    from rfdesign.surrogates.gp import GPSurrogate

    s = settings
    bounds = np.asarray(bounds, float)
    lo, span = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    d = len(bounds)
    rng = np.random.default_rng(s.seed)
    xs: list[np.ndarray] = []
    fs: list[np.ndarray] = []
    stage: list[str] = []

    def run(x: np.ndarray, label: str) -> None:
        f = np.atleast_1d(np.asarray(evaluate(x), float))
        xs.append(np.asarray(x, float))
        fs.append(f)
        stage.append(label)
        if on_evaluation is not None:
            on_evaluation(x, f)

    for x in latin_hypercube(bounds, min(s.n_init or max(10, 5 * d), s.budget), rng):
        run(x, "init")
    rnd = 0
    while len(xs) < s.budget:
        rnd += 1
        unit = (np.array(xs) - lo) / span
        gp = GPSurrogate(seed=s.seed + rnd, n_restarts=1).fit(
            unit, np.array(fs), bounds=np.c_[np.zeros(d), np.ones(d)]
        )
        cand = _surrogate_front(gp, s, s.seed + rnd)
        _, std = gp.predict_with_uncertainty(cand)
        scale = np.array(fs).std(axis=0)
        score = np.sum(std / np.where(scale > 0, scale, 1.0), axis=1)
        chosen: list[np.ndarray] = []
        for i in np.argsort(-score):
            taken = np.array([*unit, *chosen])
            if np.min(np.linalg.norm(taken - cand[i], axis=1)) > 0.02 * np.sqrt(d):
                chosen.append(cand[i])
            if len(chosen) == min(s.batch, s.budget - len(xs)):
                break
        if not chosen:  # the front is sampled densely: explore at random
            chosen = [rng.random(d)]
        for u in chosen:
            run(lo + span * u, f"round {rnd}")
        log.info(
            "tradeoff round %d: %d simulated, front of %d",
            rnd,
            len(xs),
            len(non_dominated(np.array(fs))),
        )
    return TradeoffResult(np.array(xs), np.array(fs), stage)
