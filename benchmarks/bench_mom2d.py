"""2-D MoM: accuracy against the series solution and FFT speed against a dense solve.

Accuracy: an eps_r = 2 cylinder of radius 0.3 lambda0, plane wave, scattered field at 32
receivers on a 3 lambda0 circle, relative error against the series solution on grids of 20,
40 and 80 cells per wavelength in the medium. Speed: the inverse-scattering benchmark setup
(SEED-NOTES 6: [-1, 1]^2 m at 400 MHz, 64 x 64 cells, 16 line sources and 32 receivers on a
3 m circle, two cylinders of eps_r 1.5 and 1.3): FFT + GMRES against the dense matrix and LU.
"""

from __future__ import annotations

import time

import numpy as np


def run() -> str:
    """The Markdown table."""
    from rfdesign.scattering import mie2d
    from rfdesign.scattering.mom2d import Grid2D, MoM2D
    from rfdesign.scattering.profiles import benchmark_setup, ring

    k0 = 2 * np.pi
    rx = ring(32)
    ref = mie2d.scattered_field(k0, 0.3, 2.0, rx)
    lines = [
        "| cells per wavelength (medium) | grid | relative error vs series | GMRES iterations | ms |",
        "|---|---|---|---|---|",
    ]
    for cpl in (20, 40, 80):
        d = 1 / np.sqrt(2.0) / cpl
        n = int(np.ceil(2 * 0.32 / d))
        grid = Grid2D(n, n * d / 2)
        mom = MoM2D(grid, k0)
        eps = 1 + grid.coverage(lambda x, y: x**2 + y**2 < 0.09)
        t0 = time.perf_counter()
        res = mom.solve(eps, mom.plane_waves([0.0]), rx)
        ms = (time.perf_counter() - t0) * 1e3
        err = np.linalg.norm(res.scattered[0] - ref) / np.linalg.norm(ref)
        lines.append(f"| {cpl} | {n} x {n} | {err:.4f} | {res.iterations} | {ms:.0f} |")

    k0, tx, rx = benchmark_setup()
    grid = Grid2D(64, 1.0)
    mom = MoM2D(grid, k0)
    x, y = grid.centres
    eps = np.ones((64, 64))
    eps[(x - 0.3) ** 2 + y**2 < 0.09] = 1.5
    eps[(x + 0.4) ** 2 + (y - 0.3) ** 2 < 0.04] = 1.3
    e_inc = mom.line_sources(tx)
    t0 = time.perf_counter()
    fast = mom.solve(eps, e_inc, rx)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    dense = mom.solve_dense(eps, e_inc, rx)
    t_dense = time.perf_counter() - t0
    diff = np.linalg.norm(fast.scattered - dense.scattered) / np.linalg.norm(dense.scattered)
    lines += [
        "",
        "| 64 x 64, 16 incidences | ms | note |",
        "|---|---|---|",
        f"| FFT + GMRES (all incidences in one Krylov space) | {t_fast * 1e3:.0f} | "
        f"{fast.iterations} iterations |",
        f"| dense matrix + LU | {t_dense * 1e3:.0f} | matrix fill included |",
        f"| speed-up | {t_dense / t_fast:.1f}x | fields agree to {diff:.1e} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
