"""The sensitivity map of a design: what flipping each free cell does to the worst margin."""

from __future__ import annotations

import numpy as np

from rfdesign.layouts.grid import corner_contact_counts
from rfdesign.optimizers.problems import PixelFilterProblem


def sensitivity_map(problem: PixelFilterProblem, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Worst-margin change (dB) per flipped free cell, and which flips add corner contacts.

    Returns:
        ``(delta, corner)``, each ``n_rows x n_cols`` of the designed half; fixed cells NaN.
    """
    grid = problem.grid
    flips = np.repeat(bits[None].astype(np.uint8), grid.n_bits + 1, axis=0)
    idx = np.arange(grid.n_bits)
    flips[idx + 1, idx] ^= 1
    worst = problem.margins(flips).min(axis=1)
    corners = corner_contact_counts(grid.masks(flips))
    delta = np.full((grid.n_rows, grid.n_cols), np.nan)
    corner = np.zeros((grid.n_rows, grid.n_cols), bool)
    for k, (r, c) in enumerate(grid.free_cells):
        delta[r, c] = worst[k + 1] - worst[0]
        corner[r, c] = corners[k + 1] > corners[0]
    return delta, corner


def not_computed(grid) -> tuple[np.ndarray, np.ndarray]:
    """The map when it is skipped: all NaN, no corner flags (the report says why)."""
    return np.full((grid.n_rows, grid.n_cols), np.nan), np.zeros((grid.n_rows, grid.n_cols), bool)
