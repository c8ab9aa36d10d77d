"""The ``rfdesign`` command line (Typer): one app, one module per command group.

Each module of :mod:`rfdesign.cli` holds one command or group as a thin layer over the Python
API and adds it to the app with its ``register(app)``; this module only builds the app and
calls them in the order ``rfdesign --help`` lists them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from rfdesign import __version__
from rfdesign.cli import (
    dataset,
    design,
    gan,
    layout,
    scatter,
    simulate,
    spec,
    synthesize,
    train,
    verify,
)
from rfdesign.cli.common import out

app = typer.Typer(
    name="rfdesign",
    help="Design pixelated RF filters with full-wave solvers and AI surrogates in the loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for group in (spec, synthesize, layout, dataset, scatter, gan, design, verify, train, simulate):
    group.register(app)


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
