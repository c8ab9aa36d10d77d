"""The pixel patch: mirror, fixed feed cells, metal as rectangles, admissible random layouts."""

import numpy as np
import pytest

from rfdesign.layouts.grid import corner_contact_counts, repair_corner_contacts
from rfdesign.layouts.pixel_patch import PixelPatchGrid
from rfdesign.layouts.substrate import Substrate

SUB = Substrate(eps_r=3.55, tan_delta=0.0027, height_mm=0.508)


def grid(n_x=8, n_y=6, fw=1.2):
    return PixelPatchGrid(2.6, n_y * fw / 2, n_x, n_y, SUB, fw, 2.0, 2.0)


def test_feed_meets_exactly_the_centre_columns_and_they_are_fixed_metal():
    g = grid()
    assert g.fixed == {(0, 2): True}  # half columns 0..2; the feed is the two centre columns
    assert g.n_bits == 8 * 3 - 1
    y = g.y_edges_mm
    assert y[2] == pytest.approx(-0.6) and y[4] == pytest.approx(0.6)  # the feed's edges


def test_masks_are_mirrored_and_bits_round_trip():
    g = grid()
    bits = np.random.default_rng(0).integers(0, 2, (5, g.n_bits))
    m = g.masks(bits)
    assert m.shape == (5, 8, 6)
    assert (m == m[:, :, ::-1]).all()
    assert m[:, 0, 2].all() and m[:, 0, 3].all()
    assert (g.bits_of(m) == bits).all()


def test_metal_rectangles_cover_the_mask_and_the_feed():
    g = grid()
    p = g.patch(np.random.default_rng(1).integers(0, 2, g.n_bits))
    area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in p.metal_rects())
    feed = g.feed_length_mm * g.feed_width_mm
    assert area == pytest.approx(p.metal_area_mm2 + feed)
    assert p.metal_area_mm2 == pytest.approx(p.mask.sum() * 2.6 * g.width_mm / 48)
    full = g.patch(np.ones(g.n_bits, int))
    assert len(full.metal_rects()) == g.n_x + 1  # one run per row, then the feed


def test_key_follows_the_layout():
    g = grid()
    a = g.patch(np.zeros(g.n_bits, int))
    b = g.patch(np.r_[1, np.zeros(g.n_bits - 1, int)])
    assert a.key() != b.key() and a.key() == g.patch(np.zeros(g.n_bits, int)).key()


def test_the_filter_grids_corner_repair_applies():
    g = grid()
    bits = np.random.default_rng(2).integers(0, 2, (200, g.n_bits))
    assert corner_contact_counts(g.masks(bits)).sum() > 0
    fixed = repair_corner_contacts(g, bits)
    assert corner_contact_counts(g.masks(fixed)).sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"n_y": 5}, "n_x, n_y"), ({"fw": 10.0}, "feed_width_mm")],
)
def test_bad_grids_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        if "fw" in kwargs:
            PixelPatchGrid(2.6, 3.0, 8, 6, SUB, kwargs["fw"], 2.0, 2.0)
        else:
            PixelPatchGrid(2.6, 3.0, 8, kwargs["n_y"], SUB, 1.0, 2.0, 2.0)
