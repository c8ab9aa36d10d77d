"""``rfdesign synthesize``: the report, the files, the verdict and bad input."""

import json
from pathlib import Path

import numpy as np
import skrf
from typer.testing import CliRunner

from rfdesign.cli import app

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_synthesize_prints_the_design_and_writes_its_files(tmp_path):
    res = runner.invoke(
        app,
        [
            "synthesize",
            str(REPO / "examples" / "ka_highpass.yaml"),
            "--qu",
            "400",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "class: highpass" in res.output and "N = 3" in res.output
    assert "folded coupling matrix" in res.output and "verdict:" in res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ideal.s2p", "lossy.s2p", "report.txt", "response.png", "synthesis.json"]
    d = json.loads((tmp_path / "synthesis.json").read_text())
    assert d["feasible"] and d["chosen"]["order"] == 3 and d["qu"] == 400.0
    ideal = skrf.Network(str(tmp_path / "ideal.s2p"))
    lossy = skrf.Network(str(tmp_path / "lossy.s2p"))
    # the ideal response is lossless, the lossy one is not
    np.testing.assert_allclose(
        np.abs(ideal.s[:, 0, 0]) ** 2 + np.abs(ideal.s[:, 1, 0]) ** 2, 1, atol=1e-9
    )
    assert (np.abs(lossy.s[:, 0, 0]) ** 2 + np.abs(lossy.s[:, 1, 0]) ** 2).max() < 1.0


def test_synthesize_json_and_an_unsupported_spec(tmp_path):
    res = runner.invoke(app, ["synthesize", str(REPO / "examples" / "ka_dualband.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["feasible"] is False and "multi-band" in d["verdict"]


def test_synthesize_refuses_a_bad_qu():
    res = runner.invoke(
        app, ["synthesize", str(REPO / "examples" / "ka_highpass.yaml"), "--qu", "-3"]
    )
    assert res.exit_code == 2
    assert "--qu" in res.output
