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
from dataclasses import dataclass, field
from typing import Any

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
        matrix: The extracted matrix (``None`` in records read back).
    """

    f_res_ghz: tuple[float, ...]
    k: tuple[float, ...]
    qe: float
    qu: float
    rms_error: float
    converged: bool
    matrix: Any = field(default=None, repr=False, compare=False)

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


WINDOWS = (None, 6.0, 4.0, 3.0)
"""Fit windows of :func:`diagnose`, widest first: ``|Omega| <=`` this in the band-pass
prototype's frequency (``None``: the whole sweep). The coupling matrix is a narrow-band model
(frequency-independent couplings); over a sweep many bandwidths wide it cannot follow a comb's
skirts and the fit fails. Measured on the suite's fine-mesh combs (openEMS): the X-band 5 %
comb (sweep +-20 %, |Omega| up to 16) fits within 3.7 % rms on |Omega| <= 6 and fails on the
whole sweep (28 %); the K-band 2 % comb fits on |Omega| <= 3 only (3.0 %; 19-34 % wider); the
paper's band-pass and the Q-band comb fit on the whole sweep."""

MAX_NFEV = 1000
"""Model evaluations per least-squares run of :func:`diagnose` (an 8-strip comb's fit needs
about 220; at 200 it stopped unconverged with a 1.4 % rms error)."""


def diagnose(net, matrix) -> Diagnosis:
    """Extract ``net``'s coupling matrix in the comb's topology and read the comb off it.

    The fit runs on the windows of :data:`WINDOWS` in turn, widest first, and the first that
    converges is read; where none converges, the best of them (lowest relative rms error) is
    returned with ``converged=False``.

    Args:
        net: The comb's full-wave network (any reference planes: the feed lines are fitted).
        matrix: The synthesised inline matrix (the start of the fit and its frequency map).
    """
    from rfdesign.optimizers.synthesis.extraction import extract

    start = band_centred(net, matrix)
    omega = np.abs(matrix.fmap.omega(net.frequency.f / 1e9))
    ex, rel = None, np.inf
    for window in WINDOWS:
        sel = np.ones(omega.size, bool) if window is None else omega <= window
        if window is not None and (sel.sum() < 20 or sel.all()):
            continue
        fit = extract(
            None,
            net[sel],
            start,
            pattern=comb_pattern(matrix.order),
            mirror=True,
            max_nfev=MAX_NFEV,
        )
        fit_rel = fit.rms_error / fit.data_rms if fit.data_rms else np.inf
        if (
            ex is None
            or (fit.converged and not ex.converged)
            or (fit.converged == ex.converged and fit_rel < rel)
        ):
            ex, rel = fit, fit_rel
        if fit.converged:
            break
    m = ex.matrix
    n = m.order
    kk = m.coupling_coefficients()
    k = np.abs([kk[i, i + 1] for i in range(n - 1)])
    qin, qout = m.external_q()
    return Diagnosis(
        _half(m.resonant_frequencies_ghz(), (n + 1) // 2),
        _half(k, n // 2),
        float((qin + qout) / 2),
        float(m.qu if np.ndim(m.qu) == 0 else np.mean(m.qu)),
        float(rel),
        bool(ex.converged),
        m,
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


def _mirror_index(n: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The free entries of :func:`retarget`: main-line couplings and diagonal, designed half."""
    n2 = n + 2
    line = [(i, i + 1) for i in range((n2 - 1 + 1) // 2)]
    diag = list(range(1, (n + 1) // 2 + 1))
    return line, diag


def _set(m: np.ndarray, line, diag, x: np.ndarray) -> np.ndarray:
    """``m`` with the free entries ``x`` written to them and their mirror images."""
    m = m.copy()
    n2 = len(m)
    for (i, j), v in zip(line, x[: len(line)], strict=True):
        for a, b in ((i, j), (n2 - 1 - j, n2 - 1 - i)):
            m[a, b] = m[b, a] = v
    for k, v in zip(diag, x[len(line) :], strict=True):
        m[k, k] = m[n2 - 1 - k, n2 - 1 - k] = v
    return m


RESTARTS = 8
"""Most Nelder-Mead restarts per start of :func:`retarget`."""
_NM = {"maxiter": 1500, "xatol": 1e-5, "fatol": 1e-6}


def retarget(
    extracted,
    starts,
    masks,
    f_ghz: np.ndarray,
    w: float = 1.0,
    temperature_db: float = 0.1,
    reference=None,
    enough_db: float | None = None,
    stiffness_db: float = 2.0,
) -> tuple:
    """The comb's matrix that meets the masks best, its second-neighbour couplings held.

    A synthesised inline (Chebyshev) matrix knows nothing of the couplings a comb has past
    its neighbours; realised in a comb, its lower skirt loses several dB (5-strip band-pass on
    openEMS: stop band -5.0 dB with every main-line value within 4 % of its target). Here the
    extracted second-neighbour couplings and unloaded Q are held, and the main line and the
    resonator tunings (mirror symmetric) are re-optimised on the coupling-matrix model for the
    largest worst margin (Nelder-Mead on a soft minimum of the band margins, from each start's
    main line and tuning and from the extracted one). The comb is then tuned towards this
    matrix: the coupling matrix is the coarse model of the whole filter.

    Args:
        extracted: The comb's extracted :class:`CouplingMatrix` (its topology, Qu and the
            couplings past one strip).
        starts: Matrices whose main line and diagonal also start the search (the synthesis).
        masks: The spec's masks (:class:`~rfdesign.optimizers.masks.Mask`).
        f_ghz: Frequencies the masks are judged at.
        w: Weight of the stopband term of K.
        temperature_db: Softness of the minimum over the band margins (dB).
        reference: The current target matrix: among matrices of about the same margin the one
            nearest to it is taken (``stiffness_db`` per unit of squared change of the free
            entries, each over its size plus one prototype unit: a tie-breaker, 0.02 dB for a
            0.1 move), so the targets do not jump between steps of the tuning loop (many main
            lines give about the same worst margin).
        enough_db: Margins above this count no more (the search then only stays near
            ``reference``); ``None``: no cap.
        stiffness_db: See ``reference``.

    Returns:
        ``(matrix, worst margin in dB)`` of the best matrix found.
    """
    from scipy.optimize import minimize

    from rfdesign.optimizers.masks import MaskSet, soft_min
    from rfdesign.optimizers.synthesis.matrix import CouplingMatrix

    judge = MaskSet(masks, f_ghz, w)
    base = np.array(extracted.m, float)
    n = extracted.order
    line, diag = _mirror_index(n)

    def x_of(mat) -> np.ndarray:
        mm = np.asarray(mat.m)
        return np.array([mm[i, j] for i, j in line] + [mm[k, k] for k in diag])

    def matrix(x: np.ndarray):
        return CouplingMatrix(_set(base, line, diag, x), extracted.fmap, extracted.qu)

    def margins(x: np.ndarray) -> np.ndarray:
        s = matrix(x).s_params(f_ghz)
        return np.array(list(judge.report(s[:, 0, 0], s[:, 1, 0]).band_margins_db.values()))

    x_ref = None if reference is None else x_of(reference)

    def cost(x: np.ndarray) -> float:  # minus a soft minimum of the band margins
        soft = soft_min(margins(x), temperature_db)
        if enough_db is not None:
            soft = min(soft, enough_db)
        pull = 0.0
        if x_ref is not None:
            pull = stiffness_db * float(np.sum(((x - x_ref) / (np.abs(x_ref) + 1.0)) ** 2))
        return float(-soft + pull)

    best = None
    for x0 in [x_of(extracted), *(x_of(s) for s in starts)]:
        # Nelder-Mead stalls on the kinks of a minimum over bands; restarting it from where
        # it stopped (a fresh simplex) goes on: -3.3 dB -> -0.01 dB on a comb-like matrix
        last = np.inf
        for _ in range(RESTARTS):
            sol = minimize(cost, x0, method="Nelder-Mead", options=_NM)
            x0 = sol.x
            if last - sol.fun < 1e-3:
                break
            last = sol.fun
        if best is None or sol.fun < best[2]:
            best = (sol.x, float(margins(sol.x).min()), float(sol.fun))
    return matrix(best[0]), best[1]


MATRIX_TOLERANCE = {"f_res": 0.1, "k": 3.0, "qe": 5.0}
"""Percent errors within which a comb counts as realising its matrix."""


def within(errors: dict, tolerance: dict = MATRIX_TOLERANCE) -> bool:
    """Whether every error (:meth:`Diagnosis.errors_percent`) lies within its tolerance."""
    return all(abs(e) <= tolerance[k] for k, v in errors.items() for e in v)
