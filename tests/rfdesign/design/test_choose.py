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


def test_a_matrix_out_of_the_combs_reach_ends_with_a_report_that_counts_the_runs(
    tmp_path, monkeypatch
):
    # the control flow only: design curves whose coupling at the etching limit falls short
    # of the matrix (as openEMS measured for the Ku-band 20 % spec: 0.139 where 0.192 is
    # needed) stop the design after the curve runs, with the numbers in the report
    import rfdesign.design.comb as comb_mod
    from rfdesign.optimizers.comb_design import CombCurves, CurveSetup
    from rfdesign.optimizers.design_curves import DesignCurve

    def weak_curves(simulate, setup: CurveSetup, targets):
        return CombCurves(
            setup,
            DesignCurve("f0_ghz", "length_mm", (1.1, 1.3), (45.45, 38.46), "reciprocal"),
            DesignCurve("k", "gap_mm", (0.05, 0.4), (0.02, 0.005), "log"),
            DesignCurve("qe", "tap_mm", (0.2, 0.5), (3.0, 20.0), "log"),
            DesignCurve("tap_f0_ghz", "tap_mm", (0.2, 0.5), (41.0, 43.0)),
            1.2,
            1.2,
            6,
            30.0,
        )

    monkeypatch.setattr(comb_mod, "measure_comb_curves", weak_curves)
    with pytest.raises(DesignStopped, match="curves: the 5-strip comb cannot realise") as info:
        design_filter(auto("ka_bandpass_comb"), out=tmp_path / "o", cache_dir=tmp_path / "c")
    assert info.value.fullwave_runs == 6 and info.value.solver_s == 30.0
    summary = json.loads((tmp_path / "o" / "report.json").read_text())
    assert summary["designed"] is False and summary["fullwave_runs"] == 6
    assert "k12 = " in summary["reason"] and "25 um etching limit" in summary["reason"]
    assert "6 full-wave runs showed it" in (tmp_path / "o" / "report.md").read_text()
