"""``rfdesign design antenna.yaml``: a rectangular patch sized from its spec alone.

The flow (SEED-NOTES section 4; issue 25): the cavity model (Balanis ch. 14,
:mod:`rfdesign.solvers.patch_model`) at the bands' centre gives the design box (width by eq.
14-6, bounded by the spec's size; resonant length by eq. 14-7; the feed's inset or probe
position along the length); SADEA (:mod:`rfdesign.optimizers.sadea`: GP surrogate, lower
confidence bound, one openEMS run per generation) or plain DE searches it on openEMS for the
largest worst margin over the spec's requirements: |S11| below each band's limit and the
realised gain above each gain limit. Every openEMS run is in the result cache, so a killed
design resumes from its runs. The best design's run is the verification; the result writes
``report.md``, ``report.json``, ``design.s1p``, ``layout.gds``, ``layout.png``,
``response.png`` and ``pattern.png`` (E- and H-plane cuts).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.antenna_spec import AntennaSpec
from rfdesign.core.constants import C0_MM_PER_NS
from rfdesign.core.threads import one_blas_thread
from rfdesign.core.version import __version__
from rfdesign.layouts.antenna import RectPatch, write_patch_gds
from rfdesign.layouts.feeds import microstrip_width_mm
from rfdesign.optimizers.sadea import Evaluation, SadeaResult, SadeaSettings, plain_de, sadea
from rfdesign.solvers import patch_model
from rfdesign.solvers.openems_antenna import AntennaResult, AntennaSettings, OpenEMSAntennaSolver

log = logging.getLogger(__name__)

FINER = 1.5
"""The verification's second mesh: every cell size divided by this (20 -> 30 cells per
wavelength, 4 -> 6 across the substrate); the margins' change is the report's mesh
uncertainty. Measured on the 28 GHz patch: resonance +0.25 %, realised gain at 28 GHz
-0.15 dB from 20 to 30 cells."""


@dataclass(frozen=True)
class PatchProblem:
    """The search space of a patch for a spec: the box and how a point becomes a patch.

    Attributes:
        spec: The antenna spec.
        bounds: ``3 x 2`` box of (length, width, inset or probe position), mm.
        feed_width_mm: The 50-ohm feed's width (inset feed), mm.
        notch_mm: The gap beside the inset feed, mm.
        feed_length_mm: The feed line's length outside the patch, mm.
        ground_margin_mm: Ground beyond the patch, mm.
        model: The cavity model's design at the bands' centre (the box's middle).
    """

    spec: AntennaSpec
    bounds: np.ndarray
    feed_width_mm: float
    notch_mm: float
    feed_length_mm: float
    ground_margin_mm: float
    model: patch_model.PatchModel

    @classmethod
    def from_spec(cls, spec: AntennaSpec) -> PatchProblem:
        """The box around the cavity model's patch for the bands' centre (Balanis 14.2.2).

        Length 0.9-1.08 of eq. 14-7's (the full-wave resonance lies a few percent off the
        model's); width 0.7-1.3 of eq. 14-6's, at most the spec's size and wide enough for
        the feed and its notches; inset 0 to 0.45 of the length (0 is the edge's ~200 ohm,
        the centre is 0 ohm), probe 0.05-0.5.
        """
        sub = spec.substrate
        fc = spec.centre_ghz
        d = spec.design
        w0 = patch_model.design_width_mm(fc, sub.eps_r)
        if spec.max_size_mm is not None:
            w0 = min(w0, spec.max_size_mm)
        model = patch_model.design_patch(
            fc,
            sub.eps_r,
            sub.height_mm,
            width_mm=w0,
            tan_delta=sub.tan_delta,
            conductivity_s_per_m=sub.conductivity_s_per_m,
            metal_thickness_um=sub.metal_thickness_um,
        )
        fw = microstrip_width_mm(sub.to_substrate(), 50.0, fc)
        notch = max(1.5 * d.min_feature_mm, 0.1)
        length = model.length_mm
        w_min = fw + 2 * notch + 2 * d.min_feature_mm if d.feed == "inset" else 0.2 * w0
        w_hi = 1.3 * w0 if spec.max_size_mm is None else min(1.3 * w0, spec.max_size_mm)
        w_lo = max(0.7 * w0, w_min)
        if w_lo >= w_hi:
            raise ValueError(
                f"max_size_mm: {spec.max_size_mm} mm leaves no room for the patch's width "
                f"(at least {w_lo:.2f} mm with its feed)"
            )
        third = (0.0, 0.45 * length) if d.feed == "inset" else (0.05 * length, 0.5 * length)
        bounds = np.array([[0.9 * length, 1.08 * length], [w_lo, w_hi], third])
        lam0 = C0_MM_PER_NS / fc
        margin = d.ground_margin_mm if d.ground_margin_mm is not None else lam0 / 4
        return cls(spec, bounds, fw, notch, lam0 / 4, margin, model)

    def patch(self, x: np.ndarray) -> RectPatch:
        """The patch at the point ``x`` (sizes rounded to 1 um: what can be drawn)."""
        length, width, third = (round(float(v), 3) for v in x)
        sub = self.spec.substrate.to_substrate()
        if self.spec.design.feed == "inset":
            return RectPatch(
                length,
                width,
                sub,
                "inset",
                inset_mm=min(third, length - 1e-3),
                feed_width_mm=round(self.feed_width_mm, 4),
                notch_mm=self.notch_mm,
                feed_length_mm=round(self.feed_length_mm, 3),
                ground_margin_mm=round(self.ground_margin_mm, 3),
            )
        return RectPatch(
            length,
            width,
            sub,
            "probe",
            probe_x_mm=third,
            ground_margin_mm=round(self.ground_margin_mm, 3),
        )


def margins(spec: AntennaSpec, result: AntennaResult) -> dict[str, float]:
    """Each requirement's margin (dB; positive: met with room), named for the report.

    A band's margin is its limit minus the largest |S11| over the sweep's points in the band
    and its two edges (interpolated); a gain point's is the realised gain minus its limit.
    """
    out = {}
    s11_db = 20 * np.log10(np.maximum(np.abs(result.s11), 1e-12))
    for i, b in enumerate(spec.bands):
        f = result.f_ghz
        inside = s11_db[(f >= b.f_min_ghz) & (f <= b.f_max_ghz)]
        edges = np.interp([b.f_min_ghz, b.f_max_ghz], f, s11_db)
        worst = float(np.max(np.r_[inside, edges]))
        out[f"|S11| {b.name or f'band {i + 1}'}"] = b.s11_max_db - worst
    for g in spec.gain:
        out[f"gain at {g.f_ghz:g} GHz"] = result.realised_gain_dbi(g.f_ghz) - g.min_dbi
    return out


@dataclass(frozen=True)
class AntennaDesign:
    """A designed antenna: the patch, its verifying run, the search, the provenance."""

    spec: AntennaSpec
    patch: RectPatch
    result: AntennaResult
    margins: dict[str, float]
    history: SadeaResult
    method: str
    provenance: dict = field(default_factory=dict)
    lossy: AntennaResult | None = None
    """The same patch with the metal's conductor loss (openEMS conducting sheets), or None."""

    finer: AntennaResult | None = None
    """The same patch on a mesh 1.5 times finer (:data:`FINER`), or None."""

    @property
    def lossy_margins(self) -> dict[str, float] | None:
        """The margins with conductor loss (None where that run was not made)."""
        return None if self.lossy is None else margins(self.spec, self.lossy)

    @property
    def finer_margins(self) -> dict[str, float] | None:
        """The margins on the finer mesh (None where that run was not made)."""
        return None if self.finer is None else margins(self.spec, self.finer)

    @property
    def flags(self) -> list[str]:
        """What qualifies the verdict.

        Truncated or non-passive runs, a verdict that the finer mesh turns over
        (``within-mesh-error``), a pass that fails with the metal's loss.
        """
        out = [k.replace("_", "-") for k in ("truncated", "non_passive") if self.result.info.get(k)]
        if self.finer_margins is not None:
            if (min(self.finer_margins.values()) >= 0) != self.passed:
                out.append("within-mesh-error")
        if self.lossy_margins is not None and self.passed:
            if min(self.lossy_margins.values()) < 0:
                out.append("fails-with-conductor-loss")
        return out

    @property
    def worst_margin_db(self) -> float:
        """The worst margin over every requirement (dB)."""
        return min(self.margins.values())

    @property
    def passed(self) -> bool:
        """Whether every requirement is met on openEMS."""
        return self.worst_margin_db >= 0.0

    def summary(self) -> dict[str, Any]:
        """The report's JSON content."""
        gain = {
            f"{f:g}": {
                "directivity_dbi": self.result.directivity_dbi(f),
                "realised_gain_dbi": self.result.realised_gain_dbi(f),
                "radiation_efficiency": self.result.radiation_efficiency(f),
            }
            for f in self.result.ff_ghz
        }
        return {
            "spec": self.spec.name,
            "kind": "antenna",
            "passed": self.passed,
            "worst_margin_db": self.worst_margin_db,
            "margins_db": self.margins,
            "patch": {k: v for k, v in self.patch.__dict__.items() if k != "substrate"},
            "far_field": gain,
            "method": self.method,
            "fullwave_runs": len(self.history.history),
            "runs_to_spec": self.history.runs_to(0.0),
            "history": [
                {
                    "x": e.x.tolist(),
                    "margins_db": e.margins.tolist(),
                    "stage": e.stage,
                    "predicted_db": e.predicted,
                    "bound_db": e.bound,
                }
                for e in self.history.history
            ],
            "with_conductor_loss": None
            if self.lossy is None
            else {
                "worst_margin_db": min(self.lossy_margins.values()),
                "margins_db": self.lossy_margins,
                "realised_gain_dbi": {
                    f"{f:g}": self.lossy.realised_gain_dbi(f) for f in self.lossy.ff_ghz
                },
                "radiation_efficiency": {
                    f"{f:g}": self.lossy.radiation_efficiency(f) for f in self.lossy.ff_ghz
                },
            },
            "finer_mesh": None
            if self.finer is None
            else {
                "cells_per_wavelength": self.finer.info.get("settings", {}).get("cells"),
                "worst_margin_db": min(self.finer_margins.values()),
                "margins_db": self.finer_margins,
            },
            "flags": self.flags,
            "verified_by": self.result.info.get("solver"),
            "run": {k: v for k, v in self.result.info.items() if k != "antenna"},
            "provenance": self.provenance,
        }

    def save(self, out: str | Path) -> Path:
        """Write the design's files into ``out``.

        report.md, report.json, design.s1p, layout.gds, layout.png, response.png, pattern.png
        (E- and H-plane cuts) and gain3d.png (the realised-gain pattern in 3-D).
        """
        from rfdesign.design.antenna_plots import (
            plot_gain_3d,
            plot_layout,
            plot_pattern,
            plot_response,
        )

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        summary = self.summary()
        (out / "report.json").write_text(json.dumps(summary, indent=1, default=str))
        self.result.network().write_touchstone(str(out / "design"))
        write_patch_gds(self.patch, out / "layout.gds")
        plot_layout(self.patch, out / "layout.png")
        plot_response(self.spec, self.result, out / "response.png")
        plot_pattern(self.result, out / "pattern.png")
        if self.result.ff_ghz.size:
            plot_gain_3d(self.result, float(self.result.ff_ghz[0]), out / "gain3d.png")
        (out / "report.md").write_text(self.markdown(summary))
        return out

    def markdown(self, summary: dict) -> str:
        """The human report (:func:`report_markdown`)."""
        return report_markdown(self, summary)


def md_cell(text: str) -> str:
    """``text`` safe in a Markdown table cell (``|`` escaped)."""
    return text.replace("|", "\\|")


def far_field_table(summary: dict) -> list[str]:
    """The report's far-field section (Markdown lines) from :meth:`AntennaDesign.summary`."""
    return [
        "## Far field",
        "",
        "| f (GHz) | directivity (dBi) | radiation efficiency | realised gain (dBi) |",
        "|---|---|---|---|",
        *[
            f"| {f} | {g['directivity_dbi']:.2f} | {g['radiation_efficiency']:.3f} | "
            f"{g['realised_gain_dbi']:.2f} |"
            for f, g in summary["far_field"].items()
        ],
    ]


def report_markdown(design: AntennaDesign, summary: dict) -> str:
    """The human report: verdict, margins, far field, sizes, the search, provenance."""
    d, r = design, design.result
    verdict = "MEETS" if d.passed else "does NOT meet"
    s = d.result.info.get("settings", {})
    flags = d.flags
    lines = [
        f"# Design report: {d.spec.name}",
        "",
        f"The patch {verdict} the spec (verified by openEMS, {s.get('cells', '?'):g} cells per "
        f"wavelength, {r.info.get('cells', 0):,} cells, PEC sheets on a "
        f"{d.spec.substrate.height_mm} mm eps_r {d.spec.substrate.eps_r} substrate with tan delta "
        f"{d.spec.substrate.tan_delta}; conductor loss below). Worst margin "
        f"{d.worst_margin_db:+.2f} dB.",
        "",
        f"Flags: {', '.join(flags) if flags else 'none'}.",
        "",
    ]
    finer = summary["finer_mesh"]
    if finer is not None:
        spread = max(abs(finer["margins_db"][k] - v) for k, v in d.margins.items())
        lines += [
            f"On a mesh 1.5 times finer ({finer['cells_per_wavelength']:g} cells per "
            f"wavelength): worst margin {finer['worst_margin_db']:+.2f} dB; the margins move "
            f"by up to {spread:.2f} dB between the meshes (the verdict's mesh uncertainty).",
            "",
        ]
    lossy = summary["with_conductor_loss"]
    if lossy is not None:
        sub = d.spec.substrate
        ok = "meets it too" if lossy["worst_margin_db"] >= 0 else "does NOT meet it"
        lines += [
            f"With conductor loss ({sub.metal_thickness_um:g} um metal of "
            f"{sub.conductivity_s_per_m:.3g} S/m as openEMS conducting sheets, patch and "
            f"ground): worst margin {lossy['worst_margin_db']:+.2f} dB, {ok}.",
            "",
        ]
    lines += [
        "## Margins",
        "",
        "| requirement | margin (dB) | result |",
        "|---|---|---|",
        *[
            f"| {md_cell(k)} | {v:+.2f} | {'pass' if v >= 0 else 'FAIL'} |"
            for k, v in d.margins.items()
        ],
        "",
        *far_field_table(summary),
        "",
        "## The patch (no dimensions were given)",
        "",
        f"- length {d.patch.length_mm} mm, width {d.patch.width_mm} mm, feed {d.patch.feed}"
        + (
            f", inset {d.patch.inset_mm:.3f} mm, 50-ohm line {d.patch.feed_width_mm:.4f} mm "
            f"wide, notches {d.patch.notch_mm:.3f} mm"
            if d.patch.feed == "inset"
            else f", probe {d.patch.probe_x_mm} mm from the edge"
        ),
        f"- ground plane {d.patch.ground_margin_mm} mm beyond the patch",
        f"- the cavity model's start (Balanis eqs. 14-6, 14-7, 14-20a): length "
        f"{d.provenance.get('model_length_mm', 0):.3f} mm, width "
        f"{d.provenance.get('model_width_mm', 0):.3f} mm, inset "
        f"{d.provenance.get('model_inset_mm', 0):.3f} mm; box {d.provenance.get('bounds')}",
        "",
        "## The search",
        "",
        f"{d.method}: {len(d.history.history)} openEMS runs; first meeting the spec: run "
        f"{summary['runs_to_spec'] or '-'}.",
        "",
        "| run | stage | sizes (mm) | worst margin (dB) | GP prediction (dB) |",
        "|---|---|---|---|---|",
        *[
            f"| {i} | {e.stage} | {', '.join(f'{v:.3f}' for v in e.x)} | {e.worst:+.2f} | "
            + ("-" if e.predicted is None else f"{e.predicted:+.2f}")
            + " |"
            for i, e in enumerate(d.history.history, start=1)
        ],
        "",
        "## Provenance",
        "",
        f"- rfdesign {__version__}; {r.info.get('solver_version')}; settings {s}",
        f"- wall time {d.provenance.get('wall_s', 0):.0f} s, solver time "
        f"{d.provenance.get('solver_s', 0):.0f} s",
        "",
    ]
    return "\n".join(lines)


def spec_solver(
    spec: AntennaSpec, cache_dir: str | Path | None = None, **changes: Any
) -> OpenEMSAntennaSolver:
    """openEMS for ``spec``'s antennas: its cells, threads and timeout, a 50-ohm port.

    Cached in ``cache_dir`` (default: the shared cache); ``changes`` replace settings (the
    conductor, the mesh).
    """
    from rfdesign.design.verify import default_cache_dir
    from rfdesign.solvers.base import ResultCache

    settings = AntennaSettings(
        cells=spec.solver.cells, threads=spec.solver.threads, timeout_s=spec.solver.timeout_s
    )
    return OpenEMSAntennaSolver(
        dataclasses.replace(settings, **changes),
        ResultCache(Path(cache_dir or default_cache_dir())),
        z_ref_ohm=50.0,
    )


def verification_runs(
    spec: AntennaSpec,
    cache_dir: str | Path | None,
    antenna: Any,
    f_ghz: np.ndarray,
    ff_ghz: np.ndarray,
) -> tuple[AntennaResult, AntennaResult]:
    """The chosen antenna with copper sheets, then on a mesh :data:`FINER` times finer.

    Returns:
        ``(lossy, finer)``: the conductor-loss run and the finer-mesh run (PEC), each with
        the far field at ``ff_ghz``.
    """
    s = spec_solver(spec, cache_dir).settings
    lossy = spec_solver(spec, cache_dir, conductor="sheet").simulate(antenna, f_ghz, ff_ghz)
    finer = spec_solver(
        spec,
        cache_dir,
        cells=s.cells * FINER,
        edge_cells=s.edge_cells * FINER,
        substrate_cells=round(s.substrate_cells * FINER),
    ).simulate(antenna, f_ghz, ff_ghz)
    return lossy, finer


@one_blas_thread
def design_antenna(
    spec: AntennaSpec,
    *,
    out: str | Path | None = None,
    cache_dir: str | Path | None = None,
    method: str | None = None,
    budget: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> AntennaDesign:
    """Design the patch of ``spec`` on openEMS (SADEA or plain DE), verify, save to ``out``.

    Args:
        spec: The antenna spec (no dimensions).
        out: Output folder (written when given).
        cache_dir: openEMS result cache (default: the shared one).
        method: ``"sadea"`` or ``"de"`` (default: the spec's).
        budget: Most openEMS runs (default: the spec's).
        progress: Called ``(stage, done, total)`` after each run.
    """
    t0 = time.perf_counter()
    problem = PatchProblem.from_spec(spec)
    method = method or spec.design.method
    budget = budget or spec.design.budget
    solver = spec_solver(spec, cache_dir)
    f = spec.frequencies_ghz()
    ff = np.array(sorted({g.f_ghz for g in spec.gain}), float)
    runs: dict[tuple, AntennaResult] = {}
    solver_s = [0.0]

    def run(x: np.ndarray) -> AntennaResult:
        patch = problem.patch(x)
        key = tuple(round(float(v), 3) for v in x)
        if key not in runs:
            runs[key] = solver.simulate(patch, f, ff)
            solver_s[0] += float(runs[key].info.get("wall_s", 0.0))
        return runs[key]

    def evaluate(x: np.ndarray) -> np.ndarray:
        return np.array(list(margins(spec, run(x)).values()))

    count = [0]

    def on_eval(e: Evaluation) -> None:
        count[0] += 1
        if progress:
            progress(method, count[0], budget)

    seed = spec.design.seed
    if method == "sadea":
        history = sadea(
            evaluate,
            problem.bounds,
            SadeaSettings(budget=budget, seed=seed, goal_db=None),
            on_eval,
        )
    elif method == "de":
        history = plain_de(evaluate, problem.bounds, budget, seed=seed, on_evaluation=on_eval)
    else:
        raise ValueError(f"method: 'sadea' or 'de', got {method!r}")
    best = history.best
    result = run(best.x)
    patch = problem.patch(best.x)
    lossy, finer = verification_runs(spec, cache_dir, patch, f, ff)
    m = problem.model
    design = AntennaDesign(
        spec,
        patch,
        result,
        margins(spec, result),
        history,
        method,
        {
            "model_length_mm": m.length_mm,
            "model_width_mm": m.width_mm,
            "model_inset_mm": m.inset_mm,
            "bounds": [[round(a, 3), round(b, 3)] for a, b in problem.bounds],
            "seed": seed,
            "wall_s": time.perf_counter() - t0,
            "solver_s": solver_s[0],
            "rfdesign": __version__,
        },
        lossy,
        finer,
    )
    if out is not None:
        design.save(out)
    return design


TRADEOFF_OBJECTIVES = ("-bandwidth (GHz)", "-realised gain (dBi)", "patch area (mm^2)")
"""The patch's trade-off, all minimised: the matched bandwidth (at the bands' |S11| limit),
the realised gain at the spec's first gain point (else the bands' centre), the patch's area."""


def patch_objectives(spec: AntennaSpec, result: AntennaResult, patch: RectPatch) -> np.ndarray:
    """The trade-off objectives of one run (:data:`TRADEOFF_OBJECTIVES`)."""
    limit = min(b.s11_max_db for b in spec.bands)
    gain = result.realised_gain_dbi(float(result.ff_ghz[0]))
    return np.array([-result.bandwidth_ghz(limit), -gain, patch.length_mm * patch.width_mm])


def patch_tradeoff(
    spec: AntennaSpec,
    *,
    budget: int = 150,
    cache_dir: str | Path | None = None,
    sampling_only: bool = False,
    seed: int | None = None,
) -> Any:
    """Bandwidth vs realised gain vs area of the spec's patch, from openEMS runs.

    Args:
        spec: The antenna spec (its box, substrate, solver; the gain is read at its first
            gain point, else at the bands' centre).
        budget: openEMS runs in all.
        cache_dir: openEMS result cache.
        sampling_only: Latin-hypercube samples only, no GP (the comparison front).
        seed: Seed (default: the spec's).

    Returns:
        The :class:`~rfdesign.optimizers.tradeoff.TradeoffResult` (designs as the box's
        coordinates; ``PatchProblem.patch`` draws each).
    """
    from rfdesign.optimizers.sadea import latin_hypercube
    from rfdesign.optimizers.tradeoff import TradeoffResult, TradeoffSettings, tradeoff

    problem = PatchProblem.from_spec(spec)
    solver = spec_solver(spec, cache_dir)
    f = spec.frequencies_ghz()
    # the gain at the spec's first gain point (else the bands' centre)
    fc = np.array([spec.gain[0].f_ghz if spec.gain else round(spec.centre_ghz, 3)])

    def evaluate(x: np.ndarray) -> np.ndarray:
        patch = problem.patch(x)
        return patch_objectives(spec, solver.simulate(patch, f, fc), patch)

    seed = spec.design.seed if seed is None else seed
    if sampling_only:
        xs = latin_hypercube(problem.bounds, budget, np.random.default_rng(seed))
        fs = np.array([evaluate(x) for x in xs])
        return TradeoffResult(xs, fs, ["lhs"] * budget)
    return tradeoff(evaluate, problem.bounds, TradeoffSettings(budget=budget, seed=seed))
