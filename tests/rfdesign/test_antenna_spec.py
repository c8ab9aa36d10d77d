"""The antenna spec: the example loads, bad fields are named, antenna specs are told apart."""

from pathlib import Path

import pytest

from rfdesign.antenna_spec import is_antenna_spec, load_antenna_spec, parse_antenna_spec
from rfdesign.spec import SpecError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = "kind: antenna\nname: a\nsweep: {start_ghz: 24, stop_ghz: 32, points: 81}\n"


def test_the_28_ghz_example_loads_without_dimensions():
    spec = load_antenna_spec(EXAMPLES / "antennas" / "patch_28ghz.yaml")
    assert spec.bands[0].s11_max_db == -10 and spec.gain[0].min_dbi == 6.0
    assert spec.centre_ghz == pytest.approx(27.925)
    assert spec.design.method == "sadea" and spec.design.budget == 40
    assert is_antenna_spec(EXAMPLES / "antennas" / "patch_28ghz.yaml")
    assert not is_antenna_spec(EXAMPLES / "ka_bandpass.yaml")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("bands: [{f_min_ghz: 27, f_max_ghz: 38, s11_max_db: -10}]", "bands[0]: 27.0-38.0 GHz"),
        ("bands: [{f_min_ghz: 27, f_max_ghz: 28, s11_max_db: 3}]", "bands[0].s11_max_db"),
        ("bands: [{f_min_ghz: 28, f_max_ghz: 27, s11_max_db: -10}]", "bands[0].f_max_ghz"),
        (
            "bands: [{f_min_ghz: 27, f_max_ghz: 28, s11_max_db: -10}]\ngain: [{f_ghz: 40, min_dbi: 5}]",
            "gain[0].f_ghz",
        ),
        (
            "bands: [{f_min_ghz: 27, f_max_ghz: 28, s11_max_db: -10}]\ndesign: {method: ga}",
            "design.method",
        ),
        ("bands: []", "bands"),
    ],
)
def test_a_bad_field_is_named(extra, message):
    with pytest.raises(SpecError) as info:
        parse_antenna_spec(BASE + extra)
    assert message in str(info.value)


def test_the_cli_checks_an_antenna_spec_and_names_a_bad_field(tmp_path):
    from typer.testing import CliRunner

    from rfdesign.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["spec", "check", str(EXAMPLES / "antennas" / "patch_28ghz.yaml")])
    assert ok.exit_code == 0 and "realised gain" in ok.output
    pixel = runner.invoke(
        app, ["spec", "check", str(EXAMPLES / "antennas" / "pixel_dualband.yaml")]
    )
    assert pixel.exit_code == 0 and "8 x 6 pixel patch" in pixel.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "bands: [{f_min_ghz: 27, f_max_ghz: 28, s11_max_db: -10}]\ngain: 6\n")
    for cmd in (["spec", "check", str(bad)], ["design", str(bad), "--out", str(tmp_path / "o")]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 2 and "gain" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()  # refused before any work
