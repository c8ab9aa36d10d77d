"""``design.method: stepped``: a low-pass stepped-impedance line from the masks alone.

The stages (Matthaei, Young and Jones 1964, section 7.03; Hong and Lancaster 2001, section
5.1; :mod:`rfdesign.optimizers.stepped_design`):

1. **prototype**: the masks' class (low-pass only), cutoff, return loss and rejection give a
   Chebyshev ripple (the return loss plus ``RL_EXTRA_DB``) and the smallest odd order;
2. **widths**: the highest impedance the fabrication limit allows (about 100 ohm) and the
   lowest that keeps the wide sections below a quarter wavelength across at the sweep's top;
3. **lengths on the coarse model**: the classical lengths, scaled together and then
   optimised on the scikit-rf microstrip cascade for the largest worst margin; orders
   ``N, N + 2, ...`` until the cascade promises the goal plus ``RESERVE_DB``;
4. **implicit, then output space mapping onto the full-wave solver**
   (:func:`rfdesign.optimizers.space_mapping.space_map`, ``"ism+osm"``): the cascade's
   electrical lengths of the wide and of the narrow sections get one factor each, calibrated
   on every full-wave run, and the calibrated cascade is re-optimised until three runs gain
   less than 0.05 dB; then the calibrated cascade plus the output shift of the best run
   (what the two factors cannot carry) is optimised, a step that does not help halved. It
   stops at the goal or the budget. Measured on openEMS (docs/design_flow.md): ISM -6.16 ->
   -0.86 dB in 3 runs; on the C-band example ISM stalls at -0.35 dB (runs 3-6) and the first
   output-space step meets (+0.92 dB, run 7); aggressive space mapping -6.34 -> -1.28 dB in
   12; one factor per section -1.21 dB;
5. **verification** on the spec's solver (the last space-mapping run itself, from the cache,
   with openEMS's mesh-error estimate).

With ``solver.name: circuit`` the project's circuit model is the "fine" model: a design from
a dimension-free spec end to end in seconds (what the tests run); it is a model of its own,
not a stand-in for openEMS, and the report says which solver produced every number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.evaluation import spec_mask_set, spec_masks
from rfdesign.layouts.feeds import microstrip_width_mm
from rfdesign.layouts.stepped import SteppedLine
from rfdesign.optimizers.masks import soft_min
from rfdesign.optimizers.stepped_design import (
    CascadeModel,
    LineOptimum,
    LineWidths,
    chebyshev_g,
    chebyshev_order,
    initial_line,
    line_widths,
    minimise_lengths,
    optimise_lengths,
    ripple_db,
)
from rfdesign.spec import FilterSpec

log = logging.getLogger(__name__)

RL_EXTRA_DB = 3.0
"""The prototype's return loss exceeds the spec's by this much (room for the realisation)."""
RESERVE_DB = 1.0
"""The coarse model must promise the goal plus this before the full-wave stage: the
full-wave response differs and space mapping needs room."""
TIE_DB = 0.1
"""Orders whose cascade margins lie this close count as equal (the higher one is taken)."""
MAX_ORDER = 15
"""Highest order tried."""
ORDERS_TRIED = 3
"""Most orders tried on the coarse model (``N, N + 2, N + 4``)."""
SOFTNESS_DB = 0.05
"""Temperature of the smooth minimum over the band margins the full-wave stage minimises."""
PATIENCE = 3
MIN_GAIN_DB = 0.05
"""The full-wave stage stops when its best worst margin has not grown by ``MIN_GAIN_DB`` over
the last ``PATIENCE`` runs (openEMS's standard mesh moves a margin by a few tenths of a dB
between lengths 5 um apart: its mesh lines snap to the edges)."""
COARSE_EVALUATIONS = 1500
"""Most cascade evaluations per re-optimisation of the calibrated coarse model."""
FLOOR_BELOW_DB = 10.0
"""In the responses space mapping matches, |S21| and |S11| are clipped this far below the
strictest stop-band and return-loss limits (dB): how much deeper a response goes does not
matter to the masks, and a coarse model that is 30 dB off in the deep stop band (the
circuit model) would otherwise drive the parameter extraction."""


@dataclass(frozen=True)
class SteppedSettings:
    """How the stepped line is designed.

    Attributes:
        goal_db: Worst margin aimed at on the full-wave solver, dB.
        max_runs: Most full-wave runs (verification's mesh-error run not included).
        min_line_mm: Narrowest line and shortest section, mm.
    """

    goal_db: float = 0.3
    max_runs: int = 20
    min_line_mm: float = 0.025


@dataclass
class SteppedDesign:
    """What :func:`design_stepped` found.

    Attributes:
        line: The final line.
        requirements: The masks' ``(cutoff GHz, stop edge GHz, rejection dB, return loss
            dB)`` (:func:`lowpass_requirements`).
        feed_width_mm: The 50-ohm feed width the line is drawn with, mm.
        order: Its number of sections.
        g: The Chebyshev prototype of that order.
        ripple_db: The prototype's passband ripple, dB.
        widths: The two section widths and what set them.
        coarse: Per order tried, the cascade's optimum.
        coarse_line: The cascade optimum the full-wave stage started from.
        scales: The calibrated electrical-length factors of the wide and narrow sections.
        fine_history: Per full-wave run: lengths (mm) and worst margin (dB).
        fullwave_runs: Full-wave runs of the space mapping (cache hits included).
        reason: Why it ended.
        wall_s: Wall time.
        solver_s: Solver seconds of the full-wave runs as first computed (cache hits too).
    """

    line: SteppedLine
    requirements: tuple[float, float, float, float]
    feed_width_mm: float
    order: int
    g: tuple[float, ...]
    ripple_db: float
    widths: LineWidths
    coarse: list[tuple[int, LineOptimum]]
    coarse_line: SteppedLine
    scales: tuple[float, float] = (1.0, 1.0)
    fine_history: list[dict] = field(default_factory=list)
    fullwave_runs: int = 0
    reason: str = ""
    wall_s: float = 0.0
    solver_s: float = 0.0


def lowpass_requirements(spec: FilterSpec) -> tuple[float, float, float, float]:
    """``(cutoff GHz, stop edge GHz, rejection dB, return loss dB)`` of a low-pass spec.

    Raises:
        ValueError: The masks are not a low-pass (named), before any work.
    """
    from rfdesign.optimizers.synthesis.analysis import analyse_masks

    a = analyse_masks(spec_masks(spec))
    if a.filter_class != "lowpass":
        raise ValueError(
            f"design.method: 'stepped' designs low-pass filters; the masks describe a "
            f"{a.filter_class}"
        )
    fc = max(b for _, b in a.passbands)
    binding = min(a.stops, key=lambda s: s.transition_ghz)
    fs = binding.f_min_ghz
    rejection = max(s.rejection_db for s in a.stops if s.f_min_ghz <= fs + 1e-9)
    return fc, fs, rejection, a.return_loss_db


def design_stepped(
    spec: FilterSpec,
    simulate: Callable[[Any], Any],
    settings: SteppedSettings,
    on_run: Callable[[int, float], None] | None = None,
) -> SteppedDesign:
    """Prototype, coarse optimisation and space mapping onto ``simulate``.

    Args:
        spec: A low-pass spec.
        simulate: ``layout -> skrf.Network`` at the spec's frequencies (the full-wave model).
        settings: Goal, budget, fabrication limit.
        on_run: Called after each full-wave run with its number and worst margin.
    """
    from rfdesign.optimizers.space_mapping import space_map

    t0 = time.perf_counter()
    fc, fs, rejection, rl = lowpass_requirements(spec)
    sub = spec.substrate.to_substrate()
    f = spec.frequencies_ghz()
    masks = spec_masks(spec)
    judge = spec_mask_set(spec)
    feed = microstrip_width_mm(sub, 50.0, fc)
    widths = line_widths(sub, fc, float(f.max()), settings.min_line_mm)
    ripple = ripple_db(rl + RL_EXTRA_DB)
    n0 = chebyshev_order(ripple, fs / fc, rejection)
    n0 = max(3, n0 + (n0 % 2 == 0))
    coarse = CascadeModel(sub, f)
    want = settings.goal_db + RESERVE_DB
    tried: list[tuple[int, LineOptimum]] = []
    best: tuple[int, LineOptimum, tuple[float, ...]] | None = None
    for n in range(n0, min(MAX_ORDER, n0 + 2 * (ORDERS_TRIED - 1)) + 1, 2):
        g = chebyshev_g(n, ripple)
        opt = optimise_lengths(
            initial_line(g, sub, widths, fc),
            coarse,
            masks,
            f,
            settings.min_line_mm,
            enough_db=want + 0.5,
        )
        tried.append((n, opt))
        log.info("stepped: N = %d on the cascade: worst margin %+.2f dB", n, opt.worst_margin_db)
        # a higher order within TIE_DB of the best is taken: the cascade's margins are equal
        # within its own error there, and the steeper skirt leaves the full-wave stage room
        if best is None or opt.worst_margin_db > best[1].worst_margin_db - TIE_DB:
            best = (n, opt, g)
        if opt.worst_margin_db >= want:
            break
    n, opt, g = best
    start = opt.line

    floor21 = min(m.limit_db for m in masks if m.quantity == "s21") - FLOOR_BELOW_DB
    floor11 = min(m.limit_db for m in masks if m.quantity == "s11") - FLOOR_BELOW_DB

    def response(net) -> np.ndarray:
        return np.concatenate([s_db(net.s[:, 1, 0], floor21), s_db(net.s[:, 0, 0], floor11)])

    def objective(r: np.ndarray) -> float:  # minus a smooth worst margin (dB)
        s21, s11 = r[: f.size], r[f.size :]
        return -soft_min(judge.margins(s11, s21)[0], SOFTNESS_DB)

    def line_of(x: np.ndarray) -> SteppedLine:  # as drawn: 0.1 um
        return SteppedLine(tuple(round(float(v), 4) for v in x), start.widths_mm)

    # implicit space mapping: the cascade's electrical lengths of the wide and of the narrow
    # sections get one factor each, calibrated on every full-wave run (the steps' capacitance
    # and the narrow line's field, which the cascade leaves out, act on them as a whole)
    kind = np.array([0 if w == widths.low_mm else 1 for w in start.widths_mm])

    def calibrated(x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return response(coarse(SteppedLine(tuple(float(v) for v in x * p[kind]), start.widths_mm)))

    history: list[dict] = []
    solver_s = [0.0]

    def fine(x: np.ndarray) -> np.ndarray:
        ln = line_of(x)
        net = simulate(ln.layout(sub, feed, name=f"{spec.name}-stepped"))
        solver_s[0] += float((getattr(net, "rfdesign_info", None) or {}).get("wall_s", 0.0))
        r = response(net)
        margin = float(judge.margins(r[f.size :], r[: f.size]).min())
        history.append(
            {"lengths_mm": list(ln.lengths_mm), "worst_margin_db": margin, "step": "ism"}
        )
        if on_run is not None:
            on_run(len(history), margin)
        return r

    def optimiser(fun, x0, bounds):
        return minimise_lengths(fun, x0, settings.min_line_mm, COARSE_EVALUATIONS)[0]

    x0 = np.array(start.lengths_mm)
    sm = space_map(
        calibrated,
        fine,
        x0,
        objective,
        method="ism+osm",
        max_fine=settings.max_runs,
        target=-settings.goal_db,
        bounds=(np.full(x0.size, settings.min_line_mm), 3.0 * x0),
        preassigned=np.ones(2),
        optimiser=optimiser,
        patience=PATIENCE,
        min_gain=MIN_GAIN_DB,
    )
    scales = np.asarray(sm.mapping.get("preassigned", [1.0, 1.0]), float)
    for h, step in zip(history, sm.history, strict=True):  # which stage proposed each run
        h["step"] = step["step"] if step["step"] != "coarse optimum" else "ism"
    if history:  # the best run by its true worst margin (the objective is a smooth one)
        best_run = max(history, key=lambda h: h["worst_margin_db"])
        sm_x = np.array(best_run["lengths_mm"])
        met = best_run["worst_margin_db"] >= settings.goal_db
    else:
        sm_x, met = sm.x, sm.met
    line = line_of(sm_x)
    reason = (
        f"met the goal (+{settings.goal_db:g} dB) on the full-wave solver"
        if met
        else f"goal not met in {len(history)} full-wave runs: best worst margin "
        f"{max(h['worst_margin_db'] for h in history):+.2f} dB"
    ) + (
        f"; the cascade's electrical lengths calibrated x{scales[0]:.4f} (wide sections), "
        f"x{scales[1]:.4f} (narrow sections)"
    )
    return SteppedDesign(
        line=line,
        requirements=(fc, fs, rejection, rl),
        feed_width_mm=feed,
        order=n,
        g=tuple(g),
        ripple_db=ripple,
        widths=widths,
        coarse=tried,
        coarse_line=start,
        scales=(float(scales[0]), float(scales[1])),
        fine_history=history,
        fullwave_runs=len(history),
        reason=reason,
        wall_s=time.perf_counter() - t0,
        solver_s=solver_s[0],
    )


def line_tolerance(spec: FilterSpec, design: SteppedDesign, verified, cascade: CascadeModel):
    """Monte Carlo yield of the line (:mod:`rfdesign.design.tolerance`).

    Edges: the ``n + 1`` section boundaries along the line (a move lengthens one section and
    shortens its neighbour) and each section's two sides (its width); the model is the
    cascade with the space mapping's calibrated electrical lengths. No full-wave corner: a
    sample's widths differ by microns from section to section, and a mesh line per edge
    would cost openEMS more than the design did.
    """
    from rfdesign.design.tolerance import monte_carlo

    lengths = np.array(design.line.full_lengths_mm)
    widths = np.array(design.line.full_widths_mm)
    n = lengths.size
    scale = np.array(
        [design.scales[0] if w == design.widths.low_mm else design.scales[1] for w in widths]
    )

    def model(moves: np.ndarray | None):
        if moves is None:
            return cascade.sections(lengths * scale, widths)
        b, sides = moves[: n + 1], moves[n + 1 :].reshape(n, 2)
        return cascade.sections((lengths + np.diff(b)) * scale, widths + sides.sum(axis=1))

    return monte_carlo(
        spec,
        verified,
        model,
        3 * n + 1,
        spec.design.tolerance_um,
        spec.design.yield_samples,
        spec.search.seed,
        "microstrip cascade with the calibrated electrical lengths",
    )


def _how_lines(design: SteppedDesign) -> list[str]:
    """The report's account of how the line was found."""
    fc, fs, rejection, rl = design.requirements
    w = design.widths
    lines = [
        f"- masks: low-pass, cutoff {fc:g} GHz, return loss {rl:.1f} dB, {rejection:.1f} dB "
        f"from {fs:g} GHz",
        f"- prototype: Chebyshev, ripple {design.ripple_db:.4f} dB (return loss "
        f"{rl + RL_EXTRA_DB:.1f} dB), order {design.order}; g = "
        + ", ".join(f"{x:.4f}" for x in design.g[1:-1]),
        f"- sections: {w.high_mm * 1e3:.1f} um wide ({w.z_high_ohm:.1f} ohm) and "
        f"{w.low_mm:.4f} mm wide ({w.z_low_ohm:.1f} ohm)"
        + (f"; {'; '.join(w.notes)}" if w.notes else ""),
        "- coarse model (scikit-rf microstrip cascade, conductor and dielectric loss): "
        + "; ".join(
            f"N = {n}: worst margin {o.worst_margin_db:+.2f} dB ("
            + ", ".join(f"{b} {m:+.2f}" for b, m in o.band_margins_db.items())
            + f"; {o.evaluations} evaluations)"
            for n, o in design.coarse
        ),
        f"- coarse optimum, lengths from port 1 to the centre: {design.coarse_line.lengths_mm} mm",
        f"- final line: lengths {design.line.lengths_mm} mm, widths {design.line.widths_mm} mm "
        f"({design.line.length_mm:.3f} mm long)",
        f"- ended: {design.reason}",
        "",
        "| full-wave run | step | worst margin (dB) | lengths (mm) |",
        "|---|---|---|---|",
    ]
    for i, h in enumerate(design.fine_history, 1):
        lines.append(
            f"| {i} | {h.get('step', '-')} | {h['worst_margin_db']:+.2f} | "
            f"{tuple(h['lengths_mm'])} |"
        )
    return lines


def design_stepped_filter(
    spec: FilterSpec,
    *,
    verify: str | None = None,
    cache_dir=None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Any:
    """``rfdesign design`` for ``design.method: stepped``: the line, verified, as a DesignResult.

    Raises:
        ValueError: A spec the stepped line cannot serve (named), before any solver run.
    """
    from rfdesign.design.parametric import parametric_result
    from rfdesign.design.verify import NO_VERIFICATION, design_solver

    verify = verify or spec.solver.name
    if verify == NO_VERIFICATION:
        raise ValueError("design.method stepped: needs a solver to design on (not 'none')")
    lowpass_requirements(spec)  # a spec it cannot serve fails here, before any run
    d = spec.design
    settings = SteppedSettings(
        goal_db=d.goal_margin_db, max_runs=d.budget, min_line_mm=d.min_line_mm
    )
    say = progress or (lambda *a: None)
    tuner = design_solver(spec, verify, cache_dir)

    def on_run(i: int, margin: float) -> None:
        log.info("stepped: full-wave run %d: worst margin %+.2f dB", i, margin)
        say("space mapping", i, settings.max_runs)

    design = design_stepped(
        spec, lambda lay: tuner.simulate(lay, spec.frequencies_ghz()), settings, on_run
    )
    sub = spec.substrate.to_substrate()
    layout = design.line.layout(sub, design.feed_width_mm, f"{spec.name}-stepped")
    cascade = CascadeModel(sub, spec.frequencies_ghz())
    return parametric_result(
        spec,
        layout=layout,
        predicted=cascade(design.line),
        verify=verify,
        cache_dir=cache_dir,
        progress=say,
        tolerance=lambda verified: line_tolerance(spec, design, verified, cascade),
        search={
            "algorithm": "stepped: Chebyshev ladder -> stepped-impedance line -> lengths on the "
            "microstrip cascade -> implicit space mapping",
            "evaluations": design.fullwave_runs,
            "seed": None,
            "on_solver": True,
            "history": [[i + 1, h["worst_margin_db"]] for i, h in enumerate(design.fine_history)],
            "how_lines": _how_lines(design),
            "stepped": {
                "line": design.line.to_dict(),
                "coarse_line": design.coarse_line.to_dict(),
                "order": design.order,
                "g": list(design.g),
                "ripple_db": design.ripple_db,
                "widths": asdict(design.widths),
                "scales": list(design.scales),
                "coarse": [
                    {"order": n, "worst_margin_db": o.worst_margin_db, "evaluations": o.evaluations}
                    for n, o in design.coarse
                ],
                "fine_history": design.fine_history,
            },
            "reason": design.reason,
            "settings": asdict(settings),
            "refine": None,
        },
        model="scikit-rf microstrip cascade (the coarse model)",
        design_runs=design.fullwave_runs,
        wall_s=design.wall_s,
        solver_s=design.solver_s,
    )
