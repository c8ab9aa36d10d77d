"""GDSII and PNG export."""

import numpy as np
import pytest

from rfdesign.layouts import Layout
from rfdesign.layouts.export import GdsLayers, gds_layer_area_mm2, write_gds, write_png


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gds_metal_area_equals_mask_area(ka_grid, tmp_path, seed):
    lay = Layout.random(ka_grid, seed=seed)
    path = write_gds(lay, tmp_path / "layout.gds")
    # Independent area: cell areas from the grid sizes times the mask, plus the two feeds.
    widths = np.array([0.12, 0.27, 0.27, 0.27, 0.12, 0.12, 0.27, 0.27, 0.27, 0.12])
    mask_area = float((np.outer([0.3] * 4, widths) * lay.mask()).sum())
    feeds = 2 * ka_grid.feed_width_mm * ka_grid.feed_length_mm
    assert gds_layer_area_mm2(path, GdsLayers.metal) == pytest.approx(mask_area + feeds, abs=1e-9)
    outline = (2.1 + 2 * 0.5) * (1.2 + 2 * 0.5)
    assert gds_layer_area_mm2(path, GdsLayers.substrate) == pytest.approx(outline, abs=1e-9)


def test_gds_has_two_port_labels(ka_grid, tmp_path):
    import gdstk

    path = write_gds(Layout.random(ka_grid, seed=5), tmp_path / "l.gds")
    top = gdstk.read_gds(str(path)).top_level()[0]
    assert sorted(label.text for label in top.labels) == ["P1", "P2"]


def test_png_is_written(ka_grid, tmp_path):
    path = write_png(Layout.random(ka_grid, seed=5), tmp_path / "l.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_gds_is_in_micrometres_with_nanometre_grid(ka_grid, tmp_path):
    # gdsfactory and KLayout expect user unit 1 um, database unit 1 nm
    import gdstk

    lay = Layout.random(ka_grid, seed=5)
    path = write_gds(lay, tmp_path / "l.gds")
    unit, precision = gdstk.gds_units(str(path))
    assert unit == pytest.approx(1e-6) and precision == pytest.approx(1e-9)
    top = gdstk.read_gds(str(path)).top_level()[0]  # coordinates as stored: um
    (outline,) = top.get_polygons(layer=GdsLayers.substrate, datatype=0)
    width_um = np.ptp(outline.points[:, 0])
    assert width_um == pytest.approx(1000 * (ka_grid.width_mm + 2 * ka_grid.feed_length_mm))
