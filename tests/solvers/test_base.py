"""The solver base class: every run is logged, so a long simulate shows what it is doing."""

import logging

import numpy as np

from rfdesign.layouts import Layout
from rfdesign.solvers.base import ResultCache, get_solver


def test_each_run_and_cache_hit_is_logged(ka_grid, tmp_path, caplog):
    solver = get_solver("circuit", cache=ResultCache(tmp_path))
    lay = Layout.random(ka_grid, seed=3)
    with caplog.at_level(logging.DEBUG, logger="rfdesign.solvers"):
        solver.simulate(lay, np.linspace(34, 46, 5))
        solver.simulate(lay, np.linspace(34, 46, 5))
    text = [r.getMessage() for r in caplog.records]
    assert text[0] == f"circuit: simulating {lay.bit_string} at 5 frequencies"
    assert text[1].startswith(f"circuit: {lay.bit_string} done in ")
    assert text[2] == f"circuit: {lay.bit_string} read from the cache"
