"""The ``rfdesign`` command line: :data:`app` (Typer), one module per command group."""

from rfdesign.cli.app import app

__all__ = ["app"]
