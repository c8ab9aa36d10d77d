"""Immutable pixel layouts: a :class:`PixelGrid` plus the values of its free bits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import ndimage

from rfdesign.layouts.grid import Cell, PixelGrid

_FOUR_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)

Rect = tuple[float, float, float, float]
"""An axis-aligned rectangle ``(x0, y0, x1, y1)`` in mm."""


@dataclass(frozen=True)
class Connectivity:
    """How the metal of a layout is connected (cells joined through shared edges only).

    Attributes:
        connected: True if a metal path joins port 1 to port 2.
        port1_island: Label of the island port 1 lands on (0 if it lands on no metal).
        port2_island: Label of the island port 2 lands on (0 if it lands on no metal).
        floating_islands: Labels of islands that touch neither port.
        labels: Island label of every cell of the full patch (0 = no metal),
            shape ``n_rows x n_cols_full``.
        corner_contacts: Pairs of full-grid cells that touch only at a corner, whose
            electrical connection depends on the mesh and on etching.
    """

    connected: bool
    port1_island: int
    port2_island: int
    floating_islands: tuple[int, ...]
    labels: np.ndarray
    corner_contacts: tuple[tuple[Cell, Cell], ...]


class Layout:
    """A pixel layout: immutable, hashable, comparable.

    Args:
        grid: The design space.
        bits: Values of the free cells in the grid's bit order (sequence of 0/1, bool array or
            a string of '0'/'1').
    """

    __slots__ = ("__dict__", "_bits", "grid")

    def __init__(self, grid: PixelGrid, bits: Sequence[int] | np.ndarray | str) -> None:
        if isinstance(bits, str):
            text = bits.strip().replace("_", "")
            if set(text) - {"0", "1"}:
                raise ValueError(f"bits: only '0' and '1' are allowed, got {bits!r}")
            bits = [int(ch) for ch in text]
        arr = np.asarray(bits)
        if arr.ndim != 1 or arr.shape[0] != grid.n_bits:
            raise ValueError(
                f"bits: grid {grid.name!r} has {grid.n_bits} free bits, got {arr.size} value(s)"
            )
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError("bits: values must be 0 or 1")
        frozen = arr.astype(bool)
        frozen.setflags(write=False)
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "_bits", frozen)

    def __reduce__(self):
        """Pickle as (grid, bit string): layouts travel to worker processes."""
        return (Layout, (self.grid, self.bit_string))

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("grid", "_bits"):
            raise AttributeError("Layout is immutable")
        super().__setattr__(name, value)

    # ----- constructors --------------------------------------------------------------------
    @classmethod
    def from_bits(cls, grid: PixelGrid, bits: Sequence[int] | np.ndarray | str) -> Layout:
        """Build a layout from its free bits (see :class:`PixelGrid` for the bit order)."""
        return cls(grid, bits)

    @classmethod
    def from_index(cls, grid: PixelGrid, index: int) -> Layout:
        """Layout number ``index`` of the enumeration; bit 0 is the most significant bit."""
        if not 0 <= index < grid.n_layouts:
            raise ValueError(f"index: must be in [0, {grid.n_layouts}), got {index}")
        return cls(grid, format(index, f"0{grid.n_bits}b") if grid.n_bits else [])

    @classmethod
    def random(
        cls, grid: PixelGrid, seed: int | np.random.Generator | None = None, p_metal: float = 0.5
    ) -> Layout:
        """A random layout; each free cell is metal with probability ``p_metal``."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return cls(grid, (rng.random(grid.n_bits) < p_metal).astype(int))

    # ----- values --------------------------------------------------------------------------
    @property
    def bits(self) -> np.ndarray:
        """Free bits as a read-only bool array (shape ``n_bits``)."""
        return self._bits

    @property
    def bit_string(self) -> str:
        """Free bits as a string of '0'/'1' in bit order."""
        return "".join("1" if b else "0" for b in self._bits)

    def mask(self) -> np.ndarray:
        """Metal of the full patch, bool array of shape ``n_rows x n_cols_full`` (row 0 bottom)."""
        return self.grid.full_mask(self.grid.half_mask(self._bits))

    def metal_area_mm2(self, include_feeds: bool = False) -> float:
        """Metal area in mm^2 of the patch (and of the two feeds if ``include_feeds``)."""
        area = float((self.grid.cell_areas_mm2 * self.mask()).sum())
        if include_feeds:
            area += 2 * self.grid.feed_width_mm * self.grid.feed_length_mm
        return area

    def metal_rects(self) -> list[Rect]:
        """One rectangle ``(x0, y0, x1, y1)`` in mm per metal cell of the full patch."""
        xe, ye = self.grid.x_edges_mm, self.grid.y_edges_mm
        rows, cols = np.nonzero(self.mask())
        return [(xe[c], ye[r], xe[c + 1], ye[r + 1]) for r, c in zip(rows, cols, strict=True)]

    def feed_rects(self) -> list[Rect]:
        """The two feed lines as rectangles in mm: port 1 (left), then port 2 (right)."""
        g = self.grid
        y0, y1 = g.feed_span_mm
        return [
            (-g.feed_length_mm, y0, 0.0, y1),
            (g.width_mm, y0, g.width_mm + g.feed_length_mm, y1),
        ]

    def polygons(self, include_feeds: bool = True) -> list[np.ndarray]:
        """Merged metal shapes in mm, each an ``M x 2`` array of vertices.

        Cells sharing an edge merge into one polygon (gdstk boolean union); cells touching
        only at a corner stay separate shapes.
        """
        import gdstk

        rects = self.metal_rects() + (self.feed_rects() if include_feeds else [])
        if not rects:
            return []
        shapes = [gdstk.rectangle((x0, y0), (x1, y1)) for x0, y0, x1, y1 in rects]
        merged = gdstk.boolean(shapes, [], "or", precision=1e-6)
        return [np.asarray(p.points) for p in merged]

    # ----- topology ------------------------------------------------------------------------
    @cached_property
    def connectivity(self) -> Connectivity:
        """Islands of metal, whether the ports are joined, and corner-only contacts."""
        mask = self.mask()
        labels, n = ndimage.label(mask, structure=_FOUR_NEIGHBOURS)
        rows = list(self.grid.port_rows)
        last = mask.shape[1] - 1
        p1 = {int(v) for v in labels[rows, 0] if v}
        p2 = {int(v) for v in labels[rows, last] if v}
        floating = tuple(i for i in range(1, n + 1) if i not in p1 | p2)
        corners: list[tuple[Cell, Cell]] = []
        for r in range(mask.shape[0] - 1):
            for c in range(mask.shape[1] - 1):
                a, b = mask[r, c], mask[r, c + 1]
                d, e = mask[r + 1, c], mask[r + 1, c + 1]
                if a and e and not b and not d:
                    corners.append(((r, c), (r + 1, c + 1)))
                if b and d and not a and not e:
                    corners.append(((r, c + 1), (r + 1, c)))
        labels.setflags(write=False)
        return Connectivity(
            connected=bool(p1 & p2),
            port1_island=min(p1) if p1 else 0,
            port2_island=min(p2) if p2 else 0,
            floating_islands=floating,
            labels=labels,
            corner_contacts=tuple(corners),
        )

    # ----- identity ------------------------------------------------------------------------
    def key(self) -> str:
        """Stable content hash (sha256 hex) of grid geometry, substrate and bits."""
        return hashlib.sha256(f"{self.grid.key()}:{self.bit_string}".encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layout) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return f"Layout(grid={self.grid.name!r}, bits={self.bit_string!r})"


def layouts_from_bits(grid: PixelGrid, bits: Iterable[Sequence[int]] | np.ndarray) -> list[Layout]:
    """Build one layout per row of ``bits`` (shape ``N x n_bits``)."""
    return [Layout(grid, row) for row in np.asarray(bits)]
