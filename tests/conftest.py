"""Shared fixtures: the paper's grid and the example specs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def ka_grid():
    from rfdesign.layouts import get_grid

    return get_grid("ka_pixel_4x5")


@pytest.fixture(scope="session")
def bandpass_spec():
    from rfdesign.spec import load_spec

    return load_spec(EXAMPLES / "ka_bandpass.yaml")


OPT_IN_MARKERS = ("cluster", "long")
"""Markers of opt-in tests: they run only when the ``-m`` expression names them."""


def pytest_collection_modifyitems(config, items):
    """Deselect opt-in tests unless ``-m`` names their marker.

    ``addopts`` deselects them too, but any ``-m`` on the command line replaces that one
    (``-m "not slow"`` would otherwise start the cluster-sized and several-minute checks).
    """
    expr = config.option.markexpr or ""
    unnamed = [m for m in OPT_IN_MARKERS if m not in expr]
    drop = [i for i in items if any(i.get_closest_marker(m) for m in unnamed)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [i for i in items if i not in drop]
