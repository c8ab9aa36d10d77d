"""Antenna geometries: the patch's metal, ground and checks; the dipole."""

import pytest

from rfdesign.layouts.antenna import Dipole, RectPatch
from rfdesign.layouts.substrate import Substrate

SUB = Substrate(eps_r=3.55, tan_delta=0.0027, height_mm=0.508)


def area(rects):
    return sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in rects)


def test_an_inset_patch_is_the_patch_less_its_notches_plus_the_feed():
    p = RectPatch(2.6, 3.5, SUB, inset_mm=0.9, feed_width_mm=1.2, notch_mm=0.15, feed_length_mm=3)
    patch_area = 2.6 * 3.5 - 0.9 * (1.2 + 2 * 0.15)
    feed_area = 1.2 * (3 + 0.9)
    assert area(p.metal_rects()) == pytest.approx(patch_area + feed_area)
    # the feed starts at the substrate's edge, where the port is
    assert p.ground_rect()[0] == -3 and min(r[0] for r in p.metal_rects()) == -3
    assert p.ground_rect()[2] == pytest.approx(2.6 + 3.0)


def test_a_probe_patch_has_no_feed_line_and_its_ground_all_round():
    p = RectPatch(2.6, 3.5, SUB, feed="probe", probe_x_mm=0.9, ground_margin_mm=2)
    assert p.metal_rects() == [(0.0, -1.75, 2.6, 1.75)]
    assert p.ground_rect() == (-2, -3.75, 4.6, 3.75)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"feed": "coax"}, "feed"),
        ({"inset_mm": 2.7}, "inset_mm"),
        ({"inset_mm": 0.5, "feed_width_mm": 3.4}, "notch_mm"),
        ({"feed": "probe", "probe_x_mm": 0.0}, "probe_x_mm"),
        ({"ground_margin_mm": 0}, "ground_margin_mm"),
    ],
)
def test_bad_sizes_are_refused_naming_the_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        RectPatch(2.6, 3.5, SUB, **kw)


def test_keys_follow_every_size():
    a = RectPatch(2.6, 3.5, SUB, inset_mm=0.9)
    assert a.key() == RectPatch(2.6, 3.5, SUB, inset_mm=0.9).key()
    assert a.key() != RectPatch(2.6, 3.5, SUB, inset_mm=0.91).key()
    assert a.key() != RectPatch(2.6, 3.5, Substrate(), inset_mm=0.9).key()
    assert Dipole(15.0).key() != Dipole(15.0, gap_mm=0.4).key()
    with pytest.raises(ValueError, match=r"^gap_mm:"):
        Dipole(1.0, gap_mm=1.0)
