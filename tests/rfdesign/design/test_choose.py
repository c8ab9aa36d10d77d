"""``design.method: auto``: the topology per filter class, and a report where there is none."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rfdesign.cli import app
from rfdesign.design import design_filter
from rfdesign.design.choose import DesignNotPossible, DesignStopped, choose_method, resolved
from rfdesign.spec import FilterSpec, load_spec

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def auto(name: str) -> FilterSpec:
    spec = load_spec(EXAMPLES / f"{name}.yaml")
    return spec.model_copy(update={"design": spec.design.model_copy(update={"method": "auto"})})


@pytest.mark.parametrize(
    ("name", "cls_", "method"),
    [
        ("ka_bandpass", "bandpass", "comb"),
        ("ka_highpass", "highpass", "comb"),  # a wide band-pass, as the paper's high-pass
        ("synthesis/lowpass_8ghz", "lowpass", "stepped"),
        ("synthesis/bandstop_38ghz", "bandstop", None),
        ("ka_dualband", "multiband", None),
    ],
)
def test_each_filter_class_gets_its_topology_or_a_reason(name, cls_, method):
    choice = choose_method(auto(name))
    assert (choice.filter_class, choice.method) == (cls_, method)
    assert choice.why.startswith(cls_) or choice.why.startswith(f"no topology for a {cls_}")


def test_auto_resolves_to_a_valid_spec_with_the_chosen_method():
    spec = resolved(auto("synthesis/lowpass_8ghz"))
    assert spec.design.method == "stepped" and spec.bands == auto("synthesis/lowpass_8ghz").bands
    same = load_spec(EXAMPLES / "ka_bandpass.yaml")
    assert resolved(same) is same  # a named method is left alone


def test_a_spec_without_a_topology_ends_with_a_report_before_any_run(tmp_path):
    with pytest.raises(DesignNotPossible, match=r"design\.method: no topology for a bandstop"):
        design_filter(auto("synthesis/bandstop_38ghz"), out=tmp_path / "bs")
    report = (tmp_path / "bs" / "report.md").read_text()
    assert "**Not designed.**" in report and "band-stop" in report
    summary = json.loads((tmp_path / "bs" / "report.json").read_text())
    assert summary["designed"] is False and summary["fullwave_runs"] == 0
    assert summary["filter_class"] == "bandstop"


def test_the_cli_says_why_in_one_line_and_leaves_the_report(tmp_path):
    text = (EXAMPLES / "synthesis" / "bandstop_38ghz.yaml").read_text()
    spec_file = tmp_path / "bandstop.yaml"
    spec_file.write_text(text + "design: {method: auto}\n")
    result = CliRunner().invoke(app, ["design", str(spec_file), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2  # the CLI's code for an error it names
    assert "no topology for a bandstop spec" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "o" / "report.md").exists()


def test_a_stage_whose_run_fails_ends_with_a_report_that_names_it(tmp_path):
    # a feed too short for openEMS's absorber: the first design-curve run refuses to build
    # (before openEMS starts), and the design ends with a report, not a traceback
    spec = load_spec(EXAMPLES / "ka_highpass_comb.yaml")
    short = spec.model_copy(
        update={"solver": spec.solver.model_copy(update={"feed_length_mm": 0.9})}
    )
    with pytest.raises(DesignStopped, match="a full-wave run failed: openems: feed_length_mm"):
        design_filter(short, out=tmp_path / "o", cache_dir=tmp_path / "c")
    summary = json.loads((tmp_path / "o" / "report.json").read_text())
    assert summary["designed"] is False and "feed_length_mm 0.9 is too short" in summary["reason"]
    assert "The design stopped" in (tmp_path / "o" / "report.md").read_text()
