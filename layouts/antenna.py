"""Antenna geometries: a rectangular patch (inset microstrip or probe fed) and a dipole.

The parametric families of the antenna half (SEED-NOTES section 4). Each is a frozen
dataclass of sizes in mm with the metal as rectangles (``metal_rects``: ``(x0, y0, x1, y1)``
in the plane of the metal) and a content key, so the full-wave model, the coarse model,
the cache and the exports all read one description.

Coordinates of the patch: the radiating edges are at ``x = 0`` and ``x = length_mm`` (the
resonant length runs along x, the TM010 mode's), the patch spans ``y = -width_mm / 2 ..
width_mm / 2``, the metal lies on the substrate at ``z = h`` over a ground plane at
``z = 0``. The inset feed line comes from ``-x``: it starts at the substrate's edge and runs
``inset_mm`` into the patch between two notches (Balanis, *Antenna Theory*, 4th ed., fig.
14.3(a) and section 14.2.3). A probe feed is a vertical current from the ground to the patch
at ``(probe_x_mm, 0)`` (fig. 14.3(b)).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from rfdesign.layouts.substrate import Substrate

Rect = tuple[float, float, float, float]


def _key(obj: object) -> str:
    """sha256 of the object's fields as sorted JSON: its content key."""
    blob = json.dumps({"type": type(obj).__name__, **asdict(obj)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class RectPatch:
    """A rectangular patch on a finite grounded substrate.

    Attributes:
        length_mm: Resonant length L (x), mm.
        width_mm: Width W (y), mm.
        substrate: The substrate (thickness, permittivity, loss).
        feed: ``"inset"`` (a microstrip line into a notched edge) or ``"probe"``.
        inset_mm: How far the feed line enters the patch (inset feed), mm.
        feed_width_mm: The feed line's width (inset feed), mm.
        notch_mm: The gap on each side of the feed line inside the patch, mm.
        feed_length_mm: The feed line's length outside the patch, from the substrate's edge
            (where the port is) to the radiating edge, mm.
        probe_x_mm: The probe's distance from the radiating edge at ``x = 0`` (probe feed),
            mm.
        ground_margin_mm: Ground plane (and substrate) beyond the patch on the other three
            sides, mm.
    """

    length_mm: float
    width_mm: float
    substrate: Substrate = field(default_factory=Substrate)
    feed: str = "inset"
    inset_mm: float = 0.0
    feed_width_mm: float = 1.0
    notch_mm: float = 0.1
    feed_length_mm: float = 3.0
    probe_x_mm: float = 0.0
    ground_margin_mm: float = 3.0

    def __post_init__(self) -> None:
        if self.feed not in ("inset", "probe"):
            raise ValueError(f"feed: 'inset' or 'probe', got {self.feed!r}")
        for name in ("length_mm", "width_mm", "ground_margin_mm"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0 mm, got {getattr(self, name)}")
        if self.feed == "inset":
            for name in ("feed_width_mm", "notch_mm", "feed_length_mm"):
                if getattr(self, name) <= 0:
                    raise ValueError(f"{name}: must be > 0 mm, got {getattr(self, name)}")
            if not 0 <= self.inset_mm < self.length_mm:
                raise ValueError(
                    f"inset_mm: must lie in [0, {self.length_mm:g}) mm, got {self.inset_mm}"
                )
            if self.inset_mm > 0 and self.feed_width_mm + 2 * self.notch_mm >= self.width_mm:
                raise ValueError(
                    f"notch_mm: the feed ({self.feed_width_mm:g} mm) and its notches "
                    f"({self.notch_mm:g} mm each) must be narrower than the patch "
                    f"({self.width_mm:g} mm)"
                )
        elif not 0 < self.probe_x_mm < self.length_mm:
            raise ValueError(
                f"probe_x_mm: must lie inside the patch (0, {self.length_mm:g}) mm, got "
                f"{self.probe_x_mm}"
            )

    def metal_rects(self) -> list[Rect]:
        """The patch and feed metal as rectangles (x0, y0, x1, y1), mm, at z = h."""
        w2, length = self.width_mm / 2, self.length_mm
        if self.feed == "probe" or self.inset_mm == 0:
            rects: list[Rect] = [(0.0, -w2, length, w2)]
        else:
            side = self.feed_width_mm / 2 + self.notch_mm
            d = self.inset_mm
            rects = [(d, -w2, length, w2), (0.0, -w2, d, -side), (0.0, side, d, w2)]
        if self.feed == "inset":
            f2 = self.feed_width_mm / 2
            rects.append((-self.feed_length_mm, -f2, self.inset_mm, f2))
        return rects

    @property
    def port_x_mm(self) -> float:
        """x of the port (on y = 0): the substrate's edge (inset feed) or the probe."""
        return self.ground_rect()[0] if self.feed == "inset" else self.probe_x_mm

    def ground_rect(self) -> Rect:
        """The ground plane and substrate outline (x0, y0, x1, y1), mm."""
        m = self.ground_margin_mm
        x0 = -self.feed_length_mm if self.feed == "inset" else -m
        return (x0, -self.width_mm / 2 - m, self.length_mm + m, self.width_mm / 2 + m)

    def key(self) -> str:
        """Content hash of every size and the substrate."""
        return _key(self)


@dataclass(frozen=True)
class Dipole:
    """A centre-fed flat dipole in free space along z (the directivity reference).

    Attributes:
        length_mm: Tip-to-tip length, mm.
        width_mm: Strip width (a flat strip of width w is a wire of radius w / 4), mm.
        gap_mm: Feed gap at the centre, where the port is, mm.
    """

    length_mm: float
    width_mm: float = 0.5
    gap_mm: float = 0.5

    def __post_init__(self) -> None:
        for name in ("length_mm", "width_mm", "gap_mm"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0 mm, got {getattr(self, name)}")
        if self.gap_mm >= self.length_mm:
            raise ValueError(f"gap_mm: must be shorter than the dipole ({self.length_mm:g} mm)")

    def key(self) -> str:
        """Content hash of the sizes."""
        return _key(self)


def write_patch_gds(patch: RectPatch, path, cell_name: str | None = None):
    """Write the patch as GDSII (1 um user unit, 1 nm database unit).

    Layers as the filters': 1 metal, 2 substrate and ground outline, 10 the port marker.
    """
    from pathlib import Path

    import gdstk

    from rfdesign.layouts.export import GDS_PRECISION_M, GDS_UNIT_M, PORT_MARKER_MM, GdsLayers

    layers = GdsLayers()
    um = 1e-3 / GDS_UNIT_M
    lib = gdstk.Library(name="rfdesign", unit=GDS_UNIT_M, precision=GDS_PRECISION_M)
    cell = lib.new_cell(cell_name or f"PATCH_{patch.key()[:12]}")
    rects = [
        gdstk.rectangle((x0 * um, y0 * um), (x1 * um, y1 * um))
        for x0, y0, x1, y1 in patch.metal_rects()
    ]
    for poly in gdstk.boolean(rects, [], "or", layer=layers.metal):
        cell.add(poly)
    gx0, gy0, gx1, gy1 = patch.ground_rect()
    cell.add(gdstk.rectangle((gx0 * um, gy0 * um), (gx1 * um, gy1 * um), layer=layers.substrate))
    px = patch.port_x_mm * um
    s = PORT_MARKER_MM / 2 * um
    cell.add(gdstk.rectangle((px - s, -s), (px + s, s), layer=layers.ports))
    cell.add(gdstk.Label("P1", (px, 0.0), layer=layers.ports))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lib.write_gds(str(path))
    return path
