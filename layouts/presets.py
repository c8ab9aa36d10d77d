"""Named pixel-grid presets, kept in a registry.

Presets are factories ``(substrate) -> PixelGrid`` registered with :func:`register_grid`;
the feed width is synthesised for 50 ohm on the given substrate, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Callable

from rfdesign.core.registry import Registry
from rfdesign.layouts.feeds import microstrip_width_mm
from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.substrate import ALUMINA_127UM, Substrate

GridFactory = Callable[[Substrate], PixelGrid]
GRIDS: Registry[GridFactory] = Registry("grid preset")
"""Grid preset name -> factory ``(substrate) -> PixelGrid``."""


def register_grid(name: str) -> Callable[[GridFactory], GridFactory]:
    """Decorator that registers a grid factory under ``name`` (duplicates are rejected)."""
    return GRIDS.register(name)


def grid_names() -> list[str]:
    """Names of all registered grid presets."""
    return GRIDS.names()


def get_grid(name: str, substrate: Substrate | None = None) -> PixelGrid:
    """Build the preset grid ``name`` on ``substrate`` (default: the paper's alumina).

    Raises:
        KeyError: For an unknown name, with the closest known name.
    """
    return GRIDS.get(name)(substrate or ALUMINA_127UM)


@register_grid("ka_pixel_4x5")
def ka_pixel_4x5(substrate: Substrate) -> PixelGrid:
    """The paper's Ka-band pixel filter grid: 4 x 5 designed cells, 15 free bits.

    Left half (mirrored to the right), from port 1 inwards: a 0.12 mm input/output coupling
    column, three 0.27 mm resonator columns, and a 0.12 mm inter-resonator coupling column at
    the centre (0.24 mm wide after mirroring); four rows of 0.30 mm. The patch is 2.10 mm x
    1.20 mm; a 1.20 mm line is about half a guided wavelength near 45 GHz on alumina, so
    vertical strips in the resonator columns resonate in the 34-46 GHz band.

    Fixed cells (5) and why:

    * (1, 0) and (2, 0) metal: the two cells the 50-ohm feed lands on, so every layout is
      driven (a port that ends in an empty cell sees an open circuit and makes a useless
      layout);
    * (0, 0) and (3, 0) empty: keeps the launch narrow, so the input coupling is set by the
      resonator region and not by a wide capacitive step at the port;
    * (1, 1) metal: the tap into the first resonator column, so the feed never ends in a
      0.12 mm stub that only adds a small capacitance.

    That leaves 15 free bits, 2 ** 15 = 32,768 layouts (Huawei Research, "AI-Driven
    Innovations in RF and Antenna Design", 2024, section on pixelated filters).
    """
    return PixelGrid(
        column_widths_mm=(0.12, 0.27, 0.27, 0.27, 0.12),
        row_heights_mm=(0.30, 0.30, 0.30, 0.30),
        substrate=substrate,
        feed_width_mm=microstrip_width_mm(substrate, 50.0, 40.0),
        feed_length_mm=0.5,
        mirror=True,
        fixed={(1, 0): True, (2, 0): True, (0, 0): False, (3, 0): False, (1, 1): True},
        name="ka_pixel_4x5",
    )


@register_grid("ka_pixel_8x8")
def ka_pixel_8x8(substrate: Substrate) -> PixelGrid:
    """A finer Ka-band grid for searches beyond exhaustive reach: 8 rows x 8 designed columns.

    Uniform 0.135 mm x 0.15 mm cells (patch 2.16 mm x 1.20 mm, the footprint of
    ``ka_pixel_4x5``), mirrored; the two column-0 cells under the feed are fixed metal, so 62
    bits are free (about 4.6e18 layouts).
    """
    rows = 8
    grid_height = 1.2
    feed_w = microstrip_width_mm(substrate, 50.0, 40.0)
    row_h = grid_height / rows
    centre = grid_height / 2
    fixed = {
        (r, 0): True
        for r in range(rows)
        if r * row_h < centre + feed_w / 2 and (r + 1) * row_h > centre - feed_w / 2
    }
    return PixelGrid(
        column_widths_mm=(0.135,) * 8,
        row_heights_mm=(row_h,) * rows,
        substrate=substrate,
        feed_width_mm=feed_w,
        feed_length_mm=0.5,
        mirror=True,
        fixed=fixed,
        name="ka_pixel_8x8",
    )
