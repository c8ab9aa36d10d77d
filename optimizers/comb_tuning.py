"""EM tuning of a comb: each full-wave run diagnosed by coupling-matrix extraction, corrected.

One step (:func:`tuning_step`): extract the coupling matrix of the comb's full-wave response
(:func:`rfdesign.optimizers.synthesis.extraction.extract`, the synthesised matrix as start),
read each resonator's resonance, each neighbouring coupling and the external Q off it, and
move each dimension by the error over the design curve's slope, in the curve's own transform
(``1/f`` against length, ``log k`` against gap, ``log Qe`` against tap). This is aggressive
space mapping (Bandler et al., "Space mapping: the state of the art", IEEE Trans. MTT 52(1),
2004) with the coupling matrix as the coarse model and the design curves as its Jacobian:
the curves' slopes are measured, only their offsets (a strip inside the comb is loaded by its
neighbours; a different mesh) are corrected by the extraction. Mirror-image resonators and
couplings are averaged (the comb is symmetric), and every step is limited
(:data:`MAX_STEP`) so that one poor extraction cannot throw the design far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rfdesign.layouts.comb import Comb
from rfdesign.optimizers.comb_design import CombCurves, CombTargets
from rfdesign.optimizers.design_curves import TRANSFORMS, DesignCurve

MAX_STEP = {"length": 0.04, "gap": 0.4, "tap": 0.4}
"""Largest relative change of a strip length, a gap and the tap per step."""


def slope(curve: DesignCurve, x: float) -> float:
    """d(transformed value)/d(size) of ``curve`` at ``x`` (clipped into the measured range).

    Outside its points the curve is its trend line only; the slope is taken at the nearest
    measured size instead, where the points still say how the structure behaves.
    """
    lo, hi = curve.x[0], curve.x[-1]
    xc = float(np.clip(x, lo, hi))
    d = 1e-3 * (hi - lo)
    a, b = max(lo, xc - d), min(hi, xc + d)
    fwd = TRANSFORMS[curve.transform][0]
    za, zb = fwd(curve.predict([a, b])[0])
    return float((zb - za) / (b - a))


def _move(curve: DesignCurve, x: float, have: float, want: float, limit: float) -> float:
    """``x`` moved so that the curve's transformed value changes by ``want - have``."""
    fwd = TRANSFORMS[curve.transform][0]
    dz = float(fwd(np.asarray(want)) - fwd(np.asarray(have)))
    dx = dz / slope(curve, x)
    return float(x + np.clip(dx, -limit * x, limit * x))


@dataclass(frozen=True)
class Diagnosis:
    """What a comb's full-wave response says, read through its extracted coupling matrix.

    Attributes:
        f_res_ghz: Each resonator's resonance of the designed half (mirror pairs averaged).
        k: Each neighbouring coupling of the designed half (mirror pairs averaged).
        qe: External Q (both ports averaged).
        qu: Fitted unloaded Q.
        rms_error: The extraction's rms error (relative to the data's rms |S|).
        converged: Whether the extraction converged.
    """

    f_res_ghz: tuple[float, ...]
    k: tuple[float, ...]
    qe: float
    qu: float
    rms_error: float
    converged: bool

    def errors_percent(self, targets: CombTargets) -> dict[str, list[float]]:
        """Per quantity, (measured / target - 1) in percent."""
        f_half, k_half = targets.half()
        return {
            "f_res": [100 * (a / b - 1) for a, b in zip(self.f_res_ghz, f_half, strict=True)],
            "k": [100 * (a / b - 1) for a, b in zip(self.k, k_half, strict=True)],
            "qe": [100 * (self.qe / targets.qe - 1)],
        }


def _half(values: np.ndarray, n_half: int) -> tuple[float, ...]:
    """Mirror pairs of a symmetric sequence averaged, designed half kept."""
    v = np.asarray(values, float)
    return tuple(float(x) for x in ((v + v[::-1]) / 2)[:n_half])


def comb_pattern(n: int) -> np.ndarray:
    """Entries a comb's extraction fits (``(n + 2) x (n + 2)``, symmetric).

    The main line, the diagonal, the ports and the couplings past one strip (``i, i + 2``).
    Parallel strips couple to their second neighbours too (the field reaches past the strip
    between them); that coupling is what puts a comb's transmission zeros beside its band,
    and without it the inline model misses the skirts (on a 5-strip band-pass on openEMS,
    rms error 9 % instead of 2.4 %).
    """
    p = np.zeros((n + 2, n + 2), bool)
    for i in range(n + 1):
        p[i, i + 1] = p[i + 1, i] = True
    for i in range(1, n + 1):
        p[i, i] = True
    for i in range(1, n - 1):
        p[i, i + 2] = p[i + 2, i] = True
    return p


def band_centred(net, matrix):
    """``matrix`` with every resonator moved to where ``net``'s pass band lies.

    The extraction is a local fit: a band 1.5 % off its synthesised place (openEMS's standard
    mesh against the draft curves) is 0.6 prototype units away and the fit ends in a wrong
    minimum (rms error 25 %). The band's centre is read off the -3 dB crossings of |S21|
    (geometric mean of the lowest rising and the highest falling one) and every diagonal entry
    starts at ``-Omega`` of it.
    """
    from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
    from rfdesign.solvers.convergence import skirt_crossings

    f = net.frequency.f / 1e9
    cross = skirt_crossings(f, net.s)
    rise = [c.f_ghz for c in cross if c.kind == "s21_rise"]
    fall = [c.f_ghz for c in cross if c.kind == "s21_fall"]
    if not rise or not fall or min(rise) >= max(fall):
        return matrix
    omega = float(matrix.fmap.omega(np.array([math.sqrt(min(rise) * max(fall))]))[0])
    m = np.array(matrix.m, float)
    k = np.arange(1, matrix.order + 1)
    m[k, k] -= omega
    return CouplingMatrix(m, matrix.fmap, matrix.qu)


def diagnose(net, matrix) -> Diagnosis:
    """Extract ``net``'s coupling matrix in the comb's topology and read the comb off it.

    Args:
        net: The comb's full-wave network (any reference planes: the feed lines are fitted).
        matrix: The synthesised inline matrix (the start of the fit and its frequency map).
    """
    from rfdesign.optimizers.synthesis.extraction import extract

    ex = extract(
        None, net, band_centred(net, matrix), pattern=comb_pattern(matrix.order), mirror=True
    )
    m = ex.matrix
    n = m.order
    kk = m.coupling_coefficients()
    k = np.abs([kk[i, i + 1] for i in range(n - 1)])
    qin, qout = m.external_q()
    rel = ex.rms_error / ex.data_rms if ex.data_rms else float("nan")
    return Diagnosis(
        _half(m.resonant_frequencies_ghz(), (n + 1) // 2),
        _half(k, n // 2),
        float((qin + qout) / 2),
        float(m.qu if np.ndim(m.qu) == 0 else np.mean(m.qu)),
        float(rel),
        bool(ex.converged),
    )


def corrected(comb: Comb, diagnosis: Diagnosis, targets: CombTargets, curves: CombCurves) -> Comb:
    """The comb with each dimension moved towards its target through its design curve."""
    f_half, k_half = targets.half()
    tap = _move(curves.qe, comb.tap_mm, diagnosis.qe, targets.qe, MAX_STEP["tap"])
    half_feed = curves.setup.feed_width_mm / 2
    tap = float(np.clip(tap, half_feed, comb.lengths_mm[0] - half_feed))  # on the first strip
    # the new tap pulls the first strip's resonance too: its length takes that into account
    pull = float(np.diff(curves.tap_f0.predict([comb.tap_mm, tap])[0])[0])
    wanted = (f_half[0] - pull, *f_half[1:])
    lengths = tuple(
        _move(curves.f0, x, have, want, MAX_STEP["length"])
        for x, have, want in zip(comb.lengths_mm, diagnosis.f_res_ghz, wanted, strict=True)
    )
    gaps = tuple(
        _move(curves.k, x, have, want, MAX_STEP["gap"])
        for x, have, want in zip(comb.gaps_mm, diagnosis.k, k_half, strict=True)
    )
    return Comb(
        comb.n,
        tuple(round(x, 4) for x in lengths),
        comb.widths_mm,
        tuple(round(g, 4) for g in gaps),
        round(tap, 4),
        comb.inset_mm,
    )


def best_shift(spec, net, limit: float = 0.015, points: int = 61) -> tuple[float, float]:
    """The frequency move of ``net``'s response that maximises the spec's worst margin.

    Returns:
        ``(relative move, worst margin after it)``; the move is searched over
        ``+-limit`` (the response at ``f`` becomes the simulated one at ``f / (1 + move)``).
    """
    from rfdesign.design.verify import shifted_margin

    moves = np.linspace(-limit, limit, points)
    margins = [shifted_margin(spec, net, float(m)) for m in moves]
    i = int(np.argmax(margins))
    return float(moves[i]), float(margins[i])


MATRIX_TOLERANCE = {"f_res": 0.1, "k": 3.0, "qe": 5.0}
"""Percent errors within which the comb counts as realising its matrix; beyond that the step
corrects the matrix, within it the step re-centres the band on the masks."""


@dataclass(frozen=True)
class TuningRun:
    """One full-wave run of the tuning loop.

    Attributes:
        mesh: The mesh preset it ran on.
        comb: The comb simulated.
        margins_db: The spec's worst margin per band.
        worst_margin_db: Their minimum.
        diagnosis: The extraction's reading, ``None`` where the run met the goal.
        errors_percent: ``diagnosis`` against the current targets.
        action: What the next comb changed: ``"matrix"`` (towards the matrix),
            ``"centre"`` (the band moved onto the masks), or ``"met"``.
        shift: The best frequency move of this response (relative), and the margin it gives.
    """

    mesh: str
    comb: Comb
    margins_db: dict
    worst_margin_db: float
    diagnosis: Diagnosis | None
    errors_percent: dict | None
    action: str
    shift: tuple[float, float]

    def to_dict(self) -> dict:
        """JSON-ready record."""
        from dataclasses import asdict

        return {
            "mesh": self.mesh,
            "comb": asdict(self.comb),
            "margins_db": self.margins_db,
            "worst_margin_db": self.worst_margin_db,
            "diagnosis": asdict(self.diagnosis) if self.diagnosis else None,
            "errors_percent": self.errors_percent,
            "action": self.action,
            "shift": list(self.shift),
        }


def within(errors: dict, tolerance: dict = MATRIX_TOLERANCE) -> bool:
    """Whether every error lies within its tolerance (percent)."""
    return all(abs(e) <= tolerance[k] for k, v in errors.items() for e in v)


def tune_comb(
    simulate_at,
    spec,
    comb: Comb,
    targets: CombTargets,
    curves: CombCurves,
    matrix,
    ladder: tuple[str, ...],
    goal_db: float = 0.3,
    max_runs: int = 12,
    steps_per_mesh: int = 4,
    on_run=None,
) -> tuple[Comb, list[TuningRun]]:
    """Tune ``comb`` on a mesh ladder until the last mesh meets ``spec`` by ``goal_db``.

    On each mesh: simulate, judge against the spec; if the worst margin reaches ``goal_db``
    go to the next mesh (the last one ends the loop); otherwise extract the matrix
    (:func:`diagnose`). Where the comb is off its matrix (:data:`MATRIX_TOLERANCE`) the next
    comb moves towards it (:func:`corrected`); where it realises the matrix but misses the
    masks, the resonance targets move by the response's best frequency shift
    (:func:`best_shift`) and the comb follows. At most ``steps_per_mesh`` runs per mesh (the
    last mesh may use what is left of ``max_runs``).

    Args:
        simulate_at: ``(mesh, layout) -> skrf.Network`` over the spec's sweep (cached).
        spec: The filter spec.
        comb: The initial comb (:func:`~rfdesign.optimizers.comb_design.comb_from_curves`).
        targets: Its targets.
        curves: Its design curves (the Jacobian).
        matrix: The synthesised matrix (the extraction's start).
        ladder: Mesh presets, coarse to the spec's verification mesh.
        goal_db: Worst margin at which a mesh counts as met.
        max_runs: Most full-wave runs of the whole loop.
        steps_per_mesh: Most runs on a mesh before the next (except the last).
        on_run: Called with each :class:`TuningRun` as it is made (for progress and
            crash-safe records).

    Returns:
        The comb of the best run on the last mesh reached (the met one where it met) and the
        runs.
    """
    import dataclasses

    from rfdesign.evaluation import evaluate_network

    runs: list[TuningRun] = []
    sub, fw = curves.setup.substrate, curves.setup.feed_width_mm
    for level, mesh in enumerate(ladder):
        last = level == len(ladder) - 1
        for _ in range(max_runs if last else steps_per_mesh):
            if len(runs) >= max_runs:
                break
            net = simulate_at(mesh, comb.layout(sub, fw))
            rep = evaluate_network(spec, net)
            shift = best_shift(spec, net)
            met = rep.worst_margin_db >= goal_db
            diag = errors = None
            action = "met"
            if not met:
                diag = diagnose(net, matrix)
                errors = diag.errors_percent(targets)
                if diag.converged and within(errors):
                    action = "centre"
                    new_f = tuple(f * (1 + shift[0]) for f in targets.f_res_ghz)
                    targets = dataclasses.replace(targets, f_res_ghz=new_f)
                else:
                    action = "matrix"
            run = TuningRun(
                mesh, comb, rep.band_margins_db, rep.worst_margin_db, diag, errors, action, shift
            )
            runs.append(run)
            if on_run is not None:
                on_run(run)
            if met:
                break
            comb = corrected(comb, diag, targets, curves)
        if len(runs) >= max_runs:
            break
    final = [r for r in runs if r.mesh == runs[-1].mesh]
    return max(final, key=lambda r: r.worst_margin_db).comb, runs
