"""Mesh-convergence estimates of a full-wave result: resonances and Richardson extrapolation.

A full-wave answer carries a discretisation error; a verdict with a margin smaller than that
error certifies nothing. The error of a resonance frequency is estimated the classical way:
solve on two meshes of one refinement ladder (cell sizes ``h`` and ``h / r``), match the
resonances, and extrapolate (Richardson, Phil. Trans. R. Soc. A 210, 1911; as a grid
convergence index: Roache, "Quantification of uncertainty in computational fluid dynamics",
Annu. Rev. Fluid Mech. 29, 1997, eq. 11):

    f_inf = f_fine + (f_fine - f_coarse) / (r**p - 1),  error(f_fine) = |f_inf - f_fine|

with ``p`` the observed order of convergence (from three meshes: :func:`observed_order`).
Resonances are the |S21| and |S11| extrema with a given prominence, located between the
frequency samples by a parabola through the three samples around each extremum (in dB for a
maximum, in |S|^2 for a null).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.signal import find_peaks

FLOOR_DB = -40.0
"""|S| is clipped here before extrema are sought: deep nulls wander in the noise floor."""

ERROR_PROMINENCE_DB = 6.0
"""Least prominence of an extremum that :func:`mesh_error` compares between meshes. A shallow
extremum is ill-conditioned: on ka_pixel_4x5 ``100001111100110`` a 4.7 dB dip of |S21| moved
0.25 GHz between the fine and reference meshes while every resonance and skirt moved below
0.1 GHz (run-to-run noise of openEMS's energy end criterion moves such dips by 0.1-0.2 GHz
on one mesh)."""

SKIRT_KINDS = frozenset({"s21_rise", "s21_fall"})
"""The -3 dB crossings of |S21|."""

FLAT_TOP_DB = -6.0
"""Maxima above this level are left out of :func:`mesh_error`: a maximum near 0 dB is flat (a
|S11| maximum of -2.1 dB moved 0.3 GHz between fine and reference where the |S11| null beside
it moved 0.03 GHz), and the resonance it marks shows as a null of the other parameter."""

ESTIMATE_VERSION = 2
"""Version of :func:`mesh_error`'s rules, part of the cache key of runs with an estimate
(2: extrema that moved more than the skirts are left out)."""

SKIRT_CONSISTENCY = 2.0
"""An extremum pair that moved more than this many times the skirts is not one feature."""


@dataclass(frozen=True)
class Resonance:
    """One extremum of |S21| or |S11|.

    Attributes:
        kind: ``s21_max``, ``s21_min``, ``s11_max``, ``s11_min``, or a skirt crossing
            ``s21_rise`` / ``s21_fall`` (:func:`skirt_crossings`).
        f_ghz: Frequency of the extremum (GHz), between samples.
        level_db: |S| there (dB, clipped at :data:`FLOOR_DB`).
    """

    kind: str
    f_ghz: float
    level_db: float


def _parabola(f: np.ndarray, y: np.ndarray, i: int) -> tuple[float, float]:
    """Vertex of the parabola through samples ``i - 1, i, i + 1`` (uniform or not)."""
    if i <= 0 or i >= len(f) - 1:
        return float(f[i]), float(y[i])
    coef = np.polyfit(f[i - 1 : i + 2] - f[i], y[i - 1 : i + 2], 2)
    if coef[0] == 0:
        return float(f[i]), float(y[i])
    x = -coef[1] / (2 * coef[0])
    x = float(np.clip(x, f[i - 1] - f[i], f[i + 1] - f[i]))
    return float(f[i] + x), float(np.polyval(coef, x))


def resonances(f_ghz: np.ndarray, s: np.ndarray, prominence_db: float = 3.0) -> list[Resonance]:
    """The resonances and skirts of ``s`` (``F x 2 x 2``).

    The |S21| and |S11| extrema with at least ``prominence_db`` and the -3 dB crossings of
    |S21| (:func:`skirt_crossings`). Extrema at the ends of the band are not resonances (their frequency is the band edge).
    """
    f = np.asarray(f_ghz, dtype=float)
    out: list[Resonance] = []
    for name, (i, j) in (("s21", (1, 0)), ("s11", (0, 0))):
        power = np.abs(s[:, i, j]) ** 2
        db = np.maximum(10 * np.log10(np.maximum(power, 1e-24)), FLOOR_DB)
        for sign, kind in ((1, "max"), (-1, "min")):
            peaks, _ = find_peaks(sign * db, prominence=prominence_db)
            for k in peaks:
                # a maximum is a parabola in dB, a null one in |S|^2 (|S|^2 ~ (f - f0)^2)
                fk, yk = _parabola(f, db if sign > 0 else power, int(k))
                level = yk if sign > 0 else 10 * np.log10(max(yk, 1e-24))
                out.append(Resonance(f"{name}_{kind}", fk, max(level, FLOOR_DB)))
    out += skirt_crossings(f, s)
    return sorted(out, key=lambda r: (r.f_ghz, r.kind))


SKIRT_LEVEL_DB = -3.0
"""|S21| level whose crossings mark a pass band's edges (a filter's skirts)."""


def skirt_crossings(f_ghz: np.ndarray, s: np.ndarray) -> list[Resonance]:
    """Where |S21| crosses :data:`SKIRT_LEVEL_DB` rising (``s21_rise``) or falling (``s21_fall``).

    The edges of a pass band move with the mesh like its resonances and are defined also where
    the pass band's poles merge into one flat response. Linear interpolation in dB.
    """
    f = np.asarray(f_ghz, dtype=float)
    db = 20 * np.log10(np.maximum(np.abs(s[:, 1, 0]), 1e-12)) - SKIRT_LEVEL_DB
    out = []
    for k in np.nonzero(np.sign(db[:-1]) * np.sign(db[1:]) < 0)[0]:
        fk = float(f[k] - db[k] * (f[k + 1] - f[k]) / (db[k + 1] - db[k]))
        kind = "s21_rise" if db[k + 1] > db[k] else "s21_fall"
        out.append(Resonance(kind, fk, SKIRT_LEVEL_DB))
    return out


def match(
    ref: list[Resonance], other: list[Resonance], max_shift: float = 0.05
) -> list[tuple[Resonance, Resonance]]:
    """Pairs of the same kind, one to one, nearest first.

    Every candidate pair within ``max_shift`` is ranked by its distance and taken when
    neither member is taken yet, so a resonance of ``other`` is never paired twice (a feature
    that one mesh resolves and the other does not must stay unpaired, not borrow its
    neighbour's partner: that once made a 0.3 % estimate read 7.6 %).

    Args:
        ref: Resonances of one run.
        other: Resonances of another run.
        max_shift: Largest relative distance of a pair (0.05: 5 % of the frequency).

    Returns:
        The pairs ``(ref resonance, other resonance)`` in the order of ``ref``.
    """
    candidates = sorted(
        (abs(o.f_ghz - r.f_ghz), i, j)
        for i, r in enumerate(ref)
        for j, o in enumerate(other)
        if o.kind == r.kind and abs(o.f_ghz - r.f_ghz) <= max_shift * r.f_ghz
    )
    taken_ref: dict[int, int] = {}
    taken_other: set[int] = set()
    for _, i, j in candidates:
        if i not in taken_ref and j not in taken_other:
            taken_ref[i] = j
            taken_other.add(j)
    return [(ref[i], other[taken_ref[i]]) for i in sorted(taken_ref)]


def richardson(f_coarse: float, f_fine: float, ratio: float, order: float) -> float:
    """Richardson extrapolation from meshes ``h`` (coarse) and ``h / ratio`` (fine)."""
    if ratio <= 1 or order <= 0:
        raise ValueError(f"richardson: need ratio > 1 and order > 0, got {ratio}, {order}")
    return f_fine + (f_fine - f_coarse) / (ratio**order - 1)


def observed_order(values: tuple[float, float, float], scales: tuple[float, float, float]) -> float:
    """Order ``p`` with which ``values`` converge on meshes of refinement ``scales``.

    Solves ``(v2 - v1) / (v3 - v2) = (s1**-p - s2**-p) / (s2**-p - s3**-p)`` (cells
    ``h / s``; the ratios need not be equal). Returns NaN where the three values do not
    converge monotonically (no order explains them).
    """
    v1, v2, v3 = values
    s1, s2, s3 = scales
    if not s1 < s2 < s3:
        raise ValueError(f"observed_order: scales must increase, got {scales}")
    d12, d23 = v2 - v1, v3 - v2
    if d23 == 0 or d12 == 0 or d12 * d23 < 0:
        return math.nan
    target = d12 / d23

    def g(p: float) -> float:
        return (s1**-p - s2**-p) / (s2**-p - s3**-p) - target

    lo, hi = 0.05, 8.0
    if g(lo) * g(hi) > 0:
        return math.nan
    return float(brentq(g, lo, hi))


@dataclass(frozen=True)
class MeshError:
    """The mesh error of a run, from the same layout on the next coarser mesh of the ladder.

    Attributes:
        preset: Mesh of the run.
        coarser: Mesh of the second run.
        ratio: Refinement ratio between the two meshes (cell size coarse / fine).
        order: Order of convergence assumed (measured on the ladder, docs/solvers.md).
        pairs: ``(kind, f_coarse, f_fine, f_extrapolated)`` per matched resonance (GHz).
        error_ghz: ``|f_extrapolated - f_fine|`` per pair.
        relative: Largest ``error / f_fine`` (0.003 means 0.3 %); NaN with no resonance.
        max_delta_db: Largest |delta| of |S21| or |S11| in dB between the two meshes (clipped
            at :data:`FLOOR_DB`): the estimate's reach where no resonance is found.
        dropped: Extrema pairs left out because they moved more than
            :data:`SKIRT_CONSISTENCY` times the skirts did (two different passband nulls
            paired: one mesh resolves a null the other merges).
    """

    preset: str
    coarser: str
    ratio: float
    order: float
    pairs: list[tuple[str, float, float, float]]
    error_ghz: list[float]
    relative: float
    max_delta_db: float
    dropped: int = 0

    def to_dict(self) -> dict:
        """JSON-ready form (NaN as None)."""
        d = asdict(self)
        d["relative"] = None if math.isnan(self.relative) else self.relative
        d["pairs"] = [list(p) for p in self.pairs]
        return d


def well_defined(res: Resonance) -> bool:
    """Whether a feature's frequency is well defined enough to measure a mesh error with.

    Skirts; nulls above the clipping floor (one at the floor is flat and wanders); maxima
    below :data:`FLAT_TOP_DB` (the peaks of weakly coupled resonances).
    """
    if res.kind in SKIRT_KINDS:
        return True
    if res.kind.endswith("_min"):
        return res.level_db > FLOOR_DB + 1.0
    return res.level_db < FLAT_TOP_DB


def well_defined_features(f_ghz: np.ndarray, s: np.ndarray) -> list[Resonance]:
    """The features a mesh error is measured with.

    The :func:`resonances` with at least :data:`ERROR_PROMINENCE_DB` that are
    :func:`well_defined`.
    """
    return [r for r in resonances(f_ghz, s, ERROR_PROMINENCE_DB) if well_defined(r)]


def mesh_error(
    f_ghz: np.ndarray,
    s_coarse: np.ndarray,
    s_fine: np.ndarray,
    *,
    preset: str,
    coarser: str,
    ratio: float,
    order: float,
) -> MeshError:
    """Richardson estimate of the resonance error of ``s_fine`` from ``s_coarse``.

    Compared: the extrema with at least :data:`ERROR_PROMINENCE_DB` whose frequency is well
    defined (:func:`well_defined`) and the -3 dB skirts. Where skirts were matched, an
    extremum that moved more than :data:`SKIRT_CONSISTENCY` times the farthest-moving skirt
    is not the same feature on both meshes and is left out (counted in ``dropped``): a
    5-strip comb's only deep |S11| null sat at 41.87 GHz on fine and at 42.54 GHz on
    reference (another null of the passband), which read as a 3.1 % error while its skirts
    moved 0.4-0.45 %.
    """
    pairs, errors = [], []
    fine, coarse = well_defined_features(f_ghz, s_fine), well_defined_features(f_ghz, s_coarse)
    matched = match(fine, coarse)
    moves = [abs(rf.f_ghz / rc.f_ghz - 1) for rf, rc in matched if rf.kind in SKIRT_KINDS]
    limit = SKIRT_CONSISTENCY * max(moves) if moves else math.inf
    dropped = 0
    for rf, rc in matched:
        if rf.kind not in SKIRT_KINDS and abs(rf.f_ghz / rc.f_ghz - 1) > limit:
            dropped += 1
            continue
        f_inf = richardson(rc.f_ghz, rf.f_ghz, ratio, order)
        pairs.append((rf.kind, rc.f_ghz, rf.f_ghz, f_inf))
        errors.append(abs(f_inf - rf.f_ghz))
    rel = max((e / p[2] for e, p in zip(errors, pairs, strict=True)), default=math.nan)
    db = [
        np.maximum(20 * np.log10(np.maximum(np.abs(x[:, i, j]), 1e-12)), FLOOR_DB)
        for x in (s_coarse, s_fine)
        for i, j in ((1, 0), (0, 0))
    ]
    delta = max(float(np.max(np.abs(db[0] - db[2]))), float(np.max(np.abs(db[1] - db[3]))))
    return MeshError(preset, coarser, ratio, order, pairs, errors, rel, delta, dropped)


def run_with_estimate(
    simulate_at: Callable[[str], Any],
    f_ghz: np.ndarray,
    preset: str,
    coarser: str,
    ratio: float,
    order: float,
) -> tuple[np.ndarray, dict]:
    """A run and its coarser run, with the Richardson estimate of the resonance error.

    Each run goes through ``simulate_at(preset)`` (a plain, cached solver run); the result is
    the finer run's S, and its information gains ``mesh_error`` (:func:`mesh_error`) and
    ``coarser_run`` (size, time, cache hit of the second run); it is flagged truncated if
    either run is.

    Args:
        simulate_at: Preset name -> ``skrf.Network`` with ``rfdesign_info``.
        f_ghz: Frequencies in GHz.
        preset: The run's preset.
        coarser: The second run's preset.
        ratio: Refinement ratio of ``preset`` over ``coarser`` (> 1).
        order: Assumed order of convergence.
    """
    from rfdesign.solvers.base import BASE_INFO_KEYS

    nets = {p: simulate_at(p) for p in (preset, coarser)}
    err = mesh_error(
        f_ghz,
        nets[coarser].s,
        nets[preset].s,
        preset=preset,
        coarser=coarser,
        ratio=ratio,
        order=order,
    )
    main, second = nets[preset].rfdesign_info, nets[coarser].rfdesign_info
    keep = ("cells", "unknowns", "timesteps", "wall_s", "cache_hit", "truncated")
    info = {k: v for k, v in main.items() if k not in BASE_INFO_KEYS}
    info["mesh_error"] = err.to_dict()
    info["coarser_run"] = {"preset": coarser} | {k: second[k] for k in keep if k in second}
    info["truncated"] = bool(main.get("truncated") or second.get("truncated"))
    return nets[preset].s, info
