"""The command line: exit codes, one-line errors, files written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rfdesign.cli import app
from rfdesign.layouts import get_grid
from rfdesign.layouts.export import gds_layer_area_mm2
from rfdesign.layouts.layout import Layout

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("spec", "schema", "layout"):
        assert cmd in result.output


def test_spec_check_ok():
    result = runner.invoke(app, ["spec", "check", str(REPO / "examples" / "ka_bandpass.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid spec" in result.output and "32,768" in result.output


@pytest.mark.parametrize("name", ["ka_bandpass_comb", "lowpass_6ghz_stepped"])
def test_spec_check_of_a_dimension_free_spec_says_how_it_is_sized(name):
    result = runner.invoke(app, ["spec", "check", str(REPO / "examples" / f"{name}.yaml")])
    assert result.exit_code == 0, result.output
    assert "sized from the masks" in result.output and "free bits" not in result.output


def test_spec_check_bad_file_exits_nonzero_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsweep: {start_ghz: 34, stop_ghz: 30, points: 5}\nbands: []\nfoo: 1\n")
    # A real process, so that what the user sees (stderr, exit code) is what is tested.
    proc = subprocess.run(
        [sys.executable, "-m", "rfdesign.cli", "spec", "check", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3
    assert any("sweep.stop_ghz" in ln for ln in lines) and any(
        "foo: unknown key" in ln for ln in lines
    )


def test_schema_command_prints_the_schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "FilterSpec"


def test_layout_show_writes_png_and_gds(tmp_path):
    bits = "101101011100110"
    result = runner.invoke(
        app, ["layout", "show", "--grid", "ka_pixel_4x5", "--bits", bits, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    lay = Layout.from_bits(get_grid("ka_pixel_4x5"), bits)
    area = gds_layer_area_mm2(tmp_path / "layout.gds")
    assert abs(area - lay.metal_area_mm2(include_feeds=True)) < 1e-9
    assert (tmp_path / "layout.png").stat().st_size > 10_000


def test_layout_show_bad_bits_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["layout", "show", "--bits", "101", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--bits" in result.output and "15 free bits" in result.output


@pytest.mark.slow
def test_simulate_writes_touchstone_and_plots(tmp_path):
    """A real openEMS run (draft mesh) through the CLI; the .s2p must read back."""
    import skrf

    pytest.importorskip("openEMS")
    result = runner.invoke(
        app,
        [
            "simulate",
            "--bits",
            "100001111100110",
            "--solver",
            "openems",
            "--preset",
            "draft",
            "--spec",
            str(REPO / "examples" / "ka_bandpass.yaml"),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    net = skrf.Network(str(tmp_path / "design.s2p"))
    assert net.s.shape == (51, 2, 2) and net.f[0] == 34e9 and net.f[-1] == 46e9
    for name in ("response.png", "layout.png", "layout.gds", "run.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert "K = " in result.output


def test_simulate_unknown_solver_is_a_clear_error(tmp_path):
    result = runner.invoke(
        app, ["simulate", "--bits", "1" * 15, "--solver", "openem", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "did you mean 'openems'" in result.output


def test_dataset_generate_info_merge(tmp_path):
    args = [
        "dataset",
        "generate",
        "--solver",
        "circuit",
        "--sampler",
        "random",
        "--points",
        "5",
        "--cluster",
        "none",
    ]
    a = runner.invoke(app, [*args, "--n", "20", "--seed", "1", "--out", str(tmp_path / "a")])
    b = runner.invoke(app, [*args, "--n", "10", "--seed", "2", "--out", str(tmp_path / "b")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    info = runner.invoke(app, ["dataset", "info", str(tmp_path / "a"), "--json"])
    summary = json.loads(info.output)
    assert (summary["samples"], summary["unique"], summary["failed"]) == (20, 20, 0)
    merged = runner.invoke(
        app,
        [
            "dataset",
            "merge",
            "--out",
            str(tmp_path / "m"),
            str(tmp_path / "a"),
            str(tmp_path / "b"),
        ],
    )
    assert merged.exit_code == 0, merged.output
    assert "samples" in merged.output
    clash = runner.invoke(app, [*args, "--n", "5", "--points", "7", "--out", str(tmp_path / "a")])
    assert clash.exit_code == 2 and "different" in clash.output


@pytest.fixture(scope="module")
def circuit_design(tmp_path_factory):
    """A ka_bandpass design searched and verified by the circuit model (seconds)."""
    folder = tmp_path_factory.mktemp("design")
    spec = tmp_path_factory.mktemp("spec") / "spec.yaml"
    text = (REPO / "examples" / "ka_bandpass.yaml").read_text()
    small = "search: {algorithm: random, population: 64, generations: 3, seed: 0, top_k: 2}"
    spec.write_text(
        text.replace(
            "search: {algorithm: auto, population: 64, generations: 100, seed: 0, top_k: 5}", small
        )
    )
    result = runner.invoke(
        app,
        [
            *("design", str(spec), "--surrogate", "circuit", "--verify", "circuit"),
            *("--out", str(folder), "--cache", str(folder.parent / "cache"), "--seed", "3"),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder


def test_verify_names_a_bad_engine_or_folder_in_one_line(circuit_design, tmp_path):
    result = runner.invoke(app, ["verify", str(circuit_design), "--engine", "ansys"])
    assert result.exit_code == 2 and "--engine: 'ansys' is not one of" in result.output
    result = runner.invoke(app, ["verify", str(circuit_design), "--engine", "circuit"])
    assert result.exit_code == 2 and "circuit verified the design already" in result.output
    result = runner.invoke(app, ["verify", str(tmp_path), "--engine", "openems"])
    assert result.exit_code == 2 and "not a saved design result" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_verify_adds_a_second_engine_to_a_saved_design(circuit_design, tmp_path):
    # openEMS (draft) cross-checks the circuit model's verdict: a real full-wave run
    result = runner.invoke(
        app,
        [
            *("verify", str(circuit_design), "--engine", "openems", "--preset", "draft"),
            *("--cache", str(tmp_path / "cache")),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "openems (draft) worst margin" in result.output
    report = json.loads((circuit_design / "report.json").read_text())
    (cc,) = report["crosschecks"]
    assert cc["run"]["solver"] == "openems" and cc["run"]["preset"] == "draft"
    assert cc["file"] == "design_openems_draft.s2p" and (circuit_design / cc["file"]).exists()
    assert "## Second engine: openems (draft)" in (circuit_design / "report.md").read_text()
    # the circuit model and openEMS disagree by more than a mesh error: the spread is measured
    assert cc["spread"]["max_delta_db"] > 0.5
