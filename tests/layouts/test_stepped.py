"""The stepped-impedance line renders to the mirrored, all-fixed grid it describes."""

import numpy as np
import pytest

from rfdesign.layouts.stepped import SteppedLine
from rfdesign.layouts.substrate import Substrate

SUB = Substrate(eps_r=9.8, height_mm=0.254, tan_delta=1e-4)


def test_sections_become_columns_and_widths_symmetric_rows():
    line = SteppedLine((1.0, 2.0, 1.5), (1.0, 0.03, 1.0))
    lay = line.layout(SUB, 0.24)
    g = lay.grid
    assert g.n_bits == 0 and g.mirror
    assert g.column_widths_mm == (1.0, 2.0, 0.75)  # the centre section halved, mirrored
    np.testing.assert_allclose(g.row_heights_mm, (0.485, 0.03, 0.485))
    assert g.feed_center_y_mm == pytest.approx(0.5)  # the feeds meet the line's axis
    assert g.width_mm == pytest.approx(line.length_mm) == pytest.approx(1 + 2 + 1.5 + 2 + 1)
    # wide sections fill every row, the narrow one only the middle row; the centre
    # section is two mirrored half columns
    np.testing.assert_array_equal(
        lay.mask(), [[1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1]]
    )
    assert line.full_widths_mm == (1.0, 0.03, 1.0, 0.03, 1.0)


def test_three_widths_make_two_row_pairs():
    g = SteppedLine((0.5, 0.5, 0.5), (0.5, 0.1, 0.3)).grid(SUB, 0.24)
    np.testing.assert_allclose(g.row_heights_mm, (0.1, 0.1, 0.1, 0.1, 0.1))
    assert SteppedLine.from_dict(SteppedLine((0.5, 0.4), (0.5, 0.1)).to_dict()) == SteppedLine(
        (0.5, 0.4), (0.5, 0.1)
    )


@pytest.mark.parametrize(
    "lengths, widths, field",
    [
        ((1.0, 2.0), (1.0,), "widths_mm"),
        ((1.0, -2.0), (1.0, 0.1), "lengths_mm"),
        ((1.0,), (float("nan"),), "widths_mm"),
    ],
)
def test_bad_sections_are_named(lengths, widths, field):
    with pytest.raises(ValueError, match=field):
        SteppedLine(lengths, widths)
