"""``rfdesign design SPEC``: spec in, verified layout and report out (thin layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rfdesign.cli.common import (
    CLUSTER_DEFAULT,
    ClusterOption,
    WorkersOption,
    check_out_dir,
    err,
    fail,
    load_spec_or_fail,
    out,
    stage_progress,
)


def design_cmd(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="Spec file (YAML).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the design files.")] = Path(
        "design_out"
    ),
    surrogate: Annotated[
        str,
        typer.Option(
            help="auto (shipped CNN, else circuit), circuit, a model folder, or solver (search "
            "on the verifying solver itself, every evaluation a cached full-wave run)."
        ),
    ] = "auto",
    verify: Annotated[
        str | None,
        typer.Option(help="openems, palace, meep, circuit or none (default: the spec's solver)."),
    ] = None,
    crosscheck: Annotated[
        str,
        typer.Option(
            help="none or a second engine (e.g. palace) that also simulates the chosen layout; "
            "the report gives both verdicts and the spread between the engines."
        ),
    ] = "none",
    crosscheck_preset: Annotated[
        str | None, typer.Option(help="The second engine's mesh preset (default: the spec's).")
    ] = None,
    cluster: ClusterOption = CLUSTER_DEFAULT,
    workers: WorkersOption = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Overrides search.seed.")] = None,
    refine: Annotated[
        str, typer.Option(help="none or space-mapping (refine the winner's cell sizes).")
    ] = "none",
    refine_budget: Annotated[
        int, typer.Option(min=1, help="Full-wave runs the refinement may spend.")
    ] = 3,
    seed_from: Annotated[
        str, typer.Option(help="none or gan (GAN proposals in the GA's first population).")
    ] = "none",
    gan: Annotated[
        Path | None, typer.Option(help="Layout-GAN folder for --seed-from gan (default: grid's).")
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Full-wave result cache (default $RFDESIGN_CACHE/results).")
    ] = None,
) -> None:
    """Design a layout for SPEC, verify it full-wave, write report.md/json, .s2p, .gds, plots."""
    from rfdesign.antenna_spec import is_antenna_spec
    from rfdesign.cluster import executor_for
    from rfdesign.design import design_filter
    from rfdesign.design.verify import default_cache_dir, verifiers
    from rfdesign.surrogates.checkpoint import CheckpointError

    if is_antenna_spec(spec_path):  # kind: antenna
        _design_antenna(spec_path, out_dir, cache, seed)
        return
    spec = load_spec_or_fail(spec_path)
    check_out_dir(out_dir)
    check_out_dir(cache or default_cache_dir(), "--cache")
    if verify is not None and verify not in verifiers():
        fail(f"--verify: {verify!r} is not one of {', '.join(verifiers())}")
    try:
        with executor_for(cluster, workers) as executor, stage_progress() as progress:
            result = design_filter(
                spec,
                surrogate=surrogate,
                verify=verify,
                out=out_dir,
                seed=seed,
                executor=executor,
                cache_dir=cache,
                progress=progress,
                refine=refine,
                refine_budget=refine_budget,
                seed_from=seed_from,
                gan=gan,
                crosscheck=crosscheck,
                crosscheck_preset=crosscheck_preset,
            )
    except KeyboardInterrupt:
        err.print("interrupted: full-wave results computed so far are in the cache")
        raise typer.Exit(130) from None
    except (CheckpointError, ValueError, KeyError, FileNotFoundError) as exc:
        fail(str(exc))
    s = result.summary()
    verdict = "[green]MEETS[/]" if s["passed"] else "[red]does NOT meet[/]"
    out.print(
        f"{spec.name}: layout {s['bits'] or result.layout.grid.name} {verdict} the spec "
        f"({s['verified_by'] or 'surrogate only, not verified'}); K = {s['K']:.2f} dB (floor "
        f"{s['K_floor']:.2f}); worst margin {s['worst_margin_db']:+.2f} dB",
        soft_wrap=True,
    )
    for cc in s["crosschecks"]:
        low, high = cc["worst_margin_range_db"]
        out.print(
            f"second engine {cc['by']}: worst margin {cc['report']['worst_margin_db']:+.2f} dB; "
            f"range over both engines {low:+.2f} to {high:+.2f} dB: {cc['verdict']}",
            soft_wrap=True,
        )
    if s["flags"]:
        out.print(
            f"[bold yellow]flags on the verdict: {', '.join(s['flags'])}[/]: the verdict "
            "is not certified (see report.md)",
            soft_wrap=True,
        )
    for band, m in s["margins_db"].items():
        out.print(f"  {band}: {m:+.2f} dB")
    runs = s["solver_runs"]
    if runs["solver"]:
        kind = "full-wave" if runs["fullwave"] else "circuit-model"
        out.print(
            f"{runs['solver']} {kind} runs by this design: {runs['search']} search + "
            f"{runs['verification']} verification (+{runs['verification_cached']} cached) + "
            f"{runs.get('refine', 0)} refinement; {s['wall_s']:.0f} s -> {out_dir}/report.md",
            soft_wrap=True,
        )
    else:
        out.print(f"not verified; {s['wall_s']:.0f} s -> {out_dir}/report.md", soft_wrap=True)


def _design_antenna(spec_path: Path, out_dir: Path, cache: Path | None, seed: int | None) -> None:
    """``rfdesign design`` for an antenna spec: a patch by SADEA or DE, or a pixel patch."""
    from rfdesign.cli.common import load_antenna_spec_or_fail
    from rfdesign.design.antenna import design_antenna
    from rfdesign.design.pixel_antenna import design_pixel_antenna
    from rfdesign.design.verify import default_cache_dir

    spec = load_antenna_spec_or_fail(spec_path)
    if seed is not None:
        spec = spec.model_copy(update={"design": spec.design.model_copy(update={"seed": seed})})
    check_out_dir(out_dir)
    check_out_dir(cache or default_cache_dir(), "--cache")
    try:
        with stage_progress() as progress:
            flow = design_pixel_antenna if spec.design.method == "pixel" else design_antenna
            d = flow(spec, out=out_dir, cache_dir=cache, progress=progress)
    except KeyboardInterrupt:
        err.print("interrupted: full-wave results computed so far are in the cache")
        raise typer.Exit(130) from None
    except ValueError as exc:
        fail(str(exc))
    verdict = "[green]MEETS[/]" if d.passed else "[red]does NOT meet[/]"
    out.print(
        f"{spec.name}: patch {d.patch.length_mm} x {d.patch.width_mm} mm {verdict} the spec "
        f"(openEMS); worst margin {d.worst_margin_db:+.2f} dB",
        soft_wrap=True,
    )
    for name, m in d.margins.items():
        out.print(f"  {name}: {m:+.2f} dB")
    if d.flags:
        out.print(f"[bold yellow]flags on the verdict: {', '.join(d.flags)}[/] (see report.md)")
    out.print(
        f"{d.method}: {len(d.history.history)} openEMS runs in the search; "
        f"{d.provenance['wall_s']:.0f} s -> {out_dir}/report.md",
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``design`` to the top-level app."""
    app.command("design")(design_cmd)
