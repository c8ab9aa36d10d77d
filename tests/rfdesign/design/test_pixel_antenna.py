"""The pixel-antenna flow: the grid from the spec, the band margins, and a small design end to end.

The full design (400 cheap runs, up to 200 search-mesh runs) is in
``make bench BENCH=antenna -- --pixel``; CI runs a 3 x 4 grid on the coarse mesh.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from rfdesign.antenna_spec import load_antenna_spec, parse_antenna_spec
from rfdesign.design.antenna import margins
from rfdesign.design.pixel_antenna import (
    band_margins,
    design_pixel_antenna,
    inset_layouts,
    layout_sets,
    pixel_grid,
)
from rfdesign.layouts.feeds import microstrip_width_mm
from rfdesign.layouts.grid import corner_contact_counts
from rfdesign.solvers import patch_model
from rfdesign.spec import SpecError

ROOT = Path(__file__).resolve().parents[3]
SPEC = load_antenna_spec(ROOT / "examples/antennas/pixel_dualband.yaml")


def test_the_grid_comes_from_the_cavity_model_and_the_feed():
    g = pixel_grid(SPEC)
    sub = SPEC.substrate
    length = patch_model.resonant_length_mm(
        27.925, sub.eps_r, sub.height_mm, patch_model.design_width_mm(27.925, sub.eps_r)
    )
    assert g.length_mm == pytest.approx(length, abs=1e-3)
    fw = microstrip_width_mm(sub.to_substrate(), 50.0, SPEC.centre_ghz)
    assert g.feed_width_mm == pytest.approx(fw, abs=1e-4)
    # the feed meets exactly the two centre columns: its edges are cell edges
    assert g.width_mm == pytest.approx(6 * g.feed_width_mm / 2, abs=1e-4)
    assert g.fixed == {(0, 2): True}


def test_layout_sets_are_seeded_admissible_and_start_with_the_full_patch():
    g = pixel_grid(SPEC)
    cheap, initial = layout_sets(SPEC, g)
    assert cheap.shape == (401, g.n_bits) and initial.shape == (1 + 4 + 59, g.n_bits)
    assert cheap[0].all() and initial[0].all()
    assert np.array_equal(initial[1:5], inset_layouts(g))
    assert corner_contact_counts(g.masks(cheap)).sum() == 0
    again = layout_sets(SPEC, g)
    assert np.array_equal(again[0], cheap) and np.array_equal(again[1], initial)
    assert not np.array_equal(cheap[1:60], initial[5:])  # independent streams


def test_the_inset_layouts_notch_the_column_beside_the_feed():
    g = pixel_grid(SPEC)
    masks = g.masks(inset_layouts(g))
    assert len(masks) == g.n_x // 2
    for depth, m in enumerate(masks, start=1):
        empty = np.argwhere(~m)
        # rows 0 .. depth-1 of columns 1 and 4 (beside the feed's columns 2 and 3)
        assert sorted(map(tuple, empty)) == sorted([(r, c) for r in range(depth) for c in (1, 4)])


def test_band_margins_match_the_reports_margins():
    from rfdesign.solvers.openems_antenna import AntennaResult

    f = SPEC.frequencies_ghz()
    y = -5 - 10 * np.exp(-(((f - 28) / 0.6) ** 2)) - 14 * np.exp(-(((f - 37.8) / 1.0) ** 2))
    ones = np.ones_like(f)
    empty = np.zeros(0)
    r = AntennaResult(
        f,
        10 ** (y / 20) + 0j,
        50 * ones + 0j,
        ones,
        ones,
        empty,
        empty,
        empty,
        np.zeros((0, 0, 0)),
        empty,
        50.0,
        {},
    )
    spec = SPEC.model_copy(update={"gain": []})
    m = band_margins(spec, f, y[None])[0]
    assert m == pytest.approx(list(margins(spec, r).values()))
    assert m[0] < 0 < m[1]


def test_an_odd_number_of_columns_is_refused_in_one_line():
    text = (ROOT / "examples/antennas/pixel_dualband.yaml").read_text().replace("n_y: 6", "n_y: 5")
    with pytest.raises(SpecError, match=r"design\.pixel\.n_y") as e:
        parse_antenna_spec(text)
    assert "even" in str(e.value)


SMALL = """
kind: antenna
name: pixel_small
sweep: {start_ghz: 24, stop_ghz: 44, points: 41}
bands: [{name: low, f_min_ghz: 28.0, f_max_ghz: 28.5, s11_max_db: -6}]
gain: [{f_ghz: 28.0, min_dbi: 3.0}]
substrate: {eps_r: 3.55, tan_delta: 0.0027, height_mm: 0.508}
solver: {name: openems, cells: 10, threads: 1, timeout_s: 600}
design:
  method: pixel
  budget: 8
  seed: 0
  pixel: {n_x: 3, n_y: 4, cheap_runs: 4, initial_runs: 4, per_round: 2, ensemble: 2}
"""


@pytest.mark.slow
def test_a_small_pixel_design_runs_end_to_end_and_replays_from_the_cache(tmp_path):
    spec = parse_antenna_spec(SMALL)
    d = design_pixel_antenna(spec, out=tmp_path / "out", cache_dir=tmp_path / "cache")
    for name in (
        "report.md",
        "report.json",
        "design.s1p",
        "layout.gds",
        "layout.png",
        "response.png",
        "pattern.png",
        "gain3d.png",
    ):
        assert (tmp_path / "out" / name).exists(), name
    summary = json.loads((tmp_path / "out" / "report.json").read_text())
    pv = d.provenance
    assert pv["cheap_runs"] == 5 and pv["search_runs"] <= 8 + 3
    stages = [e.stage for e in d.history.history]
    assert stages[:4] == ["initial"] * 4 and "round 1" in stages
    assert len(summary["patch"]["mask"]) == 3 and summary["method"] == "pixel"
    assert d.finer is not None and d.lossy is not None
    # the rounds' layouts are new ones and every search run is in the history
    bits = [tuple(e.x) for e in d.history.history]
    assert len(set(bits)) == len(bits)
    # a second call replays every openEMS run from the cache and finds the same layout
    again = design_pixel_antenna(spec, cache_dir=tmp_path / "cache")
    assert again.patch.bits == d.patch.bits
    assert again.result.info["cache_hit"] and again.finer.info["cache_hit"]
