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


Rect = tuple[float, float, float, float]


def metal_edges(rects: Iterable[Rect], axis: str) -> list[tuple[float, int]]:
    """Edges of the union of metal rectangles that run across ``axis``.

    Args:
        rects: Metal rectangles ``(x0, y0, x1, y1)`` in mm (cells of a layout and its feeds).
        axis: ``"x"`` for the edges at constant x, ``"y"`` for those at constant y.

    Returns:
        ``(position, side)`` per edge, sorted: side +1 where the metal lies above the position
        (towards larger coordinates), -1 where it lies below, 0 where it lies above along one
        stretch of the edge and below along another (a pixel grid's column edge between two
        staggered cells). Positions where metal continues on both sides everywhere are not
        edges.
    """
    lo_a, hi_a, spans = _stretches(rects, axis)
    eps = MERGE_TOL_MM
    edges = []
    for p in np.unique(np.concatenate([lo_a, hi_a])):
        below = ((lo_a[:, None] < p - eps) & (p - eps < hi_a[:, None]) & spans).any(axis=0)
        above = ((lo_a[:, None] < p + eps) & (p + eps < hi_a[:, None]) & spans).any(axis=0)
        sides = {1 if up else -1 for up, down in zip(above, below, strict=True) if up != down}
        if sides:
            edges.append((float(p), sides.pop() if len(sides) == 1 else 0))
    return edges


def _stretches(rects: Iterable[Rect], axis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rectangles' extents across ``axis`` and which stretches along the other axis they cover.

    Returns ``lo``, ``hi`` (``R``) and ``spans`` (``R x K``): the other axis is cut at every
    rectangle edge into ``K`` stretches; ``spans[i, k]`` says rectangle ``i`` covers stretch
    ``k``. No rectangles: empty arrays.
    """
    r = np.asarray(list(rects), dtype=float).reshape(-1, 4)
    a, b = (0, 1) if axis == "x" else (1, 0)
    lo_b, hi_b = r[:, b], r[:, b + 2]
    cuts = np.unique(np.concatenate([lo_b, hi_b]))
    mids = (cuts[:-1] + cuts[1:]) / 2
    return r[:, a], r[:, a + 2], (lo_b[:, None] < mids[None]) & (mids[None] < hi_b[:, None])


def shared_boundaries(rects: Iterable[Rect], axis: str) -> list[float]:
    """Positions across ``axis`` where two rectangles meet along some stretch.

    openEMS snaps every box to the mesh on its own; where two metal cells meet, a mesh line
    must lie on their common edge, or they may snap apart and leave a slit between them.
    """
    lo_a, hi_a, spans = _stretches(rects, axis)
    out = []
    for p in np.unique(np.concatenate([lo_a, hi_a])):
        ends = (np.abs(hi_a - p) < MERGE_TOL_MM)[:, None] & spans
        starts = (np.abs(lo_a - p) < MERGE_TOL_MM)[:, None] & spans
        if (ends.any(axis=0) & starts.any(axis=0)).any():
            out.append(float(p))
    return out


NEAR_EDGE_FRACTION = 0.25
"""The closeness, as a fraction of the edge cell, below which edges are merged: stacked boxes
whose common edge lies this near another edge (:func:`merge_slivers`) and free edges of the
same side (:func:`merge_near_edges`)."""


def merge_slivers(rects: list[Rect], tol: float) -> tuple[list[Rect], int]:
    """Stacked boxes of the same span merged where their common edge lies near another edge.

    A grid whose rows follow every strip's end draws a tuned comb's strips (2.2209 and 2.2254
    mm long, or an outer strip 5.5816 mm beside inner ones of 5.3361 and 5.3313 mm) as boxes
    stacked at the other strips' ends; each common edge needs a mesh line of its own
    (:func:`shared_boundaries`), a few microns from the next edge, and that cell sets the
    FDTD time step. Where a common edge lies closer than ``tol`` (mm) to another edge on the
    same axis, the two boxes are merged into one (the metal is the same), so the line is not
    needed. Boxes of a uniform pixel grid have no such edges and stay as they are. Along y
    first, then x; only boxes with exactly the same span on the other axis merge.

    Returns:
        ``(rects, merged)``: the boxes and how many merges were made.
    """
    boxes = [tuple(float(v) for v in r) for r in rects]
    merged = 0
    for lo, hi, a, b in ((1, 3, 0, 2), (0, 2, 1, 3)):  # along y (span x), then along x
        changed = True
        while changed:
            changed = False
            pos = np.unique([r[k] for r in boxes for k in (lo, hi)])
            for i, r in enumerate(boxes):
                for j, q in enumerate(boxes):
                    if j == i or q[a] != r[a] or q[b] != r[b] or abs(q[lo] - r[hi]) > MERGE_TOL_MM:
                        continue
                    p = r[hi]  # r lies below q: their common edge
                    near = np.abs(pos - p)
                    if not np.any((near > MERGE_TOL_MM) & (near < tol)):
                        continue
                    new = list(r)
                    new[hi] = q[hi]
                    boxes[i] = tuple(new)
                    del boxes[j]
                    merged += 1
                    changed = True
                    break
                if changed:
                    break
    return boxes, merged


def merge_near_edges(
    edges: list[tuple[float, int]], tol: float
) -> tuple[list[tuple[float, int]], int]:
    """Edges with metal on the same side and closer than ``tol`` (mm) merged at their mean.

    Two strips whose ends differ by a few microns (a tuned comb: 2.2209 and 2.2254 mm) would
    each get a line on its own end, and the 4.5 um cell between them sets the FDTD time step:
    4.5x smaller than the mesh needs, so a narrow-band filter reaches the time-step cap before
    it has rung down (the K-band 2 % comb: 14.5 fs instead of 63 fs, every run truncated at
    300,000 steps and its response unfit for extraction). Meshed as one edge at their mean,
    each end lies at most ``tol / 2`` from its FDTD edge (the thirds rule's lines serve both).

    Args:
        edges: ``(position, side)`` pairs (:func:`metal_edges`), any order.
        tol: Largest distance (mm) between the first and the last edge of a merged group.

    Returns:
        ``(edges, merged)``: the edges with each group replaced by its mean (side kept), and
        how many edges were merged away.
    """
    out: list[tuple[float, int]] = []
    merged = 0
    for side in sorted({sd for _, sd in edges}):
        pos = sorted(p for p, sd in edges if sd == side)
        group: list[float] = []
        for p in pos:
            if group and p - group[0] >= tol:
                out.append((float(np.mean(group)), side))
                merged += len(group) - 1
                group = []
            group.append(p)
        if group:
            out.append((float(np.mean(group)), side))
            merged += len(group) - 1
    return sorted(out), merged


def thirds_lines(
    edges: list[tuple[float, int]], h_edge: float, others: Iterable[float] = ()
) -> list[float]:
    """Mesh lines one third of a cell inside and two thirds outside every metal edge.

    The rule of openEMS's own examples (e.g. its ``MSL_NotchFilter`` tutorial,
    www.openems.de): a zero-thickness PEC edge on a mesh line acts about a third of a cell
    wider than drawn, because the field singularity at the edge is sampled on the line; with
    the metal's last line a third of a cell inside the edge and the next one two thirds outside,
    the FDTD edge falls on the drawn one. An edge with metal on both sides along different
    stretches (side 0) gets one cell centred on it (the drawn edge then lies a sixth of a cell
    from the FDTD one, instead of a third with a line on the edge). Next to another edge or
    fixed line the cell shrinks to half the distance, so lines never coincide or cross; an
    edge closer than ``h_edge`` to one keeps a line on itself instead (a feature that small
    is below the mesh's resolution either way, and thirds of it would only shrink the time
    step).

    Args:
        edges: ``(position, side)`` from :func:`metal_edges`.
        h_edge: Cell size (mm) across an isolated edge.
        others: Lines (mm) that are fixed for other reasons (boundaries between boxes).
    """
    pos = np.array([p for p, _ in edges], dtype=float)
    fixed = np.asarray(list(others), dtype=float)
    lines: list[float] = []
    for i, (p, side) in enumerate(edges):
        near = np.abs(np.r_[np.delete(pos, i), fixed] - p)
        gap = float(near.min()) if near.size else math.inf
        if gap < h_edge:
            lines.append(p)
            continue
        h = min(h_edge, gap / 2)
        if side == 0:
            lines += [p - h / 2, p + h / 2]
        else:  # inside: towards the metal
            lines += [p + side * h / 3, p - side * 2 * h / 3]
    return lines


def smooth_lines(
    fixed: Iterable[float],
    fine_region: tuple[float, float],
    bounds: tuple[float, float],
    h_fine: float,
    h_coarse: float,
    ratio: float = 1.4,
) -> np.ndarray:
    """Fill between fixed lines with cells graded by at most ``ratio`` (CSXCAD's smoothing).

    The fixed lines inside ``fine_region`` and its ends are smoothed to cells of at most
    ``h_fine``, then the domain ``bounds`` are added and everything is smoothed to at most
    ``h_coarse``: the two passes of openEMS's examples, done by CSXCAD's own
    ``SmoothMeshLines`` (the Debian ``python3-openems`` package).
    """
    from CSXCAD.SmoothMeshLines import SmoothMeshLines

    a, b = fine_region
    lo, hi = bounds
    if not (lo <= a < b <= hi) or h_fine <= 0 or h_coarse < h_fine or ratio <= 1:
        raise ValueError(f"smooth_lines: inconsistent region {fine_region}, bounds {bounds}")
    pts = np.array(sorted({a, b} | {float(e) for e in fixed if a <= e <= b}))
    pts = pts[np.concatenate([[True], np.diff(pts) > MERGE_TOL_MM])]
    lines = np.asarray(SmoothMeshLines(pts, h_fine, ratio), dtype=float)
    lines = np.asarray(SmoothMeshLines(np.r_[lo, lines, hi], h_coarse, ratio), dtype=float)
    lines = lines[np.concatenate([[True], np.diff(lines) > MERGE_TOL_MM])]
    # The smoothing moves given lines by rounding (1.17 -> 1.1699999999999995); put them back
    # exactly: openEMS decides by exact comparison whether a line lies inside a metal box,
    # and a line a hair outside a box's edge drops a whole cell of its metal.
    exact = np.r_[lo, pts, hi]
    nearest = np.abs(lines[:, None] - exact[None, :]).argmin(axis=1)
    snap = np.abs(lines - exact[nearest]) < MERGE_TOL_MM
    lines[snap] = exact[nearest[snap]]
    return lines
