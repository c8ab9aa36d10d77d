"""The patch design flow's pieces: the box from the cavity model, the margins, the report.

The openEMS design itself (SADEA and DE, 40 runs each) is in ``make bench BENCH=antenna``.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from rfdesign.antenna_spec import load_antenna_spec
from rfdesign.design.antenna import AntennaDesign, PatchProblem, margins
from rfdesign.optimizers.sadea import Evaluation, SadeaResult
from rfdesign.solvers.openems_antenna import AntennaResult

SPEC = load_antenna_spec(Path(__file__).resolve().parents[3] / "examples/antennas/patch_28ghz.yaml")


def fake_result(s11_db_at, gain_dbi):
    """A result with a chosen |S11| curve and an isotropic-ish pattern (report plumbing only)."""
    f = SPEC.frequencies_ghz()
    s11 = 10 ** (s11_db_at(f) / 20) + 0j
    theta, phi = np.arange(0, 181, 5.0), np.arange(0, 360, 5.0)
    d = np.full((1, theta.size, phi.size), 10 ** (gain_dbi / 10))
    ones = np.ones_like(f)
    return AntennaResult(
        f,
        s11,
        50 * ones + 0j,
        ones,
        ones,
        np.array([28.0]),
        theta,
        phi,
        d,
        np.array([1.0]),
        50.0,
        {"solver": "openems-antenna", "cells": 1000, "settings": {"cells": 20}},
    )


def test_the_box_surrounds_the_cavity_models_patch():
    p = PatchProblem.from_spec(SPEC)
    m = p.model
    assert m.resonance_ghz == pytest.approx(SPEC.centre_ghz)
    for (lo, hi), v in zip(p.bounds, (m.length_mm, m.width_mm, m.inset_mm), strict=True):
        assert lo <= v <= hi
    patch = p.patch(p.bounds.mean(axis=1))
    assert patch.feed == "inset" and patch.feed_width_mm == pytest.approx(1.187, abs=0.01)
    # sizes are drawn to 1 um
    assert patch.length_mm == round(patch.length_mm, 3)


def test_margins_read_the_worst_point_of_each_band_and_the_gain():
    r = fake_result(lambda f: -15 + 0.0 * f, 7.0)
    m = margins(SPEC, r)
    assert m["|S11| n257"] == pytest.approx(5.0)
    assert m["gain at 28 GHz"] == pytest.approx(1.0)
    # a point inside the band: -5 dB at 28.3 GHz
    r = fake_result(lambda f: np.where(f > 28.25, -5.0, -20.0), 7.0)
    assert margins(SPEC, r)["|S11| n257"] == pytest.approx(-5.0)
    # the band edge 28.35 GHz between the points 28.3 (-20 dB) and 28.4 (-5 dB): -12.5 dB
    r = fake_result(lambda f: np.where(f > 28.35, -5.0, -20.0), 7.0)
    assert margins(SPEC, r)["|S11| n257"] == pytest.approx(2.5)


def test_a_design_writes_its_report_and_files(tmp_path):
    p = PatchProblem.from_spec(SPEC)
    x = p.bounds.mean(axis=1)
    r = fake_result(lambda f: -15 + 0.0 * f, 7.0)
    hist = SadeaResult([Evaluation(x, np.array([5.0, 1.0]), "init")])
    lossy = fake_result(lambda f: -15 + 0.0 * f, 5.5)  # copper costs 1.5 dB of gain
    finer = fake_result(lambda f: -15 + 0.0 * f, 5.9)  # the finer mesh: 0.1 dB short
    d = AntennaDesign(
        SPEC, p.patch(x), r, margins(SPEC, r), hist, "sadea", {"wall_s": 1.0}, lossy, finer
    )
    d.save(tmp_path)
    for name in (
        "report.md",
        "report.json",
        "design.s1p",
        "layout.gds",
        "layout.png",
        "response.png",
        "pattern.png",
    ):
        assert (tmp_path / name).exists(), name
    summary = json.loads((tmp_path / "report.json").read_text())
    assert summary["passed"] and summary["runs_to_spec"] == 1
    assert summary["with_conductor_loss"]["worst_margin_db"] == pytest.approx(-0.5)
    assert summary["finer_mesh"]["worst_margin_db"] == pytest.approx(-0.1)
    assert summary["flags"] == ["within-mesh-error", "fails-with-conductor-loss"]
    report = (tmp_path / "report.md").read_text()
    assert "MEETS" in report and "With conductor loss" in report and "does NOT meet it" in report
    assert "| \\|S11\\| n257 | +5.00 | pass |" in report  # a table cell, its pipes escaped
