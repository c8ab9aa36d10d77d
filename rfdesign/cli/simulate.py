"""``rfdesign simulate``: one layout on one solver, written as Touchstone, plots and GDS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rfdesign.cli.common import (
    PointsOption,
    PresetOption,
    SolverOption,
    StartGhzOption,
    StopGhzOption,
    check_out_dir,
    deprecated_alias,
    err,
    fail,
    fail_option,
    load_spec_or_fail,
    out,
)


def simulate(
    bits: Annotated[str, typer.Option(help="Free bits in bit order.")],
    grid: Annotated[str, typer.Option(help="Grid preset name.")] = "ka_pixel_4x5",
    solver: SolverOption = "openems",
    preset: PresetOption = "standard",
    threads: Annotated[int, typer.Option(min=1, help="Threads per simulation.")] = 1,
    spec_file: Annotated[
        Path | None,
        typer.Option(
            "--spec", help="Take grid, substrate and sweep from this spec; draw its masks."
        ),
    ] = None,
    start_ghz: StartGhzOption = 34.0,
    stop_ghz: StopGhzOption = 46.0,
    points: PointsOption = 51,
    cache: Annotated[
        Path | None, typer.Option(help="Result cache folder (reused results are not re-run).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    f_start: Annotated[float | None, typer.Option("--f-start", hidden=True)] = None,
    f_stop: Annotated[float | None, typer.Option("--f-stop", hidden=True)] = None,
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

    start_ghz = deprecated_alias("--f-start", "--start-ghz", f_start, start_ghz)
    stop_ghz = deprecated_alias("--f-stop", "--stop-ghz", f_stop, stop_ghz)
    check_out_dir(out_dir)
    check_out_dir(cache, "--cache")
    spec = None
    try:
        if spec_file is not None:
            spec = load_spec_or_fail(spec_file)
            pixel_grid = spec.pixel_grid()
            f = spec.frequencies_ghz()
        else:
            pixel_grid = get_grid(grid)
            if not 0 < start_ghz < stop_ghz:
                fail(f"--start-ghz/--stop-ghz: need 0 < start < stop, got {start_ghz}, {stop_ghz}")
            f = np.linspace(start_ghz, stop_ghz, points)
        layout = Layout.from_bits(pixel_grid, bits)
        cls = get_solver_class(solver)
    except KeyError as exc:
        fail([f"{exc.args[0]}"])
        return
    except ValueError as exc:
        fail_option(exc)
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


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the top-level app."""
    app.command("simulate")(simulate)
