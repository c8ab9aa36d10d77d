"""A pixelated patch antenna: binary metal cells on a patch outline, edge fed by a microstrip.

The paper's pixel idea carried over to antennas (SEED-NOTES section 4; Sengupta's and
Khankhoje's groups search such patches with a CNN surrogate and a GA): the rectangle of a
patch is divided into ``n_x x n_y`` cells, each metal or empty. The layout is mirror
symmetric about the feed's axis (``y = 0``), as the inset-fed patch is, so the polarisation
stays along x and half the cells are free.

Coordinates as :class:`rfdesign.layouts.antenna.RectPatch`'s: the patch spans ``x = 0 ..
length_mm`` (the feed comes from ``-x`` and meets the patch's edge at ``x = 0``) and ``y =
-width_mm / 2 .. width_mm / 2``; the metal lies at ``z = h`` over a ground plane at
``z = 0``. The mask's rows run along x (row 0 touches the feed), its columns along y (column 0
at ``y = -width_mm / 2``); the designed half is columns ``0 .. n_y / 2 - 1`` and the other half
mirrors it, the convention of :class:`rfdesign.layouts.grid.PixelGrid`, so the corner-contact
rule and repair of the filter grids (:func:`rfdesign.layouts.grid.repair_corner_contacts`)
apply unchanged. The cells of row 0 that the feed line touches are fixed metal (the feed must
connect).

Every cell edge is a mesh line of the full-wave model whatever the layout, so all layouts of
one grid share one mesh and differ only in which cells are metal: the surrogate then learns
the layout's effect, not the mesh's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from rfdesign.layouts.substrate import Substrate

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class PixelPatchGrid:
    """The design space of a pixel patch: outline, cells, feed, ground.

    Attributes:
        length_mm: Patch outline along x (the feed's direction), mm.
        width_mm: Patch outline along y, mm.
        n_x: Cells along x (the mask's rows).
        n_y: Cells along y (the mask's columns; even: the mirror halves them).
        substrate: The substrate.
        feed_width_mm: The microstrip feed's width (50 ohm), mm.
        feed_length_mm: The feed line from the substrate's edge (the port) to the patch, mm.
        ground_margin_mm: Ground plane and substrate beyond the patch on the other sides, mm.
    """

    length_mm: float
    width_mm: float
    n_x: int
    n_y: int
    substrate: Substrate = field(default_factory=Substrate)
    feed_width_mm: float = 1.0
    feed_length_mm: float = 3.0
    ground_margin_mm: float = 3.0

    allow_corner_contacts = False
    mirror = True

    def __post_init__(self) -> None:
        for name in ("length_mm", "width_mm", "feed_width_mm", "feed_length_mm"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0 mm, got {getattr(self, name)}")
        if self.ground_margin_mm <= 0:
            raise ValueError(f"ground_margin_mm: must be > 0 mm, got {self.ground_margin_mm}")
        if self.n_x < 2 or self.n_y < 2 or self.n_y % 2:
            raise ValueError(f"n_x, n_y: n_x >= 2 and an even n_y >= 2, got {self.n_x}, {self.n_y}")
        if self.feed_width_mm >= self.width_mm:
            raise ValueError(
                f"feed_width_mm: the feed ({self.feed_width_mm:g} mm) must be narrower than the "
                f"patch ({self.width_mm:g} mm)"
            )

    # ----- sizes and cells -----------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        """Rows of the mask (cells along x)."""
        return self.n_x

    @property
    def n_cols(self) -> int:
        """Designed columns (half the cells along y)."""
        return self.n_y // 2

    @property
    def n_cols_full(self) -> int:
        """Columns of the full mask."""
        return self.n_y

    @property
    def x_edges_mm(self) -> np.ndarray:
        """Cell edges along x, mm (``n_x + 1``, from 0 to the length)."""
        return np.round(np.linspace(0.0, self.length_mm, self.n_x + 1), 6)

    @property
    def y_edges_mm(self) -> np.ndarray:
        """Cell edges along y, mm (``n_y + 1``, symmetric about 0)."""
        return np.round(np.linspace(-self.width_mm / 2, self.width_mm / 2, self.n_y + 1), 6)

    @property
    def fixed(self) -> dict[tuple[int, int], bool]:
        """Fixed cells of the designed half: row 0's cells under the feed are metal."""
        y = self.y_edges_mm
        f2 = self.feed_width_mm / 2
        return {(0, c): True for c in range(self.n_cols) if y[c + 1] > -f2 + 1e-9}

    @property
    def free_cells(self) -> tuple[tuple[int, int], ...]:
        """Free cells of the designed half in bit order (row-major, row 0 first)."""
        fixed = self.fixed
        return tuple(
            (r, c) for r in range(self.n_rows) for c in range(self.n_cols) if (r, c) not in fixed
        )

    @property
    def n_bits(self) -> int:
        """Free binary design variables."""
        return len(self.free_cells)

    def masks(self, bits: np.ndarray) -> np.ndarray:
        """Full metal masks ``N x n_x x n_y`` (bool) of a batch of bit vectors ``N x n_bits``."""
        from rfdesign.layouts.grid import masks_from_bits

        return masks_from_bits(bits, self)

    def bits_of(self, masks: np.ndarray) -> np.ndarray:
        """The bits of full masks (the inverse of :meth:`masks`), ``N x n_bits`` uint8."""
        m = np.asarray(masks).astype(bool)
        rows, cols = (list(v) for v in zip(*self.free_cells, strict=True))
        return m[:, rows, cols].astype(np.uint8)

    def patch(self, bits) -> PixelPatch:
        """The pixel patch of one bit vector."""
        b = tuple(int(v) for v in np.asarray(bits).astype(np.uint8).ravel())
        return PixelPatch(self, b)

    def to_dict(self) -> dict:
        """The grid as JSON-ready values."""
        return {
            "length_mm": self.length_mm,
            "width_mm": self.width_mm,
            "n_x": self.n_x,
            "n_y": self.n_y,
            "substrate": self.substrate.to_dict(),
            "feed_width_mm": self.feed_width_mm,
            "feed_length_mm": self.feed_length_mm,
            "ground_margin_mm": self.ground_margin_mm,
        }

    @classmethod
    def from_dict(cls, d: dict) -> PixelPatchGrid:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        return cls(substrate=Substrate(**d.pop("substrate")), **d)

    def key(self) -> str:
        """Content hash of the grid."""
        blob = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class PixelPatch:
    """One layout of a :class:`PixelPatchGrid`.

    Attributes:
        grid: The design space.
        bits: The free cells' values (``grid.n_bits`` of 0/1).
    """

    grid: PixelPatchGrid
    bits: tuple[int, ...]

    feed = "inset"  # the port sits at the substrate's edge on the feed line, as an inset feed's

    def __post_init__(self) -> None:
        if len(self.bits) != self.grid.n_bits or any(b not in (0, 1) for b in self.bits):
            raise ValueError(f"bits: expected {self.grid.n_bits} values of 0 or 1")

    @property
    def substrate(self) -> Substrate:
        """The grid's substrate."""
        return self.grid.substrate

    @property
    def length_mm(self) -> float:
        """The outline's length, mm."""
        return self.grid.length_mm

    @property
    def width_mm(self) -> float:
        """The outline's width, mm."""
        return self.grid.width_mm

    @property
    def feed_width_mm(self) -> float:
        """The feed's width, mm."""
        return self.grid.feed_width_mm

    @property
    def mask(self) -> np.ndarray:
        """The full metal mask ``n_x x n_y`` (bool)."""
        return self.grid.masks(np.array([self.bits]))[0]

    @property
    def metal_area_mm2(self) -> float:
        """Metal area of the patch (feed excluded), mm^2."""
        g = self.grid
        return float(self.mask.sum() * g.length_mm * g.width_mm / (g.n_x * g.n_y))

    def feed_rect(self) -> Rect:
        """The feed line (x0, y0, x1, y1), mm."""
        f2 = self.grid.feed_width_mm / 2
        return (-self.grid.feed_length_mm, -f2, 0.0, f2)

    def metal_rects(self) -> list[Rect]:
        """Metal as rectangles (runs of metal cells in each row, then the feed), mm, at z = h.

        Rectangles of neighbouring rows share the cell edge between them, which is a mesh
        line, so openEMS joins them.
        """
        x, y = self.grid.x_edges_mm, self.grid.y_edges_mm
        rects: list[Rect] = []
        for r, row in enumerate(self.mask):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                rects.append((float(x[r]), float(y[start]), float(x[r + 1]), float(y[c])))
        rects.append(self.feed_rect())
        return rects

    @property
    def port_x_mm(self) -> float:
        """x of the port: the substrate's edge on the feed line."""
        return -self.grid.feed_length_mm

    def ground_rect(self) -> Rect:
        """Ground plane and substrate outline (x0, y0, x1, y1), mm."""
        g = self.grid
        m = g.ground_margin_mm
        return (-g.feed_length_mm, -g.width_mm / 2 - m, g.length_mm + m, g.width_mm / 2 + m)

    def mesh_lines(self, axis: str) -> list[float]:
        """Lines every layout of the grid shares: the cell edges along ``axis`` (mm)."""
        return (self.grid.x_edges_mm if axis == "x" else self.grid.y_edges_mm).tolist()

    def key(self) -> str:
        """Content hash of the grid and the layout."""
        blob = json.dumps({"type": "PixelPatch", "grid": self.grid.key(), "bits": self.bits})
        return hashlib.sha256(blob.encode()).hexdigest()

    def bit_string(self) -> str:
        """The bits as a string of 0 and 1."""
        return "".join(str(b) for b in self.bits)
