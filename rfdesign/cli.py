"""The ``rfdesign`` command line (Typer). Each command is a thin layer over the Python API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rfdesign import __version__
from rfdesign.cli_common import err, fail, out

app = typer.Typer(
    name="rfdesign",
    help="Design pixelated RF filters with full-wave solvers and AI surrogates in the loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
spec_app = typer.Typer(help="Check spec files.", no_args_is_help=True)
layout_app = typer.Typer(help="Draw and export pixel layouts.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")
app.add_typer(layout_app, name="layout")


def _register_subcommands() -> None:
    from rfdesign.cli_dataset import dataset_app
    from rfdesign.cli_gan import gan_app
    from rfdesign.cli_scatter import scatter_app
    from rfdesign.cli_train import register as register_train

    app.add_typer(dataset_app, name="dataset")
    app.add_typer(scatter_app, name="scatter")
    app.add_typer(gan_app, name="gan")
    register_train(app)


_register_subcommands()


def _version(value: bool) -> None:
    if value:
        out.print(f"rfdesign {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """rfdesign: write a spec, get back a verified layout."""


@spec_app.command("check")
def spec_check(
    file: Annotated[Path, typer.Argument(help="YAML spec file.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the resolved spec as JSON.")
    ] = False,
) -> None:
    """Validate a spec file; print every problem with its field path, or a summary."""
    from rfdesign.spec import SpecError, load_spec

    try:
        spec = load_spec(file)
    except SpecError as exc:
        fail([f"{exc.source}: {issue}" for issue in exc.issues])
        return
    if json_out:
        print(json.dumps(spec.model_dump(mode="json"), indent=2))
        return
    grid = spec.pixel_grid()
    table = Table(title=f"{spec.name}  ({file})", show_lines=False)
    for col in ("band", "kind", "GHz", "limits"):
        table.add_column(col)
    for i, b in enumerate(spec.bands):
        if b.kind == "pass":
            parts = []
            if b.s21_min_db is not None:
                parts.append(f"|S21| >= {b.s21_min_db:g} dB")
            if b.s11_max_db is not None:
                parts.append(f"|S11| <= {b.s11_max_db:g} dB")
            limits = ", ".join(parts)
        else:
            limits = f"|S21| <= {b.s21_max_db:g} dB"
        table.add_row(spec.band_label(i), b.kind, f"{b.f_min_ghz:g}-{b.f_max_ghz:g}", limits)
    out.print(table)
    out.print(
        f"sweep {spec.sweep.start_ghz:g}-{spec.sweep.stop_ghz:g} GHz, {spec.sweep.points} points; "
        f"w = {spec.w:g}; grid {grid.name}: {grid.n_rows} x {grid.n_cols} designed cells, "
        f"{grid.n_bits} free bits ({grid.n_layouts:,} layouts), feed {grid.feed_width_mm * 1e3:.1f} um"
    )
    out.print(f"[green]ok[/]: {file} is a valid spec (hash {spec.content_hash()[:12]})")


@app.command("schema")
def schema() -> None:
    """Print the JSON schema of spec files."""
    from rfdesign.spec import spec_json_schema

    print(json.dumps(spec_json_schema(), indent=2, sort_keys=True))


@layout_app.command("show")
def layout_show(
    bits: Annotated[str, typer.Option(help="Free bits in bit order, e.g. 101100111010011.")],
    grid: Annotated[str, typer.Option(help="Grid preset name.")] = "ka_pixel_4x5",
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="Take grid and substrate from this spec.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
) -> None:
    """Write layout.png and layout.gds of one layout and print its topology."""
    from rfdesign.layouts import Layout, get_grid
    from rfdesign.layouts.export import write_gds, write_png

    try:
        if spec_file is not None:
            from rfdesign.spec import SpecError, load_spec

            try:
                pixel_grid = load_spec(spec_file).pixel_grid()
            except SpecError as exc:
                fail([f"{exc.source}: {issue}" for issue in exc.issues])
                return
        else:
            pixel_grid = get_grid(grid)
        layout = Layout.from_bits(pixel_grid, bits)
    except KeyError as exc:
        fail([f"--grid: {exc.args[0]}"])
        return
    except ValueError as exc:
        fail([f"--{str(exc).split(':', 1)[0]}: {str(exc).split(':', 1)[-1].strip()}"])
        return
    png = write_png(layout, out_dir / "layout.png")
    gds = write_gds(layout, out_dir / "layout.gds")
    conn = layout.connectivity
    out.print(
        f"{pixel_grid.name}: bits {layout.bit_string}, metal {layout.metal_area_mm2():.4f} mm^2, "
        f"ports {'connected' if conn.connected else 'NOT connected'}, "
        f"{len(conn.floating_islands)} floating island(s), "
        f"{len(conn.corner_contacts)} corner-only contact(s)"
    )
    out.print(f"wrote {png} and {gds}")


@app.command("simulate")
def simulate(
    bits: Annotated[str, typer.Option(help="Free bits in bit order.")],
    grid: Annotated[str, typer.Option(help="Grid preset name.")] = "ka_pixel_4x5",
    solver: Annotated[str, typer.Option(help="Solver: circuit, openems or meep.")] = "openems",
    preset: Annotated[str, typer.Option(help="Mesh preset: draft, standard, fine.")] = "standard",
    threads: Annotated[int, typer.Option(min=1, help="Threads per simulation.")] = 1,
    spec_file: Annotated[
        Path | None,
        typer.Option(
            "--spec", help="Take grid, substrate and sweep from this spec; draw its masks."
        ),
    ] = None,
    f_start: Annotated[float, typer.Option(help="First frequency in GHz.")] = 34.0,
    f_stop: Annotated[float, typer.Option(help="Last frequency in GHz.")] = 46.0,
    points: Annotated[int, typer.Option(min=2, help="Frequency points.")] = 51,
    cache: Annotated[
        Path | None, typer.Option(help="Result cache folder (reused results are not re-run).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
) -> None:
    """Simulate one layout: writes design.s2p, response.png, layout.png and layout.gds."""
    import numpy as np

    from rfdesign.layouts import Layout, get_grid
    from rfdesign.layouts.export import write_gds, write_png
    from rfdesign.plots import plot_response
    from rfdesign.solvers.base import (
        ResultCache,
        SolverError,
        get_solver_class,
        settings_from_options,
    )

    spec = None
    try:
        if spec_file is not None:
            from rfdesign.spec import SpecError, load_spec

            try:
                spec = load_spec(spec_file)
            except SpecError as exc:
                fail([f"{exc.source}: {issue}" for issue in exc.issues])
                return
            pixel_grid = spec.pixel_grid()
            f = spec.frequencies_ghz()
        else:
            pixel_grid = get_grid(grid)
            if not 0 < f_start < f_stop:
                fail([f"--f-start/--f-stop: need 0 < f_start < f_stop, got {f_start}, {f_stop}"])
            f = np.linspace(f_start, f_stop, points)
        layout = Layout.from_bits(pixel_grid, bits)
        cls = get_solver_class(solver)
    except KeyError as exc:
        fail([f"{exc.args[0]}"])
        return
    except ValueError as exc:
        fail([f"--{str(exc).split(':', 1)[0]}: {str(exc).split(':', 1)[-1].strip()}"])
        return
    try:
        settings = settings_from_options(cls, preset=preset, threads=threads)
    except ValueError as exc:
        fail([f"--{exc}"])
        return
    runner = cls(settings, cache=ResultCache(cache) if cache else None)
    with err.status(f"{solver} ({preset}) simulating {layout.bit_string} ..."):
        try:
            net = runner.simulate(layout, f)
        except SolverError as exc:
            fail([str(exc)], code=1)
            return
    out_dir.mkdir(parents=True, exist_ok=True)
    net.name = "design"
    net.write_touchstone(str(out_dir / "design"))
    label = f"{solver} {preset}" if hasattr(settings, "preset") else solver
    plot_response(
        {label: net},
        out_dir / "response.png",
        spec=spec,
        title=f"{pixel_grid.name} {layout.bit_string}",
    )
    write_png(layout, out_dir / "layout.png")
    write_gds(layout, out_dir / "layout.gds")
    info = net.rfdesign_info
    (out_dir / "run.json").write_text(json.dumps(info, indent=2, default=str))
    out.print(
        f"{solver}: {info.get('wall_s', 0):.1f} s"
        + (
            f", {info['cells']:,} cells, {info['timesteps']:,} time steps"
            if info.get("cells")
            else ""
        )
        + (" (from cache)" if info.get("cache_hit") else "")
    )
    if spec is not None:
        from rfdesign.evaluation import evaluate_network

        report = evaluate_network(spec, net)
        out.print(report.to_markdown())
    out.print(f"wrote {out_dir}/design.s2p, response.png, layout.png, layout.gds, run.json")


if __name__ == "__main__":  # pragma: no cover
    app()
