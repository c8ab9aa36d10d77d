"""``python -m rfdesign.cli``: the same as the ``rfdesign`` command."""

from rfdesign.cli.app import app

app()
