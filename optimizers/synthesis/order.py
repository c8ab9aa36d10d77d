"""Order, transmission zeros and return loss: the smallest filter that meets a spec's masks.

For a :class:`~rfdesign.optimizers.synthesis.analysis.SpecAnalysis` and a resonator unloaded Q,
the search tries N = 1, 2, ... and for each N first the all-pole Chebyshev response, then
generalised Chebyshev responses with 1, 2, ... finite transmission zeros (Cameron, Kudsia and
Mansour 2007, ch. 6): every split of the zeros between the stop bands below and above the
passband, each zero started at the inner edge of the stop band it serves and then moved,
together with the design return loss, by a bounded Nelder-Mead search that maximises the worst
margin of the masks on the lossy response. The first (fewest resonators, then fewest zeros)
response whose worst margin reaches the wanted margin is chosen. Symmetric prototypes (low-,
high-pass and band-stop maps) take zeros in pairs ``+-Omega_z`` only.

Margins are judged by the project's one judge (:class:`~rfdesign.optimizers.masks.MaskSet`) on
a dense grid over the constrained range (not the spec's coarser sweep), so they are the
margins of the continuous response.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.optimizers.masks import DB_FLOOR, Mask, MaskSet
from rfdesign.optimizers.synthesis.analysis import SpecAnalysis
from rfdesign.optimizers.synthesis.polynomials import FilteringFunction, chebyshev_magnitudes

DENSE_POINTS = 1201
"""Frequency points of the grid on which synthesis judges the masks."""

STALE_DB = 0.01
"""An order whose best margin is not this much better than every smaller order's is stale."""

MAX_RL_EXTRA_DB = 20.0
"""The design return loss is searched between the required one and this much above it."""


@dataclass(frozen=True)
class Candidate:
    """One response tried: its order, zeros, design return loss and margins.

    Attributes:
        order: Degree N.
        zeros: Finite transmission zeros, normalised Omega.
        return_loss_db: Design (equiripple) return loss, dB.
        worst_margin_db: Worst margin of all masks on the lossy response, dB.
        band_margins_db: Worst margin per band label, dB.
    """

    order: int
    zeros: tuple[float, ...]
    return_loss_db: float
    worst_margin_db: float
    band_margins_db: dict[str, float] = field(default_factory=dict)

    def function(self) -> FilteringFunction:
        """The filtering function of this candidate."""
        return FilteringFunction.chebyshev(self.order, self.return_loss_db, self.zeros)

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready)."""
        return asdict(self) | {"zeros": list(self.zeros)}


class MarginJudge:
    """Margins of filtering functions against masks, with resonator loss, on a dense grid.

    Args:
        analysis: The spec analysis (its frequency map is used).
        masks: The spec's masks.
        points: Grid points over the constrained range.
    """

    def __init__(self, analysis: SpecAnalysis, masks: list[Mask], points: int = DENSE_POINTS):
        if analysis.fmap is None:
            raise ValueError(f"filter class {analysis.filter_class!r} has no prototype map")
        lo, hi = analysis.f_range_ghz
        self.fmap = analysis.fmap
        self.f_ghz = np.linspace(lo, hi, points)
        self.maskset = MaskSet(masks, self.f_ghz)
        self._omega: dict[float, np.ndarray] = {}

    def omega(self, qu: float) -> np.ndarray:
        """Lossy prototype frequencies of the grid (cached per Qu)."""
        if qu not in self._omega:
            self._omega[qu] = self.fmap.lossy_omega(self.f_ghz, qu)
        return self._omega[qu]

    def _judge(self, s11: np.ndarray, s21: np.ndarray) -> np.ndarray:
        """Per-mask margins (dB) of one response on the grid (complex or magnitudes)."""
        return self.maskset.margins(s_db(s11, DB_FLOOR)[None], s_db(s21, DB_FLOOR)[None])[0]

    def margins(self, ff: FilteringFunction, qu: float) -> np.ndarray:
        """Per-mask margins (dB) of ``ff`` with resonators of quality ``qu``."""
        s11, s21, _ = ff.s_params(self.omega(qu))
        return self._judge(s11, s21)

    def worst(self, ff: FilteringFunction, qu: float) -> float:
        """Worst margin (dB)."""
        return float(self.margins(ff, qu).min())

    def worst_of(self, order: int, rl: float, zeros: tuple[float, ...], qu: float) -> float:
        """Worst margin (dB) of the response ``(order, rl, zeros)``, without building it."""
        return float(self._judge(*chebyshev_magnitudes(order, rl, zeros, self.omega(qu))).min())

    def band_margins(self, ff: FilteringFunction, qu: float) -> dict[str, float]:
        """Worst margin per band label (dB)."""
        m = self.margins(ff, qu)[None]
        return {k: float(v[0]) for k, v in self.maskset.band_margins(m).items()}


def _zero_splits(analysis: SpecAnalysis, nfz: int) -> list[tuple[int, int]]:
    """(below, above) counts of zeros that the stop bands can use."""
    has_lo = any(np.isfinite(s.omega_inner) and s.omega_inner < 0 for s in analysis.stops)
    has_hi = any(np.isfinite(s.omega_inner) and s.omega_inner > 0 for s in analysis.stops)
    if analysis.symmetric:
        return [(nfz // 2, nfz // 2)] if nfz % 2 == 0 else []
    return [(k, nfz - k) for k in range(nfz + 1) if (k == 0 or has_lo) and (nfz - k == 0 or has_hi)]


def _inner_edge(analysis: SpecAnalysis, side: int) -> float:
    """|Omega| of the inner edge of the most demanding stop band on one side (-1 or +1)."""
    cands = [
        s for s in analysis.stops if np.isfinite(s.omega_inner) and np.sign(s.omega_inner) == side
    ]
    if analysis.symmetric:
        cands = [s for s in analysis.stops if np.isfinite(s.omega_inner)]
    if not cands:
        return 2.0
    best = max(cands, key=lambda s: s.rejection_db / max(abs(s.omega_inner) - 1.0, 1e-3))
    return abs(best.omega_inner)


def _zeros_from(x: np.ndarray, lo: int, hi: int, symmetric: bool) -> tuple[float, ...]:
    """Zeros from search variables ``log(|Omega| - 1)``."""
    mags = 1.0 + np.exp(np.clip(x, -12.0, 6.0))
    if symmetric:
        return tuple(sorted([*(-mags), *mags]))
    return tuple(sorted([*(-mags[:lo]), *mags[lo : lo + hi]]))


def best_candidate(
    judge: MarginJudge,
    analysis: SpecAnalysis,
    order: int,
    lo: int,
    hi: int,
    qu: float,
    maxfev: int = 200,
    start: Candidate | None = None,
) -> Candidate:
    """Best design return loss and zero positions for N = ``order`` with ``lo + hi`` zeros.

    Args:
        judge: Margin judge of the spec.
        analysis: The spec analysis.
        order: Degree N.
        lo: Zeros below the passband (for symmetric prototypes: pairs, with ``hi == lo``).
        hi: Zeros above the passband.
        qu: Resonator unloaded Q.
        maxfev: Evaluations of each Nelder-Mead start.
        start: A candidate of the same order and zero split to start from (one start only;
            e.g. the optimum at a nearby Qu).

    Returns:
        The best candidate found.
    """
    from scipy.optimize import minimize

    symmetric = analysis.symmetric
    rl_req = analysis.return_loss_db
    n_var = lo if symmetric else lo + hi

    def unpack(x: np.ndarray) -> tuple[tuple[float, ...], float]:
        rl = rl_req + MAX_RL_EXTRA_DB / (1.0 + np.exp(-np.clip(x[0], -50.0, 50.0)))
        return _zeros_from(x[1:], lo, hi, symmetric), rl

    def cost(x: np.ndarray) -> float:
        zeros, rl = unpack(x)
        try:
            c = -judge.worst_of(order, rl, zeros, qu)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return 1e3
        return c if np.isfinite(c) else 1e3

    starts = []
    for spread, rl0 in ((1.05, -1.5), (1.3, 0.0)):  # rl0: about 3 and 10 dB above the required
        zs = []
        for side, count in ((-1, lo), (1, hi)):
            if symmetric and side == 1:
                continue
            edge = _inner_edge(analysis, side)
            zs += [np.log(max(edge * spread**k - 1.0, 1e-3)) for k in range(1, count + 1)]
        starts.append(np.array([rl0, *zs]))
    if start is not None:
        frac = np.clip((start.return_loss_db - rl_req) / MAX_RL_EXTRA_DB, 1e-6, 1 - 1e-6)
        mags = np.abs(np.array(start.zeros))
        if symmetric:
            mags = mags[len(mags) // 2 :]
        else:  # below first (sorted), then above
            mags = np.concatenate(
                [np.sort(mags[np.array(start.zeros) < 0]), np.sort(mags[np.array(start.zeros) > 0])]
            )
        starts = [np.array([np.log(frac / (1 - frac)), *np.log(np.maximum(mags - 1.0, 1e-6))])]
    best_x, best_c = None, np.inf
    for x0 in starts:
        if n_var == 0:
            # one variable: the return loss; a bounded scalar search is enough
            res = minimize(cost, x0, method="Nelder-Mead", options={"maxfev": 80, "xatol": 1e-3})
        else:
            res = minimize(
                cost,
                x0,
                method="Nelder-Mead",
                options={"maxfev": maxfev, "xatol": 1e-3, "fatol": 1e-4},
            )
        if res.fun < best_c:
            best_x, best_c = res.x, res.fun
    zeros, rl = unpack(best_x)
    if best_c >= 1e3:  # no start gave a realisable response
        return Candidate(order, zeros, float(rl), -np.inf, {})
    ff = FilteringFunction.chebyshev(order, rl, zeros)
    return Candidate(order, zeros, float(rl), float(-best_c), judge.band_margins(ff, qu))


def minimum_qu(judge: MarginJudge, ff: FilteringFunction, q_max: float = 1e6) -> float:
    """Smallest unloaded Q for which ``ff`` still meets every mask (``inf`` if even lossless fails).

    Bisection on ``log Qu`` between 1 and ``q_max`` (margins grow with Qu).
    """
    if judge.worst(ff, np.inf) < 0:
        return np.inf
    if judge.worst(ff, q_max) < 0:
        return q_max
    lo, hi = 0.0, np.log(q_max)
    if judge.worst(ff, 1.0) >= 0:
        return 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if judge.worst(ff, float(np.exp(mid))) >= 0:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-3:
            break
    return float(np.exp(hi))


def choose_order(
    analysis: SpecAnalysis,
    masks: list[Mask],
    qu: float = np.inf,
    margin_db: float = 0.5,
    max_order: int = 10,
    max_zeros: int = 4,
) -> tuple[Candidate | None, list[Candidate], MarginJudge]:
    """The smallest order and fewest zeros that meet the masks with ``margin_db`` at ``qu``.

    Args:
        analysis: The spec analysis.
        masks: The spec's masks.
        qu: Resonator unloaded Q (``inf``: lossless).
        margin_db: Worst margin the chosen response must reach, dB.
        max_order: Largest N tried.
        max_zeros: Most finite zeros tried (never more than N; ``N - 1`` zeros need a
            resonator-load coupling, ``N`` a source-load coupling: fewer zeros are tried first).

    Returns:
        ``(chosen or None, every candidate tried (best per N and zero count), judge)``.
    """
    judge = MarginJudge(analysis, masks)
    tried: list[Candidate] = []
    best_so_far, stale = -np.inf, 0
    for n in range(1, max_order + 1):
        best_n = -np.inf
        prev = None
        for nfz in range(0, min(max_zeros, n) + 1):
            best = None
            splits = _zero_splits(analysis, nfz)
            if nfz >= 3 and prev is not None and not analysis.symmetric:
                # many zeros: only the splits next to the best split of one zero fewer
                p_lo = sum(1 for z in prev.zeros if z < 0)
                p_hi = len(prev.zeros) - p_lo
                splits = [sp for sp in splits if sp in ((p_lo + 1, p_hi), (p_lo, p_hi + 1))]
            for lo, hi in splits:
                c = best_candidate(judge, analysis, n, lo, hi, qu)
                if best is None or c.worst_margin_db > best.worst_margin_db:
                    best = c
            if best is None:
                continue
            prev = best
            tried.append(best)
            best_n = max(best_n, best.worst_margin_db)
            if best.worst_margin_db >= margin_db:
                return best, tried, judge
        # with lossy resonators more of them only lose more: stop after two orders that do
        # not improve the best margin
        stale = stale + 1 if best_n <= best_so_far + STALE_DB else 0
        best_so_far = max(best_so_far, best_n)
        if stale >= 2:
            break
    return None, tried, judge
