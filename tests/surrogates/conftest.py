"""Shared data for surrogate tests: real circuit-model responses (a solver, not a mock)."""

import numpy as np
import pytest

from rfdesign.layouts import get_grid
from rfdesign.solvers.circuit import simulate_bits

F_GHZ = np.linspace(34, 46, 51)


@pytest.fixture(scope="session")
def circuit_data():
    """1,500 distinct random ka_pixel_4x5 layouts and their circuit-model S (seed 11)."""
    grid = get_grid("ka_pixel_4x5")
    rng = np.random.default_rng(11)
    idx = rng.choice(grid.n_layouts, size=1500, replace=False)
    bits = ((idx[:, None] >> np.arange(grid.n_bits)[::-1]) & 1).astype(np.uint8)
    s = simulate_bits(grid, bits, F_GHZ, n_threads=2)
    return grid, bits, s
