"""Judge a two-port response against a :class:`~rfdesign.spec.FilterSpec`.

For every band mask the report gives the worst-case margin in dB (positive = met), the
frequency of the worst point and the frequency intervals where the mask is violated, plus the
objective K of the paper's eq. 4 (Huawei Research, "AI-Driven Innovations in RF and Antenna
Design", 2024, pp. 144-157)::

    K = max[ max_PB |S11|_dB , -RL ] + w * max[ max_SB |S21|_dB , -IL ]

Each band is judged on the network's frequency points inside it plus its two edges, where
|S| in dB is interpolated linearly between the neighbouring points, so that a band narrower
than the frequency step is still judged.

With several bands whose limits differ, K generalises eq. 4 by the excess over each band's own
limit: ``K = (L11 + max_b max(0, max|S11|_b - L11_b)) + w * (L21 + max_b max(0, max|S21|_b -
L21_b))``, where ``L11 = min_b L11_b = -RL`` and ``L21 = min_b L21_b = -IL`` are the strictest
limits. With equal limits this is eq. 4 exactly, and K reaches its floor ``L11 + w * L21`` if
and only if every return-loss and rejection mask is met. The passband insertion-loss masks
(``s21_min_db``) are not part of K, as in the paper; they are checked and decide pass/fail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from rfdesign.spec import FilterSpec, PassBand

MARGIN_TOL_DB = 1e-9
"""A margin of at least -1e-9 dB counts as met (a response exactly on a limit passes)."""

DB_FLOOR = -300.0
"""|S| = 0 is reported as -300 dB instead of minus infinity."""


@dataclass(frozen=True)
class MaskCheck:
    """One mask of one band, judged.

    Attributes:
        band: Band label (see :meth:`FilterSpec.band_label`).
        kind: ``"pass"`` or ``"stop"``.
        quantity: ``"s21"`` or ``"s11"``.
        bound: ``"min"`` (|S| must stay above the limit) or ``"max"`` (below it).
        limit_db: The limit in dB.
        worst_db: The worst |S| in dB over the band.
        worst_freq_ghz: Where the worst value occurs, in GHz.
        margin_db: Worst-case margin in dB; >= 0 means met.
        violations_ghz: Frequency intervals (GHz) of the judged points that violate the mask.
    """

    band: str
    kind: Literal["pass", "stop"]
    quantity: Literal["s21", "s11"]
    bound: Literal["min", "max"]
    limit_db: float
    worst_db: float
    worst_freq_ghz: float
    margin_db: float
    violations_ghz: tuple[tuple[float, float], ...]

    @property
    def passed(self) -> bool:
        """True if the mask is met (margin >= -MARGIN_TOL_DB)."""
        return self.margin_db >= -MARGIN_TOL_DB


@dataclass(frozen=True)
class SpecReport:
    """All masks of a spec judged on one response.

    Attributes:
        checks: One entry per mask, in band order.
        K: The objective of eq. 4 (dB, lower is better).
        K_floor: The value K takes when every return-loss and rejection mask is met.
        w: The weight used in K.
    """

    checks: tuple[MaskCheck, ...]
    K: float
    K_floor: float
    w: float

    @property
    def passed(self) -> bool:
        """True if every mask is met."""
        return all(c.passed for c in self.checks)

    @property
    def band_margins_db(self) -> dict[str, float]:
        """Band label -> worst margin in dB over that band's masks."""
        out: dict[str, float] = {}
        for c in self.checks:
            out[c.band] = min(out.get(c.band, np.inf), c.margin_db)
        return out

    @property
    def worst_margin_db(self) -> float:
        """The smallest margin of all masks in dB."""
        return min(c.margin_db for c in self.checks)

    def to_dict(self) -> dict:
        """JSON-ready dictionary of the report."""
        return {
            "passed": self.passed,
            "K": self.K,
            "K_floor": self.K_floor,
            "w": self.w,
            "worst_margin_db": self.worst_margin_db,
            "margins_db": self.band_margins_db,
            "checks": [asdict(c) | {"passed": c.passed} for c in self.checks],
        }

    def to_markdown(self) -> str:
        """The report as a Markdown table with one row per mask."""
        lines = [
            "| band | mask | limit (dB) | worst (dB) | at (GHz) | margin (dB) | result | violated (GHz) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in self.checks:
            sign = ">=" if c.bound == "min" else "<="
            where = ", ".join(
                f"{a:.3g}-{b:.3g}" if a != b else f"{a:.3g}" for a, b in c.violations_ghz
            )
            lines.append(
                f"| {c.band} | \\|{c.quantity.upper()}\\| {sign} | {c.limit_db:g} | "
                f"{c.worst_db:.2f} | {c.worst_freq_ghz:.3f} | {c.margin_db:+.2f} | "
                f"{'pass' if c.passed else 'FAIL'} | {where or '-'} |"
            )
        lines.append("")
        lines.append(
            f"K = {self.K:.3f} dB (floor {self.K_floor:.3f} dB, w = {self.w:g}); "
            f"{'all masks met' if self.passed else 'masks NOT met'}; "
            f"worst margin {self.worst_margin_db:+.2f} dB."
        )
        return "\n".join(lines)


def _db(s: np.ndarray) -> np.ndarray:
    from rfdesign.surrogates.metrics import s_db

    return s_db(s, DB_FLOOR)


def _band_samples(
    f_ghz: np.ndarray, values_db: np.ndarray, f_lo: float, f_hi: float, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Points inside ``[f_lo, f_hi]`` plus the interpolated band edges."""
    tol = 1e-9 * max(abs(f_hi), 1.0)
    if f_ghz[0] > f_lo + tol or f_ghz[-1] < f_hi - tol:
        raise ValueError(
            f"band {label!r} ({f_lo}-{f_hi} GHz) is not covered by the response "
            f"({f_ghz[0]:.6g}-{f_ghz[-1]:.6g} GHz)"
        )
    inside = (f_ghz >= f_lo - tol) & (f_ghz <= f_hi + tol)
    edges = np.array([f_lo, f_hi])
    freqs = np.concatenate([f_ghz[inside], edges])
    vals = np.concatenate([values_db[inside], np.interp(edges, f_ghz, values_db)])
    order = np.argsort(freqs, kind="stable")
    return freqs[order], vals[order]


def _intervals(freqs: np.ndarray, bad: np.ndarray) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    start = None
    for i, b in enumerate(bad):
        if b and start is None:
            start = i
        if start is not None and (not b or i == len(bad) - 1):
            end = i if b else i - 1
            out.append((float(freqs[start]), float(freqs[end])))
            start = None
    return tuple(out)


def _check(
    label: str,
    kind: str,
    quantity: str,
    bound: str,
    limit: float,
    freqs: np.ndarray,
    vals: np.ndarray,
) -> MaskCheck:
    if bound == "min":
        idx = int(np.argmin(vals))
        margin = float(vals[idx] - limit)
        bad = vals < limit - MARGIN_TOL_DB
    else:
        idx = int(np.argmax(vals))
        margin = float(limit - vals[idx])
        bad = vals > limit + MARGIN_TOL_DB
    return MaskCheck(
        band=label,
        kind=kind,
        quantity=quantity,
        bound=bound,
        limit_db=float(limit),  # type: ignore[arg-type]
        worst_db=float(vals[idx]),
        worst_freq_ghz=float(freqs[idx]),
        margin_db=margin,
        violations_ghz=_intervals(freqs, bad),
    )


def evaluate_response(
    spec: FilterSpec, f_ghz: np.ndarray, s11: np.ndarray, s21: np.ndarray
) -> SpecReport:
    """Judge |S11| and |S21| (complex or magnitude) sampled at ``f_ghz`` against ``spec``.

    Args:
        spec: The filter spec.
        f_ghz: Increasing frequencies in GHz, shape ``F``.
        s11: S11 at ``f_ghz``, shape ``F`` (complex or real magnitude).
        s21: S21 at ``f_ghz``, shape ``F``.

    Returns:
        The report with margins, violations, K and pass/fail.

    Raises:
        ValueError: If shapes disagree, frequencies are not increasing, or a band is not
            covered by ``f_ghz``.
    """
    f = np.asarray(f_ghz, dtype=float)
    s11_db, s21_db = _db(np.asarray(s11)), _db(np.asarray(s21))
    if f.ndim != 1 or s11_db.shape != f.shape or s21_db.shape != f.shape:
        raise ValueError(
            f"f_ghz, s11, s21: expected equal 1-D shapes, got {f.shape}, "
            f"{s11_db.shape}, {s21_db.shape}"
        )
    if f.size < 2 or np.any(np.diff(f) <= 0):
        raise ValueError("f_ghz: needs at least two strictly increasing frequencies")

    checks: list[MaskCheck] = []
    rl_excess: list[float] = []
    il_excess: list[float] = []
    for i, band in enumerate(spec.bands):
        label = spec.band_label(i)
        if isinstance(band, PassBand):
            if band.s21_min_db is not None:
                fr, v = _band_samples(f, s21_db, band.f_min_ghz, band.f_max_ghz, label)
                checks.append(_check(label, "pass", "s21", "min", band.s21_min_db, fr, v))
            if band.s11_max_db is not None:
                fr, v = _band_samples(f, s11_db, band.f_min_ghz, band.f_max_ghz, label)
                c = _check(label, "pass", "s11", "max", band.s11_max_db, fr, v)
                checks.append(c)
                rl_excess.append(max(0.0, -c.margin_db))
        else:
            fr, v = _band_samples(f, s21_db, band.f_min_ghz, band.f_max_ghz, label)
            c = _check(label, "stop", "s21", "max", band.s21_max_db, fr, v)
            checks.append(c)
            il_excess.append(max(0.0, -c.margin_db))

    l11 = [b.s11_max_db for b in spec.passbands if b.s11_max_db is not None]
    l21 = [b.s21_max_db for b in spec.stopbands]
    term_rl = (min(l11) + max(rl_excess)) if l11 else 0.0
    term_il = (min(l21) + max(il_excess)) if l21 else 0.0
    floor = (min(l11) if l11 else 0.0) + spec.w * (min(l21) if l21 else 0.0)
    return SpecReport(checks=tuple(checks), K=term_rl + spec.w * term_il, K_floor=floor, w=spec.w)


def evaluate_network(spec: FilterSpec, network) -> SpecReport:
    """Judge a two-port :class:`skrf.Network` against ``spec`` (S11 and S21 are used).

    Raises:
        ValueError: If the network is not a two-port or does not cover every band.
    """
    if network.nports != 2:
        raise ValueError(f"network: expected a 2-port, got {network.nports} port(s)")
    f_ghz = network.frequency.f / 1e9
    return evaluate_response(spec, f_ghz, network.s[:, 0, 0], network.s[:, 1, 0])


def spec_masks(spec: FilterSpec):
    """The spec's limits as plain :class:`rfdesign.optimizers.masks.Mask` values.

    In the order :func:`evaluate_response` reports them (what the optimisers work with).
    """
    from rfdesign.optimizers.masks import Mask

    masks = []
    for i, band in enumerate(spec.bands):
        label = spec.band_label(i)
        lo, hi = band.f_min_ghz, band.f_max_ghz
        if isinstance(band, PassBand):
            if band.s21_min_db is not None:
                masks.append(Mask(label, "pass", "s21", "min", band.s21_min_db, lo, hi))
            if band.s11_max_db is not None:
                masks.append(Mask(label, "pass", "s11", "max", band.s11_max_db, lo, hi))
        else:
            masks.append(Mask(label, "stop", "s21", "max", band.s21_max_db, lo, hi))
    return masks


def spec_mask_set(spec: FilterSpec, f_ghz=None):
    """A :class:`rfdesign.optimizers.masks.MaskSet` of ``spec`` on ``f_ghz`` (default: sweep)."""
    from rfdesign.optimizers.masks import MaskSet

    f = spec.frequencies_ghz() if f_ghz is None else f_ghz
    return MaskSet(spec_masks(spec), f, spec.w)
