"""``rfdesign train`` / ``rfdesign evaluate`` on a real (circuit-model) dataset."""

import json

import pytest
from typer.testing import CliRunner

from rfdesign.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds") / "circuit"
    res = runner.invoke(
        app,
        [
            "dataset",
            "generate",
            "--out",
            str(path),
            "--n",
            "80",
            "--seed",
            "3",
            "--cluster",
            "none",
        ],
    )
    assert res.exit_code == 0, res.output
    return path


def test_train_then_evaluate_with_json_keys(dataset, tmp_path):
    model = tmp_path / "model"
    res = runner.invoke(
        app,
        [
            "train",
            "--dataset",
            str(dataset),
            "--out",
            str(model),
            "--members",
            "2",
            "--max-epochs",
            "3",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n_train"] == 64 and report["n_holdout"] == 16
    assert report["metrics_holdout"]["n"] == 16
    assert (model / "weights.safetensors").exists() and (model / "training.json").exists()
    res = runner.invoke(
        app, ["evaluate", "--model", str(model), "--dataset", str(dataset), "--json"]
    )
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.stdout)
    assert metrics["n"] == 80
    assert {"mae_s21_db", "mae_s11_db", "n"} <= set(metrics)


def test_tuning_runs_through_the_local_cluster_and_records_every_trial(dataset, tmp_path):
    res = runner.invoke(
        app,
        [
            "train",
            "--dataset",
            str(dataset),
            "--out",
            str(tmp_path / "m"),
            "--members",
            "2",
            "--max-epochs",
            "2",
            "--tune",
            "3",
            "--folds",
            "2",
            "--cluster",
            "local",
            "--workers",
            "2",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    tuning = json.loads(res.stdout)["tuning"]
    assert len(tuning["trials"]) == 3
    assert tuning["best_score_db"] == min(t["score_db"] for t in tuning["trials"])
    assert set(tuning["trials"][0]["params"]) >= {"lr", "channels", "hidden"}


def test_bad_arguments_fail_cleanly(dataset, tmp_path):
    res = runner.invoke(app, ["train", "--dataset", str(tmp_path), "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "--dataset" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["train", "--dataset", str(dataset), "--out", "x", "--model", "rnn"])
    assert res.exit_code == 2 and "--model" in res.output
    res = runner.invoke(app, ["evaluate", "--model", str(tmp_path), "--dataset", str(dataset)])
    assert res.exit_code == 2 and "not a checkpoint" in res.output


def test_gp_on_pixel_bits_trains_and_evaluates(dataset, tmp_path):
    model = tmp_path / "gp"
    res = runner.invoke(
        app, ["train", "--dataset", str(dataset), "--out", str(model), "--model", "gp", "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["model"] == "gp" and report["metrics_holdout"]["n"] == 16
    res = runner.invoke(
        app, ["evaluate", "--model", str(model), "--dataset", str(dataset), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n"] == 80
