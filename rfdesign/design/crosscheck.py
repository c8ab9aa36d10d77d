"""A second engine's verdict on a verified design, and the spread between the two engines.

A verdict of one full-wave engine carries that engine's modelling error, which its own mesh
estimate cannot see (an FDTD staircase, a port model, a boundary). The cross-check simulates
the design's layout with another engine (openEMS <-> Palace: finite differences in time vs
finite elements in frequency, docs/solvers.md), judges it against the same spec and measures
the **engine spread**: the largest relative distance between the two engines' matched
resonances and -3 dB skirts (the same features as the mesh estimate,
:func:`rfdesign.solvers.convergence.well_defined_features`). The worst margin is then given
as a range that holds both engines' margins, each engine's mesh-error range and the
reference response moved by +-spread in frequency; the design "meets with margin on both
engines" only where that whole range is positive. Flags: ``engines-disagree`` (one engine
passes, the other fails) and ``within-engine-spread`` (both agree, but the range straddles
zero).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.design.verify import make_verifier, run_record, shifted_margin
from rfdesign.evaluation import evaluate_network
from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.masks import SpecReport
from rfdesign.spec import FilterSpec

MAX_ENGINE_SHIFT = 0.05
"""Largest relative distance at which two engines' features count as the same (5 %)."""


@dataclass(frozen=True)
class EngineSpread:
    """How far two engines' responses of one layout lie apart.

    Attributes:
        pairs: ``(kind, f_reference, f_other)`` per matched feature, GHz.
        relative: Largest ``|f_other / f_reference - 1|`` (0.01 means 1 %); NaN where no
            feature matched.
        max_delta_db: Largest |delta| of |S21| or |S11| in dB between the engines (clipped at
            :data:`rfdesign.solvers.convergence.FLOOR_DB`), on the reference's frequencies.
    """

    pairs: list[tuple[str, float, float]]
    relative: float
    max_delta_db: float

    def to_dict(self) -> dict:
        """JSON-ready form (NaN as ``None``)."""
        d = asdict(self)
        d["pairs"] = [list(p) for p in self.pairs]
        d["relative"] = None if math.isnan(self.relative) else self.relative
        return d


def engine_spread(reference: Any, other: Any) -> EngineSpread:
    """Spread between two networks of one layout from two engines.

    Each network's features are found on its own frequency points; the |S| difference is
    taken on the reference's points (the other network interpolated linearly in |S|).

    Args:
        reference: The verifying engine's ``skrf.Network``.
        other: The second engine's ``skrf.Network`` over the same band.
    """
    from rfdesign.solvers.convergence import FLOOR_DB, match, well_defined_features

    f_ref, f_oth = reference.frequency.f / 1e9, other.frequency.f / 1e9
    ref = well_defined_features(f_ref, reference.s)
    oth = well_defined_features(f_oth, other.s)
    pairs = [(a.kind, a.f_ghz, b.f_ghz) for a, b in match(ref, oth, MAX_ENGINE_SHIFT)]
    rel = max((abs(b / a - 1) for _, a, b in pairs), default=math.nan)
    delta = 0.0
    for i, j in ((1, 0), (0, 0)):
        a = np.abs(reference.s[:, i, j])
        b = np.interp(f_ref, f_oth, np.abs(other.s[:, i, j]))
        da, db = (np.maximum(20 * np.log10(np.maximum(x, 1e-12)), FLOOR_DB) for x in (a, b))
        delta = max(delta, float(np.max(np.abs(da - db))))
    return EngineSpread(pairs, rel, delta)


@dataclass(frozen=True)
class CrossCheck:
    """A second engine's run of a design and what it says about the verdict.

    Attributes:
        engine: The second engine's registered name (``"palace"``).
        by: Its description for reports, e.g. ``"palace (draft, channel housing)"``.
        network: Its ``skrf.Network`` of the design's layout.
        report: Its spec report.
        run: :func:`rfdesign.design.verify.run_record` of :attr:`network`.
        spread: :class:`EngineSpread` from the verifying engine's network to this one.
        worst_margin_range_db: ``[low, high]``: both engines' worst margins, each one's
            mesh-error range and the reference moved by +-spread in frequency.
        reference_passed: Whether the verifying engine's network passes.
    """

    engine: str
    by: str
    network: Any
    report: SpecReport
    run: dict
    spread: EngineSpread
    worst_margin_range_db: tuple[float, float]
    reference_passed: bool

    @property
    def agree(self) -> bool:
        """Both engines give the same pass/fail."""
        return self.report.passed == self.reference_passed

    @property
    def flags(self) -> list[str]:
        """``engines-disagree``, ``within-engine-spread`` and the second run's own flags."""
        low, high = self.worst_margin_range_db
        out = [] if self.agree else ["engines-disagree"]
        if self.agree and low <= 0 < high:
            out.append("within-engine-spread")
        return out + [f"{self.engine}: {f}" for f in self.run.get("flags", [])]

    @property
    def verdict(self) -> str:
        """One sentence: what the two engines say together."""
        low, _ = self.worst_margin_range_db
        if not self.agree:
            first = "meets" if self.reference_passed else "does not meet"
            second = "meets" if self.report.passed else "does not"
            return (
                f"the engines DISAGREE: the verifying engine {first} the spec, {self.by} {second}"
            )
        if self.report.passed:
            if low > 0:
                return "meets the spec with margin on both engines"
            return "meets the spec on both engines, but not beyond the engine spread"
        if self.worst_margin_range_db[1] > 0:
            return "fails on both engines, but would within the engine spread"
        return "fails on both engines"

    @property
    def file_name(self) -> str:
        """Touchstone file of :attr:`network` in a saved design folder."""
        preset = self.run.get("preset") or "default"
        return f"design_{self.engine}_{preset}.s2p"

    def to_dict(self) -> dict:
        """JSON-ready record (everything but the network, which is saved as Touchstone)."""
        return {
            "engine": self.engine,
            "by": self.by,
            "file": self.file_name,
            "passed": bool(self.report.passed),
            "report": self.report.to_dict(),
            "run": self.run,
            "spread": self.spread.to_dict(),
            "worst_margin_range_db": list(self.worst_margin_range_db),
            "reference_passed": bool(self.reference_passed),
            "agree": self.agree,
            "flags": self.flags,
            "verdict": self.verdict,
        }

    @classmethod
    def from_dict(cls, d: dict, network: Any) -> CrossCheck:
        """Rebuild from :meth:`to_dict` and the saved network."""
        sp = d["spread"]
        rel = math.nan if sp["relative"] is None else sp["relative"]
        return cls(
            engine=d["engine"],
            by=d["by"],
            network=network,
            report=SpecReport.from_dict(d["report"]),
            run=d["run"],
            spread=EngineSpread([tuple(p) for p in sp["pairs"]], rel, sp["max_delta_db"]),
            worst_margin_range_db=tuple(d["worst_margin_range_db"]),
            reference_passed=d["reference_passed"],
        )


def judge(spec: FilterSpec, reference: Any, other: Any, engine: str, by: str) -> CrossCheck:
    """Judge ``other`` (second engine) beside ``reference`` (verifying engine) for ``spec``.

    The range of the worst margin holds: both engines' worst margins; each run's mesh-error
    range where it has one (:func:`rfdesign.design.verify.margin_uncertainty`); and the
    reference's worst margin with its response moved by -spread and +spread in frequency
    (only where features matched: otherwise the two margins alone span the spread).
    """
    rep_ref, rep_oth = evaluate_network(spec, reference), evaluate_network(spec, other)
    spread = engine_spread(reference, other)
    run_ref, run_oth = run_record(reference, spec), run_record(other, spec)
    values = [rep_ref.worst_margin_db, rep_oth.worst_margin_db]
    for run in (run_ref, run_oth):
        if run.get("uncertainty"):
            values += run["uncertainty"]["worst_margin_range_db"]
    if not math.isnan(spread.relative):
        values += [shifted_margin(spec, reference, s * spread.relative) for s in (-1, 1)]
    return CrossCheck(
        engine=engine,
        by=by,
        network=other,
        report=rep_oth,
        run=run_oth,
        spread=spread,
        worst_margin_range_db=(float(min(values)), float(max(values))),
        reference_passed=rep_ref.passed,
    )


def crosscheck(
    spec: FilterSpec,
    layout: Layout,
    reference: Any,
    engine: str,
    *,
    preset: str | None = None,
    timeout_s: float | None = None,
    cache_dir: str | Path | None = None,
) -> CrossCheck:
    """Simulate ``layout`` with ``engine`` as the spec asks (housing, band) and judge it.

    Args:
        spec: The spec the design was made for.
        layout: The design's layout.
        reference: The verifying engine's network of ``layout``.
        engine: The second engine (a registered solver, e.g. ``"palace"``).
        preset: Its mesh preset (default: the spec's).
        timeout_s: Its wall-time limit per run (default: the engine's own).
        cache_dir: Full-wave result cache (default ``$RFDESIGN_CACHE/results``); the run is
            stored there as it finishes.

    Raises:
        ValueError: The engine cannot model the spec (e.g. Meep and a channel housing) or
            does not know the preset.
        rfdesign.solvers.base.SolverError: The run failed.
    """
    solver, by = make_verifier(spec, engine, cache_dir, preset=preset, timeout_s=timeout_s)
    if solver is None:
        raise ValueError(f"engine: {engine!r} is not a solver")
    net = solver.simulate(layout, spec.frequencies_ghz())
    return judge(spec, reference, net, engine, by)
