"""Pixel grids, layouts, substrates, feeds and geometry export (imported as rfdesign.layouts)."""

from rfdesign.layouts.feeds import microstrip_width_mm, microstrip_z0
from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Connectivity, Layout, layouts_from_bits
from rfdesign.layouts.presets import get_grid, grid_names, register_grid
from rfdesign.layouts.substrate import ALUMINA_127UM, Substrate

__all__ = [
    "ALUMINA_127UM",
    "Connectivity",
    "Layout",
    "PixelGrid",
    "Substrate",
    "get_grid",
    "grid_names",
    "layouts_from_bits",
    "microstrip_width_mm",
    "microstrip_z0",
    "register_grid",
]
