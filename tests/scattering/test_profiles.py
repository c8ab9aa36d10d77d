"""Benchmark objects of the inverse-scattering module: geometry checked against closed forms."""

import numpy as np

from rfdesign.scattering.mom2d import Grid2D
from rfdesign.scattering.profiles import austria, circles, digit

GRID = Grid2D(128, 1.0)


def test_austria_area_matches_two_discs_and_a_ring():
    eps = austria(GRID, eps_r=1.5)
    area = (eps - 1).sum() / 0.5 * GRID.d**2
    expected = 2 * np.pi * 0.2**2 + np.pi * (0.6**2 - 0.3**2)  # 1.0996 m^2
    assert abs(area - expected) / expected < 0.005
    assert eps.min() == 1.0 and eps.max() == 1.5


def test_circles_follow_the_benchmark_ranges_and_the_seed():
    a = circles(GRID, np.random.default_rng(4))
    b = circles(GRID, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert 1.0 <= a.min() and a.max() <= 1.5
    area = (a > 1).sum() * GRID.d**2
    assert np.pi * 0.15**2 * 0.9 <= area <= 3 * np.pi * 0.4**2 * 1.1


def test_digit_maps_grey_levels_to_permittivity():
    eps = digit(GRID, 0, eps_r=1.4)
    assert eps.min() == 1.0 and 1.35 < eps.max() <= 1.4
    # a zero is a ring: the centre is (nearly) empty, the ring is not
    assert eps[64, 64] < 1.1 and (eps > 1.3).sum() > 200


def test_objects_take_a_lossy_permittivity_and_refuse_gain():
    import pytest

    grid = Grid2D(16, 1.0)
    lossy = austria(grid, eps_r=2.5 + 0.5j)
    assert lossy.imag.max() == 0.5 and lossy.imag.min() == 0.0
    assert digit(grid, 3, eps_r=1.4 + 0.1j).imag.max() <= 0.1 + 1e-12
    for make in (lambda e: austria(grid, eps_r=e), lambda e: digit(grid, 3, eps_r=e)):
        with pytest.raises(ValueError, match=r"^eps_r: 2.5-0.5j is a gain medium"):
            make(2.5 - 0.5j)
