"""Geometry export of pixel layouts: GDSII (gdstk) and an annotated PNG picture (matplotlib).

GDSII files are written as the layout ecosystem expects them (gdsfactory, KLayout): user unit
1 um, database unit 1 nm. The layer map (datatype 0 throughout, :class:`GdsLayers`):

=====  ===============================================================
layer  holds
=====  ===============================================================
1      metal: the patch and both feed lines, merged polygons
2      substrate outline (the board edge; the feeds end on it)
10     port markers: a 20 um square at each port plane, labels P1 / P2
=====  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rfdesign.layouts.layout import Layout


@dataclass(frozen=True)
class GdsLayers:
    """GDSII layer numbers (datatype 0) used by :func:`write_gds`.

    Attributes:
        metal: Patch metal and feed lines, merged.
        substrate: Substrate outline (the board edge).
        ports: Port markers: a zero-area-free square at each port plane plus a text label.
    """

    metal: int = 1
    substrate: int = 2
    ports: int = 10


GDS_UNIT_M = 1e-6
"""User unit of written GDSII files: 1 um (coordinates in the file are in um)."""

GDS_PRECISION_M = 1e-9
"""Database unit of written GDSII files: 1 nm."""

SUBSTRATE_MARGIN_MM = 0.5
"""Margin in mm of substrate around the patch above and below (feeds reach the board edge)."""

PORT_MARKER_MM = 0.02
"""Side in mm of the square that marks each port plane on the port layer."""


def substrate_outline_mm(layout: Layout) -> tuple[float, float, float, float]:
    """Board outline ``(x0, y0, x1, y1)`` in mm: feeds end at the board edge."""
    g = layout.grid
    return (
        -g.feed_length_mm,
        -SUBSTRATE_MARGIN_MM,
        g.width_mm + g.feed_length_mm,
        g.height_mm + SUBSTRATE_MARGIN_MM,
    )


def write_gds(
    layout: Layout, path: str | Path, layers: GdsLayers | None = None, cell_name: str | None = None
) -> Path:
    """Write ``layout`` as GDSII: database unit 1 nm, user unit 1 um (the module's layer map).

    Args:
        layout: The layout to export.
        path: Output file (``.gds``).
        layers: Layer numbers; defaults to :class:`GdsLayers`.
        cell_name: Top cell name; defaults to ``PIXEL_<first 12 hex of the layout key>``.

    Returns:
        The path written.
    """
    import gdstk

    layers = layers or GdsLayers()
    um = 1e-3 / GDS_UNIT_M  # mm -> file units
    lib = gdstk.Library(name="rfdesign", unit=GDS_UNIT_M, precision=GDS_PRECISION_M)
    cell = lib.new_cell(cell_name or f"PIXEL_{layout.key()[:12]}")
    for pts in layout.polygons(include_feeds=True):
        cell.add(gdstk.Polygon(np.asarray(pts) * um, layer=layers.metal))
    x0, y0, x1, y1 = (v * um for v in substrate_outline_mm(layout))
    cell.add(gdstk.rectangle((x0, y0), (x1, y1), layer=layers.substrate))
    yc = layout.grid.feed_center_y_mm * um
    s = PORT_MARKER_MM / 2 * um
    for name, x in (("P1", x0), ("P2", x1)):
        cell.add(gdstk.rectangle((x - s, yc - s), (x + s, yc + s), layer=layers.ports))
        cell.add(gdstk.Label(name, (x, yc), layer=layers.ports))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lib.write_gds(str(path))
    return path


def gds_layer_area_mm2(path: str | Path, layer: int = GdsLayers.metal) -> float:
    """Total polygon area in mm^2 on ``layer`` of the top cell of a GDSII file (any unit)."""
    import gdstk

    lib = gdstk.read_gds(str(path), unit=1e-3)  # converts the file's unit to mm
    top = lib.top_level()[0]
    return float(sum(p.area() for p in top.get_polygons(layer=layer, datatype=0)))


def write_png(layout: Layout, path: str | Path, title: str | None = None, dpi: int = 150) -> Path:
    """Draw ``layout`` with its dimensions: metal, fixed cells, feeds, mirror line, sizes in mm.

    Args:
        layout: The layout to draw.
        path: Output file (``.png``).
        title: Figure title; defaults to the grid name and the bit string.
        dpi: Resolution of the picture.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    g = layout.grid
    xe, ye = g.x_edges_mm, g.y_edges_mm
    mask = layout.mask()
    fixed_full = np.zeros_like(mask)
    for r, c in g.fixed:
        fixed_full[r, c] = True
        if g.mirror:
            fixed_full[r, g.n_cols_full - 1 - c] = True

    fig, ax = plt.subplots(
        figsize=(8.0, 8.0 * (g.height_mm + 0.9) / (g.width_mm + 2 * g.feed_length_mm + 0.6))
    )
    ox0, oy0, ox1, oy1 = substrate_outline_mm(layout)
    ax.add_patch(Rectangle((ox0, oy0), ox1 - ox0, oy1 - oy0, color="#e8e0c8", zorder=0))
    for r in range(g.n_rows):
        for c in range(g.n_cols_full):
            metal = bool(mask[r, c])
            ax.add_patch(
                Rectangle(
                    (xe[c], ye[r]),
                    xe[c + 1] - xe[c],
                    ye[r + 1] - ye[r],
                    facecolor="#d4a017" if metal else "white",
                    edgecolor="0.55",
                    linewidth=0.6,
                    hatch="//" if fixed_full[r, c] else None,
                    zorder=1,
                )
            )
    for x0, y0, x1, y1 in layout.feed_rects():
        ax.add_patch(
            Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="#d4a017", edgecolor="k", lw=0.6)
        )
    if g.mirror:
        ax.axvline(g.width_mm / 2, color="tab:blue", ls="--", lw=0.8, label="mirror line")
    for label, x in (("P1", ox0), ("P2", ox1)):
        ax.annotate(
            label,
            (x, g.feed_center_y_mm),
            ha="center",
            va="bottom",
            xytext=(0, 6),
            textcoords="offset points",
            fontsize=9,
            weight="bold",
        )
    # Dimensions: column widths above, row heights on the left, overall size.
    for c in range(g.n_cols_full):
        ax.text(
            (xe[c] + xe[c + 1]) / 2,
            g.height_mm + 0.04,
            f"{xe[c + 1] - xe[c]:.3g}",
            ha="center",
            va="bottom",
            fontsize=6,
            rotation=90,
        )
    for r in range(g.n_rows):
        ax.text(
            -0.03,
            (ye[r] + ye[r + 1]) / 2,
            f"{ye[r + 1] - ye[r]:.3g}",
            ha="right",
            va="center",
            fontsize=6,
        )
    ax.annotate(
        "", xy=(0, -0.12), xytext=(g.width_mm, -0.12), arrowprops={"arrowstyle": "<->", "lw": 0.8}
    )
    ax.text(
        g.width_mm / 2,
        -0.16,
        f"patch {g.width_mm:.3f} mm x {g.height_mm:.3f} mm; feeds "
        f"{g.feed_width_mm * 1e3:.1f} um x {g.feed_length_mm:.2f} mm (50 ohm); "
        "hatched = fixed cell",
        ha="center",
        va="top",
        fontsize=7,
    )
    conn = layout.connectivity
    status = "ports connected" if conn.connected else "ports NOT connected"
    ax.set_title(
        title
        or f"{g.name}  bits {layout.bit_string}\n{status}, "
        f"{len(conn.floating_islands)} floating island(s), metal {layout.metal_area_mm2():.3f} mm$^2$",
        fontsize=9,
    )
    ax.set_xlim(ox0 - 0.05, ox1 + 0.05)
    ax.set_ylim(oy0 + SUBSTRATE_MARGIN_MM * 0.4, oy1 - SUBSTRATE_MARGIN_MM * 0.4)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
