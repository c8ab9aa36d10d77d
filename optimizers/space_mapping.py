"""Space mapping: optimise a cheap coarse model, run the expensive fine model only a few times.

Four classic variants behind one call, :func:`space_map`:

* ``"asm"``: aggressive space mapping (Bandler et al., "Electromagnetic optimization
  exploiting aggressive space mapping", IEEE MTT 43(12), 1995). The coarse optimum ``x_c*`` is
  the target; each fine response is matched by the coarse model (parameter extraction,
  ``z = argmin ||R_c(z) - R_f(x)||``); the residual ``f = z - x_c*`` is driven to zero by
  quasi-Newton steps ``B h = -f`` with Broyden's rank-one update of ``B`` (the original space
  mapping: Bandler et al., IEEE MTT 42(12), 1994).
* ``"tr-asm"``: ASM with a trust region on the step (Bakr et al., "A trust region aggressive
  space mapping algorithm for EM optimization", IEEE MTT 46(12), 1998): a step that does not
  improve the fine objective is rejected and the region shrinks.
* ``"osm"``: output space mapping (Koziel, Bandler and Madsen, IEEE MTT 54(5), 2006): the
  surrogate ``R_c(x) + (R_f(x_k) - R_c(x_k))`` is optimised and re-aligned after each fine run.
* ``"ism"``: implicit space mapping (Bandler et al., IEEE MTT 52(1), 2004): preassigned
  parameters ``p`` of the coarse model (a permittivity, a fringing length) are calibrated so
  that ``R_c(x_k; p) = R_f(x_k)``, then the calibrated coarse model is optimised.
* ``"ism+osm"``: implicit space mapping until it stalls, then output space mapping on the
  calibrated coarse model from the best fine design (the combination of input, implicit and
  output space mapping in Koziel, Bandler and Madsen, "A space-mapping framework for
  engineering optimization: theory and implementation", IEEE MTT 54(10), 2006): a few
  calibration factors cannot carry every difference
  between the models, the output shift carries what is left at the current design; a step
  that does not improve the fine objective is halved (a trust region on the step).

The models are plain callables returning a real response vector (for example |S21| and |S11|
in dB at the spec's frequencies), so any solver, the circuit model or a surrogate can serve.
The objective is a callable on a response; the design is met when it is ``<= target``. Every
fine evaluation is counted in the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.optimize import least_squares, minimize

Model = Callable[[np.ndarray], np.ndarray]
"""Design vector ``n`` -> real response vector ``m``."""
Method = Literal["asm", "tr-asm", "osm", "ism", "ism+osm"]
METHODS: tuple[str, ...] = ("asm", "tr-asm", "osm", "ism", "ism+osm")


@dataclass
class SpaceMappingResult:
    """Outcome of :func:`space_map`.

    Attributes:
        method: The variant.
        x: Best design found on the fine model.
        fine_response: Its fine response.
        fine_objective: Its objective value (``<= target`` means met).
        met: Whether the target was reached.
        n_fine: Fine-model evaluations, the first one included.
        coarse_optimum: The coarse model's optimum ``x_c*``.
        mapping: The final mapping (``B`` and ``f`` for ASM, the output shift for OSM, the
            preassigned parameters for ISM).
        history: One entry per fine evaluation: ``x``, fine objective and the variant's data.
    """

    method: str
    x: np.ndarray
    fine_response: np.ndarray
    fine_objective: float
    met: bool
    n_fine: int
    coarse_optimum: np.ndarray
    mapping: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)


def nelder_mead(
    xatol: float = 1e-9, fatol: float = 1e-12, maxiter: int = 20000
) -> Callable[[Callable[[np.ndarray], float], np.ndarray, tuple], np.ndarray]:
    """A coarse optimiser for :func:`space_map`: Nelder-Mead clipped to the bounds.

    Args:
        xatol: Stop when the simplex is this small in every variable (the variables' units;
            for sizes in mm, 1e-4 is 0.1 um, far below what can be built).
        fatol: ... and the objective differs by less than this across it.
        maxiter: Most iterations.

    Returns:
        ``(fun, x0, bounds) -> x``.
    """

    def optimise(fun: Callable[[np.ndarray], float], x0: np.ndarray, bounds) -> np.ndarray:
        lo, hi = bounds

        def clipped(x: np.ndarray) -> float:
            return fun(np.clip(x, lo, hi))

        options = {"xatol": xatol, "fatol": fatol, "maxiter": maxiter}
        res = minimize(clipped, x0, method="Nelder-Mead", options=options)
        return np.clip(res.x, lo, hi)

    return optimise


_optimise = nelder_mead()
"""The default coarse optimiser: tolerances far below any variable's meaningful step."""


def _extract(coarse: Model, target: np.ndarray, z0: np.ndarray, bounds) -> np.ndarray:
    """Parameter extraction: the coarse design whose response matches ``target`` best."""
    lo, hi = bounds
    res = least_squares(lambda z: coarse(z) - target, np.clip(z0, lo, hi), bounds=(lo, hi))
    return res.x


def _osm_after(
    coarse_at,
    run_fine,
    best: dict,
    objective,
    optimise,
    bounds,
    target,
    tol,
    budget_left,
    patience,
    min_gain,
) -> int:
    """Output space mapping from the best fine design so far (``"ism+osm"``'s second stage).

    Each step optimises ``R_c(y) + (R_f(x_b) - R_c(x_b))`` from the best design ``x_b``; a
    step whose fine objective does not beat the best is halved (towards ``x_b``) for the next
    run, one that does resets the step. Stops at the target, the budget, a step below ``tol``
    or ``patience`` runs in a row without a gain of ``min_gain``.

    Returns:
        The fine runs this stage made.
    """
    runs, stale, reach = 0, 0, 1.0
    x_opt, anchor = None, None
    while budget_left() and best["u"] > target:
        if anchor is None or not np.array_equal(anchor, best["x"]):
            anchor = best["x"].copy()
            shift = best["r"] - coarse_at(anchor)
            x_opt = optimise(lambda y, s=shift: objective(coarse_at(y) + s), anchor, bounds)
            reach = 1.0
        x_new = np.clip(anchor + reach * (x_opt - anchor), *bounds)
        if np.linalg.norm(x_new - anchor) <= tol:
            break
        before = best["u"]
        _, u = run_fine(x_new, step="osm", reach=reach)
        runs += 1
        if u < before - min_gain:
            stale = 0
        else:
            stale += 1
            reach *= 0.5
        if patience is not None and stale >= patience:
            break
    return runs


def space_map(
    coarse: Model | Callable[[np.ndarray, np.ndarray], np.ndarray],
    fine: Model,
    x0: np.ndarray,
    objective: Callable[[np.ndarray], float],
    method: Method = "asm",
    max_fine: int = 10,
    target: float = 0.0,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    tol: float = 1e-6,
    preassigned: np.ndarray | None = None,
    trust_radius: float | None = None,
    optimiser: Callable[[Callable[[np.ndarray], float], np.ndarray, tuple], np.ndarray]
    | None = None,
    patience: int | None = None,
    min_gain: float = 0.0,
    extract_from: Literal["last", "all"] = "last",
    preassigned_bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> SpaceMappingResult:
    """Refine a design with a coarse model and at most ``max_fine`` fine evaluations.

    Args:
        coarse: Coarse model ``x -> response``; for ``"ism"`` ``(x, p) -> response``.
        fine: Fine model ``x -> response`` (the expensive one).
        x0: Start of the coarse optimisation, shape ``n``.
        objective: Response -> value to minimise (e.g. minus the worst mask margin in dB).
        method: ``"asm"``, ``"tr-asm"``, ``"osm"``, ``"ism"`` or ``"ism+osm"``.
        max_fine: Budget of fine evaluations, the first one included.
        target: The design is met when ``objective(fine response) <= target``.
        bounds: ``(lower, upper)`` of the design variables (default unbounded).
        tol: Stop when the mapped step or the ASM residual is below this norm.
        preassigned: Starting preassigned parameters ``p`` (``"ism"``, ``"ism+osm"``).
        trust_radius: Initial trust-region radius (``"tr-asm"``; default 10 % of ``|x0|``).
        optimiser: ``(fun, x0, bounds) -> x`` that minimises the coarse (or mapped) objective
            (default: Nelder-Mead clipped to the bounds). A problem with many variables or a
            kinked objective brings its own.
        patience: Stop when the best fine objective has not dropped by more than
            ``min_gain`` over the last ``patience`` fine runs (default: never; a noisy fine
            model, e.g. a mesh that snaps to the geometry, otherwise spends its whole budget
            on steps below its noise).
        min_gain: See ``patience``.
        extract_from: ``"ism"``: calibrate ``p`` on the last fine run only (Bandler et al.),
            or on every fine run so far (a least-squares fit over all of them: with several
            preassigned parameters one run may not pin them down, and a calibration that
            explains every run does not swing from step to step).
        preassigned_bounds: ``(lower, upper)`` of ``p`` (``"ism"``; default unbounded).

    Returns:
        The :class:`SpaceMappingResult`.

    Raises:
        ValueError: For an unknown method, a budget below 1, or ``"ism"`` without
            ``preassigned``.
    """
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if max_fine < 1:
        raise ValueError(f"max_fine: needs at least 1 fine evaluation, got {max_fine}")
    implicit = method in ("ism", "ism+osm")
    if implicit and preassigned is None:
        raise ValueError("preassigned: implicit space mapping needs the coarse model's parameters")
    x0 = np.asarray(x0, float)
    n = x0.size
    bounds = bounds or (np.full(n, -np.inf), np.full(n, np.inf))
    bounds = (np.asarray(bounds[0], float), np.asarray(bounds[1], float))
    p = None if preassigned is None else np.asarray(preassigned, float)

    def coarse_at(x: np.ndarray) -> np.ndarray:
        return np.asarray(coarse(x, p) if implicit else coarse(x), float)

    optimise = optimiser or _optimise
    x_c = optimise(lambda x: objective(coarse_at(x)), x0, bounds)
    history: list[dict] = []
    best: dict = {}

    def run_fine(x: np.ndarray, **extra) -> tuple[np.ndarray, float]:
        r = np.asarray(fine(x), float)
        u = float(objective(r))
        history.append({"x": x.tolist(), "fine_objective": u, **extra})
        if not best or u < best["u"]:
            best.update(x=x.copy(), r=r, u=u)
        return r, u

    def going() -> bool:  # budget left and, with a patience, still improving
        if len(history) >= max_fine:
            return False
        if patience is None or len(history) <= patience:
            return True
        before = min(h["fine_objective"] for h in history[:-patience])
        return min(h["fine_objective"] for h in history[-patience:]) < before - min_gain

    x = x_c.copy()
    r_f, u = run_fine(x, step="coarse optimum")
    mapping: dict = {}
    if method in ("asm", "tr-asm"):
        B = np.eye(n)
        z = _extract(coarse_at, r_f, x, bounds)
        f = z - x_c
        history[-1]["residual"] = float(np.linalg.norm(f))
        delta = trust_radius or 0.1 * max(float(np.linalg.norm(x_c)), 1.0)
        while going() and u > target and np.linalg.norm(f) > tol:
            h = np.linalg.solve(B, -f)
            if method == "tr-asm" and np.linalg.norm(h) > delta:
                h *= delta / np.linalg.norm(h)
            x_new = np.clip(x + h, *bounds)
            h = x_new - x
            r_new, u_new = run_fine(x_new, step="asm")
            z_new = _extract(coarse_at, r_new, z, bounds)
            f_new = z_new - x_c
            history[-1]["residual"] = float(np.linalg.norm(f_new))
            hh = float(h @ h)
            if hh > 0:
                B = B + np.outer(f_new - f - B @ h, h) / hh
            if method == "tr-asm" and u_new > u:
                delta *= 0.5  # rejected: keep x, shrink the region (B still learnt)
                continue
            if method == "tr-asm":
                delta *= 2.0
            x, r_f, u, z, f = x_new, r_new, u_new, z_new, f_new
        mapping = {"B": B.tolist(), "f": f.tolist()}
    elif method == "osm":
        while going() and u > target:
            shift = r_f - coarse_at(x)
            x_new = optimise(lambda y, s=shift: objective(coarse_at(y) + s), x, bounds)
            if np.linalg.norm(x_new - x) <= tol:
                break
            x = x_new
            r_f, u = run_fine(x, step="osm")
        mapping = {"output_shift": (r_f - coarse_at(x)).tolist()}
    else:  # ism
        runs: list[tuple[np.ndarray, np.ndarray]] = []
        p_bounds = preassigned_bounds or (-np.inf, np.inf)
        while True:
            runs.append((x.copy(), r_f))
            fit = runs if extract_from == "all" else runs[-1:]

            def stacked(q: np.ndarray, fit=fit) -> np.ndarray:
                return np.concatenate([np.asarray(coarse(xk, q), float) for xk, _ in fit])

            target_r = np.concatenate([rk for _, rk in fit])
            p = _extract(stacked, target_r, p, p_bounds)
            history[-1]["preassigned"] = p.tolist()
            if not going() or u <= target:
                break
            x_new = optimise(lambda y: objective(coarse_at(y)), x, bounds)
            if np.linalg.norm(x_new - x) <= tol:
                break
            x = x_new
            r_f, u = run_fine(x, step="ism")
        mapping = {"preassigned": p.tolist()}
        if method == "ism+osm" and best["u"] > target:
            mapping["osm_runs"] = _osm_after(
                coarse_at,
                run_fine,
                best,
                objective,
                optimise,
                bounds,
                target,
                tol,
                lambda: len(history) < max_fine,
                patience,
                min_gain,
            )
    return SpaceMappingResult(
        method=method,
        x=best["x"],
        fine_response=best["r"],
        fine_objective=best["u"],
        met=best["u"] <= target,
        n_fine=len(history),
        coarse_optimum=x_c,
        mapping=mapping,
        history=history,
    )
