"""Series (Mie) solutions of 2-D TM scattering by circular dielectric cylinders.

Time convention ``exp(-i omega t)``, so a lossy cylinder has ``Im eps_r > 0`` (a negative
imaginary part, a gain medium, is refused); ``E_z`` polarisation; vacuum background. A unit plane
wave ``exp(i k0 r cos(phi - phi_inc))`` hits a cylinder centred at the origin; outside, the
scattered field is ``sum_n i^n a_n H_n(k0 r) exp(i n (phi - phi_inc))`` (C. A. Balanis,
"Advanced Engineering Electromagnetics", 2nd ed., Wiley 2012, sec. 11.5; the layered case by
matching ``E_z`` and ``dE_z/dr`` at every interface). The reference of
:mod:`rfdesign.scattering.mom2d`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import h1vp, hankel1, jv, jvp, yv, yvp

from rfdesign.scattering.mom2d import check_passive


def _orders(k0: float, radius: float) -> np.ndarray:
    """Orders ``-N..N`` with N from Wiscombe's rule for the size parameter ``k0 radius``."""
    x = k0 * radius
    n_max = int(np.ceil(x + 4.05 * x ** (1 / 3) + 10))
    return np.arange(-n_max, n_max + 1)


def layered_coefficients(k0: float, radii: list[float], eps_r: list[complex]) -> tuple:
    """Scattering coefficients ``a_n`` of concentric layers (innermost first).

    Args:
        k0: Free-space wavenumber, rad/m.
        radii: Outer radius of each layer, m, increasing.
        eps_r: Relative permittivity of each layer; loss is ``Im eps_r > 0``.

    Returns:
        ``(orders, a_n)``.

    Raises:
        ValueError: Mismatched layers, or a gain medium (``Im eps_r < 0``).
    """
    if len(radii) != len(eps_r) or np.any(np.diff(radii) <= 0):
        raise ValueError("radii, eps_r: one permittivity per layer, radii increasing")
    check_passive(eps_r)
    orders = _orders(k0, radii[-1])
    ks = [k0 * np.sqrt(complex(e)) for e in eps_r]
    a = np.empty(len(orders), complex)
    n_layers = len(radii)
    for i, n in enumerate(orders):
        # unknowns: c (core J), then (d_l J + e_l Y) per shell, then a (outside H)
        size = 1 + 2 * (n_layers - 1) + 1
        m = np.zeros((size, size), complex)
        rhs = np.zeros(size, complex)
        for layer, r in enumerate(radii):
            rows = (2 * layer, 2 * layer + 1)
            k_in = ks[layer]
            # inside side of the interface at r
            if layer == 0:
                m[rows[0], 0] = jv(n, k_in * r)
                m[rows[1], 0] = k_in * jvp(n, k_in * r)
            else:
                col = 1 + 2 * (layer - 1)
                m[rows[0], col] = jv(n, k_in * r)
                m[rows[0], col + 1] = yv(n, k_in * r)
                m[rows[1], col] = k_in * jvp(n, k_in * r)
                m[rows[1], col + 1] = k_in * yvp(n, k_in * r)
            # outside side of the interface (minus sign: inside - outside = 0)
            if layer == n_layers - 1:
                m[rows[0], size - 1] = -hankel1(n, k0 * r)
                m[rows[1], size - 1] = -k0 * h1vp(n, k0 * r)
                rhs[rows[0]] = jv(n, k0 * r)
                rhs[rows[1]] = k0 * jvp(n, k0 * r)
            else:
                k_out = ks[layer + 1]
                col = 1 + 2 * layer
                m[rows[0], col] = -jv(n, k_out * r)
                m[rows[0], col + 1] = -yv(n, k_out * r)
                m[rows[1], col] = -k_out * jvp(n, k_out * r)
                m[rows[1], col + 1] = -k_out * yvp(n, k_out * r)
        a[i] = np.linalg.solve(m, rhs)[-1]
    return orders, a


def scattered_field(
    k0: float,
    radii: float | list[float],
    eps_r: complex | list[complex],
    points: np.ndarray,
    phi_inc: float = 0.0,
) -> np.ndarray:
    """Scattered ``E_z`` of a (layered) cylinder at ``points`` (``P x 2``, m, outside it).

    Args:
        k0: Free-space wavenumber, rad/m.
        radii: Radius (m), or the outer radii of the layers, innermost first.
        eps_r: Relative permittivity, or one per layer.
        points: Observation points ``P x 2`` in m, outside the cylinder.
        phi_inc: Direction of propagation of the incident plane wave, rad.

    Returns:
        Complex field, shape ``P``.
    """
    radii = list(np.atleast_1d(radii).astype(float))
    eps_r = list(np.atleast_1d(eps_r).astype(complex))
    orders, a = layered_coefficients(k0, radii, eps_r)
    p = np.atleast_2d(np.asarray(points, float))
    r = np.hypot(p[:, 0], p[:, 1])
    phi = np.arctan2(p[:, 1], p[:, 0])
    terms = (1j**orders)[None] * a[None] * hankel1(orders[None], k0 * r[:, None])
    return (terms * np.exp(1j * orders[None] * (phi[:, None] - phi_inc))).sum(axis=1)
