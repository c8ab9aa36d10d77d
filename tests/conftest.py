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
