"""What every CLI module shares: the consoles and the one way to fail without a traceback."""

from __future__ import annotations

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)


def fail(message: str | list[str], code: int = 2) -> None:
    """Print one or more error lines (no traceback) and exit with ``code``."""
    for line in [message] if isinstance(message, str) else message:
        err.print(f"[bold red]error[/]: {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
