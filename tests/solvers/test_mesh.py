"""Mesh lines from geometry: metal edges, the one-third/two-thirds rule, CSXCAD smoothing."""

import numpy as np
import pytest

from rfdesign.solvers.mesh import metal_edges, smooth_lines, thirds_lines


def test_edges_of_a_strip_and_of_staggered_cells():
    # a strip from x = 0 to 1 (y 0 to 0.2): edges at 0 (metal above) and 1 (metal below)
    assert metal_edges([(0.0, 0.0, 1.0, 0.2)], "x") == [(0.0, 1), (1.0, -1)]
    assert metal_edges([(0.0, 0.0, 1.0, 0.2)], "y") == [(0.0, 1), (0.2, -1)]
    # two cells side by side merge: no edge between them
    assert metal_edges([(0, 0, 1, 1), (1, 0, 2, 1)], "x") == [(0.0, 1), (2.0, -1)]
    # staggered cells: at x = 1 the metal lies below in row 0 and above in row 1
    cells = [(0, 0, 1, 1), (1, 1, 2, 2)]
    assert metal_edges(cells, "x") == [(0.0, 1), (1.0, 0), (2.0, -1)]
    assert metal_edges([], "x") == []


def test_thirds_rule_puts_a_third_of_the_cell_inside_the_metal():
    h = 0.03
    lines = thirds_lines([(0.0, 1), (1.0, -1)], h)
    np.testing.assert_allclose(sorted(lines), [-2 * h / 3, h / 3, 1 - h / 3, 1 + 2 * h / 3])
    # an edge with metal on both sides (staggered cells) gets one centred cell
    np.testing.assert_allclose(sorted(thirds_lines([(0.5, 0)], h)), [0.5 - h / 2, 0.5 + h / 2])
    # a gap narrower than two cells: the cell shrinks to half the gap, lines never cross
    gap = 0.04
    lines = sorted(thirds_lines([(0.0, -1), (gap, 1)], h))
    np.testing.assert_allclose(lines, [-gap / 6, gap / 3, 2 * gap / 3, gap + gap / 6])
    # a gap narrower than one cell, or an edge that close to another fixed line: a line on it
    assert sorted(thirds_lines([(0.0, -1), (0.02, 1)], h)) == [0.0, 0.02]
    assert thirds_lines([(0.0, -1)], h, others=[0.01]) == [0.0]


def test_smoothing_keeps_fixed_lines_and_grades_the_cells():
    fixed = [-0.02, 0.01, 0.99, 1.02]
    lines = smooth_lines(
        fixed, fine_region=(-0.5, 1.5), bounds=(-3.0, 4.0), h_fine=0.05, h_coarse=0.5, ratio=1.4
    )
    for x in [*fixed, -3.0, 4.0]:
        assert x in lines  # exactly: openEMS compares line and box edge exactly
    cells = np.diff(lines)
    inside = (lines[:-1] >= -0.5) & (lines[1:] <= 1.5)
    assert cells[inside].max() <= 0.05 + 1e-9 and cells.max() <= 0.5 + 1e-9
    growth = np.maximum(cells[1:] / cells[:-1], cells[:-1] / cells[1:])
    assert growth.max() <= 1.4 * 1.05  # CSXCAD's smoothing keeps the ratio (within rounding)
    # edges from sums of cell widths, which the smoothing's own sums do not reproduce
    edges = np.cumsum([0.12, 0.27, 0.27, 0.27, 0.12, 0.12, 0.27, 0.27, 0.27, 0.12])
    lines = smooth_lines(edges, (-2.0, 4.1), (-2.0, 4.1), 0.0518, 0.0518)
    assert all(e in lines for e in edges)
    with pytest.raises(ValueError, match="inconsistent"):
        smooth_lines(fixed, (1.0, 0.0), (-3.0, 4.0), 0.05, 0.5)
