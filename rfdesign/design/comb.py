"""Design a comb filter from the spec alone: matrix -> design curves -> layout -> EM tuning.

The parametric path of the design flow (DESIGN.md) for a band-pass in a channel housing,
the structure that met both paper specs when sized by hand (docs/design_space.md sections
6-7), now sized by the tool:

1. **synthesis**: the smallest all-pole (inline) response that meets the masks with the
   housing's resonator Q (:func:`rfdesign.optimizers.synthesis.synthesize`, ``max_zeros=0``:
   a comb realises the main line);
2. **design curves** on the curve mesh (:func:`rfdesign.optimizers.comb_design.measure_comb_curves`):
   a strip's resonance against length, coupling against gap, external Q against tap; each run
   cached, so a second design on the same substrate and housing reuses them;
3. **initial layout**: the matrix read through the curves
   (:func:`~rfdesign.optimizers.comb_design.comb_from_curves`);
4. **EM tuning** on a mesh ladder ending on the spec's verification mesh (:func:`tune_comb`):
   each run judged against the spec; where it misses, the coupling matrix is extracted
   (:func:`~rfdesign.optimizers.comb_tuning.diagnose`), the target matrix is re-optimised with
   the comb's own second-neighbour couplings held
   (:func:`~rfdesign.optimizers.comb_tuning.retarget`), and the dimensions move towards it
   through the curves (:func:`~rfdesign.optimizers.comb_tuning.corrected`). Where the
   re-optimised matrix promises less than the goal plus :data:`RESERVE_DB`, one more strip
   is added (order escalation); where the extraction does not converge, the band is moved
   onto the masks as a whole (every length scaled by the best frequency shift); a run
   :data:`BACKTRACK_DB` worse than the best of its order on its mesh is a failed step, and the
   next comb lies halfway back towards the best (a trust region on the step).

Every full-wave run goes through the caller's ``simulate_at`` (a cached solver), so an
interrupted design resumes at no cost for what was run.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rfdesign.design.choose import OutOfReach
from rfdesign.evaluation import evaluate_network, spec_masks
from rfdesign.layouts.comb import Comb
from rfdesign.optimizers.comb_design import (
    CombCurves,
    CombTargets,
    CurveSetup,
    comb_from_curves,
    measure_comb_curves,
    out_of_reach,
)
from rfdesign.optimizers.comb_tuning import Diagnosis, corrected, diagnose, retarget
from rfdesign.spec import FilterSpec

log = logging.getLogger(__name__)

ENOUGH_DB = 1.0
"""The re-optimised matrix's margin beyond the goal counts no more: among matrices that
promise at least goal + 1 dB the nearest to the current targets is taken (stable steps)."""

RESERVE_DB = 0.5
"""One more strip is added where the re-optimised matrix promises less than goal + 0.5 dB:
the comb's remaining deviations from its matrix model (a 0.2 % resonance error costs a few
tenths of a dB on a 1-GHz skirt) need room."""

BACKTRACK_DB = 1.0
"""A run this much worse than the best run of the same order on its mesh is a failed step:
the next comb lies halfway back towards the best one (a trust region on the step). Seen on the
K-band suite comb: fine-mesh runs -1.51, -6.50, -1.47, then -14.19 dB, from which no coupling
matrix could be extracted and the loop only re-centred the band."""

RETARGET_POINTS = 481
"""Frequencies over the sweep at which the coupling-matrix model is judged (fine enough for
1-GHz transitions: 25 MHz)."""


def best_shift(spec: FilterSpec, net: Any, limit: float = 0.015, points: int = 61) -> tuple:
    """The frequency move of ``net``'s response that maximises the spec's worst margin.

    Returns:
        ``(relative move, worst margin after it)``; the move is searched over ``+-limit``
        (the response at ``f`` becomes the simulated one at ``f / (1 + move)``).
    """
    from rfdesign.design.verify import shifted_margin

    moves = np.linspace(-limit, limit, points)
    margins = [shifted_margin(spec, net, float(m)) for m in moves]
    i = int(np.argmax(margins))
    return float(moves[i]), float(margins[i])


@dataclass(frozen=True)
class TuningRun:
    """One full-wave run of the tuning loop.

    Attributes:
        mesh: The mesh preset it ran on.
        comb: The comb simulated.
        margins_db: The spec's worst margin per band.
        worst_margin_db: Their minimum.
        diagnosis: The extraction's reading (``None`` where the run met the goal).
        errors_percent: ``diagnosis`` against the targets of the time.
        model_margin_db: The worst margin the re-optimised matrix promises (``None``
            without a converged extraction).
        action: What came next: ``"met"``, ``"matrix"`` (moved towards the re-optimised
            matrix), ``"more strips"`` (order escalation), ``"centre"`` (the extraction did
            not converge: every strip scaled to move the band by the best shift) or ``"back"``
            (the run was :data:`BACKTRACK_DB` worse than the best of its order on its mesh: the
            next comb lies halfway back towards that one).
        shift: The response's best frequency move (relative) and the worst margin it gives:
            how far the band sits from where the masks want it.
        wall_s: Wall time of the run (0 for a cache hit).
        solver_s: Solver seconds of the run as first computed (a cache hit too).
    """

    mesh: str
    comb: Comb
    margins_db: dict
    worst_margin_db: float
    diagnosis: Diagnosis | None
    errors_percent: dict | None
    model_margin_db: float | None
    action: str
    shift: tuple[float, float]
    wall_s: float = 0.0
    solver_s: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready record."""
        return {
            "mesh": self.mesh,
            "comb": asdict(self.comb),
            "margins_db": self.margins_db,
            "worst_margin_db": self.worst_margin_db,
            "diagnosis": asdict(self.diagnosis) | {"matrix": None} if self.diagnosis else None,
            "errors_percent": self.errors_percent,
            "model_margin_db": self.model_margin_db,
            "action": self.action,
            "shift": list(self.shift),
            "wall_s": self.wall_s,
            "solver_s": self.solver_s,
        }


@dataclass(frozen=True)
class CombSettings:
    """How :func:`design_comb` works.

    Attributes:
        curve_mesh: Mesh of the design-curve runs.
        ladder: Tuning meshes before the spec's verification mesh (which always ends it).
        goal_db: Worst margin at which a mesh counts as met (the issue's +0.3 dB).
        max_runs: Most full-wave runs in all, design curves included.
        steps_per_mesh: Most runs on a mesh before the next (the last may use the rest).
        qu: Resonator unloaded Q the synthesis assumes (a channel-housed strip with PEC metal
            and tan delta 1e-4 has thousands; 1000 keeps a reserve).
        max_order: Most strips.
        width_mm: Strip width (``None``: twice the substrate height).
        min_gap_mm: Smallest gap that can be etched (thin film: 25 um).
    """

    curve_mesh: str = "draft"
    ladder: tuple[str, ...] = ("standard", "fine")
    goal_db: float = 0.3
    max_runs: int = 60
    steps_per_mesh: int = 4
    qu: float = 1000.0
    max_order: int = 8
    width_mm: float | None = None
    min_gap_mm: float = 0.025


@dataclass(frozen=True)
class CombDesign:
    """What :func:`design_comb` found.

    Attributes:
        comb: The best comb on the last mesh reached (the met one where it met).
        network: Its network on that mesh.
        mesh: That mesh.
        met: Whether it meets the spec by ``goal_db`` there.
        targets: The final targets (re-optimised matrix).
        matrix: The final target matrix.
        curves: The design curves.
        runs: Every tuning run.
        curve_runs: Full-wave runs of the design curves (cache hits included).
        synthesis: The synthesis's verdict.
        reason: Why the design stopped where it did.
        wall_s: Wall time.
    """

    comb: Comb
    network: Any
    mesh: str
    met: bool
    targets: CombTargets
    matrix: Any
    curves: CombCurves
    runs: list[TuningRun]
    curve_runs: int
    synthesis: str
    reason: str
    wall_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def fullwave_runs(self) -> int:
        """Full-wave runs in all (curves and tuning)."""
        return self.curve_runs + len(self.runs)


def halfway(best: Comb, comb: Comb) -> Comb:
    """The comb halfway between ``best`` and ``comb`` (same order): every size averaged."""

    def mid(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(round((x + y) / 2, 4) for x, y in zip(a, b, strict=True))

    return dataclasses.replace(
        best,
        lengths_mm=mid(best.lengths_mm, comb.lengths_mm),
        gaps_mm=mid(best.gaps_mm, comb.gaps_mm),
        tap_mm=round((best.tap_mm + comb.tap_mm) / 2, 4),
    )


def buildable(comb: Comb, min_gap_mm: float) -> Comb:
    """``comb`` with every gap at least ``min_gap_mm`` (what the etching can open)."""
    return dataclasses.replace(comb, gaps_mm=tuple(max(g, min_gap_mm) for g in comb.gaps_mm))


def _escalate(matrix, diag_matrix, masks, f, w, ripple_db: float):
    """An ``N + 1`` matrix with the measured comb's second-neighbour coupling ratio.

    The Chebyshev main line of ``N + 1`` resonators at the same band, each coupling past one
    strip set to the measured ratio of the ``N``-strip comb (mean ``|M_i,i+2| / M_i,i+1``,
    sign kept), then re-optimised for the masks (:func:`retarget`).
    """
    from rfdesign.optimizers.synthesis.bound import chebyshev_matrix
    from rfdesign.optimizers.synthesis.matrix import CouplingMatrix

    n = matrix.order + 1
    dm = np.asarray(diag_matrix.m)
    ratios = [dm[i, i + 2] / dm[i, i + 1] for i in range(1, matrix.order - 1)]
    ratio = float(np.mean(ratios)) if ratios else 0.0
    m = chebyshev_matrix(n, ripple_db)
    for i in range(1, n - 1):
        m[i, i + 2] = m[i + 2, i] = ratio * m[i, i + 1]
    start = CouplingMatrix(m, matrix.fmap, diag_matrix.qu)
    return retarget(start, [], masks, f, w)


def tune_comb(
    simulate_at: Callable[[str, Any], Any],
    spec: FilterSpec,
    comb: Comb,
    matrix,
    curves: CombCurves,
    ladder: tuple[str, ...],
    settings: CombSettings,
    ripple_db: float,
    budget: int,
    on_run: Callable[[TuningRun], None] | None = None,
) -> tuple[Comb, Any, str, list[TuningRun], Any, CombTargets, str]:
    """Tune ``comb`` on ``ladder`` until its last mesh meets ``spec`` by ``goal_db``.

    See the module docstring; at most ``budget`` runs.

    Returns:
        ``(comb, network, mesh, runs, matrix, targets, reason)``: the best run on the last
        mesh reached, the final target matrix and targets, and why the loop ended.
    """
    masks = spec_masks(spec)
    f_model = np.linspace(spec.sweep.start_ghz, spec.sweep.stop_ghz, RETARGET_POINTS)
    sub, fw = curves.setup.substrate, curves.setup.feed_width_mm
    targets = CombTargets.from_matrix(matrix, parasitic=True)
    runs: list[TuningRun] = []
    nets: list[Any] = []
    reason = "run budget spent"
    done = False
    seen: dict[tuple[str, str], int] = {}  # (mesh, comb) -> its run number
    for level, mesh in enumerate(ladder):
        last = level == len(ladder) - 1
        steps = 0
        while len(runs) < budget and (last or steps < settings.steps_per_mesh):
            key = (mesh, repr(comb))
            if key in seen:
                # the step led back to a comb already run on this mesh: the loop would cycle
                # through cached runs to the end of its budget (seen on the Q-band suite spec,
                # 47 repeats of two combs), so this mesh has given what it can
                if last:
                    reason = (
                        f"no progress: the tuning step led back to the comb of run "
                        f"{seen[key]} on {mesh}"
                    )
                    done = True
                break
            seen[key] = len(runs) + 1
            steps += 1
            t0 = time.perf_counter()
            net = simulate_at(mesh, comb.layout(sub, fw))
            wall = time.perf_counter() - t0
            rep = evaluate_network(spec, net)
            shift = best_shift(spec, net)
            met = rep.worst_margin_db >= settings.goal_db
            diag, errors, model_margin, action = None, None, None, "met"
            next_comb = comb
            # the best earlier run of this order on this mesh: a much worse run is a failed step
            same = [r for r in runs if r.mesh == mesh and r.comb.n == comb.n]
            best_run = max(same, key=lambda r: r.worst_margin_db, default=None)
            if (
                not met
                and best_run is not None
                and rep.worst_margin_db < best_run.worst_margin_db - BACKTRACK_DB
            ):
                action = "back"
                next_comb = buildable(halfway(best_run.comb, comb), settings.min_gap_mm)
            elif not met:
                diag = diagnose(net, matrix)
                errors = diag.errors_percent(targets)
                if diag.converged:
                    action = "matrix"
                    new, model_margin = retarget(
                        diag.matrix,
                        [matrix],
                        masks,
                        f_model,
                        spec.w,
                        reference=matrix,
                        enough_db=settings.goal_db + ENOUGH_DB,
                    )
                    if model_margin < settings.goal_db + RESERVE_DB:
                        # held near the current targets it falls short: what can this many
                        # strips do at best (no pull towards the targets)?
                        free, best = retarget(diag.matrix, [matrix], masks, f_model, spec.w)
                        if best > model_margin:
                            new, model_margin = free, best
                    if model_margin < settings.goal_db + RESERVE_DB and (
                        matrix.order < settings.max_order
                    ):
                        new, model_margin = _escalate(
                            matrix, diag.matrix, masks, f_model, spec.w, ripple_db
                        )
                        action = "more strips"
                    matrix, targets = new, CombTargets.from_matrix(new, parasitic=True)
                    if action == "more strips":
                        # the curves' offset on this mesh, read off the last comb, carries over
                        high = 1.0 + float(np.mean(errors["f_res"])) / 100.0
                        first = comb_from_curves(targets, curves, extrapolate=True)
                        next_comb = dataclasses.replace(
                            first, lengths_mm=tuple(round(x * high, 4) for x in first.lengths_mm)
                        )
                    else:
                        next_comb = corrected(comb, diag, targets, curves)
                else:
                    # no trustworthy matrix: move the whole band onto the masks instead
                    action = "centre"
                    scale = 1.0 / (1.0 + shift[0])
                    next_comb = dataclasses.replace(
                        comb, lengths_mm=tuple(round(x * scale, 4) for x in comb.lengths_mm)
                    )
                next_comb = buildable(next_comb, settings.min_gap_mm)
            run = TuningRun(
                mesh,
                comb,
                rep.band_margins_db,
                rep.worst_margin_db,
                diag,
                errors,
                model_margin,
                action,
                shift,
                wall if not (getattr(net, "rfdesign_info", {}) or {}).get("cache_hit") else 0.0,
                float((getattr(net, "rfdesign_info", None) or {}).get("wall_s", 0.0)),
            )
            runs.append(run)
            nets.append(net)
            if on_run is not None:
                on_run(run)
            if met:
                if last:
                    reason, done = f"met on {mesh}", True
                break
            comb = next_comb
        if done or len(runs) >= budget:
            break
    final = [i for i, r in enumerate(runs) if r.mesh == runs[-1].mesh]
    best = max(final, key=lambda i: runs[i].worst_margin_db)
    return runs[best].comb, nets[best], runs[best].mesh, runs, matrix, targets, reason


def design_comb(
    spec: FilterSpec,
    simulate_at: Callable[[str, Any, np.ndarray | None], Any],
    settings: CombSettings = CombSettings(),
    on_run: Callable[[TuningRun], None] | None = None,
) -> CombDesign:
    """Design a comb band-pass for ``spec`` with no dimensions given.

    Args:
        spec: The spec (masks, substrate, housing; its grid is not used).
        simulate_at: ``(mesh, layout, f_ghz or None) -> skrf.Network``: a cached full-wave
            run on ``mesh`` in the spec's housing, over ``f_ghz`` (``None``: the spec's sweep).
        settings: How the design works.
        on_run: Called with each tuning run as it is made.

    Raises:
        OutOfReach: The spec has no band-pass synthesis a comb can realise (before any
            full-wave run), or the design curves show a coupling or external Q the comb
            cannot build (after the curve runs); the reason gives the numbers.
    """
    from rfdesign.layouts.feeds import microstrip_width_mm
    from rfdesign.optimizers.synthesis import synthesize
    from rfdesign.optimizers.synthesis.polynomials import ripple_from_return_loss

    t0 = time.perf_counter()
    syn = synthesize(spec_masks(spec), qu=settings.qu, margin_db=0.5, max_zeros=0)
    if syn.matrix is None:
        raise OutOfReach("synthesis", f"no all-pole matrix for a comb: {syn.verdict}", 0)
    matrix = syn.matrix
    if matrix.fmap.kind != "bandpass":
        raise OutOfReach(
            "synthesis", f"a comb realises a band-pass; the spec is {matrix.fmap.kind}", 0
        )
    targets = CombTargets.from_matrix(matrix)
    sub = spec.substrate.to_substrate()
    centre = (spec.sweep.start_ghz + spec.sweep.stop_ghz) / 2
    fw = microstrip_width_mm(sub, 50.0, centre)
    setup = CurveSetup(sub, fw, settings.width_mm)
    curves = measure_comb_curves(
        lambda lay, f: simulate_at(settings.curve_mesh, lay, f), setup, targets
    )
    if missed := out_of_reach(targets, curves, settings.min_gap_mm):
        raise OutOfReach(
            "curves",
            f"the {targets.n}-strip comb cannot realise the matrix: "
            + "; ".join(missed)
            + " (side-by-side strips couple weakly: a wide band needs staggered or "
            "interdigital strips, not built)",
            curves.runs,
            curves.solver_s,
        )
    comb = buildable(comb_from_curves(targets, curves, extrapolate=True), settings.min_gap_mm)
    ladder = (*[m for m in settings.ladder if m != spec.solver.preset], spec.solver.preset)
    comb, net, mesh, runs, matrix, targets, reason = tune_comb(
        lambda mesh, lay: simulate_at(mesh, lay, None),
        spec,
        comb,
        matrix,
        curves,
        ladder,
        settings,
        ripple_from_return_loss(syn.chosen.return_loss_db),
        settings.max_runs - curves.runs,
        on_run,
    )
    met = (
        mesh == spec.solver.preset
        and evaluate_network(spec, net).worst_margin_db >= settings.goal_db
    )
    return CombDesign(
        comb,
        net,
        mesh,
        met,
        targets,
        matrix,
        curves,
        runs,
        curves.runs,
        syn.verdict,
        reason,
        time.perf_counter() - t0,
    )


def _search_record(design: CombDesign, settings: CombSettings) -> dict:
    """The ``search`` record of the design result: the method, the curves, the tuning runs."""
    return {
        "algorithm": "comb: coupling matrix -> EM design curves -> extraction-driven tuning",
        "evaluations": design.fullwave_runs,
        "seed": None,
        "on_solver": True,
        "history": [[i + 1, r.worst_margin_db] for i, r in enumerate(design.runs)],
        "synthesis": design.synthesis,
        "curves": design.curves.to_dict(),
        "tuning": [r.to_dict() for r in design.runs],
        "targets": asdict(design.targets),
        "comb": asdict(design.comb),
        "reason": design.reason,
        "settings": asdict(settings),
        "refine": None,
    }


def design_comb_filter(
    spec: FilterSpec,
    *,
    verify: str | None = None,
    cache_dir=None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Any:
    """``rfdesign design`` for ``design.method: comb``: the comb, verified, as a DesignResult.

    Every run (curves, tuning, verification) uses the verifying solver's settings for the
    spec (housing, threads) on the mesh at hand, so the verification's own run on the spec's
    mesh is the tuning's last run, read from the cache, plus its coarser run for the mesh
    error estimate.

    Raises:
        ValueError: A spec the comb cannot serve (named), before any full-wave run.
    """
    from rfdesign.design.parametric import parametric_result
    from rfdesign.design.verify import design_solver

    verify = verify or spec.solver.name
    if verify not in ("openems", "palace"):
        raise ValueError(
            f"design.method comb: needs a full-wave solver (openems, palace), not {verify!r}"
        )
    d = spec.design
    settings = CombSettings(
        curve_mesh=d.curve_preset,
        ladder=tuple(d.tuning_presets),
        goal_db=d.goal_margin_db,
        max_runs=d.budget,
        width_mm=d.strip_width_mm,
        min_gap_mm=d.min_gap_mm,
    )
    say = progress or (lambda *a: None)
    solvers: dict[str, Any] = {}

    def simulate_at(mesh: str, layout, f):
        if mesh not in solvers:
            solvers[mesh] = design_solver(spec, verify, cache_dir, preset=mesh)
        return solvers[mesh].simulate(layout, spec.frequencies_ghz() if f is None else f)

    count = [0]

    def on_run(run: TuningRun) -> None:
        count[0] += 1
        log.info(
            "tune %d on %s: %d strips, worst margin %+.2f dB -> %s",
            count[0],
            run.mesh,
            run.comb.n,
            run.worst_margin_db,
            run.action,
        )
        say("tune", count[0], settings.max_runs)

    design = design_comb(spec, simulate_at, settings, on_run)
    sub = spec.substrate.to_substrate()
    layout = design.comb.layout(sub, design.curves.setup.feed_width_mm, name=f"{spec.name}-comb")
    return parametric_result(
        spec,
        layout=layout,
        predicted=matrix_network(design.matrix, spec.frequencies_ghz()),
        verify=verify,
        cache_dir=cache_dir,
        progress=say,
        tolerance=lambda verified: comb_tolerance(spec, design, verified),
        search=_search_record(design, settings),
        model="coupling-matrix model (the final target matrix)",
        design_runs=design.fullwave_runs,
        wall_s=design.wall_s,
        solver_s=design.curves.solver_s + sum(r.solver_s for r in design.runs),
    )


def comb_tolerance(spec: FilterSpec, design: CombDesign, verified) -> Any:
    """Monte Carlo yield of the comb (:mod:`rfdesign.design.tolerance`).

    Edges: each strip's four (left, right: its width and the gaps beside it; bottom, top: its
    length and, at the bottom, the two tap heights). The model is the final target matrix
    with each entry moved through the design curves: a strip's resonance by ``f0(L + dL) -
    f0(L)`` (and the tapped strips by the tap curve's pull), each main-line coupling by
    ``k(g + dg) / k(g)``, the external Q by ``Qe(t + dt) / Qe(t)``. What the curves do not
    hold (a strip's width, a gap's effect on the resonances) is left out. No full-wave
    corner: the edge moves are microns, below the mesh of every preset but reference.
    """
    from rfdesign.design.tolerance import monte_carlo
    from rfdesign.optimizers.synthesis.matrix import CouplingMatrix

    comb, curves, matrix = design.comb, design.curves, design.matrix
    n = comb.n
    lengths = np.array(comb.all_lengths_mm)
    gaps = np.array(comb.all_gaps_mm)
    f = spec.frequencies_ghz()
    m0 = np.array(matrix.m, float)
    f_res = matrix.resonant_frequencies_ghz()

    def predict(curve, x) -> np.ndarray:
        return curve.predict(np.atleast_1d(np.asarray(x, float)))[0]

    f_len0 = predict(curves.f0, lengths)
    k0 = predict(curves.k, gaps)
    qe0 = float(predict(curves.qe, comb.tap_mm)[0])
    pull0 = float(predict(curves.tap_f0, comb.tap_mm)[0])

    def model(moves: np.ndarray | None):
        if moves is None:
            return matrix.response(f)
        e = moves.reshape(n, 4)  # left, right, bottom, top; outward positive
        d_f = predict(curves.f0, lengths + e[:, 2] + e[:, 3]) - f_len0
        taps = comb.tap_mm + e[[0, -1], 2]  # the bottom end moves out: the tap sits higher
        pull = predict(curves.tap_f0, taps) - pull0
        d_f[[0, -1]] += pull
        ratio_k = predict(curves.k, gaps - e[:-1, 1] - e[1:, 0]) / k0
        ratio_q = predict(curves.qe, taps) / qe0
        m = m0.copy()
        idx = np.arange(1, n + 1)
        m[idx, idx] = -matrix.fmap.omega(f_res + d_f)
        for j in range(n - 1):
            m[j + 1, j + 2] *= ratio_k[j]
            m[j + 2, j + 1] = m[j + 1, j + 2]
        m[0, 1] = m[1, 0] = m0[0, 1] / np.sqrt(ratio_q[0])
        m[n, n + 1] = m[n + 1, n] = m0[n, n + 1] / np.sqrt(ratio_q[1])
        return CouplingMatrix(m, matrix.fmap, matrix.qu).response(f)

    return monte_carlo(
        spec,
        verified,
        model,
        4 * n,
        spec.design.tolerance_um,
        spec.design.yield_samples,
        spec.search.seed,
        "target coupling matrix moved through the EM design curves",
    )


def matrix_network(matrix, f_ghz: np.ndarray):
    """The target matrix's network over ``f_ghz`` (the design's "prediction")."""
    net = matrix.response(np.asarray(f_ghz, float))
    net.name = "coupling-matrix model"
    return net
