"""The comb family renders to the pixel grid it describes."""

import numpy as np
import pytest

from rfdesign.layouts.comb import Comb, single_strip, strip_pair, tapped_strip
from rfdesign.layouts.substrate import Substrate

SUB = Substrate(eps_r=9.8, height_mm=0.127, tan_delta=1e-4)
FW = 0.1204  # 50 ohm on 0.127 mm alumina


def strips_of(layout):
    """(x0, x1, y1) of every strip of the full mask (strips stand on y = 0; the outer
    columns hold only the taps)."""
    g = layout.grid
    m = layout.mask()
    xs = np.concatenate([[0.0], np.cumsum(g.full_column_widths_mm)])
    ys = np.concatenate([[0.0], np.cumsum(g.row_heights_mm)])
    out = []
    for c in range(1, m.shape[1] - 1):
        rows = np.nonzero(m[:, c])[0]
        if len(rows):
            top = ys[rows.max() + 1]
            if out and out[-1][1] == xs[c] and out[-1][2] == top:  # a strip's mirrored half
                out[-1] = (out[-1][0], xs[c + 1], top)
            else:
                out.append((xs[c], xs[c + 1], top))
    return out


def test_the_shipped_band_pass_comb_is_one_member_of_the_family():
    # examples/ka_bandpass_channel.yaml: six strips, drawn by hand as a pixel grid
    comb = Comb(6, (1.203,) * 3, (0.311, 0.249, 0.254), (0.332, 0.474, 0.508), 0.357, 0.131)
    lay = comb.layout(SUB, FW)
    g = lay.grid
    assert g.column_widths_mm == (0.131, 0.311, 0.332, 0.249, 0.474, 0.254, 0.254)
    assert sum(g.row_heights_mm) == pytest.approx(1.203) and g.n_bits == 0
    assert g.feed_y_mm == pytest.approx(0.357)
    strips = strips_of(lay)
    assert len(strips) == 6
    widths = [b - a for a, b, _ in strips]
    assert widths == pytest.approx(comb.all_widths_mm)
    gaps = [strips[i + 1][0] - strips[i][1] for i in range(5)]
    assert gaps == pytest.approx(comb.all_gaps_mm)
    # the tap joins the feed to the first strip across the inset column, only in its row
    tap_row = g.row_heights_mm.index(min(g.row_heights_mm))
    assert lay.mask()[tap_row, 0] and lay.mask()[:, 0].sum() == 1


def test_odd_combs_have_a_centre_strip_and_per_strip_lengths():
    comb = Comb(5, (1.19, 1.2, 1.21), (0.3, 0.25, 0.26), (0.3, 0.4), 0.0602, 0.131)
    lay = comb.layout(SUB, FW)
    strips = strips_of(lay)
    assert [b - a for a, b, _ in strips] == pytest.approx((0.3, 0.25, 0.26, 0.25, 0.3))
    assert [top for *_, top in strips] == pytest.approx(comb.all_lengths_mm)
    assert comb.all_gaps_mm == (0.3, 0.4, 0.4, 0.3)
    # the tap at the strip's very end: no row below it
    assert lay.grid.row_heights_mm[0] == pytest.approx(FW) and lay.grid.feed_y_mm == 0.0602


def test_a_uniform_comb_and_bad_sizes_are_named():
    c = Comb.uniform(4, 1.2, 0.25, 0.3, 0.4)
    assert c.lengths_mm == (1.2, 1.2) and c.gaps_mm == (0.3, 0.3)
    with pytest.raises(ValueError, match="gaps_mm: 6 strips need 3 gaps"):
        Comb(6, (1.2,) * 3, (0.25,) * 3, (0.3,) * 2, 0.4)
    with pytest.raises(ValueError, match="tap_mm: the feed"):
        Comb.uniform(4, 1.2, 0.25, 0.3, 1.19).grid(SUB, FW)
    with pytest.raises(ValueError, match="widths_mm: sizes must be > 0"):
        Comb(2, (1.2,), (0.0,), (0.3,), 0.4)


def test_design_curve_structures():
    one = single_strip(SUB, FW, 1.2, 0.25, 0.05)
    assert len(strips_of(one)) == 1 and one.mask()[:, 0].sum() == 0  # feeds not touching
    pair = strip_pair(SUB, FW, 1.2, 0.25, 0.3, 0.05)
    (a0, a1, _), (b0, _, _) = strips_of(pair)
    assert b0 - a1 == pytest.approx(0.3) and a0 == pytest.approx(0.05)
    tap = tapped_strip(SUB, FW, 1.2, 0.25, 0.4, 0.13, 1.0)
    assert not tap.grid.mirror and tap.grid.feed_y_mm == pytest.approx(0.4)
    assert tap.mask()[:, 0].sum() == 1 and tap.mask()[:, 2].sum() == 0
