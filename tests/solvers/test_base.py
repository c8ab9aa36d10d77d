"""The solver base class: every run is logged, so a long simulate shows what it is doing."""

import logging

import numpy as np

from rfdesign.layouts import Layout
from rfdesign.solvers.base import ResultCache, excite_both_ports, get_solver


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


def test_port_2_is_excited_only_when_the_layout_is_not_mirror_symmetric(ka_grid):
    full = Layout.from_bits(ka_grid, "1" * ka_grid.n_bits)  # mirrored grid: symmetric
    assert excite_both_ports(full, None) is False
    assert excite_both_ports(full, True) is True
    m = full.mask().copy()
    m[0, 0] = not m[0, 0]  # break the mirror symmetry by hand

    class Lopsided:
        grid = ka_grid

        @staticmethod
        def mask():
            return m

    assert excite_both_ports(Lopsided(), None) is True
    assert excite_both_ports(Lopsided(), False) is False


def test_a_relative_cache_folder_is_held_absolute(tmp_path, monkeypatch):
    # solver jobs run in their own working folders under the cache: a relative root would
    # point them at a folder inside their own (openEMS failed with `--cache c`)
    monkeypatch.chdir(tmp_path)
    cache = ResultCache("c")
    assert cache.root.is_absolute() and cache.root == tmp_path / "c"
