"""Rectilinear FDTD mesh lines generated from geometry (numpy only, no solver needed).

Lines are placed on every given edge; gaps inside the fine region are split evenly so that no
cell exceeds ``h_fine``; outside it the cells grow geometrically by at most ``ratio`` up to
``h_coarse`` until the domain boundary (the usual FDTD practice, e.g. Taflove and Hagness,
"Computational Electrodynamics", 3rd ed., 2005, section 3.6 on non-uniform grids).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np

MERGE_TOL_MM = 1e-6
"""Edges closer than this (mm) are one mesh line."""


def _grow(start: float, stop: float, first: float, h_coarse: float, ratio: float) -> list[float]:
    """Lines from ``start`` (excluded) to ``stop`` (included), cells growing from ``first``.

    Cells grow by ``ratio`` up to ``h_coarse`` until they pass ``stop``; then all of them are
    shrunk by one common factor so that they end exactly on ``stop`` (ratios are kept).
    """
    distance = abs(stop - start)
    cells: list[float] = []
    step = first
    while sum(cells) < distance:
        step = min(step * ratio, h_coarse)
        cells.append(step)
    scale = distance / sum(cells)
    direction = 1.0 if stop > start else -1.0
    lines = (start + direction * np.cumsum(np.array(cells) * scale)).tolist()
    lines[-1] = stop
    return lines


def graded_lines(
    edges: Iterable[float],
    fine_region: tuple[float, float],
    bounds: tuple[float, float],
    h_fine: float,
    h_coarse: float,
    ratio: float = 1.4,
) -> np.ndarray:
    """Mesh lines along one axis.

    Args:
        edges: Positions (mm) that must be mesh lines (metal edges, port planes).
        fine_region: ``(a, b)``: inside it no cell exceeds ``h_fine``.
        bounds: ``(lo, hi)``: the domain; ``lo <= a < b <= hi``.
        h_fine: Largest cell (mm) inside the fine region.
        h_coarse: Largest cell (mm) outside it.
        ratio: Largest growth factor between neighbouring cells outside the fine region.

    Returns:
        Sorted unique line positions in mm, first ``lo``, last ``hi``.
    """
    a, b = fine_region
    lo, hi = bounds
    if not (lo <= a < b <= hi) or h_fine <= 0 or h_coarse < h_fine or ratio <= 1:
        raise ValueError(f"graded_lines: inconsistent region {fine_region}, bounds {bounds}")
    pts = np.array(sorted({a, b} | {float(e) for e in edges if a <= e <= b}))
    keep = np.concatenate([[True], np.diff(pts) > MERGE_TOL_MM])
    pts = pts[keep]
    fine: list[float] = [float(pts[0])]
    for p, q in itertools.pairwise(pts):
        n = max(1, math.ceil((q - p) / h_fine - 1e-9))
        fine.extend(np.linspace(p, q, n + 1)[1:].tolist())
    first_left = fine[1] - fine[0]
    first_right = fine[-1] - fine[-2]
    left = _grow(a, lo, first_left, h_coarse, ratio)[::-1] if lo < a else []
    right = _grow(b, hi, first_right, h_coarse, ratio) if hi > b else []
    return np.array(left + fine + right)


def cell_count(lines: dict[str, np.ndarray]) -> int:
    """Number of FDTD cells of a mesh given as ``{"x": ..., "y": ..., "z": ...}`` lines."""
    return int(np.prod([len(v) - 1 for v in lines.values()]))
