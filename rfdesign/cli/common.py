"""What every CLI module shares: consoles, failing in one line, checks and common options.

The consoles do not wrap piped output; :func:`fail` prints one line per problem without a
traceback; :func:`check_out_dir` checks an output folder before any work. The shared options
are ``Annotated`` types (Typer reads the option from the annotation), so a command writes
``cluster: ClusterOption = CLUSTER_DEFAULT`` and gets the same name, help and default as
every other command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from rfdesign.spec import FilterSpec

T = TypeVar("T")

PIPED_WIDTH = 10_000
"""Console width when the output is not a terminal: piped tables and lines are not wrapped."""


def _console(stderr: bool = False) -> Console:
    """A console that wraps at the terminal's width, and not at all when piped.

    ``$COLUMNS``, when set, still decides (rich reads it).
    """
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
        console.soft_wrap = True
    return console


out = _console()
err = _console(stderr=True)


def fail(message: str | list[str], code: int = 2) -> None:
    """Print one or more error lines (no traceback) and exit with ``code``."""
    for line in [message] if isinstance(message, str) else message:
        err.print(f"[bold red]error[/]: {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_spec_or_fail(path: Path) -> FilterSpec:
    """The spec in ``path``, or exit with one line per problem (field path and reason)."""
    from rfdesign.spec import SpecError, load_spec

    try:
        return load_spec(path)
    except SpecError as exc:
        fail([f"{exc.source}: {issue}" for issue in exc.issues])
        raise  # unreachable: fail exits


def load_antenna_spec_or_fail(path: Path):
    """The antenna spec in ``path``, or exit with one line per problem, as the filter's."""
    from rfdesign.antenna_spec import load_antenna_spec
    from rfdesign.spec import SpecError

    try:
        return load_antenna_spec(path)
    except SpecError as exc:
        fail([f"{exc.source}: {issue}" for issue in exc.issues])
        raise  # unreachable: fail exits


def fail_option(exc: ValueError) -> None:
    """Exit with a ``field: reason`` error of the API as the ``--field`` option's error."""
    field, _, reason = str(exc).partition(":")
    fail([f"--{field}: {reason.strip() if reason else field}"])


def check_out_dir(path: Path | None, option: str = "--out") -> None:
    """Before any work: exit with one line if results cannot be written to the folder ``path``.

    ``path`` must not be an existing file, and the folder (or, if it does not exist yet, its
    nearest existing parent) must accept a new file (:func:`rfdesign.core.paths.
    check_writable_dir`). ``None`` (no folder given) passes.

    Args:
        path: The folder of ``option``.
        option: The option's name as the user types it, e.g. ``--out`` or ``--cache``.
    """
    from rfdesign.core.paths import check_writable_dir

    if path is None:
        return
    try:
        check_writable_dir(path, option)
    except ValueError as exc:
        fail(str(exc))


# ----------------------------------------------------------------------------------------------
# One vocabulary: options that mean the same thing in every command
# ----------------------------------------------------------------------------------------------
CLUSTER_DEFAULT = "none"
"""Where simulations run unless ``--cluster`` says otherwise: in this process."""

ClusterOption = Annotated[
    str,
    typer.Option(
        help="Where simulations run: none (this process), local (a Dask cluster on this "
        "machine), slurm, pbs, or a scheduler address."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Workers (local) or jobs (slurm, pbs); default: from the cores."),
]
StartGhzOption = Annotated[float, typer.Option("--start-ghz", help="First frequency, GHz.")]
StopGhzOption = Annotated[float, typer.Option("--stop-ghz", help="Last frequency, GHz.")]
PointsOption = Annotated[int, typer.Option(min=2, help="Frequency points (linear sweep).")]


def solver_help() -> str:
    """Help of ``--solver``: the names of the solver registry."""
    from rfdesign.solvers.base import solver_names

    return f"Solver: {', '.join(solver_names())}."


def preset_help() -> str:
    """Help of ``--preset``: the presets of the full-wave solvers, read from their tables.

    openEMS's mesh presets (``MESH_PRESETS``) and Meep's resolution presets
    (``RESOLUTION_PRESETS``); a preset only one solver has is marked so.
    """
    from rfdesign.solvers.meep import RESOLUTION_PRESETS
    from rfdesign.solvers.openems import MESH_PRESETS

    tables = {"openems": list(MESH_PRESETS), "meep": list(RESOLUTION_PRESETS)}
    names = list(dict.fromkeys(tables["openems"] + tables["meep"]))
    labels = []
    for name in names:
        owners = [solver for solver, presets in tables.items() if name in presets]
        labels.append(
            name if len(owners) == len(tables) else f"{name} ({' and '.join(owners)} only)"
        )
    return f"Mesh or resolution preset of a full-wave solver: {', '.join(labels)}."


SolverOption = Annotated[str, typer.Option(help=solver_help())]
PresetOption = Annotated[str, typer.Option(help=preset_help())]


def deprecated_alias(old: str, new: str, value: T | None, current: T) -> T:
    """The value of a hidden, deprecated option, else that of its new spelling.

    Args:
        old: The deprecated spelling, e.g. ``--f-start``; a warning on stderr names it.
        new: The spelling to use instead, e.g. ``--start-ghz``.
        value: The value given to ``old`` (``None``: not given).
        current: The value of ``new``.
    """
    if value is None:
        return current
    err.print(f"[yellow]warning[/]: {old} is deprecated; use {new}", highlight=False)
    return value


@contextmanager
def stage_progress(disable: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """Progress on stderr with one bar per stage, or plain lines when stderr is not a terminal.

    On a terminal: a rich progress display. Redirected (nohup, a SLURM log, a pipe): one line
    per stage step, ``[  12.3 s] search 640/6400``, at the start, every tenth of the stage
    and its end, so a log file shows where a long run is.

    Yields:
        ``progress(stage, done, total)``, the callback the API functions take: the first call
        for a stage adds its bar, later calls move it.
    """
    if not err.is_terminal:
        yield _line_progress(disable)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=disable) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def _line_progress(disable: bool) -> Callable[[str, int, int], None]:
    """The log-file form of :func:`stage_progress`: a line per tenth of a stage."""
    import sys
    import time

    from rfdesign.core.progress import TenthSteps

    t0 = time.perf_counter()
    steps = TenthSteps()

    def progress(stage: str, done: int, total: int) -> None:
        if disable or not steps.due(stage, done, total):
            return
        print(
            f"[{time.perf_counter() - t0:7.1f} s] {stage} {done}/{total}",
            file=sys.stderr,
            flush=True,
        )

    return progress
