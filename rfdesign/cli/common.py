"""What every CLI module shares: the consoles and the one way to fail without a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from rfdesign.spec import FilterSpec

out = Console()
err = Console(stderr=True)


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


def fail_option(exc: ValueError) -> None:
    """Exit with a ``field: reason`` error of the API as the ``--field`` option's error."""
    field, _, reason = str(exc).partition(":")
    fail([f"--{field}: {reason.strip() if reason else field}"])


@contextmanager
def stage_progress(disable: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display on stderr with one bar per stage.

    Yields:
        ``progress(stage, done, total)``, the callback the API functions take: the first call
        for a stage adds its bar, later calls move it.
    """
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
