"""One Meep run in its own process: ``python -m rfdesign.solvers._meep_job JOB.json``.

Started by :class:`rfdesign.solvers.meep.MeepSolver`, either directly or under MPI as
``mpirun -np N python -m rfdesign.solvers._meep_job JOB.json``; every rank builds the same
model, Meep splits the cell into chunks, and only rank 0 writes ``probes.npz`` next to the job
file. Only the solver input and the raw probe spectra cross the process boundary; the wave
separation, S-matrix and de-embedding live in :mod:`rfdesign.solvers.meep`.

Units: 1 Meep length unit = 1 mm, so a Meep frequency is ``f[GHz] / 299.792458`` and a Meep
time unit is 1 mm / c0 = 3.336 ps.

Model: the cell's bottom face (z = 0) is Meep's default metallic boundary and is the ground
plane; the substrate fills 0 <= z <= h everywhere; the metal (patch cells and feeds, the feeds
running through the x-PML) are ``mp.metal`` boxes of height ``metal_z``; PML on the x ends, the
y sides and the top. A Gaussian Ez current sheet between ground and strip drives one feed.

Probes: on each probe plane (a y-z cut across a feed) the DFT of Ez on its Yee nodes under the
strip centre gives the strip voltage ``V = -int_0^h Ez dz``; on the innermost plane of each
feed (the reference plane) a flux monitor gives the power flowing in +x, from which the parent
obtains the feed's impedance. Spectra are Meep's DFTs (time dependence ``e^{-i w t}``) in Meep
units (E, H with eps0 = mu0 = 1: impedances in units of 376.73 ohm).

Job keys (lengths in mm, frequencies in Meep units): ``resolution`` (pixels per mm), ``cell``
(``x``: [lo, hi], ``y``: [lo, hi], ``z_top``), ``pml``, ``substrate`` (``eps_r``,
``tan_delta``, ``height_mm``), ``metal`` (boxes ``[x0, y0, x1, y1]``), ``metal_z`` ([z0, z1]),
``strip`` (``yc``, ``w``), ``source`` (``x``, ``y0``, ``y1``), ``planes`` (two lists of probe x
positions, port 1 then port 2), ``freqs``, ``fcen``, ``fwidth``, ``symmetry_y``, ``dft_tol``,
``min_time``, ``max_time``, ``substrate_cells``; optional ``eps_averaging`` (default true)
and ``verbosity``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def node_column(values: np.ndarray, n_sub: int) -> np.ndarray:
    """The ``n_sub`` Ez nodes inside the substrate from a Yee-grid DFT line (bottom first).

    The line runs from a quarter cell above the ground to a quarter cell below the strip, so
    it holds exactly the substrate's ``n_sub`` Ez nodes (z = (k + 1/2) cells); Meep may append
    one more node above, which is dropped.
    """
    col = np.asarray(values).ravel()
    if col.size not in (n_sub, n_sub + 1):
        raise RuntimeError(f"voltage probe: expected {n_sub} Ez nodes, Meep returned {col.size}")
    return col[:n_sub]


def build(job: dict):
    """The :class:`meep.Simulation` and its probe DFT objects for ``job``."""
    import meep as mp

    res = float(job["resolution"])
    (x0, x1), (y0, y1), z_top = job["cell"]["x"], job["cell"]["y"], job["cell"]["z_top"]
    size = mp.Vector3(x1 - x0, y1 - y0, z_top)
    centre = mp.Vector3((x0 + x1) / 2, (y0 + y1) / 2, z_top / 2)
    sub = job["substrate"]
    h = float(sub["height_mm"])
    fcen = float(job["fcen"])
    # Loss tangent at the centre frequency as a D-conductivity: eps(w) = eps (1 + i s / w).
    substrate = mp.Medium(
        epsilon=sub["eps_r"], D_conductivity=2 * np.pi * fcen * float(sub["tan_delta"])
    )
    geometry = [
        mp.Block(
            size=mp.Vector3(mp.inf, mp.inf, h),
            center=mp.Vector3(centre.x, centre.y, h / 2),
            material=substrate,
        )
    ]
    mz0, mz1 = job["metal_z"]
    for bx0, by0, bx1, by1 in job["metal"]:
        geometry.append(
            mp.Block(
                size=mp.Vector3(bx1 - bx0, by1 - by0, mz1 - mz0),
                center=mp.Vector3((bx0 + bx1) / 2, (by0 + by1) / 2, (mz0 + mz1) / 2),
                material=mp.metal,
            )
        )
    src = job["source"]
    sources = [
        mp.Source(
            mp.GaussianSource(fcen, fwidth=float(job["fwidth"])),
            component=mp.Ez,
            center=mp.Vector3(src["x"], (src["y0"] + src["y1"]) / 2, h / 2),
            size=mp.Vector3(0, src["y1"] - src["y0"], h),
        )
    ]
    pml = float(job["pml"])
    sim = mp.Simulation(
        cell_size=size,
        geometry_center=centre,
        resolution=res,
        geometry=geometry,
        sources=sources,
        boundary_layers=[
            mp.PML(pml, direction=mp.X),
            mp.PML(pml, direction=mp.Y),
            mp.PML(pml, direction=mp.Z, side=mp.High),
        ],
        symmetries=[mp.Mirror(mp.Y)] if job["symmetry_y"] else [],
        eps_averaging=bool(job.get("eps_averaging", True)),
    )
    strip = job["strip"]
    freqs = [float(f) for f in job["freqs"]]
    px = 1.0 / res
    # Voltage probes: the Ez nodes under the strip centre (a grid plane), native Yee positions.
    line = mp.Vector3(0, 0, h - 0.5 * px)
    probes = [
        [
            sim.add_dft_fields(
                [mp.Ez],
                freqs,
                where=mp.Volume(center=mp.Vector3(x, strip["yc"], h / 2), size=line),
                yee_grid=True,
            )
            for x in port_planes
        ]
        for port_planes in job["planes"]
    ]
    # Power through the reference planes (+x), over the cross-section inside the PML.
    span = mp.Vector3(0, y1 - y0 - 2 * pml, z_top - pml)
    fluxes = [
        sim.add_flux(
            freqs,
            mp.FluxRegion(center=mp.Vector3(port_planes[0], centre.y, span.z / 2), size=span),
        )
        for port_planes in job["planes"]
    ]
    return sim, probes, fluxes


def run(job: dict) -> dict[str, np.ndarray]:
    """Build and run the model of ``job``; return the probe spectra and run information."""
    import meep as mp

    t0, c0 = time.perf_counter(), time.process_time()
    sim, probes, fluxes = build(job)
    max_time = float(job["max_time"])
    decayed = mp.stop_when_dft_decayed(
        tol=float(job["dft_tol"]), minimum_run_time=float(job["min_time"])
    )

    def stop(s) -> bool:
        return s.meep_time() >= max_time or decayed(s)

    sim.run(until_after_sources=stop)
    h = float(job["substrate"]["height_mm"])
    n_sub = int(job["substrate_cells"])
    nf = len(job["freqs"])
    volt = np.zeros((2, len(job["planes"][0]), nf), complex)
    for p, port in enumerate(probes):
        for i, dft in enumerate(port):
            for k in range(nf):
                ez = node_column(sim.get_dft_array(dft, mp.Ez, k), n_sub)
                volt[p, i, k] = -ez.sum() * h / n_sub
    power = np.array([mp.get_fluxes(f) for f in fluxes], dtype=float)
    res = float(job["resolution"])
    (x0, x1), (y0, y1), z_top = job["cell"]["x"], job["cell"]["y"], job["cell"]["z_top"]
    cells = round((x1 - x0) * res) * round((y1 - y0) * res) * round(z_top * res)
    meep_time = float(sim.meep_time())
    return {
        "V": volt,
        "P": power,
        "cells": np.array(cells, dtype=np.int64),
        "meep_time": np.array(meep_time),
        "timesteps": np.array(int(sim.fields.t), dtype=np.int64),
        "truncated": np.array(meep_time >= max_time),
        "engine_s": np.array(time.perf_counter() - t0),
        "cpu_s": np.array(time.process_time() - c0),
        "processes": np.array(mp.count_processors(), dtype=np.int64),
    }


def main(argv: list[str]) -> int:
    """Entry point: run the job file ``argv[0]``; rank 0 writes ``probes.npz`` next to it."""
    import meep as mp

    job_file = Path(argv[0]).resolve()
    job = json.loads(job_file.read_text())
    mp.verbosity(int(job.get("verbosity", 1)))
    result = run(job)
    if mp.am_master():
        tmp = job_file.parent / "probes.tmp.npz"
        np.savez(tmp, **result)
        tmp.replace(job_file.parent / "probes.npz")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
