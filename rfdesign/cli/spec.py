"""``rfdesign spec check`` and ``rfdesign schema``: spec files validated and described."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rfdesign.cli.common import load_antenna_spec_or_fail, load_spec_or_fail, out

spec_app = typer.Typer(help="Check spec files.", no_args_is_help=True)


@spec_app.command("check")
def spec_check(
    file: Annotated[Path, typer.Argument(help="YAML spec file.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the resolved spec as JSON.")
    ] = False,
) -> None:
    """Validate a spec file; print every problem with its field path, or a summary.

    Validation includes the memory a design would need (circuit model, search population):
    a spec over the limit is refused here, as ``rfdesign design`` refuses it.
    """
    from rfdesign.antenna_spec import is_antenna_spec
    from rfdesign.resources import memory_limit_bytes

    if is_antenna_spec(file):
        _check_antenna(file, json_out)
        return
    spec = load_spec_or_fail(file)
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
    sweep = (
        f"sweep {spec.sweep.start_ghz:g}-{spec.sweep.stop_ghz:g} GHz, {spec.sweep.points} points; "
        f"w = {spec.w:g}; "
    )
    d = spec.design
    if d.method != "pixel":  # a parametric design: the tool sizes it, no grid is searched
        out.print(
            sweep + f"design.method {d.method}: sized from the masks (goal +{d.goal_margin_db:g} "
            f"dB, at most {d.budget} full-wave runs, edges +-{d.tolerance_um:g} um); the grid "
            "is not used"
        )
        out.print(f"[green]ok[/]: {file} is a valid spec (hash {spec.content_hash()[:12]})")
        return
    out.print(
        sweep + f"grid {grid.name}: {grid.n_rows} x {grid.n_cols} designed cells, "
        f"{grid.n_bits} free bits ({grid.n_layouts:,} layouts), feed {grid.feed_width_mm * 1e3:.1f} um"
    )
    est = spec.resource_estimate()
    out.print(
        f"memory: {est.total_bytes / 2**20:,.0f} MiB (circuit model {est.circuit_nodes} nodes x "
        f"{est.points} points, {est.population} responses at once; limit "
        f"{memory_limit_bytes() / 2**30:.1f} GiB)"
    )
    out.print(f"[green]ok[/]: {file} is a valid spec (hash {spec.content_hash()[:12]})")


def schema() -> None:
    """Print the JSON schema of spec files."""
    from rfdesign.spec import spec_json_schema

    print(json.dumps(spec_json_schema(), indent=2, sort_keys=True))


def _check_antenna(file: Path, json_out: bool) -> None:
    """``spec check`` of an antenna spec: every problem named, or its requirements."""
    spec = load_antenna_spec_or_fail(file)
    if json_out:
        print(json.dumps(spec.model_dump(mode="json"), indent=2))
        return
    table = Table(title=f"{spec.name}  ({file}, antenna)", show_lines=False)
    for col in ("requirement", "GHz", "limit"):
        table.add_column(col)
    for i, b in enumerate(spec.bands):
        table.add_row(
            b.name or f"band {i + 1}",
            f"{b.f_min_ghz:g}-{b.f_max_ghz:g}",
            f"|S11| <= {b.s11_max_db:g} dB",
        )
    for g in spec.gain:
        table.add_row("realised gain", f"{g.f_ghz:g}", f">= {g.min_dbi:g} dBi")
    out.print(table)
    d = spec.design
    if d.method == "pixel":
        p = d.pixel
        out.print(
            f"design.method pixel: a {p.n_x} x {p.n_y} pixel patch (mirrored) found by a GA on a "
            f"CNN ensemble; {p.cheap_runs} cheap-mesh runs, at most {d.budget} search-mesh "
            f"runs (seed {d.seed}); no layout or dimensions given"
        )
        return
    out.print(
        f"design.method {d.method}: the patch ({d.feed} feed) sized on openEMS, at most {d.budget} "
        f"runs (seed {d.seed}); no dimensions given"
    )


def register(app: typer.Typer) -> None:
    """Add ``spec check`` and ``schema`` to the top-level app."""
    app.add_typer(spec_app, name="spec")
    app.command("schema")(schema)
