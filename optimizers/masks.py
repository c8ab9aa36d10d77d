"""Band masks judged on many responses at once: margins per mask and the objective K.

The same rules as :func:`rfdesign.evaluation.evaluate_response` (and tested against it), in a
form an optimiser can call on thousands of layouts per generation: every mask becomes a
fixed linear sampling operator (the frequency points inside the band plus the two band edges,
linearly interpolated in dB), so judging ``N`` responses is one matrix product per mask.

K is the paper's eq. 4 (Huawei Research, "AI-Driven Innovations in RF and Antenna Design",
2024), generalised to bands with different limits as documented in
:mod:`rfdesign.evaluation`. The engines take these plain dataclasses, not the spec models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

DB_FLOOR = -300.0
"""|S| = 0 (e.g. a layout that is not simulated) is scored as -300 dB, not minus infinity."""


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


def sampling_matrix(f_ghz: np.ndarray, f_lo: float, f_hi: float) -> np.ndarray:
    """Linear operator ``P x F``: values inside ``[f_lo, f_hi]`` plus its two edges.

    The edges are linearly interpolated from the neighbouring points of ``f_ghz``.
    """
    f = np.asarray(f_ghz, float)
    tol = 1e-9 * max(abs(f_hi), 1.0)
    if f[0] > f_lo + tol or f[-1] < f_hi - tol:
        raise ValueError(
            f"band {f_lo}-{f_hi} GHz is not covered by the sweep ({f[0]:.6g}-{f[-1]:.6g} GHz)"
        )
    inside = np.nonzero((f >= f_lo - tol) & (f <= f_hi + tol))[0]
    rows = [np.eye(len(f))[i] for i in inside]
    for edge in (f_lo, f_hi):
        j = int(np.clip(np.searchsorted(f, edge) - 1, 0, len(f) - 2))
        t = (edge - f[j]) / (f[j + 1] - f[j])
        t = float(np.clip(t, 0.0, 1.0))
        row = np.zeros(len(f))
        row[j], row[j + 1] = 1 - t, t
        rows.append(row)
    return np.array(rows)


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
        if self.f_ghz.ndim != 1 or np.any(np.diff(self.f_ghz) <= 0):
            raise ValueError("f_ghz: needs strictly increasing frequencies")
        self.w = float(w)
        self._ops = [sampling_matrix(self.f_ghz, m.f_min_ghz, m.f_max_ghz) for m in self.masks]
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
            vals = (s11_db if m.quantity == "s11" else s21_db) @ op.T
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
