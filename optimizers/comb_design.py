"""A comb filter's dimensions from its coupling matrix, through EM design curves.

The classical procedure (Hong and Lancaster, *Microstrip Filters for RF/Microwave
Applications*, Wiley 2001, ch. 8; Matthaei, Young and Jones, 1964, ch. 8 and 10):

1. the synthesised matrix gives the targets (:class:`CombTargets`): each resonator's
   frequency, the coupling coefficient ``k = FBW M_ij`` of each neighbouring pair and the
   external Q ``Qe = 1 / (FBW M_S1^2)`` of the end resonators;
2. small full-wave structures give the design curves (:func:`measure_comb_curves`): a strip's
   resonance against its length, two strips' coupling against their gap, a tapped strip's
   external Q (and the resonance the tap pulls it to) against the tap position;
3. the dimensions are the curves read backwards (:func:`comb_from_curves`); the first strip's
   length compensates the detuning its tap causes.

The layout this gives is the *initial* design: a strip's resonance inside the comb differs from
the lone strip's (its neighbours load it), and the curves are measured on one mesh. The EM
tuning loop corrects both from the filter's own full-wave response.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rfdesign.layouts.comb import Comb, single_strip, strip_pair, tapped_strip
from rfdesign.layouts.substrate import Substrate
from rfdesign.optimizers.design_curves import (
    DesignCurve,
    coupling_of,
    extend_to,
    external_q_of,
    resonance_of,
)

C_MM_GHZ = 299.792458
"""Speed of light in mm GHz."""


@dataclass(frozen=True)
class CombTargets:
    """What a mirror-symmetric comb must realise (from an inline coupling matrix).

    Attributes:
        n: Number of resonators.
        f0_ghz: Centre frequency of the band-pass prototype.
        fbw: Its fractional bandwidth.
        f_res_ghz: Each resonator's own resonance (``n``; synchronous: all ``f0``).
        k: Coupling coefficients of neighbouring resonators (``n - 1``).
        qe: External Q of the end resonators.
    """

    n: int
    f0_ghz: float
    fbw: float
    f_res_ghz: tuple[float, ...]
    k: tuple[float, ...]
    qe: float

    @classmethod
    def from_matrix(cls, cm: Any, parasitic: bool = False) -> CombTargets:
        """Targets of a band-pass :class:`CouplingMatrix` with an inline (main-line) topology.

        Args:
            cm: The matrix.
            parasitic: Its couplings past the main line are the comb's own (measured, held;
                :func:`~rfdesign.optimizers.comb_tuning.retarget`), not designed: accept them.

        Raises:
            ValueError: The matrix is not band-pass, has cross couplings a comb does not
                realise (unless ``parasitic``), or is not symmetric end to end.
        """
        if cm.fmap.kind != "bandpass":
            raise ValueError(f"matrix: a comb realises a band-pass, not {cm.fmap.kind!r}")
        if not parasitic and cm.cross_couplings(tol=1e-6):
            raise ValueError(
                f"matrix: cross couplings {cm.cross_couplings(tol=1e-6)} (a comb realises the "
                "inline main line only); synthesise with max_zeros=0"
            )
        kk = cm.coupling_coefficients()
        k = tuple(float(abs(kk[i, i + 1])) for i in range(cm.order - 1))
        qin, qout = cm.external_q()
        if not math.isclose(qin, qout, rel_tol=1e-4) or not np.allclose(k, k[::-1], rtol=1e-4):
            raise ValueError("matrix: the comb is mirror symmetric; the matrix is not")
        f = tuple(float(x) for x in cm.resonant_frequencies_ghz())
        return cls(cm.order, cm.f0_ghz, cm.fbw, f, k, float(qin))

    def half(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Resonances and couplings of the designed half, from port 1 inwards."""
        h = (self.n + 1) // 2
        return self.f_res_ghz[:h], self.k[: self.n // 2]


@dataclass(frozen=True)
class CurveSetup:
    """How the design-curve structures are drawn and swept.

    Attributes:
        substrate: The spec's substrate.
        feed_width_mm: Width of the 50-ohm feeds (the tap line).
        width_mm: Width of every strip (default ``2 h``: a strip's Q flattens beyond it while
            its length keeps shrinking; Hong and Lancaster 2001, section 4.1).
        feed_gap_mm: Gap between an untapped strip and the feed that excites it weakly
            (0.05 mm on 0.127 mm alumina: a loaded Q of about 190, so the pole stands out,
            the feed pulling the resonance down by about 0.6 %).
        inset_mm: Patch edge to the first strip (the tap line's length).
        far_mm: Tapped strip to port 2's feed in the external-Q structure.
        span: The sweep covers ``f0 (1 -+ span)``.
        points: Frequency points of each sweep.
    """

    substrate: Substrate
    feed_width_mm: float
    width_mm: float | None = None
    feed_gap_mm: float = 0.05
    inset_mm: float = 0.13
    far_mm: float = 1.0
    span: float = 0.18
    points: int = 145

    @property
    def strip_width_mm(self) -> float:
        """The strip width used (``width_mm`` or ``2 h``)."""
        return self.width_mm if self.width_mm else 2.0 * self.substrate.height_mm

    def frequencies_ghz(self, f0_ghz: float) -> np.ndarray:
        """The sweep of every structure around ``f0_ghz``."""
        return np.linspace(f0_ghz * (1 - self.span), f0_ghz * (1 + self.span), self.points)


def half_wave_length_mm(substrate: Substrate, width_mm: float, f0_ghz: float) -> float:
    """A first guess of an open strip's half-wave length at ``f0_ghz`` (mm).

    scikit-rf's microstrip model gives ``eps_eff`` (Hammerstad-Jensen with Kirschning-Jansen
    dispersion); each open end adds the Hammerstad-Bekkadal extension
    ``dl / h = 0.412 (e + 0.3) (w/h + 0.264) / ((e - 0.258) (w/h + 0.8))`` (Hong and
    Lancaster 2001, eq. (4.22)). Only a starting point: the curve is measured around it.
    """
    from rfdesign.layouts.feeds import microstrip_line

    line = microstrip_line(substrate, width_mm, f0_ghz)
    e = float(np.real(line.ep_reff_f[0]))
    u, h = width_mm / substrate.height_mm, substrate.height_mm
    dl = 0.412 * h * (e + 0.3) * (u + 0.264) / ((e - 0.258) * (u + 0.8))
    return C_MM_GHZ / (2 * f0_ghz * math.sqrt(e)) - 2 * dl


@dataclass(frozen=True)
class CombCurves:
    """The design curves of a comb on one substrate, housing and mesh.

    Attributes:
        setup: How the structures were drawn.
        f0: Resonance (GHz) of a weakly coupled strip vs its length (mm).
        k: Coupling coefficient of two strips vs their gap (mm), at ``pair_length_mm``.
        qe: External Q of a tapped strip vs the tap height (mm), at ``tap_length_mm``.
        tap_f0: Resonance (GHz) of the tapped strip vs the tap height (the same runs).
        pair_length_mm: Strip length of the coupling structures.
        tap_length_mm: Strip length of the tapped structures.
        runs: Full-wave runs the curves took (cache hits included).
        solver_s: Solver seconds of those runs as first computed (a cache hit counts the
            time it took then): what the curves cost from an empty cache.
    """

    setup: CurveSetup
    f0: DesignCurve
    k: DesignCurve
    qe: DesignCurve
    tap_f0: DesignCurve
    pair_length_mm: float
    tap_length_mm: float
    runs: int = 0
    solver_s: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """JSON-ready points of every curve and the structure sizes."""
        return {
            "strip_width_mm": self.setup.strip_width_mm,
            "feed_gap_mm": self.setup.feed_gap_mm,
            "pair_length_mm": self.pair_length_mm,
            "tap_length_mm": self.tap_length_mm,
            "runs": self.runs,
            "solver_s": self.solver_s,
            **{c.name: c.to_dict() for c in (self.f0, self.k, self.qe, self.tap_f0)},
        }


def measure_comb_curves(
    simulate: Callable[[Any, np.ndarray], Any],
    setup: CurveSetup,
    targets: CombTargets,
    max_extra: int = 2,
) -> CombCurves:
    """Measure the comb's design curves around ``targets`` with full-wave runs.

    Two points per curve to start (lengths ``L0 (1 -+ 4 %)`` around the half-wave guess; gaps
    ``1.5 h`` and ``4 h``; taps at 25 % and 40 % of the strip), then up to ``max_extra`` more
    each where a target lies outside (:func:`extend_to`). Every run goes through ``simulate``
    (a cached solver's ``simulate(layout, f_ghz)``), so the same curves on the same
    substrate, housing and mesh cost nothing the second time.

    Args:
        simulate: ``(layout, f_ghz) -> skrf.Network``.
        setup: The structures' drawing and sweep.
        targets: What the comb must realise.
        max_extra: Most points added to each curve beyond its first two.
    """
    sub, fw, w = setup.substrate, setup.feed_width_mm, setup.strip_width_mm
    f = setup.frequencies_ghz(targets.f0_ghz)
    h = sub.height_mm
    runs = [0]
    solver_s = [0.0]

    def run(layout):
        runs[0] += 1
        net = simulate(layout, f)
        solver_s[0] += float((getattr(net, "rfdesign_info", None) or {}).get("wall_s", 0.0))
        return net

    _, k_half = targets.half()
    l0 = half_wave_length_mm(sub, w, targets.f0_ghz)

    def f0_at(length: float) -> float:
        return resonance_of(run(single_strip(sub, fw, length, w, setup.feed_gap_mm))).f_ghz

    lengths = (round(l0 * 0.96, 4), round(l0 * 1.04, 4))
    f0 = DesignCurve("f0_ghz", "length_mm", lengths, [f0_at(x) for x in lengths], "reciprocal")
    f0 = extend_to(f0, [targets.f0_ghz], f0_at, (0.3 * l0, 2.0 * l0), max_extra)
    length = round(f0.solve(targets.f0_ghz), 4)

    def k_at(gap: float) -> float:
        return coupling_of(run(strip_pair(sub, fw, length, w, gap, setup.feed_gap_mm)))[0]

    gaps = (round(1.5 * h, 4), round(4 * h, 4))
    k = DesignCurve("k", "gap_mm", gaps, [k_at(g) for g in gaps], "log")
    k = extend_to(k, list(k_half), k_at, (0.2 * h, 12 * h), max_extra)

    tap_runs: dict[float, tuple[float, float]] = {}

    def tap_at(tap: float) -> tuple[float, float]:
        if tap not in tap_runs:
            net = run(tapped_strip(sub, fw, length, w, tap, setup.inset_mm, setup.far_mm))
            tap_runs[tap] = external_q_of(net)
        return tap_runs[tap]

    taps = (round(0.25 * length, 4), round(0.4 * length, 4))
    qe = DesignCurve("qe", "tap_mm", taps, [tap_at(t)[0] for t in taps], "log")
    lo, hi = fw / 2, length / 2
    qe = extend_to(qe, [targets.qe], lambda t: tap_at(t)[0], (lo, hi), max_extra)
    tap_f0 = DesignCurve(
        "tap_f0_ghz", "tap_mm", tuple(tap_runs), [v[1] for v in tap_runs.values()], "linear"
    )
    return CombCurves(setup, f0, k, qe, tap_f0, length, length, runs[0], solver_s[0])


def out_of_reach(targets: CombTargets, curves: CombCurves, min_gap_mm: float) -> list[str]:
    """What the comb cannot realise on these curves, whatever the tuning does (empty: none).

    A coupling whose gap, read off the coupling curve (extended straight past its points),
    is narrower than ``min_gap_mm`` cannot be etched; a widening of the strips or a narrower
    gap does not rescue it, because the side-by-side strips' electric and magnetic couplings
    partly cancel (Hong and Lancaster 2001, section 8.1): a wide band needs staggered
    (parallel-coupled) or interdigital strips. An external Q that needs the tap off the strip
    is out of reach as well.

    Args:
        targets: What the comb must realise.
        curves: The measured design curves.
        min_gap_mm: The narrowest gap the etching opens (mm).

    Returns:
        One sentence per target out of reach, with the numbers.
    """
    out = []
    _, k_half = targets.half()
    k_at_limit = float(curves.k.predict(np.array([min_gap_mm]))[0][0])
    for i, kk in enumerate(k_half):
        gap = curves.k.solve(kk, extrapolate=True)
        if gap < min_gap_mm:
            out.append(
                f"coupling k{i + 1}{i + 2} = {kk:.3f} is out of reach: the coupling curve gives "
                f"about {k_at_limit:.3f} at the {min_gap_mm * 1e3:.0f} um etching limit "
                f"(measured down to {min(curves.k.x) * 1e3:.0f} um; extended straight it "
                f"reaches {kk:.3f} at {gap * 1e3:.0f} um)"
            )
    tap = curves.qe.solve(targets.qe, extrapolate=True)
    fw = curves.setup.feed_width_mm
    if not fw / 2 <= tap <= curves.tap_length_mm - fw / 2:
        out.append(
            f"external Q {targets.qe:.1f} needs a tap at {tap:.2f} mm, off the "
            f"{curves.tap_length_mm:.2f} mm strip"
        )
    return out


def comb_from_curves(targets: CombTargets, curves: CombCurves, extrapolate: bool = False) -> Comb:
    """The comb whose strips, gaps and tap the curves give for ``targets``.

    Each strip's length gives its resonance on the ``f0`` curve; the first strip's is moved by
    the detuning its tap causes (the tapped strip's resonance minus the lone strip's of the
    same length). Each gap gives its coupling on the ``k`` curve, the tap the external Q.

    With ``extrapolate``, a target beyond a curve's points is read off its straight
    extension (a first guess for the tuning loop).

    Raises:
        rfdesign.optimizers.design_curves.OutOfRange: A target the curves do not reach
            (a coupling that needs a gap narrower than can be built, say), unless
            ``extrapolate``.
    """
    f_half, k_half = targets.half()
    ex = extrapolate
    tap = curves.qe.solve(targets.qe, extrapolate=ex)
    pull = float(curves.tap_f0.predict(tap)[0][0] - curves.f0.predict(curves.tap_length_mm)[0][0])
    lengths = [curves.f0.solve(fr, extrapolate=ex) for fr in f_half]
    lengths[0] = curves.f0.solve(f_half[0] - pull, extrapolate=ex)
    gaps = [curves.k.solve(kk, extrapolate=ex) for kk in k_half]
    w = curves.setup.strip_width_mm
    return Comb(
        targets.n,
        tuple(round(x, 4) for x in lengths),
        (round(w, 4),) * len(f_half),
        tuple(round(g, 4) for g in gaps),
        round(tap, 4),
        curves.setup.inset_mm,
    )
