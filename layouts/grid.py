"""Pixel grids: the design space of a pixelated planar filter.

A :class:`PixelGrid` describes where metal may be: a rectangular patch between two microstrip
feeds, divided into columns and rows of (possibly different) sizes. With mirror symmetry only
the left half is designed; the right half is its mirror image about the vertical centre line
(Huawei Research, "AI-Driven Innovations in RF and Antenna Design", 2024, pp. 144-157).

Conventions (used by every engine):

* Lengths are in mm. ``x`` runs from port 1 (left) to port 2 (right); ``x = 0`` is the left
  edge of the patch, ``y = 0`` its bottom edge.
* Cells are indexed ``(row, col)`` in the *designed* half: ``row`` 0 is the bottom row,
  ``col`` 0 the column next to port 1. For a mirrored grid, full-grid column ``2 * n_cols - 1
  - col`` is the mirror image of ``col``.
* Bit order: the free bits are the free cells of the designed half in row-major order
  (row 0 first, columns left to right). Bit ``k`` is character ``k`` of a bit string, so
  ``"1000..."`` sets the first free cell of the bottom row.
* The feeds are 50-ohm microstrip lines (by default) centred at ``feed_y_mm``; a feed touches
  the column-0 cells whose rows overlap its width.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from rfdesign.layouts.substrate import Substrate

Cell = tuple[int, int]


@dataclass(frozen=True)
class PixelGrid:
    """The design space of a pixel layout.

    Attributes:
        column_widths_mm: Widths in mm of the designed columns, from port 1 inwards.
        row_heights_mm: Heights in mm of the rows, from the bottom up.
        substrate: Substrate and conductor under and of the metal.
        feed_width_mm: Width in mm of both microstrip feeds (synthesise it with
            :func:`rfdesign.layouts.feeds.microstrip_width_mm`).
        feed_length_mm: Length in mm of each feed line outside the patch.
        mirror: If True, the right half mirrors the designed (left) half.
        fixed: Cells fixed by the designer, ``(row, col) -> metal``; they carry no bit.
        feed_y_mm: Centre of the feeds in mm from the bottom edge; ``None`` centres them.
        name: Preset name or a free label (not part of the geometry).
    """

    column_widths_mm: tuple[float, ...]
    row_heights_mm: tuple[float, ...]
    substrate: Substrate
    feed_width_mm: float
    feed_length_mm: float = 0.5
    mirror: bool = True
    fixed: Mapping[Cell, bool] = field(default_factory=dict)
    feed_y_mm: float | None = None
    name: str = "custom"

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_widths_mm", tuple(float(w) for w in self.column_widths_mm))
        object.__setattr__(self, "row_heights_mm", tuple(float(h) for h in self.row_heights_mm))
        object.__setattr__(
            self,
            "fixed",
            dict(sorted(((int(r), int(c)), bool(m)) for (r, c), m in self.fixed.items())),
        )
        if not self.column_widths_mm or not self.row_heights_mm:
            raise ValueError("PixelGrid: column_widths_mm and row_heights_mm must not be empty")
        if min(self.column_widths_mm) <= 0 or min(self.row_heights_mm) <= 0:
            raise ValueError("PixelGrid: cell sizes must be positive (mm)")
        if self.feed_width_mm <= 0 or self.feed_length_mm < 0:
            raise ValueError("PixelGrid: feed_width_mm must be > 0 and feed_length_mm >= 0")
        for r, c in self.fixed:
            if not (0 <= r < self.n_rows and 0 <= c < self.n_cols):
                raise ValueError(
                    f"PixelGrid: fixed cell ({r}, {c}) lies outside the {self.n_rows} x "
                    f"{self.n_cols} designed grid"
                )
        y0, y1 = self.feed_span_mm
        if y0 < -1e-12 or y1 > self.height_mm + 1e-12:
            raise ValueError("PixelGrid: the feed must lie within the patch height")
        if not self.port_rows:
            raise ValueError("PixelGrid: the feed touches no row")

    # ----- sizes ---------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_heights_mm)

    @property
    def n_cols(self) -> int:
        """Number of designed columns (the left half for a mirrored grid)."""
        return len(self.column_widths_mm)

    @property
    def n_cols_full(self) -> int:
        """Number of columns of the full patch."""
        return 2 * self.n_cols if self.mirror else self.n_cols

    @property
    def full_column_widths_mm(self) -> np.ndarray:
        """Widths in mm of all columns of the patch, port 1 to port 2 (shape ``n_cols_full``)."""
        w = np.asarray(self.column_widths_mm)
        return np.concatenate([w, w[::-1]]) if self.mirror else w.copy()

    @property
    def row_heights(self) -> np.ndarray:
        """Row heights in mm, bottom to top (shape ``n_rows``)."""
        return np.asarray(self.row_heights_mm)

    @property
    def x_edges_mm(self) -> np.ndarray:
        """Column edges in mm (shape ``n_cols_full + 1``), from 0 to the patch width."""
        return np.concatenate([[0.0], np.cumsum(self.full_column_widths_mm)])

    @property
    def y_edges_mm(self) -> np.ndarray:
        """Row edges in mm (shape ``n_rows + 1``), from 0 to the patch height."""
        return np.concatenate([[0.0], np.cumsum(self.row_heights)])

    @property
    def width_mm(self) -> float:
        """Patch width in mm (port 1 to port 2, feeds excluded)."""
        return float(self.full_column_widths_mm.sum())

    @property
    def height_mm(self) -> float:
        """Patch height in mm."""
        return float(self.row_heights.sum())

    @property
    def cell_areas_mm2(self) -> np.ndarray:
        """Area in mm^2 of every cell of the full patch (shape ``n_rows x n_cols_full``)."""
        return np.outer(self.row_heights, self.full_column_widths_mm)

    # ----- feeds ---------------------------------------------------------------------------
    @property
    def feed_center_y_mm(self) -> float:
        """Centre line of the feeds in mm from the bottom edge."""
        return self.height_mm / 2 if self.feed_y_mm is None else float(self.feed_y_mm)

    @property
    def feed_span_mm(self) -> tuple[float, float]:
        """Bottom and top edge of the feeds in mm."""
        yc = self.feed_center_y_mm
        return yc - self.feed_width_mm / 2, yc + self.feed_width_mm / 2

    @property
    def port_rows(self) -> tuple[int, ...]:
        """Rows whose column-0 (and last-column) cells the feeds touch."""
        y0, y1 = self.feed_span_mm
        e = self.y_edges_mm
        return tuple(r for r in range(self.n_rows) if e[r] < y1 - 1e-12 and e[r + 1] > y0 + 1e-12)

    # ----- bits ----------------------------------------------------------------------------
    @property
    def free_cells(self) -> tuple[Cell, ...]:
        """Free cells of the designed half in bit order (row-major, bottom row first)."""
        return tuple(
            (r, c)
            for r in range(self.n_rows)
            for c in range(self.n_cols)
            if (r, c) not in self.fixed
        )

    @property
    def n_bits(self) -> int:
        """Number of free binary design variables."""
        return len(self.free_cells)

    @property
    def n_layouts(self) -> int:
        """Size of the design space, ``2 ** n_bits``."""
        return 2**self.n_bits

    def half_mask(self, bits: Iterable[int] | np.ndarray) -> np.ndarray:
        """Metal of the designed half (shape ``n_rows x n_cols``, bool) for ``bits``."""
        bits = np.asarray(list(bits) if not isinstance(bits, np.ndarray) else bits).astype(bool)
        if bits.shape != (self.n_bits,):
            raise ValueError(f"bits: expected {self.n_bits} bits, got shape {bits.shape}")
        half = np.zeros((self.n_rows, self.n_cols), dtype=bool)
        for (r, c), metal in self.fixed.items():
            half[r, c] = metal
        rows, cols = zip(*self.free_cells, strict=True) if self.free_cells else ((), ())
        half[list(rows), list(cols)] = bits
        return half

    def full_mask(self, half: np.ndarray) -> np.ndarray:
        """Mirror a designed half (``n_rows x n_cols``) into the full patch mask."""
        return np.concatenate([half, half[:, ::-1]], axis=1) if self.mirror else half.copy()

    def masks(self, bits: np.ndarray) -> np.ndarray:
        """Vectorised full masks for a batch of bit vectors.

        Args:
            bits: Bits, shape ``N x n_bits`` (0/1 or bool).

        Returns:
            Bool masks, shape ``N x n_rows x n_cols_full``.
        """
        return masks_from_bits(bits, self)

    # ----- identity ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Geometry as a JSON-ready dictionary (the name is included for information)."""
        return {
            "name": self.name,
            "column_widths_mm": list(self.column_widths_mm),
            "row_heights_mm": list(self.row_heights_mm),
            "mirror": self.mirror,
            "fixed": [[r, c, int(m)] for (r, c), m in self.fixed.items()],
            "feed_width_mm": self.feed_width_mm,
            "feed_length_mm": self.feed_length_mm,
            "feed_y_mm": self.feed_center_y_mm,
            "substrate": self.substrate.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> PixelGrid:
        """Inverse of :meth:`to_dict` (datasets and checkpoints store grids this way)."""
        return cls(
            column_widths_mm=tuple(d["column_widths_mm"]),
            row_heights_mm=tuple(d["row_heights_mm"]),
            substrate=Substrate(**d["substrate"]),
            feed_width_mm=float(d["feed_width_mm"]),
            feed_length_mm=float(d["feed_length_mm"]),
            mirror=bool(d["mirror"]),
            fixed={(int(r), int(c)): bool(m) for r, c, m in d["fixed"]},
            feed_y_mm=None if d.get("feed_y_mm") is None else float(d["feed_y_mm"]),
            name=str(d.get("name", "custom")),
        )

    def key(self) -> str:
        """Stable content hash (sha256 hex) of the geometry; the name does not count."""
        d = self.to_dict()
        d.pop("name")
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"), default=float)
        return hashlib.sha256(blob.encode()).hexdigest()


def masks_from_bits(bits: np.ndarray, grid) -> np.ndarray:
    """Full metal masks ``N x n_rows x n_cols_full`` of bit vectors ``N x n_bits`` (bool).

    The designed half holds the fixed cells and the bits in the order of ``free_cells``; a
    mirrored grid's other half is its mirror image across the last column. ``grid`` is a
    :class:`PixelGrid` or any design space with the same fields (``n_bits``, ``n_rows``,
    ``n_cols``, ``fixed``, ``free_cells``, ``mirror``: the pixel patch's).
    """
    bits = np.asarray(bits).astype(bool)
    if bits.ndim != 2 or bits.shape[1] != grid.n_bits:
        raise ValueError(f"bits: expected shape N x {grid.n_bits}, got {bits.shape}")
    half = np.zeros((bits.shape[0], grid.n_rows, grid.n_cols), dtype=bool)
    for (r, c), metal in grid.fixed.items():
        half[:, r, c] = metal
    if grid.free_cells:
        rows, cols = (list(v) for v in zip(*grid.free_cells, strict=True))
        half[:, rows, cols] = bits
    return np.concatenate([half, half[:, :, ::-1]], axis=2) if grid.mirror else half


def corner_contact_counts(masks: np.ndarray) -> np.ndarray:
    """Number of corner-only contacts in each full mask (vectorised).

    Two metal cells touch only at a corner when they are diagonal neighbours and both cells
    of the other diagonal of their 2 x 2 block are empty. Whether such a contact conducts
    depends on the mesh and on the etching, so the search forbids it by default (the same
    rule as :attr:`rfdesign.layouts.layout.Connectivity.corner_contacts`).

    Args:
        masks: ``N x R x C`` (bool or 0/1).

    Returns:
        int array ``N``.
    """
    m = np.asarray(masks).astype(bool)
    if m.ndim != 3:
        raise ValueError(f"masks: expected N x R x C, got shape {m.shape}")
    a, b = m[:, :-1, :-1], m[:, :-1, 1:]
    d, e = m[:, 1:, :-1], m[:, 1:, 1:]
    diag = a & e & ~b & ~d
    anti = b & d & ~a & ~e
    return diag.sum(axis=(1, 2)) + anti.sum(axis=(1, 2))


def repair_corner_contacts(grid: PixelGrid, bits: np.ndarray) -> np.ndarray:
    """Layouts without corner-only contacts, changing as few cells as the rule needs.

    Every corner-only contact in the designed half is closed by making one of the two empty
    cells of its 2 x 2 block metal (the first one that is free), so the two diagonal cells
    join at a side; when both are fixed empty, a free diagonal cell is emptied instead. Metal
    only grows in the first case, so the loop ends. With mirror symmetry no contact can
    straddle the centre line (its two columns are equal), so repairing the designed half
    repairs the whole patch.

    Args:
        grid: The design space.
        bits: Free bits, ``N x n_bits`` (0/1 or bool).

    Returns:
        Repaired bits, ``N x n_bits`` uint8 (layouts without contacts are unchanged).
    """
    bits = np.asarray(bits).astype(bool)
    if bits.ndim != 2 or bits.shape[1] != grid.n_bits:
        raise ValueError(f"bits: expected shape N x {grid.n_bits}, got {bits.shape}")
    half = grid.masks(bits)[:, :, : grid.n_cols]
    free = np.zeros((grid.n_rows, grid.n_cols), bool)
    rows, cols = (np.array(v, int) for v in zip(*grid.free_cells, strict=True))
    free[rows, cols] = True
    # (row, col) offsets inside a 2 x 2 block: a = (0, 0), b = (0, 1), d = (1, 0), e = (1, 1)
    offsets = {"a": (0, 0), "b": (0, 1), "d": (1, 0), "e": (1, 1)}
    # for each diagonal pair, the cells to fill (in order of preference), then to empty
    plans = (("ae", "bd"), ("bd", "ae"))
    for _ in range(grid.n_rows * grid.n_cols + 1):
        changed = False
        for pair, others in plans:
            m = {
                k: half[:, r : grid.n_rows - 1 + r, c : grid.n_cols - 1 + c]
                for k, (r, c) in offsets.items()
            }
            hit = m[pair[0]] & m[pair[1]] & ~m[others[0]] & ~m[others[1]]
            if not hit.any():
                continue
            changed = True
            n_idx, r_idx, c_idx = np.nonzero(hit)
            for k, i, j in zip(n_idx, r_idx, c_idx, strict=True):
                for name, value in (
                    (others[0], True),
                    (others[1], True),
                    (pair[0], False),
                    (pair[1], False),
                ):
                    dr, dc = offsets[name]
                    if free[i + dr, j + dc]:
                        half[k, i + dr, j + dc] = value
                        break
        if not changed:
            break
    return half[:, rows, cols].astype(np.uint8)
