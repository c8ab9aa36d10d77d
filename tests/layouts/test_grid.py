"""PixelGrid conventions and the paper's ka_pixel_4x5 preset."""

import dataclasses

import numpy as np
import pytest

from rfdesign.layouts import PixelGrid, Substrate, get_grid, grid_names


def test_ka_pixel_4x5_matches_the_paper(ka_grid):
    assert ka_grid.n_rows == 4 and ka_grid.n_cols == 5 and ka_grid.mirror
    assert set(ka_grid.column_widths_mm) == {0.12, 0.27}
    assert ka_grid.column_widths_mm[0] == 0.12 and ka_grid.column_widths_mm[-1] == 0.12
    assert set(ka_grid.row_heights_mm) == {0.30}
    assert len(ka_grid.fixed) == 5
    assert ka_grid.n_bits == 15 and ka_grid.n_layouts == 32_768
    assert ka_grid.width_mm == pytest.approx(2.10)
    assert ka_grid.height_mm == pytest.approx(1.20)
    # The feed lands on the two fixed metal cells of column 0.
    assert ka_grid.port_rows == (1, 2)
    assert all(ka_grid.fixed[(r, 0)] for r in ka_grid.port_rows)


def test_bit_order_is_row_major_bottom_row_first(ka_grid):
    assert ka_grid.free_cells[0] == (0, 1)  # (0, 0) is fixed
    assert ka_grid.free_cells[-1] == (3, 4)
    bits = np.zeros(15, dtype=int)
    bits[0] = 1
    half = ka_grid.half_mask(bits)
    assert half[0, 1] and half.sum() == 4  # bit 0 plus the three fixed metal cells


def test_batch_masks_equal_single_masks(ka_grid):
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(20, ka_grid.n_bits))
    batch = ka_grid.masks(bits)
    for b, m in zip(bits, batch, strict=True):
        np.testing.assert_array_equal(m, ka_grid.full_mask(ka_grid.half_mask(b)))


def test_grid_key_ignores_name_and_tracks_substrate(ka_grid):
    other = get_grid("ka_pixel_4x5", Substrate(eps_r=9.9))
    assert other.key() != ka_grid.key()
    renamed = dataclasses.replace(ka_grid, name="renamed")
    assert renamed.key() == ka_grid.key()


def test_unknown_preset_suggests_the_closest():
    with pytest.raises(KeyError, match="did you mean 'ka_pixel_4x5'"):
        get_grid("ka_pixel_4x6")
    assert "ka_pixel_4x5" in grid_names()


def test_bad_grids_are_rejected():
    sub = Substrate()
    with pytest.raises(ValueError, match="outside"):
        PixelGrid((0.1, 0.1), (0.3,), sub, 0.12, fixed={(2, 0): True})
    with pytest.raises(ValueError, match="positive"):
        PixelGrid((0.1, -0.1), (0.3,), sub, 0.12)
    with pytest.raises(ValueError, match="feed"):
        PixelGrid((0.1,), (0.1,), sub, 0.12)  # feed wider than the patch


def test_8x8_preset_is_beyond_exhaustive_reach():
    g = get_grid("ka_pixel_8x8")
    assert g.n_bits > 40
    assert all(g.fixed[(r, 0)] for r in g.port_rows)


def test_grid_dict_round_trip_keeps_the_key():
    from rfdesign.layouts import get_grid
    from rfdesign.layouts.grid import PixelGrid

    for name in ("ka_pixel_4x5", "ka_pixel_8x8"):
        g = get_grid(name)
        back = PixelGrid.from_dict(g.to_dict())
        assert back.key() == g.key()
        assert back.name == g.name
        assert back.fixed == g.fixed


def test_vectorised_corner_contacts_match_layout_connectivity():
    import numpy as np

    from rfdesign.layouts import Layout, get_grid
    from rfdesign.layouts.grid import corner_contact_counts

    grid = get_grid("ka_pixel_4x5")
    bits = np.random.default_rng(5).integers(0, 2, (300, grid.n_bits))
    counts = corner_contact_counts(grid.masks(bits))
    ref = [len(Layout.from_bits(grid, b).connectivity.corner_contacts) for b in bits]
    np.testing.assert_array_equal(counts, ref)
    assert counts.max() > 0 and (counts == 0).any()


def test_repair_closes_every_corner_contact_and_leaves_clean_layouts_alone():
    from rfdesign.layouts.grid import corner_contact_counts, repair_corner_contacts

    for name in ("ka_pixel_4x5", "ka_pixel_8x8"):
        g = get_grid(name)
        rng = np.random.default_rng(0)
        bits = (rng.random((3000, g.n_bits)) < rng.uniform(0.2, 0.8, (3000, 1))).astype(np.uint8)
        fixed = repair_corner_contacts(g, bits)
        assert corner_contact_counts(g.masks(fixed)).max() == 0
        clean = corner_contact_counts(g.masks(bits)) == 0
        assert clean.any() and (~clean).any()
        np.testing.assert_array_equal(fixed[clean], bits[clean])
        # a contact is closed by adding metal next to it, not by rewriting the layout
        changed = (fixed != bits).sum(axis=1)[~clean]
        n_contacts = corner_contact_counts(g.masks(bits))[~clean]
        assert np.all(changed >= 1) and np.all(changed <= 2 * n_contacts)
