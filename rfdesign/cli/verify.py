"""``rfdesign verify DESIGN``: a second engine's verdict on a saved design (thin layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rfdesign.cli.common import check_out_dir, err, fail, out


def verify_cmd(
    design_dir: Annotated[
        Path, typer.Argument(metavar="DESIGN", help="A folder written by `rfdesign design`.")
    ],
    engine: Annotated[
        str, typer.Option(help="The second engine: a registered solver (palace, openems, ...).")
    ] = "palace",
    preset: Annotated[
        str | None, typer.Option(help="Its mesh preset (default: the spec's solver.preset).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=1, help="Its wall-time limit per run in s (default: the engine's own)."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Full-wave result cache (default $RFDESIGN_CACHE/results).")
    ] = None,
) -> None:
    """Re-simulate a saved design with a second engine; add the engine spread to its report."""
    from rfdesign.design.crosscheck import crosscheck
    from rfdesign.design.result import DesignResult
    from rfdesign.design.verify import default_cache_dir
    from rfdesign.solvers.base import SolverError, solver_names

    if engine not in solver_names():
        fail(f"--engine: {engine!r} is not one of {', '.join(solver_names())}")
    try:
        result = DesignResult.load(design_dir)
    except (FileNotFoundError, ValueError) as exc:
        fail(f"DESIGN: {exc}")
    if result.verified is None:
        fail("DESIGN: the design was not verified full-wave; nothing to compare with")
    first = (result.verified_run or {}).get("solver")
    if engine == first:
        fail(f"--engine: {engine} verified the design already; name another engine")
    check_out_dir(design_dir, "DESIGN")
    check_out_dir(cache or default_cache_dir(), "--cache")
    err.print(f"simulating {result.layout.bit_string} with {engine} ...")
    try:
        check = crosscheck(
            result.spec,
            result.layout,
            result.verified,
            engine,
            preset=preset,
            timeout_s=timeout,
            cache_dir=cache,
        )
    except KeyboardInterrupt:
        err.print("interrupted: a finished run is in the cache")
        raise typer.Exit(130) from None
    except (ValueError, SolverError) as exc:
        fail(str(exc).splitlines()[0])
    result = result.with_crosscheck(check)
    result.save(design_dir)
    low, high = check.worst_margin_range_db
    spread = check.spread.relative
    colour = "green" if check.agree and low > 0 else ("red" if not check.agree else "yellow")
    out.print(
        f"{result.spec.name}: {check.by} worst margin {check.report.worst_margin_db:+.2f} dB "
        f"beside {result.verified_by} {result.report.worst_margin_db:+.2f} dB; engine spread "
        + (f"{100 * spread:.2f} %" if spread == spread else "n/a (no feature matched)")
        + f"; range {low:+.2f} to {high:+.2f} dB: [{colour}]{check.verdict}[/]",
        soft_wrap=True,
    )
    out.print(f"-> {design_dir}/report.md, {design_dir}/{check.file_name}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``verify`` to the top-level app."""
    app.command("verify")(verify_cmd)
