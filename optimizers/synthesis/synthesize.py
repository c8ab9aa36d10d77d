"""From a spec's masks to a filter: class, order, zeros, coupling matrices, margins, minimum Qu.

:func:`synthesize` runs the whole chain of the package and returns a :class:`Synthesis`, a
report that is never an exception: a spec that no filter of at most ``max_order`` resonators
meets at the given Q, or a class this package does not synthesise, gets a verdict saying so
and why.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rfdesign.optimizers.masks import Mask
from rfdesign.optimizers.synthesis.analysis import SpecAnalysis, analyse_masks, json_float
from rfdesign.optimizers.synthesis.feasibility import Technology, choose_technology
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
from rfdesign.optimizers.synthesis.order import (
    Candidate,
    MarginJudge,
    _zero_splits,
    best_candidate,
    choose_order,
    minimum_qu,
)
from rfdesign.optimizers.synthesis.reduction import (
    fold,
    quadruplet_pattern,
    to_topology,
    triplet_pattern,
)
from rfdesign.optimizers.synthesis.transversal import transversal_matrix


@dataclass(frozen=True)
class Synthesis:
    """What synthesis found for a spec (see :func:`synthesize`).

    Attributes:
        analysis: The spec analysis.
        qu: Resonator unloaded Q the design was chosen for (``inf``: lossless).
        margin_db: Worst margin the design was asked to reach.
        chosen: The chosen response, or None when nothing meets the masks at ``qu``.
        matrix: Its folded (canonical) coupling matrix with resonators of quality ``qu``.
        realisations: Other topologies of the same response by name (``inline`` for all-pole,
            ``cascaded triplets``, ``cascaded quadruplets``), where they exist.
        ideal_margins_db: Per-band worst margins of the lossless response.
        margins_db: Per-band worst margins with resonators of quality ``qu``.
        min_qu: Smallest unloaded Q for which the chosen response still meets every mask.
        needed: When nothing meets at ``qu``: the smallest lossless-feasible response,
            re-optimised at its minimum Qu (``needed_qu``).
        needed_qu: That minimum Qu (``inf``: no N <= max_order meets even lossless).
        technology: The first buildable technology whose Q exceeds the minimum Qu of the chosen
            response, or of the needed one when nothing meets at ``qu`` (None: none does).
        technologies: The technologies considered, with their Q.
        tried: Every response tried (best per order and zero count).
        verdict: One paragraph for an engineer.
        seconds: Wall time of the synthesis.
    """

    analysis: SpecAnalysis
    qu: float
    margin_db: float
    chosen: Candidate | None
    matrix: CouplingMatrix | None
    realisations: dict[str, CouplingMatrix] = field(default_factory=dict)
    ideal_margins_db: dict[str, float] = field(default_factory=dict)
    margins_db: dict[str, float] = field(default_factory=dict)
    min_qu: float | None = None
    needed: Candidate | None = None
    needed_qu: float | None = None
    technology: Technology | None = None
    technologies: tuple[Technology, ...] = ()
    tried: tuple[Candidate, ...] = ()
    verdict: str = ""
    seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        """True if a response meets every mask at ``qu``."""
        return self.chosen is not None

    def response(self, f_ghz: np.ndarray, lossy: bool = True, name: str | None = None):
        """The chosen filter's response (``skrf.Network``); lossless if ``lossy`` is False."""
        if self.matrix is None:
            raise ValueError("no response: synthesis found no filter (see verdict)")
        cm = self.matrix if lossy else self.matrix.with_qu(np.inf)
        return cm.response(f_ghz, name=name or ("synthesis" if lossy else "synthesis_ideal"))

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready)."""

        def q(x: float | None) -> float | str | None:
            return None if x is None else json_float(x)

        return {
            "analysis": self.analysis.to_dict(),
            "qu": q(self.qu),
            "margin_db": self.margin_db,
            "feasible": self.feasible,
            "chosen": None if self.chosen is None else self.chosen.to_dict(),
            "matrix": None if self.matrix is None else self.matrix.to_dict(),
            "realisations": {k: v.to_dict() for k, v in self.realisations.items()},
            "ideal_margins_db": self.ideal_margins_db,
            "margins_db": self.margins_db,
            "min_qu": q(self.min_qu),
            "needed": None if self.needed is None else self.needed.to_dict(),
            "needed_qu": q(self.needed_qu),
            "technology": None if self.technology is None else self.technology.to_dict(),
            "technologies": [t.to_dict() for t in self.technologies],
            "tried": [c.to_dict() for c in self.tried],
            "verdict": self.verdict,
            "seconds": self.seconds,
        }

    def to_text(self) -> str:
        """The report: analysis, choice, zeros (GHz), margins, matrix, verdict."""
        lines = [self.analysis.to_text(), ""]
        c = self.chosen
        if c is not None and self.analysis.fmap is not None:
            zs = ", ".join(
                f"{z:+.4f} ({f:.3f} GHz)"
                for z in c.zeros
                if (f := float(self.analysis.fmap.frequency(np.array(z)))) > 0
            )
            if self.analysis.fmap.kind in ("lowpass", "highpass") and c.zeros:
                zs += " (with their mirror images at -Omega, off the frequency axis)"
            kind = "all-pole Chebyshev" if not c.zeros else f"generalised Chebyshev, {_zeros(c)}"
            lines.append(
                f"response: N = {c.order}, {kind}; design return loss {c.return_loss_db:.2f} dB"
            )
            if zs:
                lines.append(f"zeros (Omega, GHz): {zs}")
            lines.append(
                "margins (dB), ideal / Qu "
                + _qtext(self.qu)
                + ": "
                + ", ".join(
                    f"{b} {self.ideal_margins_db[b]:+.2f} / {self.margins_db[b]:+.2f}"
                    for b in self.margins_db
                )
            )
            lines.append(f"minimum Qu for every mask met: {_qtext(self.min_qu)}")
            lines += ["", "folded coupling matrix:", str(self.matrix)]
            for name, cm in self.realisations.items():
                lines += ["", f"{name}:", str(cm)]
        lines += ["", "technologies (unloaded Q at f0):"]
        lines += [f"  {t.name}: {t.qu:.0f}  ({t.source})" for t in self.technologies]
        lines += ["", "verdict: " + self.verdict, f"({self.seconds:.2f} s)"]
        return "\n".join(lines)


def _zeros(c: Candidate) -> str:
    """``1 zero``, ``2 zeros``."""
    return f"{len(c.zeros)} zero" + ("s" if len(c.zeros) != 1 else "")


def _qtext(q: float | None) -> str:
    if q is None:
        return "-"
    return "lossless" if not np.isfinite(q) else f"{q:.0f}"


def _realisations(cm: CouplingMatrix, zeros: tuple[float, ...], symmetric: bool) -> dict:
    """Inline forms with cascaded triplets (one per zero) or quadruplets (one per pair)."""
    n, nfz = cm.order, len(zeros)
    out: dict[str, CouplingMatrix] = {}
    if nfz == 0:
        out["inline"] = cm  # the folded all-pole matrix is the inline one
        return out
    # triplets: non-overlapping, spread over the interior (resonators 1..N); N = 3 with one
    # zero is one triplet already (the folded form)
    if 2 * nfz + 1 <= n and n > 3:
        gap = (n - 2) // nfz
        starts = [1 + k * max(gap, 2) for k in range(nfz)]
        if starts[-1] + 2 <= n:
            try:
                m = to_topology(cm.m, triplet_pattern(n, starts), restarts=8)
                out["cascaded triplets"] = CouplingMatrix(m, cm.fmap, cm.qu)
            except ValueError:
                pass
    if symmetric or (nfz % 2 == 0 and np.allclose(sorted(-np.array(zeros)), sorted(zeros))):
        pairs = nfz // 2
        if pairs and 4 * pairs <= n:
            first = (n - 4 * pairs) // 2 + 1
            starts = [first + 4 * k for k in range(pairs)]
            try:
                m = to_topology(cm.m, quadruplet_pattern(n, starts), restarts=8)
                out["cascaded quadruplets"] = CouplingMatrix(m, cm.fmap, cm.qu)
            except ValueError:
                pass
    return out


def _needed_qu(
    judge: MarginJudge, analysis: SpecAnalysis, order: int, max_zeros: int
) -> tuple[Candidate | None, float]:
    """Smallest Qu at which a response of ``order`` or ``order + 1`` resonators meets every mask.

    For each order and zero split that meets the masks lossless, the fixed design's minimum Qu
    bounds the answer from above; a bisection on ``log Qu`` then re-optimises the
    zeros and return loss at each Qu (4 % steps), warm-started from the previous optimum.
    """
    best, best_q = None, np.inf
    for n in (order, order + 1):
        for nfz in range(0, min(max_zeros, 2, n) + 1):
            for lo_n, hi_n in _zero_splits(analysis, nfz):
                c = best_candidate(judge, analysis, n, lo_n, hi_n, np.inf)
                if c.worst_margin_db < 0:
                    continue
                q_hi = minimum_qu(judge, c.function())
                if not np.isfinite(q_hi) or q_hi > 3.0 * best_q:
                    continue  # re-optimising rarely gains a factor of 3
                lo, hi, found = np.log(q_hi / 30.0), np.log(q_hi), c
                while hi - lo > 0.04:
                    mid = 0.5 * (lo + hi)
                    cand = best_candidate(
                        judge, analysis, n, lo_n, hi_n, float(np.exp(mid)), maxfev=100, start=found
                    )
                    if cand.worst_margin_db >= 0:
                        hi, found = mid, cand
                    else:
                        lo = mid
                if np.exp(hi) < best_q:
                    best, best_q = found, float(np.exp(hi))
    return best, best_q


def synthesize(
    masks: Sequence[Mask],
    qu: float = np.inf,
    margin_db: float = 0.5,
    max_order: int = 10,
    max_zeros: int = 4,
    technologies: Sequence[Technology] = (),
) -> Synthesis:
    """Synthesise the smallest filter that meets ``masks`` with resonators of quality ``qu``.

    Args:
        masks: The spec's masks (:func:`rfdesign.evaluation.spec_masks`).
        qu: Resonator unloaded Q the design must work with (``inf``: lossless).
        margin_db: Worst margin wanted, dB, at most half the passband's insertion-loss
            allowance (a lossless passband meets its |S21| mask by exactly the allowance). When
            no response reaches it but one meets every mask with less, that one is chosen and
            the verdict says the margin is thin.
        max_order: Largest number of resonators tried.
        max_zeros: Most finite transmission zeros tried.
        technologies: Resonator technologies to weigh the minimum Qu against
            (:func:`~rfdesign.optimizers.synthesis.feasibility.technologies`).

    Returns:
        The :class:`Synthesis` report.
    """
    t0 = time.perf_counter()
    analysis = analyse_masks(masks)
    techs = tuple(sorted(technologies, key=lambda t: t.qu))
    if analysis.fmap is None:
        return Synthesis(
            analysis,
            qu,
            margin_db,
            None,
            None,
            technologies=techs,
            verdict=f"not synthesised: {'; '.join(analysis.notes) or analysis.filter_class}",
            seconds=time.perf_counter() - t0,
        )
    if analysis.insertion_loss_db is not None:
        # a passband |S21| mask cannot be met by more than its own allowance
        margin_db = min(margin_db, 0.5 * analysis.insertion_loss_db)
    chosen, tried, judge = choose_order(analysis, list(masks), qu, margin_db, max_order, max_zeros)
    thin = False
    if chosen is None:
        met = [c for c in tried if c.worst_margin_db >= 0]
        if met:
            chosen, thin = min(met, key=lambda c: (c.order, len(c.zeros))), True
    needed, needed_qu = None, None
    if chosen is None:
        lossless, _, _ = choose_order(analysis, list(masks), np.inf, 0.0, max_order, max_zeros)
        if lossless is None:
            needed_qu = np.inf
        else:
            needed, needed_qu = _needed_qu(judge, analysis, lossless.order, max_zeros)
    matrix, real, ideal, lossy, min_q = None, {}, {}, {}, None
    if chosen is not None:
        ff = chosen.function()
        matrix = CouplingMatrix(fold(transversal_matrix(ff)), analysis.fmap, qu)
        real = _realisations(matrix, chosen.zeros, analysis.symmetric)
        ideal = judge.band_margins(ff, np.inf)
        lossy = judge.band_margins(ff, qu)
        min_q = minimum_qu(judge, ff)
    q_needed = min_q if chosen is not None else needed_qu
    tech = choose_technology(q_needed, list(techs)) if q_needed is not None else None
    verdict = _verdict(
        analysis, qu, margin_db, chosen, thin, min_q, needed, needed_qu, tech, techs, max_order
    )
    return Synthesis(
        analysis,
        qu,
        margin_db,
        chosen,
        matrix,
        real,
        ideal,
        lossy,
        min_q,
        needed,
        needed_qu,
        tech,
        techs,
        tuple(tried),
        verdict,
        time.perf_counter() - t0,
    )


def _verdict(
    analysis, qu, margin_db, chosen, thin, min_q, needed, needed_qu, tech, techs, max_order
) -> str:
    """The one-paragraph verdict."""
    q = _qtext(qu)
    if chosen is not None:
        zs = (
            "all-pole Chebyshev"
            if not chosen.zeros
            else f"generalised Chebyshev with {_zeros(chosen)}"
        )
        text = (
            f"N = {chosen.order}, {zs}, worst margin {chosen.worst_margin_db:+.2f} dB at Qu {q}"
            + (f" (less than the {margin_db:g} dB asked for)" if thin else "")
            + f"; needs Qu >= {_qtext(min_q)}."
        )
    elif needed is not None and np.isfinite(needed_qu):
        zs = "all-pole" if not needed.zeros else _zeros(needed)
        text = (
            f"no N <= {max_order} meets these masks at Qu {q}; N = {needed.order} ({zs}) meets "
            f"them from Qu >= {needed_qu:.0f}."
        )
        min_q = needed_qu
    else:
        stops = [s for s in analysis.stops if np.isfinite(s.transition_ghz)]
        narrow = min(stops, key=lambda s: s.transition_ghz) if stops else None
        text = f"no N <= {max_order} meets these masks even with lossless resonators" + (
            f": the {narrow.transition_ghz:g} GHz transition to {narrow.band} "
            f"({narrow.rejection_db:g} dB) is too narrow for {max_order} resonators."
            if narrow
            else "."
        )
        return text
    if techs and min_q is not None:
        parts = ", ".join(f"{t.name} about {t.qu:.0f}" for t in techs)
        model = choose_technology(min_q, list(techs), buildable=False)
        text += f" Technologies: {parts}"
        if tech:
            text += f" -> use {tech.name}."
        elif model:
            text += (
                f" -> none that can be built reaches it with this substrate and metal; the "
                f"{model.name} model does, so a design verified there will lose more when built."
            )
        else:
            text += " -> none reaches it on this substrate."
    return text
