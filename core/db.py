"""Magnitudes in decibels: the one ``20 log10 |S|`` of the project, with a floor."""

from __future__ import annotations

import numpy as np


def s_db(s: np.ndarray, floor_db: float) -> np.ndarray:
    """``20 log10 |s|`` clipped from below at ``floor_db`` (exact zeros give the floor).

    Args:
        s: Complex or real array of any shape (S-parameters, magnitudes).
        floor_db: Lowest value returned, dB. Each use states its own: -300 dB where masks are
            judged (:data:`rfdesign.optimizers.masks.DB_FLOOR`), -40 dB where errors are taken
            (:data:`rfdesign.surrogates.metrics.FLOOR_DB`), -60 dB in plots.

    Returns:
        Float array of the shape of ``s``.
    """
    mag = np.abs(np.asarray(s))
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(mag)
    return np.maximum(db, floor_db)
