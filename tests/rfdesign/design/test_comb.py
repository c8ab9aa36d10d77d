"""Pieces of the comb's tuning loop (the loop itself runs on openEMS in the benchmark)."""

import pytest

from rfdesign.design.comb import BACKTRACK_DB, halfway
from rfdesign.layouts.comb import Comb


def test_a_failed_step_goes_halfway_back_to_the_best_comb():
    best = Comb(5, (2.2309, 2.2355, 2.2354), (0.254,) * 3, (0.6501, 0.779), 0.9014, 0.13)
    worse = Comb(5, (2.2409, 2.2255, 2.2354), (0.254,) * 3, (0.6301, 0.799), 0.8014, 0.13)
    mid = halfway(best, worse)
    assert mid.lengths_mm == (2.2359, 2.2305, 2.2354)
    assert mid.gaps_mm == (0.6401, 0.789)
    assert mid.tap_mm == 0.8514
    assert (mid.n, mid.widths_mm, mid.inset_mm) == (best.n, best.widths_mm, best.inset_mm)
    # halving again towards the best converges on it
    again = halfway(best, mid)
    assert abs(again.tap_mm - best.tap_mm) == pytest.approx(abs(mid.tap_mm - best.tap_mm) / 2)
    assert BACKTRACK_DB > 0
