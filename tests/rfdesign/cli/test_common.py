"""What every command shares: output folders checked before any work, one vocabulary of
options, piped output not wrapped, refusals of specs and gain media in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rfdesign.cli import app
from rfdesign.cli.common import CLUSTER_DEFAULT

REPO = Path(__file__).resolve().parents[3]
SPEC = str(REPO / "examples" / "ka_bandpass.yaml")
runner = CliRunner()


def error_lines(result) -> list[str]:
    return [ln for ln in result.output.splitlines() if ln.startswith("error: ")]


@pytest.fixture
def a_file(tmp_path) -> Path:
    f = tmp_path / "taken"
    f.write_text("not a folder")
    return f


def fake_dataset(tmp_path) -> Path:
    (tmp_path / "ds" / "dataset.zarr").mkdir(parents=True)
    return tmp_path / "ds"


COMMANDS = {  # each must refuse an --out that is a file before it starts any work
    "layout show": ["layout", "show", "--bits", "1" * 15],
    "simulate": ["simulate", "--bits", "1" * 15, "--solver", "circuit"],
    "scatter invert": ["scatter", "invert", "--grid", "8"],
    "scatter simulate": ["scatter", "simulate", "--grid", "8", "--count", "1"],
    "scatter bench": ["scatter", "bench", "--grid", "8", "--no-meep"],
    "gan train": ["gan", "train", "--grid", "ka_pixel_4x5", "--samples", "100"],
    "synthesize": ["synthesize", str(REPO / "examples" / "ka_highpass.yaml")],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_out_that_is_a_file_fails_before_any_work(name, a_file, tmp_path):
    res = runner.invoke(app, [*COMMANDS[name], "--out", str(a_file)])
    assert res.exit_code == 2, res.output
    assert error_lines(res) == [f"error: --out: {a_file} is an existing file, not a folder"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # nothing written


def test_train_checks_its_out_before_training(a_file, tmp_path):
    res = runner.invoke(
        app, ["train", "--dataset", str(fake_dataset(tmp_path)), "--out", str(a_file)]
    )
    assert res.exit_code == 2 and error_lines(res) == [
        f"error: --out: {a_file} is an existing file, not a folder"
    ]


@pytest.mark.parametrize(
    "args", [["simulate", "--bits", "1" * 15, "--solver", "circuit"], ["scatter", "bench"]]
)
def test_a_cache_that_is_a_file_is_named(args, a_file, tmp_path):
    res = runner.invoke(app, [*args, "--cache", str(a_file), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert error_lines(res) == [f"error: --cache: {a_file} is an existing file, not a folder"]


def test_an_unwritable_out_is_named_with_the_reason(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    res = runner.invoke(app, [*COMMANDS["simulate"], "--out", str(tmp_path / "new")])
    assert res.exit_code == 2
    assert error_lines(res) == [
        f"error: --out: cannot write in {tmp_path} (to create {tmp_path / 'new'}): "
        "Permission denied"
    ]


# ----- one vocabulary ------------------------------------------------------------------------
OWNED_ELSEWHERE: set[str] = set()
"""Commands whose options are renamed in their own modules (issue 21); drop them once done."""


def all_commands() -> dict:
    """Command path -> Typer's (click-like) command, e.g. ``"scatter invert"``."""
    out: dict = {}

    def walk(cmd, prefix: str) -> None:
        if getattr(cmd, "commands", None):  # a group (Typer's click, duck-typed)
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            out[prefix] = cmd

    walk(typer.main.get_command(app), "")
    return out


def visible_options(cmd) -> dict:
    return {
        name: p
        for p in cmd.params
        if p.param_type_name == "option" and not getattr(p, "hidden", False)
        for name in p.opts
    }


def test_one_spelling_per_option_across_commands():
    commands = {k: v for k, v in all_commands().items() if k not in OWNED_ELSEWHERE}
    assert {"simulate", "train", "scatter invert", "gan train"} <= set(commands)
    seen: dict[str, set[str]] = {}
    for name, cmd in commands.items():
        opts = visible_options(cmd)
        assert not {"--f-start", "--f-stop", "--family"} & set(opts), name
        if "--cluster" in opts:
            assert opts["--cluster"].default == CLUSTER_DEFAULT, name
        # --workers: cluster workers where there is --cluster, else local processes
        for key in ("--cluster", "--workers", "--start-ghz", "--stop-ghz"):
            if key in opts:
                seen.setdefault(f"{key} {'--cluster' in opts}", set()).add(opts[key].help)
        if "--profile" in opts:
            assert "circles, digits or austria" in opts["--profile"].help, name
    assert all(len(helps) <= 1 for helps in seen.values()), seen


def test_preset_help_lists_every_solver_preset():
    from rfdesign.cli.scatter import PROFILES
    from rfdesign.scattering.data import FAMILIES
    from rfdesign.solvers.meep import RESOLUTION_PRESETS
    from rfdesign.solvers.openems import MESH_PRESETS

    help_text = visible_options(all_commands()["simulate"])["--preset"].help
    for preset in [*MESH_PRESETS, *RESOLUTION_PRESETS]:
        assert preset in help_text
    assert "reference (openems only)" in help_text
    assert PROFILES == FAMILIES


def test_old_spellings_still_work_with_a_warning(tmp_path):
    res = runner.invoke(
        app,
        [
            *COMMANDS["simulate"],
            "--f-start",
            "36",
            "--f-stop",
            "40",
            "--points",
            "5",
            "--out",
            str(tmp_path / "s"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "--f-start is deprecated; use --start-ghz" in res.output
    import skrf

    assert skrf.Network(str(tmp_path / "s" / "design.s2p")).f[0] == 36e9
    res = runner.invoke(
        app,
        ["scatter", "invert", "--profile", "digit", "--grid", "8", "--out", str(tmp_path / "i")],
    )
    assert res.exit_code == 0 and "--profile digit is deprecated; use digits" in res.output
    res = runner.invoke(
        app,
        [*COMMANDS["scatter simulate"], "--family", "circles", "--out", str(tmp_path / "d")],
    )
    assert res.exit_code == 0 and "--family is deprecated; use --profile" in res.output


# ----- piped output ---------------------------------------------------------------------------
def test_piped_output_is_not_wrapped_at_80_columns():
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.run(
        [sys.executable, "-m", "rfdesign.cli", "spec", "check", SPEC],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    (summary,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("sweep ")]
    assert len(summary) > 80 and summary.endswith(" um")  # one line, not two


# ----- refusals before any work -----------------------------------------------------------------
def test_spec_check_refuses_a_spec_that_needs_too_much_memory(tmp_path):
    text = Path(SPEC).read_text().replace("points: 51", "points: 100001")
    assert "points: 100001" in text
    (tmp_path / "big.yaml").write_text(text)
    res = runner.invoke(app, ["spec", "check", str(tmp_path / "big.yaml")])
    assert res.exit_code == 2
    (line,) = error_lines(res)
    assert "big.yaml: sweep.points: 100,001 points need" in line


def test_scatter_refuses_a_gain_medium_and_inverts_a_lossy_one(tmp_path):
    args = ["scatter", "invert", "--profile", "austria", "--grid", "8", "--out", str(tmp_path)]
    res = runner.invoke(app, [*args, "--eps-r", "2.5-0.5j"])
    assert res.exit_code == 2
    (line,) = error_lines(res)
    assert (
        line.startswith("error: --eps-r: 2.5-0.5j is a gain medium") and "exp(-i omega t)" in line
    )
    assert not (tmp_path / "report.json").exists()
    res = runner.invoke(app, [*args, "--eps-r", "1.3+0.1j"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args, "--eps-r", "wet"])
    assert res.exit_code == 2 and "--eps-r: 'wet' is not a number" in res.output
