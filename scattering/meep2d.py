"""2-D TM scattering with Meep: the independent engine next to :mod:`rfdesign.scattering.mom2d`.

A line source (an ``E_z`` point current in 2-D) at each transmitter; the scattered field at
the receivers is the difference of a run with the objects and one without, each read from a
DFT field monitor over a square region and interpolated to the receiver points (zero-size DFT
monitors returned inconsistent values in Meep 1.25). Lengths are in metres (Meep's unit
length a = 1 m), so the Meep frequency is ``k0 / (2 pi)`` in units of c / (1 m). The result is
scaled to the MoM convention, an incident field ``(i/4) H0(k0 |r - r_t|)``, through the
incident field at a reference point, so Meep's source amplitude and pulse spectrum drop out.
Time dependence ``exp(-i omega t)`` as in Meep and the MoM.

Objects: circular cylinders ``(x, y, radius, eps_r)`` (Meep averages the permittivity over
boundary pixels), or any ``eps_r(x, y)`` function (sampled at Meep's pixels).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import hankel1

_INCIDENT: dict[tuple, np.ndarray] = {}
"""Empty-domain runs of this process, keyed by frequency, source, points and settings."""

Cylinder = tuple[float, float, float, complex]
"""``(x, y, radius, eps_r)`` in m."""


def scattered_field(
    k0: float,
    transmitters: np.ndarray,
    receivers: np.ndarray,
    cylinders: Sequence[Cylinder] = (),
    eps_fn: Callable[[float, float], complex] | None = None,
    resolution: float = 40.0,
    pml_m: float = 1.0,
    run_after_sources: float = 150.0,
) -> np.ndarray:
    """Scattered ``E_z`` at ``receivers`` for each transmitter (MoM normalisation).

    Args:
        k0: Free-space wavenumber, rad/m.
        transmitters: Line-source positions ``T x 2``, m.
        receivers: Receiver positions ``R x 2``, m.
        cylinders: Circular objects ``(x, y, radius, eps_r)``.
        eps_fn: Alternative object description: relative permittivity at ``(x, y)``.
        resolution: Pixels per metre.
        pml_m: PML thickness, m.
        run_after_sources: Meep time units to run after the pulse (fields must have left).

    Returns:
        Complex field ``T x R``.
    """
    import meep as mp
    from scipy.interpolate import RegularGridInterpolator

    mp.verbosity(0)
    tx = np.atleast_2d(np.asarray(transmitters, float))
    rx = np.atleast_2d(np.asarray(receivers, float))
    reach = float(np.max(np.abs(np.vstack([tx, rx])))) + 0.3
    cell = 2 * (reach + pml_m)
    f = k0 / (2 * np.pi)
    ref = np.array([0.0, 0.0])
    pts = np.vstack([rx, ref])

    def geometry() -> list:
        return [
            mp.Cylinder(
                radius=r, center=mp.Vector3(x, y), material=mp.Medium(epsilon=complex(e).real)
            )
            for x, y, r, e in cylinders
        ]

    def run(t: np.ndarray, with_objects: bool) -> np.ndarray:
        kw = {}
        if with_objects and eps_fn is not None:
            kw["default_material"] = lambda p: mp.Medium(epsilon=float(np.real(eps_fn(p.x, p.y))))
        sim = mp.Simulation(
            cell_size=mp.Vector3(cell, cell),
            boundary_layers=[mp.PML(pml_m)],
            geometry=geometry() if with_objects else [],
            sources=[
                mp.Source(
                    mp.GaussianSource(f, fwidth=0.4 * f),
                    component=mp.Ez,
                    center=mp.Vector3(*t),
                )
            ],
            resolution=resolution,
            **kw,
        )
        span = 2 * (float(np.max(np.abs(pts))) + 0.1)
        mon = sim.add_dft_fields([mp.Ez], f, 0, 1, center=mp.Vector3(), size=mp.Vector3(span, span))
        sim.run(until_after_sources=run_after_sources)
        arr = np.asarray(sim.get_dft_array(mon, mp.Ez, 0))
        xs, ys, _, _ = sim.get_array_metadata(dft_cell=mon)
        axes = (np.asarray(xs), np.asarray(ys))
        re = RegularGridInterpolator(axes, arr.real)
        im = RegularGridInterpolator(axes, arr.imag)
        return re(pts) + 1j * im(pts)

    out = np.empty((len(tx), len(rx)), complex)
    for i, t in enumerate(tx):
        total = run(t, True)
        key = (k0, tuple(t), pts.tobytes(), resolution, pml_m, run_after_sources)
        if key not in _INCIDENT:  # the empty-domain run is the same for every object
            _INCIDENT[key] = run(t, False)
        incident = _INCIDENT[key]
        scale = 0.25j * hankel1(0, k0 * np.hypot(*(ref - t))) / incident[-1]
        out[i] = (total[:-1] - incident[:-1]) * scale
    return out
