"""Band masks rendered on a frequency grid: the condition of the inverse-design GAN.

A spec's masks (|S11| below -10 dB in the passband, |S21| below -25 dB in the stopbands, ...)
become a fixed-size array that a network can read: for each of four limit kinds -- |S11|
maximum, |S21| minimum, |S21| maximum, |S11| minimum -- one row of limits in dB (divided by
:data:`DB_SCALE`, zero where the kind is absent) and one row of 0/1 flags marking the
frequencies it covers. Shape ``8 x F``. Overlapping masks of the same kind keep the tighter
limit.

Training conditions come from responses: :func:`conditions_from_responses` draws random
pass/stop band layouts and sets each limit at the response's own extreme in that band plus a
random slack, so every training layout meets its condition (with a margin of ``slack`` dB),
and the conditions look like specs (piecewise constant limits over bands with gaps between).

:func:`violation` is the differentiable (torch) measure of how far responses miss a
condition, in dB.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

KINDS = (("s11", "max"), ("s21", "min"), ("s21", "max"), ("s11", "min"))
"""The four limit kinds, in row order."""

DB_SCALE = 40.0
"""Limits are stored in units of this many dB."""

N_ROWS = 2 * len(KINDS)
"""Rows of a rendered condition."""


def render_masks(masks: Sequence, f_ghz: np.ndarray) -> np.ndarray:
    """A spec's masks on the frequency grid, ``8 x F`` float32.

    Args:
        masks: :class:`rfdesign.optimizers.masks.Mask` objects (anything with ``quantity``,
            ``bound``, ``limit_db``, ``f_min_ghz``, ``f_max_ghz``).
        f_ghz: The grid, GHz (``F``, increasing).

    Raises:
        ValueError: For a band outside the grid.
    """
    f = np.asarray(f_ghz, float)
    out = np.zeros((N_ROWS, f.size), np.float32)
    limits = np.full((len(KINDS), f.size), np.nan)
    for m in masks:
        row = KINDS.index((m.quantity, m.bound))
        if m.f_max_ghz < f[0] - 1e-9 or m.f_min_ghz > f[-1] + 1e-9:
            raise ValueError(
                f"masks: band {m.f_min_ghz}-{m.f_max_ghz} GHz lies outside the grid "
                f"{f[0]:.6g}-{f[-1]:.6g} GHz"
            )
        inside = (f >= m.f_min_ghz - 1e-9) & (f <= m.f_max_ghz + 1e-9)
        if not inside.any():  # a band narrower than the grid step: its nearest point
            inside[np.argmin(np.abs(f - 0.5 * (m.f_min_ghz + m.f_max_ghz)))] = True
        old = limits[row, inside]
        tighter = np.fmin if m.bound == "max" else np.fmax
        limits[row, inside] = tighter(old, m.limit_db)
    have = ~np.isnan(limits)
    out[: len(KINDS)] = np.where(have, limits, 0.0) / DB_SCALE
    out[len(KINDS) :] = have
    return out


def conditions_from_responses(
    s11_db: np.ndarray,
    s21_db: np.ndarray,
    rng: np.random.Generator,
    max_bands: int = 3,
    slack_db: tuple[float, float] = (0.0, 3.0),
    min_width: int = 3,
) -> np.ndarray:
    """Random spec-like conditions that each response meets, ``N x 8 x F`` float32.

    Each response gets 1 to ``max_bands`` disjoint bands at random places, each a passband
    (|S21| minimum and |S11| maximum) or a stopband (|S21| maximum); each limit is the
    response's worst value in the band moved outwards by a slack drawn from ``slack_db``
    (a negative slack asks for more than the response gives). Limits are clipped to
    [-60, 0] dB.

    Args:
        s11_db: |S11| in dB, ``N x F``.
        s21_db: |S21| in dB, ``N x F``.
        rng: Random source.
        max_bands: Most bands per condition.
        slack_db: Range of the slack, dB.
        min_width: Fewest frequency points per band.
    """
    s11_db, s21_db = np.atleast_2d(s11_db), np.atleast_2d(s21_db)
    n, nf = s11_db.shape
    if nf < min_width:
        raise ValueError(f"s11_db: needs at least {min_width} frequencies, got {nf}")
    out = np.zeros((n, N_ROWS, nf), np.float32)
    k = len(KINDS)
    for i in range(n):
        n_bands = int(rng.integers(1, max_bands + 1))
        cuts = np.sort(rng.choice(np.arange(nf + 1), size=2 * n_bands, replace=False))
        for j in range(n_bands):
            a, b = int(cuts[2 * j]), int(cuts[2 * j + 1])
            if b - a < min_width:
                b = min(nf, a + min_width)
                a = b - min_width
            band = slice(a, b)
            if rng.random() < 0.5:  # passband
                lim21 = s21_db[i, band].min() - rng.uniform(*slack_db)
                lim11 = s11_db[i, band].max() + rng.uniform(*slack_db)
                out[i, 1, band] = np.clip(lim21, -60.0, 0.0) / DB_SCALE
                out[i, k + 1, band] = 1.0
                out[i, 0, band] = np.clip(lim11, -60.0, 0.0) / DB_SCALE
                out[i, k, band] = 1.0
            else:
                lim21 = s21_db[i, band].max() + rng.uniform(*slack_db)
                out[i, 2, band] = np.clip(lim21, -60.0, 0.0) / DB_SCALE
                out[i, k + 2, band] = 1.0
    return out


def violation(s11_db, s21_db, condition, mean_weight: float = 0.5):
    """How far responses miss their conditions, dB per sample (0 when every limit holds).

    The sum over limit kinds of the worst violation over frequency, plus ``mean_weight``
    times the mean violation over the covered points (which spreads the gradient).

    Args:
        s11_db: |S11| dB, ``N x F`` (torch tensor).
        s21_db: |S21| dB, ``N x F`` (torch tensor).
        condition: ``N x 8 x F`` (torch tensor, :func:`render_masks` layout).
        mean_weight: Weight of the mean violation against the worst one.

    Returns:
        Tensor ``N``.
    """
    k = len(KINDS)
    lim = condition[:, :k] * DB_SCALE
    flag = condition[:, k:]
    vals = (s11_db, s21_db, s21_db, s11_db)
    total = 0.0
    for row, ((_, bound), v) in enumerate(zip(KINDS, vals, strict=True)):
        miss = (v - lim[:, row]) if bound == "max" else (lim[:, row] - v)
        miss = miss.clamp_min(0.0) * flag[:, row]
        total = (
            total
            + miss.amax(dim=1)
            + mean_weight * miss.sum(dim=1) / flag[:, row].sum(dim=1).clamp_min(1.0)
        )
    return total
