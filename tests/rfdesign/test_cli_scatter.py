"""``rfdesign scatter invert``: files, metrics and named errors."""

import json

from typer.testing import CliRunner

from rfdesign.cli import app


def test_invert_writes_the_report_and_the_plot(tmp_path):
    res = CliRunner().invoke(
        app, ["scatter", "invert", "--profile", "austria", "--grid", "24", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["data_grid"] == 48 and rep["noise"] == 0.05
    assert 0 < rep["rrmse_contrast"] < 1.0  # better than the empty guess
    assert (tmp_path / "profiles.png").stat().st_size > 0


def test_unknown_profile_and_method_are_named(tmp_path):
    res = CliRunner().invoke(app, ["scatter", "invert", "--profile", "cat", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "--profile" in res.output
    res = CliRunner().invoke(app, ["scatter", "invert", "--method", "x", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "--method" in res.output
