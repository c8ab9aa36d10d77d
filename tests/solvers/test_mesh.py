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


def test_near_edges_of_one_side_are_meshed_as_one_at_their_mean():
    from rfdesign.solvers.mesh import merge_near_edges

    edges = [(0.0, 1), (2.2209, -1), (2.2254, -1), (2.23, 1), (3.0, -1)]
    out, n = merge_near_edges(edges, tol=0.01)
    # the two strip ends 4.5 um apart (metal below both) are one edge; an edge of the other
    # side at 2.23 is not merged with them, nor the far one
    assert n == 1
    assert out == sorted([(0.0, 1), (2.22315, -1), (2.23, 1), (3.0, -1)])
    assert merge_near_edges(edges, tol=0.001) == (sorted(edges), 0)


def test_stacked_boxes_merge_only_where_their_common_edge_crowds_another():
    from rfdesign.solvers.mesh import merge_slivers, metal_edges, shared_boundaries

    # a comb's outer strip drawn as two boxes stacked at 5.3361 (the inner strips' end),
    # 4.8 um from the next inner strip's end at 5.3313: merged into one box
    comb = [
        (0.13, 0.0, 0.384, 5.3361),
        (0.13, 5.3361, 0.384, 5.5816),
        (0.7088, 0.0, 0.9628, 5.3313),
    ]
    boxes, n = merge_slivers(comb, tol=0.02)
    assert n == 1 and sorted(boxes) == [(0.13, 0.0, 0.384, 5.5816), (0.7088, 0.0, 0.9628, 5.3313)]
    assert shared_boundaries(boxes, "y") == []
    assert [p for p, _ in metal_edges(boxes, "y")] == [0.0, 5.3313, 5.5816]
    # a uniform pixel grid's stacked cells stay (no edge near another): the mesh is unchanged
    cells = [(0.0, y, 0.2, y + 0.2) for y in (0.0, 0.2, 0.4)]
    assert merge_slivers(cells, tol=0.02) == (cells, 0)


def test_a_tuned_combs_mesh_has_no_micron_cells():
    # strips 2.2209 and 2.2254 mm long (K-band suite comb, tuning run 4): before the merge
    # the 4.4 um cell between their ends cut the FDTD time step 5x (14.5 fs instead of 75 fs)
    from rfdesign.layouts.comb import Comb
    from rfdesign.layouts.substrate import ALUMINA_127UM
    from rfdesign.solvers.openems import OpenEMSSettings, build_mesh, metal_boxes

    comb = Comb(5, (2.2209, 2.2254, 2.2253), (0.254,) * 3, (0.6501, 0.779), 0.9014, 0.13)
    layout = comb.layout(ALUMINA_127UM, 0.12)
    settings = OpenEMSSettings(preset="standard", feed_length_mm=4.0, merge_near_edges=True)
    stats: dict = {}
    mesh = build_mesh(layout, 26.0, settings, stats)
    assert stats["merged_slivers"] > 0 and stats["merged_edges"] > 0
    assert min(float(np.diff(v).min()) for v in mesh.values()) > 0.02
    # the metal is the same: the merged boxes cover exactly the grid's cells
    area = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in layout.metal_rects())
    boxes, _ = metal_boxes(layout, 26.0, settings)
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes) == pytest.approx(area)
    # off (the default: every drawn edge kept) and with the on-line rule nothing merges
    for plain in (
        OpenEMSSettings(preset="standard", feed_length_mm=4.0),
        OpenEMSSettings(
            preset="standard", feed_length_mm=4.0, edge_rule="on-line", merge_near_edges=True
        ),
    ):
        assert metal_boxes(layout, 26.0, plain) == (layout.metal_rects(), 0)
    off: dict = {}
    build_mesh(layout, 26.0, OpenEMSSettings(preset="standard", feed_length_mm=4.0), off)
    assert off == {"merged_slivers": 0, "merged_edges": 0}
