"""The one judge of a response against band masks: margins per mask, the objective K, reports.

Every mask becomes a fixed linear sampling operator: the frequency points inside the band
plus the two band edges, where |S| in dB is interpolated linearly between the neighbouring
points (so a band narrower than the frequency step is still judged). Judging ``N`` responses
is then one matrix product per mask (:meth:`MaskSet.margins`, what an optimiser calls on
thousands of layouts per generation), and the detailed report of one response
(:meth:`MaskSet.report`: worst value, where, violated intervals) is read from the same
samples. Search, refinement, verification and reports all judge through this module.

K is the paper's eq. 4 (Huawei Research, "AI-Driven Innovations in RF and Antenna Design",
2024, pp. 144-157)::

    K = max[ max_PB |S11|_dB , -RL ] + w * max[ max_SB |S21|_dB , -IL ]

With several bands whose limits differ, K generalises eq. 4 by the excess over each band's own
limit: ``K = (L11 + max_b max(0, max|S11|_b - L11_b)) + w * (L21 + max_b max(0, max|S21|_b -
L21_b))``, where ``L11 = min_b L11_b = -RL`` and ``L21 = min_b L21_b = -IL`` are the strictest
limits. With equal limits this is eq. 4 exactly, and K reaches its floor ``L11 + w * L21`` if
and only if every return-loss and rejection mask is met. The passband insertion-loss masks
are not part of K, as in the paper; they are checked and decide pass/fail.

The engines take these plain dataclasses, not the spec models
(:func:`rfdesign.evaluation.spec_mask_set` builds a :class:`MaskSet` from a spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import scipy.sparse

from rfdesign.core.db import s_db

DB_FLOOR = -300.0
"""|S| = 0 (e.g. a layout that is not simulated) is scored as -300 dB, not minus infinity."""


MARGIN_TOL_DB = 1e-9
"""A margin of at least -1e-9 dB counts as met (a response exactly on a limit passes)."""


@dataclass(frozen=True)
class MaskCheck:
    """One mask of one band, judged.

    Attributes:
        band: Band label (the spec's, e.g. ``pass``, ``stop_low``).
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

    @classmethod
    def from_dict(cls, d: dict) -> SpecReport:
        """Inverse of :meth:`to_dict`."""
        fields = MaskCheck.__dataclass_fields__
        checks = tuple(
            MaskCheck(
                **{k: v for k, v in c.items() if k in fields and k != "violations_ghz"},
                violations_ghz=tuple((float(a), float(b)) for a, b in c["violations_ghz"]),
            )
            for c in d["checks"]
        )
        return cls(checks=checks, K=float(d["K"]), K_floor=float(d["K_floor"]), w=float(d["w"]))

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


@dataclass(frozen=True)
class Mask:
    """One limit on |S11| or |S21| over a frequency band.

    Attributes:
        band: Band label (for reports).
        kind: ``"pass"`` or ``"stop"``.
        quantity: ``"s11"`` or ``"s21"``.
        bound: ``"min"`` (|S| must stay above ``limit_db``) or ``"max"`` (below).
        limit_db: The limit in dB.
        f_min_ghz: Lower band edge, GHz.
        f_max_ghz: Upper band edge, GHz.
    """

    band: str
    kind: Literal["pass", "stop"]
    quantity: Literal["s11", "s21"]
    bound: Literal["min", "max"]
    limit_db: float
    f_min_ghz: float
    f_max_ghz: float

    @property
    def in_k(self) -> str | None:
        """Which term of K the mask feeds: ``"rl"``, ``"il"`` or ``None`` (insertion loss)."""
        if self.kind == "pass" and self.quantity == "s11":
            return "rl"
        if self.kind == "stop":
            return "il"
        return None


def soft_min(margins: np.ndarray, temperature_db: float = 0.1) -> float:
    """A smooth minimum of ``margins`` (dB): ``min - T log(sum exp(-(m - min) / T))``.

    Below the hard minimum by at most ``T log(len(margins))``; an optimiser on it sees every
    band that nearly binds, not only the worst (a simplex stalls on the kinks of a hard
    minimum over bands).
    """
    m = np.asarray(margins, float)
    lo = float(m.min())
    return lo - temperature_db * float(np.log(np.sum(np.exp(-(m - lo) / temperature_db))))


def band_sampling(
    f_ghz: np.ndarray, f_lo: float, f_hi: float
) -> tuple[scipy.sparse.csr_array, np.ndarray]:
    """The samples a band is judged on: the points inside ``[f_lo, f_hi]`` plus its two edges.

    The edges are linearly interpolated from the neighbouring points of ``f_ghz``.

    Returns:
        ``(operator, frequencies)``: the sparse linear operator ``P x F`` (CSR, at most two
        entries per row: one 1 for a point inside the band, ``1 - t, t`` for an edge) that
        takes a response on ``f_ghz`` to its samples, and the ``P`` sample frequencies in GHz,
        increasing. Memory grows with ``P``, not ``P x F``: a 100,001-point sweep is fine.

    Raises:
        ValueError: If ``f_ghz`` does not cover the band.
    """
    f = np.asarray(f_ghz, float)
    tol = 1e-9 * max(abs(f_hi), 1.0)
    if f[0] > f_lo + tol or f[-1] < f_hi - tol:
        raise ValueError(
            f"band {f_lo}-{f_hi} GHz is not covered by the sweep ({f[0]:.6g}-{f[-1]:.6g} GHz)"
        )
    inside = np.nonzero((f >= f_lo - tol) & (f <= f_hi + tol))[0]
    rows, cols, vals = [np.arange(inside.size)], [inside], [np.ones(inside.size)]
    for k, edge in enumerate((f_lo, f_hi)):
        j = int(np.clip(np.searchsorted(f, edge) - 1, 0, len(f) - 2))
        t = (edge - f[j]) / (f[j + 1] - f[j])
        t = float(np.clip(t, 0.0, 1.0))
        rows.append(np.full(2, inside.size + k))
        cols.append(np.array([j, j + 1]))
        vals.append(np.array([1 - t, t]))
    freqs = np.concatenate([f[inside], [f_lo, f_hi]])
    order = np.argsort(freqs, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # row r of the unsorted samples is row rank[r]
    op = scipy.sparse.csr_array(
        (np.concatenate(vals), (rank[np.concatenate(rows)], np.concatenate(cols))),
        shape=(freqs.size, f.size),
    )
    op.eliminate_zeros()  # an edge on a grid point has t = 0 or 1
    return op, freqs[order]


class MaskSet:
    """A spec's masks on one frequency grid, ready for batches of responses.

    Args:
        masks: The masks.
        f_ghz: Frequencies of the responses, GHz (``F``, increasing).
        w: Weight of the stopband term of K.
    """

    def __init__(self, masks: Sequence[Mask], f_ghz: np.ndarray, w: float = 1.0) -> None:
        if not masks:
            raise ValueError("masks: at least one mask is needed")
        self.masks = tuple(masks)
        self.f_ghz = np.asarray(f_ghz, float)
        if self.f_ghz.ndim != 1 or self.f_ghz.size < 2 or np.any(np.diff(self.f_ghz) <= 0):
            raise ValueError("f_ghz: needs at least two strictly increasing frequencies")
        self.w = float(w)
        self._ops: list[scipy.sparse.csr_array] = []
        self._freqs: list[np.ndarray] = []
        for m in self.masks:
            try:
                op, freqs = band_sampling(self.f_ghz, m.f_min_ghz, m.f_max_ghz)
            except ValueError as exc:
                raise ValueError(f"band {m.band!r}: {exc}") from None
            self._ops.append(op)
            self._freqs.append(freqs)
        rl = [m.limit_db for m in self.masks if m.in_k == "rl"]
        il = [m.limit_db for m in self.masks if m.in_k == "il"]
        self.l11 = min(rl) if rl else None
        self.l21 = min(il) if il else None
        self.k_floor = (self.l11 or 0.0) + self.w * (self.l21 or 0.0)

    @property
    def labels(self) -> list[str]:
        """``band:quantity:bound`` of each mask, in order."""
        return [f"{m.band}:{m.quantity}:{m.bound}" for m in self.masks]

    def margins(self, s11_db: np.ndarray, s21_db: np.ndarray) -> np.ndarray:
        """Worst-case margin of every mask, dB (>= 0 met), shape ``N x n_masks``.

        Args:
            s11_db: |S11| in dB, ``N x F``.
            s21_db: |S21| in dB, ``N x F``.
        """
        s11_db, s21_db = np.atleast_2d(s11_db), np.atleast_2d(s21_db)
        if s11_db.shape != s21_db.shape or s11_db.shape[1] != self.f_ghz.size:
            raise ValueError(
                f"s11_db, s21_db: expected N x {self.f_ghz.size}, got {s11_db.shape} and "
                f"{s21_db.shape}"
            )
        out = np.empty((s11_db.shape[0], len(self.masks)))
        for j, (m, op) in enumerate(zip(self.masks, self._ops, strict=True)):
            vals = (op @ (s11_db if m.quantity == "s11" else s21_db).T).T
            if m.bound == "min":
                out[:, j] = vals.min(axis=1) - m.limit_db
            else:
                out[:, j] = m.limit_db - vals.max(axis=1)
        return out

    def objective(self, margins: np.ndarray) -> np.ndarray:
        """K of eq. 4 (generalised) from :meth:`margins`, shape ``N``; floor :attr:`k_floor`."""
        margins = np.atleast_2d(margins)
        k = np.zeros(margins.shape[0])
        for term, limit, weight in (("rl", self.l11, 1.0), ("il", self.l21, self.w)):
            cols = [j for j, m in enumerate(self.masks) if m.in_k == term]
            if cols:
                excess = np.maximum(0.0, -margins[:, cols]).max(axis=1)
                k += weight * (limit + excess)
        return k

    def insertion_loss_margin(self, margins: np.ndarray) -> np.ndarray:
        """Worst margin of the passband |S21| masks (not in K), ``N``; +inf if there are none."""
        cols = [j for j, m in enumerate(self.masks) if m.in_k is None]
        margins = np.atleast_2d(margins)
        return margins[:, cols].min(axis=1) if cols else np.full(margins.shape[0], np.inf)

    def band_margins(self, margins: np.ndarray) -> dict[str, np.ndarray]:
        """Worst margin per band label, each ``N``."""
        margins = np.atleast_2d(margins)
        out: dict[str, np.ndarray] = {}
        for j, m in enumerate(self.masks):
            out[m.band] = np.minimum(out.get(m.band, np.inf), margins[:, j])
        return out

    def report(self, s11: np.ndarray, s21: np.ndarray) -> SpecReport:
        """Judge one response (complex S or magnitudes at :attr:`f_ghz`) mask by mask.

        Args:
            s11: S11, shape ``F`` (complex or real magnitude).
            s21: S21, shape ``F``.

        Returns:
            The :class:`SpecReport`: per mask the worst value, where it occurs and the
            violated intervals; K and pass/fail.
        """
        s11_db, s21_db = s_db(np.asarray(s11), DB_FLOOR), s_db(np.asarray(s21), DB_FLOOR)
        if s11_db.shape != self.f_ghz.shape or s21_db.shape != self.f_ghz.shape:
            raise ValueError(
                f"s11, s21: expected shape ({self.f_ghz.size},) of f_ghz, got "
                f"{s11_db.shape}, {s21_db.shape}"
            )
        checks = []
        for m, op, freqs in zip(self.masks, self._ops, self._freqs, strict=True):
            checks.append(_check(m, freqs, op @ (s11_db if m.quantity == "s11" else s21_db)))
        margins = np.array([[c.margin_db for c in checks]])
        return SpecReport(
            checks=tuple(checks),
            K=float(self.objective(margins)[0]),
            K_floor=self.k_floor,
            w=self.w,
        )


def _check(mask: Mask, freqs: np.ndarray, vals: np.ndarray) -> MaskCheck:
    """One mask judged on its samples (frequencies increasing, values in dB)."""
    if mask.bound == "min":
        idx = int(np.argmin(vals))
        margin = float(vals[idx] - mask.limit_db)
        bad = vals < mask.limit_db - MARGIN_TOL_DB
    else:
        idx = int(np.argmax(vals))
        margin = float(mask.limit_db - vals[idx])
        bad = vals > mask.limit_db + MARGIN_TOL_DB
    return MaskCheck(
        band=mask.band,
        kind=mask.kind,
        quantity=mask.quantity,
        bound=mask.bound,
        limit_db=float(mask.limit_db),
        worst_db=float(vals[idx]),
        worst_freq_ghz=float(freqs[idx]),
        margin_db=margin,
        violations_ghz=_intervals(freqs, bad),
    )


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
