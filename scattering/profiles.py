"""Test objects of the 2-D inverse-scattering benchmark (SEED-NOTES section 6).

Relative-permittivity maps on a :class:`rfdesign.scattering.mom2d.Grid2D`: random cylinders (the
back-propagation benchmark of Wei and Chen, "Deep-learning schemes for full-wave nonlinear
inverse scattering problems", IEEE TGRS 57(4), 2019: 1-3 cylinders, radius 0.15-0.4 m, eps_r
1.001-1.5), handwritten digits (scikit-learn's bundled 8 x 8 digits, upsampled), and the
"Austria" profile (two discs of radius 0.2 m at (+-0.3, 0.6) m and a ring of radii 0.3 and
0.6 m at (0, -0.2) m). Boundary cells take the area-weighted permittivity, so a map sampled on
a finer grid describes the same object.

Complex permittivity: the module works with time dependence ``exp(-i omega t)`` (as
:mod:`~rfdesign.scattering.mom2d` and Meep), in which ``eps_r = eps' + i eps''`` and a lossy
object has ``eps'' > 0``: ``2.5+0.5j`` is lossy, ``2.5-0.5j`` would be a gain medium and is
refused with a ``ValueError`` naming ``eps_r`` (:func:`~rfdesign.scattering.mom2d.
check_passive`). The benchmark's objects are lossless (real ``eps_r``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from rfdesign.scattering.mom2d import Grid2D, check_passive

BENCHMARK_FREQUENCY_HZ = 400e6
"""Frequency of the benchmark setup (domain [-1, 1]^2 m)."""


def ring(count: int, radius_m: float = 3.0) -> np.ndarray:
    """``count`` points evenly spaced on a circle of ``radius_m`` (``count x 2``, m)."""
    ang = np.linspace(0, 2 * np.pi, count, endpoint=False)
    return radius_m * np.column_stack([np.cos(ang), np.sin(ang)])


def benchmark_setup() -> tuple[float, np.ndarray, np.ndarray]:
    """``(k0 in rad/m, 16 transmitters, 32 receivers)`` on the 3 m circle at 400 MHz."""
    return 2 * np.pi * BENCHMARK_FREQUENCY_HZ / 299_792_458.0, ring(16), ring(32)


def circles(
    grid: Grid2D,
    rng: np.random.Generator,
    count: tuple[int, int] = (1, 3),
    radius_m: tuple[float, float] = (0.15, 0.4),
    eps_r: tuple[float, float] = (1.001, 1.5),
) -> np.ndarray:
    """1-3 random non-overlapping cylinders inside the domain (later ones on top if crowded).

    ``eps_r`` is the range each cylinder's (real) permittivity is drawn from.
    """
    eps = np.ones((grid.n, grid.n))
    placed: list[tuple[float, float, float]] = []
    n = int(rng.integers(count[0], count[1] + 1))
    hw = grid.half_width
    for _ in range(n):
        for _attempt in range(100):
            r = rng.uniform(*radius_m)
            cx, cy = rng.uniform(-hw + r, hw - r, size=2)
            if all(np.hypot(cx - x, cy - y) > r + q for x, y, q in placed):
                break
        placed.append((cx, cy, r))
        e = rng.uniform(*eps_r)
        frac = grid.coverage(lambda x, y, cx=cx, cy=cy, r=r: (x - cx) ** 2 + (y - cy) ** 2 < r**2)
        eps = eps * (1 - frac) + e * frac
    return eps


@lru_cache(maxsize=1)
def _digit_images() -> np.ndarray:
    from sklearn.datasets import load_digits

    return load_digits().images


def digit(
    grid: Grid2D,
    index: int,
    eps_r: complex = 1.5,
    size_m: float | None = None,
    offset_m: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Digit ``index`` of scikit-learn's digits data as a permittivity map (grey levels scale).

    The 8 x 8 image (values 0-16) fills a square of ``size_m`` (default 80 % of the domain)
    centred at ``offset_m`` (x, y in m), sampled by bilinear interpolation; 16 maps to
    ``eps_r`` (complex allowed, loss ``Im eps_r > 0``; a gain medium raises ``ValueError``).
    """
    check_passive(eps_r)
    from scipy.interpolate import RegularGridInterpolator

    img = _digit_images()[index][::-1]  # row 0 at the bottom (y up)
    size = size_m or 1.6 * grid.half_width
    axis = (np.arange(8) + 0.5) / 8 * size - size / 2
    interp = RegularGridInterpolator((axis, axis), img / 16.0, bounds_error=False, fill_value=0.0)
    x, y = grid.centres
    pts = np.column_stack([(y - offset_m[1]).ravel(), (x - offset_m[0]).ravel()])
    level = np.clip(interp(pts).reshape(x.shape), 0, 1)
    return 1 + (eps_r - 1) * level


def austria(grid: Grid2D, eps_r: complex = 1.5) -> np.ndarray:
    """The Austria profile: two discs and a ring (lengths in m, for the [-1, 1]^2 domain).

    ``eps_r`` is complex allowed, loss ``Im eps_r > 0``; a gain medium raises ``ValueError``.
    """
    check_passive(eps_r)

    def inside(x, y):
        discs = ((x - 0.3) ** 2 + (y - 0.6) ** 2 < 0.04) | ((x + 0.3) ** 2 + (y - 0.6) ** 2 < 0.04)
        rr = x**2 + (y + 0.2) ** 2
        return discs | ((rr > 0.09) & (rr < 0.36))

    return 1 + (eps_r - 1) * grid.coverage(inside)
