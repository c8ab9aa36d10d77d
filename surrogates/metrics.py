"""Accuracy of a predicted two-port response against a reference (full-wave) response.

Every surrogate, every training run and ``rfdesign evaluate`` report these same numbers, so a
figure in a note or a benchmark means one thing.
"""

from __future__ import annotations

import numpy as np

from rfdesign.core.db import s_db

FLOOR_DB = -40.0
"""|S| in dB is clipped from below at this level before errors are taken: below it a filter
is "off" and a 20 dB difference between -60 and -80 dB is meaningless for design."""


def _as_two(s: np.ndarray, name: str) -> np.ndarray:
    """``N x F x 2 x 2`` or ``N x F x 2`` (S11, S21) -> ``N x F x 2``."""
    s = np.asarray(s)
    if s.ndim == 4 and s.shape[2:] == (2, 2):
        return np.stack([s[..., 0, 0], s[..., 1, 0]], axis=-1)
    if s.ndim == 3 and s.shape[2] == 2:
        return s
    raise ValueError(f"{name}: expected shape N x F x 2 x 2 or N x F x 2, got {s.shape}")


def response_metrics(
    s_pred: np.ndarray, s_true: np.ndarray, floor_db: float = FLOOR_DB
) -> dict[str, float]:
    """Errors of predicted S11 and S21 against reference values.

    Args:
        s_pred: Predicted S, ``N x F x 2 x 2`` or ``N x F x 2`` (S11, S21), complex.
        s_true: Reference S, same shape.
        floor_db: Floor applied to both before dB errors are taken.

    Returns:
        ``n`` (layouts), ``mae_s11_db`` and ``mae_s21_db`` (mean absolute error of |S| in dB
        over all layouts and frequencies), ``median_mae_s11_db`` and ``median_mae_s21_db``
        (median over layouts of each layout's MAE over frequency), ``p90_mae_s21_db``,
        ``rmse_complex`` (root mean square of |S_pred - S_true| over S11 and S21),
        ``r2_complex`` (1 - residual / total sum of squares of the complex values) and
        ``r2_db`` (the same for the floored dB values).
    """
    p = _as_two(s_pred, "s_pred")
    t = _as_two(s_true, "s_true")
    if p.shape != t.shape:
        raise ValueError(f"s_pred: shape {p.shape} differs from s_true's {t.shape}")
    if p.shape[0] == 0:
        raise ValueError("s_true: no samples")
    err_db = np.abs(s_db(p, floor_db) - s_db(t, floor_db))  # N x F x 2
    per_layout = err_db.mean(axis=1)  # N x 2
    diff = p - t
    ss_res = float(np.sum(np.abs(diff) ** 2))
    ss_tot = float(np.sum(np.abs(t - t.mean(axis=0)) ** 2))
    tdb = s_db(t, floor_db)
    ss_res_db = float(np.sum((s_db(p, floor_db) - tdb) ** 2))
    ss_tot_db = float(np.sum((tdb - tdb.mean(axis=0)) ** 2))
    return {
        "n": int(p.shape[0]),
        "mae_s11_db": float(err_db[..., 0].mean()),
        "mae_s21_db": float(err_db[..., 1].mean()),
        "median_mae_s11_db": float(np.median(per_layout[:, 0])),
        "median_mae_s21_db": float(np.median(per_layout[:, 1])),
        "p90_mae_s21_db": float(np.percentile(per_layout[:, 1], 90)),
        "rmse_complex": float(np.sqrt(np.mean(np.abs(diff) ** 2))),
        "r2_complex": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        "r2_db": 1.0 - ss_res_db / ss_tot_db if ss_tot_db > 0 else float("nan"),
    }
