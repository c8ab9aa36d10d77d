"""2-D MoM against the series solution of circular cylinders (the analytic reference)."""

import numpy as np
import pytest

from rfdesign.scattering import mie2d
from rfdesign.scattering.mom2d import Grid2D, MoM2D

K0 = 2 * np.pi  # lambda0 = 1 m
PHI = np.linspace(0, 2 * np.pi, 32, endpoint=False)
RX = 3.0 * np.column_stack([np.cos(PHI), np.sin(PHI)])  # 32 receivers on a 3 m circle


def mom_error(eps_of, radius, eps_ref, cells_per_wavelength, eps_max):
    """Relative error of the MoM scattered field against the series solution."""
    d = 1 / np.sqrt(eps_max) / cells_per_wavelength
    n = int(np.ceil(2 * (radius + 0.02) / d))
    grid = Grid2D(n, n * d / 2)
    mom = MoM2D(grid, K0)
    eps = eps_of(grid)
    res = mom.solve(eps, mom.plane_waves([0.3]), RX)
    ref = mie2d.scattered_field(K0, *eps_ref, RX, phi_inc=0.3)
    return np.linalg.norm(res.scattered[0] - ref) / np.linalg.norm(ref)


def homogeneous(grid, radius=0.3, eps_r=2.0):
    frac = grid.coverage(lambda x, y: x**2 + y**2 < radius**2)
    return 1 + (eps_r - 1) * frac


def test_eps2_cylinder_within_2_percent_and_converging():
    # 0.3 lambda0 radius, eps_r = 2; grids of 20, 40, 80 cells per wavelength in the medium
    errors = [mom_error(homogeneous, 0.3, (0.3, 2.0), c, 2.0) for c in (20, 40, 80)]
    assert errors[0] <= 0.02
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < errors[0] / 4  # at least first order; measured ~second order


def test_layered_cylinder_and_lossy_core():
    def layered(grid):
        core = grid.coverage(lambda x, y: x**2 + y**2 < 0.15**2)
        shell = grid.coverage(lambda x, y: x**2 + y**2 < 0.3**2) - core
        return 1 + (1.5 + 0.2j - 1) * core + (2.0 - 1) * shell

    err = mom_error(layered, 0.3, ([0.15, 0.3], [1.5 + 0.2j, 2.0]), 40, 2.0)
    assert err <= 0.02


def test_series_solution_identities():
    # no contrast, no field; equal layers = one cylinder
    assert np.abs(mie2d.scattered_field(K0, 0.3, 1.0, RX)).max() < 1e-12
    one = mie2d.scattered_field(K0, 0.3, 2.0, RX)
    two = mie2d.scattered_field(K0, [0.1, 0.3], [2.0, 2.0], RX)
    np.testing.assert_allclose(two, one, atol=1e-12)
    with pytest.raises(ValueError, match="radii"):
        mie2d.layered_coefficients(K0, [0.3, 0.1], [2.0, 2.0])


def test_fft_solve_equals_the_dense_solve():
    grid = Grid2D(16, 0.5)
    mom = MoM2D(grid, K0)
    rng = np.random.default_rng(0)
    eps = 1 + 0.5 * rng.random((16, 16))
    e_inc = mom.line_sources([[2.0, 0.0], [0.0, -2.0], [-1.5, 1.5]])
    fast = mom.solve(eps, e_inc, RX, rtol=1e-12)
    dense = mom.solve_dense(eps, e_inc, RX)
    np.testing.assert_allclose(fast.total, dense.total, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.scattered, dense.scattered, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.current, (eps - 1) * fast.total)


def test_fft_operator_equals_the_dense_matrix_and_receivers_are_kept():
    mom = MoM2D(Grid2D(12, 0.5), K0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 12, 12)) + 1j * rng.normal(size=(3, 12, 12))
    dense = (x.reshape(3, -1) @ mom.dense_g().T).reshape(3, 12, 12)
    np.testing.assert_allclose(mom.apply_g(x), dense, rtol=0, atol=1e-12 * np.abs(dense).max())
    assert mom.receiver_matrix(RX) is mom.receiver_matrix(RX.copy())
    assert not mom.receiver_matrix(RX).flags.writeable
    assert mom.receiver_matrix(RX[:5]).shape == (5, 144)


def test_shapes_are_checked():
    mom = MoM2D(Grid2D(8, 0.5), K0)
    with pytest.raises(ValueError, match="eps_r"):
        mom.solve(np.ones((7, 7)), mom.plane_waves([0.0]))


@pytest.mark.slow
def test_meep_and_mom_agree_on_the_eps2_cylinder():
    # independent engines: Meep 2-D FDTD (40 px per lambda0) and the MoM (40 cells per
    # wavelength in the medium), line source at (-2, 0), 32 receivers on a 2.5 m circle
    from rfdesign.scattering import meep2d

    rx = 2.5 * np.column_stack([np.cos(PHI), np.sin(PHI)])
    tx = np.array([[-2.0, 0.0]])
    e_meep = meep2d.scattered_field(K0, tx, rx, cylinders=[(0.0, 0.0, 0.3, 2.0)], resolution=40)
    d = 1 / np.sqrt(2.0) / 40
    n = int(np.ceil(0.64 / d))
    grid = Grid2D(n, n * d / 2)
    mom = MoM2D(grid, K0)
    res = mom.solve(homogeneous(grid), mom.line_sources(tx), rx)
    err = np.linalg.norm(e_meep - res.scattered) / np.linalg.norm(res.scattered)
    assert err <= 0.05  # measured 1.2 %


def test_loss_is_a_positive_imaginary_part_and_gain_is_refused():
    """exp(-i omega t): a cylinder with Im eps_r > 0 absorbs, one with Im eps_r = 0 does not.

    Per order n the outgoing part of the field outside is ``(1 + 2 a_n)`` times the incoming
    one, so the power absorbed by that order is proportional to ``1 - |1 + 2 a_n|^2`` (zero
    for a lossless cylinder, positive for a lossy one).
    """
    _, lossless = mie2d.layered_coefficients(K0, [0.3], [2.0])
    np.testing.assert_allclose(np.abs(1 + 2 * lossless), 1.0, atol=1e-12)
    _, lossy = mie2d.layered_coefficients(K0, [0.3], [2.0 + 0.5j])
    assert np.all(np.abs(1 + 2 * lossy) <= 1 + 1e-12) and np.abs(1 + 2 * lossy).min() < 0.5
    with pytest.raises(
        ValueError, match=r"^eps_r: 2-0.5j is a gain medium.*lossy medium is 2\+0.5j"
    ):
        mie2d.scattered_field(K0, 0.3, 2.0 - 0.5j, RX)
    mom = MoM2D(Grid2D(8, 0.5), K0)
    eps = np.full((8, 8), 1.5 + 0.0j)
    eps[3, 4] = 1.5 - 0.1j
    for solve in (mom.solve, mom.solve_dense):
        with pytest.raises(ValueError, match=r"^eps_r: 1.5-0.1j is a gain medium"):
            solve(eps, mom.plane_waves([0.0]), RX)
