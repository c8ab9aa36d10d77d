"""Canonical microstrip structures as pixel layouts, for checking full-wave engines.

Each is a tiny custom :class:`PixelGrid` whose cells are all fixed (no free bits), mirror
symmetric from port 1 to port 2, with 50-ohm feeds as wide as the strip of row 0:

* :func:`stepped_line`: a uniform strip of another width between the feeds (its impedance
  and effective permittivity, from the reflection of the impedance step);
* :func:`end_coupled_resonator`: a half-wave strip coupled to each feed through an end gap
  (its frequency and Q);
* :func:`coupled_resonator_pair`: two such strips side by side, the feeds gap-coupled to the
  lower one (the coupling coefficient from the two split peaks).

The references they are checked against are in :mod:`rfdesign.solvers.canonical`.
"""

from __future__ import annotations

from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout
from rfdesign.layouts.substrate import Substrate


def _all_fixed(
    columns: tuple[float, ...],
    rows: tuple[float, ...],
    metal: list[list[bool]],
    substrate: Substrate,
    feed_width_mm: float,
    name: str,
) -> Layout:
    """A layout whose every designed cell is fixed (``metal[row][col]``, left half)."""
    fixed = {(r, c): metal[r][c] for r in range(len(rows)) for c in range(len(columns))}
    grid = PixelGrid(
        columns,
        rows,
        substrate,
        feed_width_mm,
        mirror=True,
        fixed=fixed,
        feed_y_mm=feed_width_mm / 2,
        name=name,
    )
    return Layout.from_bits(grid, "")


def stepped_line(
    substrate: Substrate, feed_width_mm: float, width_mm: float, length_mm: float
) -> Layout:
    """A strip ``width_mm`` wide and ``length_mm`` long between two feeds, centred on them.

    Rows: the strip is the middle row when it is narrower than the feed, else the feed is
    centred on it; either way the structure is symmetric about the feed axis.
    """
    if width_mm <= feed_width_mm:
        side = (feed_width_mm - width_mm) / 2
        rows, metal, feed_y = (side, width_mm, side), [False, True, False], feed_width_mm / 2
    else:
        rows, metal, feed_y = (width_mm,), [True], width_mm / 2
    grid = PixelGrid(
        (length_mm / 2,),
        rows,
        substrate,
        feed_width_mm,
        mirror=True,
        fixed={(r, 0): m for r, m in enumerate(metal)},
        feed_y_mm=feed_y,
        name="stepped_line",
    )
    return Layout.from_bits(grid, "")


def end_coupled_resonator(
    substrate: Substrate, width_mm: float, length_mm: float, gap_mm: float
) -> Layout:
    """A strip of ``length_mm`` with an end gap ``gap_mm`` to each feed (feeds ``width_mm``)."""
    return _all_fixed(
        (gap_mm, length_mm / 2),
        (width_mm,),
        [[False, True]],
        substrate,
        width_mm,
        "end_coupled_resonator",
    )


def coupled_resonator_pair(
    substrate: Substrate,
    width_mm: float,
    length_mm: float,
    spacing_mm: float,
    feed_gap_mm: float,
) -> Layout:
    """Two parallel strips ``spacing_mm`` apart; the feeds couple to the lower one's ends."""
    return _all_fixed(
        (feed_gap_mm, length_mm / 2),
        (width_mm, spacing_mm, width_mm),
        [[False, True], [False, False], [False, True]],
        substrate,
        width_mm,
        "coupled_resonator_pair",
    )
