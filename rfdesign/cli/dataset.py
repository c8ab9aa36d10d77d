"""``rfdesign dataset ...``: generate and inspect datasets (thin layer over the API)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rfdesign.cli.common import (
    CLUSTER_DEFAULT,
    ClusterOption,
    PointsOption,
    PresetOption,
    SolverOption,
    StartGhzOption,
    StopGhzOption,
    WorkersOption,
    check_out_dir,
    deprecated_alias,
    err,
    fail,
    out,
)

dataset_app = typer.Typer(help="Generate and inspect datasets.", no_args_is_help=True)


@dataset_app.command("generate")
def generate_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Dataset folder (created or resumed).")],
    grid: Annotated[str, typer.Option(help="Grid preset name.")] = "ka_pixel_4x5",
    solver: SolverOption = "circuit",
    preset: PresetOption = "standard",
    threads: Annotated[int, typer.Option(min=1, help="Threads per simulation.")] = 1,
    sampler: Annotated[str, typer.Option(help="all, random or sobol.")] = "random",
    n: Annotated[int | None, typer.Option("--n", min=1, help="Number of layouts.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the sampler.")] = 0,
    cluster: ClusterOption = CLUSTER_DEFAULT,
    workers: WorkersOption = None,
    retries: Annotated[int, typer.Option(min=0, help="Extra attempts per failed layout.")] = 1,
    chunk: Annotated[int | None, typer.Option(min=1, help="Layouts per task.")] = None,
    start_ghz: StartGhzOption = 34.0,
    stop_ghz: StopGhzOption = 46.0,
    points: PointsOption = 51,
    f_start: Annotated[float | None, typer.Option("--f-start", hidden=True)] = None,
    f_stop: Annotated[float | None, typer.Option("--f-stop", hidden=True)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
) -> None:
    """Simulate layouts into a dataset; skips stored ones, resumes after any interruption.

    A damaged dataset (missing or changed files) is repaired first, with one warning line;
    its lost samples are among the layouts this run computes.
    """
    import numpy as np

    start_ghz = deprecated_alias("--f-start", "--start-ghz", f_start, start_ghz)
    stop_ghz = deprecated_alias("--f-stop", "--stop-ghz", f_stop, stop_ghz)
    check_out_dir(out_dir)
    from rfdesign.cluster import executor_for
    from rfdesign.core.version import __version__
    from rfdesign.datasets.generate import generate, sample_bits
    from rfdesign.datasets.store import Dataset, DatasetDamaged, DatasetError
    from rfdesign.layouts import get_grid
    from rfdesign.solvers.base import get_solver_class, settings_from_options

    try:
        pixel_grid = get_grid(grid)
        cls = get_solver_class(solver)
        bits = sample_bits(pixel_grid, sampler, n, seed)
    except KeyError as exc:
        fail(str(exc.args[0]))
        return
    except ValueError as exc:
        fail(str(exc))
        return
    if not 0 < start_ghz < stop_ghz:
        fail(f"--start-ghz/--stop-ghz: need 0 < start < stop, got {start_ghz}, {stop_ghz}")
    try:
        settings = settings_from_options(cls, preset=preset, threads=threads)
    except ValueError as exc:
        fail(str(exc))
        return
    runner = cls(settings)
    f = np.linspace(start_ghz, stop_ghz, points)
    provenance = {
        "rfdesign": __version__,
        "solver_version": runner.version,
        "host": socket.gethostname(),
        "sampler": sampler,
        "seed": seed,
    }
    try:
        try:
            ds = Dataset.open_or_create(
                out_dir, pixel_grid, solver, runner.settings_dict(), f, provenance
            )
        except DatasetDamaged as exc:
            if not exc.scan.repairable:
                raise
            err.print(
                f"[yellow]warning[/]: {exc.problem}; repairing, this run computes them again",
                highlight=False,
                soft_wrap=True,
            )
            Dataset(out_dir).repair()
            ds = Dataset.open_or_create(
                out_dir, pixel_grid, solver, runner.settings_dict(), f, provenance
            )
    except DatasetError as exc:
        fail(str(exc))
        return
    size = chunk or (512 if hasattr(runner, "simulate_bits") else 1)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(f"{solver} {grid}", total=None, rate="")

        def progress(done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=done, total=total, rate=f"{done / elapsed:.2f}/s")

        with executor_for(cluster, workers, threads) as executor:
            report = generate(
                ds,
                runner,
                pixel_grid,
                bits,
                executor=executor,
                chunk_size=size,
                retries=retries,
                progress=progress,
            )
    summary = ds.summary()
    if json_out:
        print(
            json.dumps(
                report.to_dict()
                | {"dataset": {k: summary[k] for k in ("samples", "unique", "failed")}}
            )
        )
    else:
        out.print(
            f"requested {report.requested}, already stored {report.skipped}, computed "
            f"{report.computed}, failed {report.failed} in {report.wall_s:.1f} s; dataset now "
            f"{summary['samples']} samples ({summary['failed']} failed) in {out_dir}"
        )


@dataset_app.command("info")
def info_cmd(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts (samples, unique layouts, failed) and provenance of a dataset."""
    from rfdesign.datasets.store import Dataset, DatasetError

    try:
        ds = Dataset.open(path)
    except DatasetError as exc:
        fail(str(exc))
        return
    summary = ds.summary()
    if json_out:
        print(json.dumps(summary, default=str))
        return
    for k in (
        "samples",
        "unique",
        "failed",
        "grid",
        "solver",
        "settings",
        "frequency_ghz",
        "provenance",
    ):
        out.print(f"{k:>14}: {summary[k]}")
    for bits, error in ds.failures()[:10]:
        out.print(f"  failed {bits}: {error.splitlines()[0] if error else ''}")


@dataset_app.command("repair")
def repair_cmd(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check every file of a dataset; rewrite it without the samples of damaged files.

    Rerun the ``dataset generate`` command that made the dataset to compute them again.
    """
    from rfdesign.datasets.store import Dataset, DatasetError

    try:
        report = Dataset(path).repair()
    except DatasetError as exc:
        fail(str(exc))
        return
    if json_out:
        print(json.dumps(report))
    elif not report["damaged"]:
        out.print(f"{path}: no damage found ({report['kept']} rows checked)")
    else:
        unverifiable = f" and {report['unverifiable']} rows of unknown validity" * bool(
            report["unverifiable"]
        )
        out.print(
            f"{path}: repaired {len(report['damaged'])} damaged files, dropped "
            f"{report['lost']} samples{unverifiable}, kept {report['kept']}; rerun the "
            "dataset generate command that made it to compute them again",
            highlight=False,
            soft_wrap=True,
        )


@dataset_app.command("merge")
def merge_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="New dataset folder.")],
    sources: Annotated[list[Path], typer.Argument(help="Datasets with identical settings.")],
) -> None:
    """Merge datasets made with the same grid, solver settings and frequencies."""
    from rfdesign.datasets.store import Dataset, DatasetError

    check_out_dir(out_dir)
    try:
        merged = Dataset.merge(sources, out_dir)
    except DatasetError as exc:
        fail(str(exc))
        return
    s = merged.summary()
    out.print(
        f"merged {len(sources)} datasets into {out_dir}: {s['samples']} samples, {s['failed']} failed"
    )


def register(app: typer.Typer) -> None:
    """Add the ``dataset`` group to the top-level app."""
    app.add_typer(dataset_app, name="dataset")
