"""Reference planes of two-port results: moving them along the feed lines.

openEMS and Meep both measure the waves on the 50-ohm feeds some distance outside the patch
and move the reference planes forward to the patch edges; both do it here.
"""

from __future__ import annotations

import numpy as np

from rfdesign.layouts.feeds import microstrip_line
from rfdesign.layouts.layout import Layout


def shift_planes(S: np.ndarray, theta1: np.ndarray, theta2: np.ndarray) -> np.ndarray:
    """Move the reference planes of ``S`` forward by the complex electrical lengths ``theta``.

    Args:
        S: Scattering matrices, ``F x 2 x 2``.
        theta1: ``gamma * d`` of port 1 (propagation constant times distance, dimensionless;
            scalar or ``F``).
        theta2: The same for port 2.

    Returns:
        ``S`` with ``S_ij`` multiplied by ``exp(theta_i + theta_j)``.
    """
    e1, e2 = np.exp(theta1), np.exp(theta2)
    out = S.copy()
    out[:, 0, 0] *= e1 * e1
    out[:, 1, 1] *= e2 * e2
    out[:, 1, 0] *= e1 * e2
    out[:, 0, 1] *= e1 * e2
    return out


def deembed_feeds(
    S: np.ndarray, layout: Layout, f_ghz: np.ndarray, d1: float, d2: float
) -> np.ndarray:
    """Move reference planes ``d1``/``d2`` mm (on the feeds) forward to the patch edges.

    Uses the complex propagation constant of scikit-rf's microstrip model of the feed.
    """
    g = layout.grid
    gamma = microstrip_line(g.substrate, g.feed_width_mm, f_ghz).gamma  # 1/m
    return shift_planes(S, gamma * d1 * 1e-3, gamma * d2 * 1e-3)
