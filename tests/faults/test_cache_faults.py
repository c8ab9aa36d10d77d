"""Fault injection on the solver result cache (issue 21): a bad entry is a miss, never a crash.

The reference for every case is a fresh run of the circuit model without a cache: after a
bad entry, ``simulate`` must run the solver again and return exactly that network.
"""

import json
import logging

import numpy as np
import pytest

from rfdesign.layouts import Layout, get_grid
from rfdesign.solvers.base import ResultCache, get_solver

GRID = get_grid("ka_pixel_4x5")
F = np.linspace(34, 46, 7)
LAYOUT = Layout.from_index(GRID, 12345)


def truncate(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def flip_s(p):
    """Change one byte of the stored S values (the zip member's CRC then disagrees)."""
    data = bytearray(p.read_bytes())
    at = data.index(b"s.npy") + 200
    data[at] ^= 0x01
    p.write_bytes(bytes(data))


def garbage(p):
    p.write_bytes(b"\x00" * 64)


def forged(p):
    """A well-formed entry whose S no longer matches its stored sha256 (CRC recomputed)."""
    with np.load(p) as d:
        s, info, sha = d["s"] * 1.01, d["info"], d["sha256"]
    with open(p, "wb") as fh:
        np.savez(fh, s=s, info=info, sha256=sha)


@pytest.fixture
def cached(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    solver = get_solver("circuit", cache=cache)
    first = solver.simulate(LAYOUT, F)
    assert not first.rfdesign_info["cache_hit"]
    return solver, cache, cache.path(solver.cache_key(LAYOUT, F))


@pytest.mark.parametrize("fault", [truncate, flip_s, garbage, forged])
def test_bad_entry_is_a_miss_logged_once_and_simulate_runs_again(cached, caplog, fault):
    solver, _, entry = cached
    fault(entry)
    with caplog.at_level(logging.WARNING, logger="rfdesign.solvers"):
        net = solver.simulate(LAYOUT, F)  # before: zipfile.BadZipFile from ResultCache.get
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and str(entry) in lines[0] and "\n" not in lines[0]
    assert entry.with_name(entry.name + ".corrupt").exists()
    assert not net.rfdesign_info["cache_hit"]
    fresh = get_solver("circuit").simulate(LAYOUT, F)
    np.testing.assert_array_equal(net.s, fresh.s)
    again = solver.simulate(LAYOUT, F)  # the rerun stored a good entry
    assert again.rfdesign_info["cache_hit"]
    np.testing.assert_array_equal(again.s, fresh.s)


def test_entries_without_a_checksum_stay_readable(cached):
    """Entries written before the sha256 was stored are still hits."""
    solver, cache, entry = cached
    with np.load(entry) as d:
        s, info = d["s"], d["info"]
    with open(entry, "wb") as fh:
        np.savez(fh, s=s, info=info)
    hit = cache.get(entry.stem)
    assert hit is not None and json.loads(str(info)) == hit[1]
    np.testing.assert_array_equal(hit[0], s)
    assert solver.simulate(LAYOUT, F).rfdesign_info["cache_hit"]


def test_entry_of_the_wrong_shape_is_a_miss(cached):
    _, cache, entry = cached
    cache.put(entry.stem, np.zeros((7, 3)), {"x": 1})
    assert cache.get(entry.stem) is None and entry.stem not in cache
