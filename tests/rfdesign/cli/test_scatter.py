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


def test_invert_with_csi_beats_bp_and_learned_methods_need_a_model(tmp_path):
    args = ["scatter", "invert", "--profile", "circles", "--grid", "24", "--seed", "2"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "bp")])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, [*args, "--method", "csi", "--out", str(tmp_path / "csi")])
    assert res.exit_code == 0, res.output
    bp = json.loads((tmp_path / "bp" / "report.json").read_text())
    csi = json.loads((tmp_path / "csi" / "report.json").read_text())
    assert csi["rrmse_eps"] < 0.7 * bp["rrmse_eps"]
    res = CliRunner().invoke(
        app, [*args, "--method", "bps", "--model", str(tmp_path / "none"), "--out", str(tmp_path)]
    )
    assert res.exit_code != 0 and "--model" in res.output and "scatter bench" in res.output


def test_simulate_writes_a_resumable_dataset_and_names_bad_settings(tmp_path):
    args = ["scatter", "simulate", "--profile", "digits", "--count", "3", "--grid", "12"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert "3 digits objects" in res.output
    assert len(list((tmp_path / "d").glob("chunk_*.npz"))) == 1
    res = CliRunner().invoke(app, [*args, "--noise", "0.1", "--out", str(tmp_path / "d")])
    assert res.exit_code != 0 and "--out" in res.output and "other settings" in res.output
    res = CliRunner().invoke(app, [*args, "--split", "val", "--out", str(tmp_path / "e")])
    assert res.exit_code != 0 and "--split" in res.output


def test_bench_on_a_small_grid_tables_every_method(tmp_path):
    # the CI-sized version of `make bench BENCH=scatter`: 16 x 16, 30 + 30 training objects,
    # one epoch each; checks the plumbing and the table, not the accuracy
    res = CliRunner().invoke(
        app,
        [
            "scatter",
            "bench",
            "--grid",
            "16",
            "--train-count",
            "30",
            "--test-count",
            "2",
            "--epochs",
            "1,1,1",
            "--no-meep",
            "--workers",
            "1",
            "--cache",
            str(tmp_path / "c"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    fig = json.loads((tmp_path / "o" / "scatter.json").read_text())
    assert set(fig["inversion"]) == {"bp", "csi", "bps", "cgan"}
    for scores in fig["inversion"].values():
        assert 0 < scores["circles"]["rrmse"] < 1 and scores["ms"] > 0
    assert set(fig["ficlm"]) == {"circles", "digits", "austria"}
    assert (tmp_path / "o" / "profiles.png").stat().st_size > 0
    assert "| csi |" in (tmp_path / "o" / "scatter.md").read_text()
    res = CliRunner().invoke(app, ["scatter", "bench", "--epochs", "3,1", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "--epochs" in res.output


def test_invert_with_the_committed_cgan_beats_bp(tmp_path, monkeypatch):
    # no networks in the cache: the ones committed in data/scatter (64 x 64) are used
    monkeypatch.setenv("RFDESIGN_CACHE", str(tmp_path / "empty"))
    for method in ("bp", "cgan"):
        res = CliRunner().invoke(
            app, ["scatter", "invert", "--method", method, "--out", str(tmp_path / method)]
        )
        assert res.exit_code == 0, res.output
    bp = json.loads((tmp_path / "bp" / "report.json").read_text())
    gan = json.loads((tmp_path / "cgan" / "report.json").read_text())
    # circles seed 0: measured BP 0.119, cGAN 0.032 (bench means over 25 objects: 0.065 / 0.012)
    assert gan["rrmse_eps"] < 0.5 * bp["rrmse_eps"]
