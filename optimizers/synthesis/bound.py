"""An upper bound by search: the best worst margin any N-resonator coupling matrix reaches.

:func:`best_margin` searches the couplings (every entry, so every topology of N resonators,
cross couplings and source-load coupling included) for the largest worst margin of a spec's
masks. It answers "can N resonators of quality Qu meet this spec at all?" before any layout is
drawn. It is a numerical search, so "not found" is evidence, not a proof; the Chebyshev
prototype it starts from is exact (Matthaei, Young and Jones, "Microwave Filters,
Impedance-Matching Networks, and Coupling Structures", 1964, sec. 4.05).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.optimizers.masks import DB_FLOOR, MaskSet
from rfdesign.optimizers.synthesis.mapping import FrequencyMap
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
from rfdesign.optimizers.synthesis.polynomials import chebyshev_g


def chebyshev_matrix(n: int, ripple_db: float) -> np.ndarray:
    """The inline N+2 coupling matrix of an n-pole Chebyshev filter.

    ``M_i,i+1 = 1 / sqrt(g_i g_i+1)`` (Matthaei, Young and Jones 1964, sec. 4.05).
    """
    g = chebyshev_g(n, ripple_db)
    m = np.zeros((n + 2, n + 2))
    for i in range(n + 1):
        m[i, i + 1] = m[i + 1, i] = 1.0 / np.sqrt(g[i] * g[i + 1])
    return m


def response(
    m: np.ndarray, f_ghz: np.ndarray, f0_ghz: float, fbw: float, qu: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """S11 and S21 of band-pass coupling matrix ``m`` at ``f_ghz`` (GHz).

    A shorthand for :meth:`CouplingMatrix.s_params` of ``CouplingMatrix(m, FrequencyMap(
    "bandpass", f0_ghz, fbw), qu)``.
    """
    s = CouplingMatrix(m, FrequencyMap("bandpass", f0_ghz, fbw), qu).s_params(f_ghz)
    return s[:, 0, 0], s[:, 1, 0]


@dataclass(frozen=True)
class BoundResult:
    """Best worst margin found for N resonators of quality Qu.

    Attributes:
        n: Resonators.
        qu: Unloaded quality factor.
        worst_margin_db: Best worst-case margin over all masks (>= 0: the spec is met).
        matrix: The coupling matrix that achieves it.
        f0_ghz: Centre frequency used for the normalisation.
        fbw: Fractional bandwidth used for the normalisation.
    """

    n: int
    qu: float
    worst_margin_db: float
    matrix: np.ndarray
    f0_ghz: float
    fbw: float

    def coupling_matrix(self) -> CouplingMatrix:
        """The found matrix as a :class:`CouplingMatrix` (band-pass map, resonators of Qu)."""
        return CouplingMatrix(self.matrix, FrequencyMap("bandpass", self.f0_ghz, self.fbw), self.qu)


def _pack_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper-triangle entries that may be non-zero (all but the source/load diagonal)."""
    iu, ju = np.triu_indices(n + 2)
    keep = ~(((iu == 0) & (ju == 0)) | ((iu == n + 1) & (ju == n + 1)))
    return iu[keep], ju[keep]


def best_margin(
    masks: MaskSet,
    n: int,
    qu: float,
    f0_ghz: float,
    fbw: float,
    seed: int = 0,
    maxiter: int = 300,
    popsize: int = 20,
) -> BoundResult:
    """Search every N-resonator coupling matrix for the largest worst margin of ``masks``.

    Starts from Chebyshev prototypes (0.01-0.5 dB ripple) and lets scipy's differential
    evolution (seeded) move every coupling, followed by a Nelder-Mead polish.

    Args:
        masks: The spec's masks on a frequency grid (:func:`rfdesign.evaluation.spec_mask_set`).
        n: Number of resonators.
        qu: Unloaded quality factor of every resonator.
        f0_ghz: Centre frequency for the normalisation (e.g. the passband centre).
        fbw: Fractional bandwidth for the normalisation (e.g. the passband's).
        seed: Seed of the evolution.
        maxiter: Generations of the evolution.
        popsize: Population multiplier of the evolution.

    Returns:
        The best :class:`BoundResult` found.
    """
    from scipy.optimize import differential_evolution, minimize

    iu, ju = _pack_index(n)
    f = masks.f_ghz

    def unpack(x: np.ndarray) -> np.ndarray:
        m = np.zeros((n + 2, n + 2))
        m[iu, ju] = x
        return m + np.triu(m, 1).T

    def worst(x: np.ndarray) -> float:
        s11, s21 = response(unpack(x), f, f0_ghz, fbw, qu)
        return float(masks.margins(s_db(s11, DB_FLOOR)[None], s_db(s21, DB_FLOOR)[None]).min())

    starts = [chebyshev_matrix(n, r)[iu, ju] for r in (0.01, 0.04, 0.1, 0.2, 0.5)]
    bound = max(3.0, 1.5 * float(np.max(np.abs(starts))))
    rng = np.random.default_rng(seed)
    n_pop = popsize * len(iu)
    init = np.concatenate(
        [
            np.array(starts),
            np.clip(
                np.array(starts)[rng.integers(0, len(starts), n_pop - len(starts))]
                + rng.normal(0, 0.15, (n_pop - len(starts), len(iu))),
                -bound,
                bound,
            ),
        ]
    )
    res = differential_evolution(
        lambda x: -worst(x),
        [(-bound, bound)] * len(iu),
        init=init,
        maxiter=maxiter,
        seed=seed,
        tol=1e-8,
        polish=False,
    )
    pol = minimize(lambda x: -worst(x), res.x, method="Nelder-Mead", options={"maxiter": 4000})
    x = pol.x if pol.fun < res.fun else res.x
    return BoundResult(n, qu, worst(x), unpack(x), f0_ghz, fbw)
