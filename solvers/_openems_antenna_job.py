"""One openEMS antenna run in its own process: ``python -m rfdesign.solvers._openems_antenna_job``.

The antenna counterpart of :mod:`rfdesign.solvers._openems_job` (same isolation, ENV.md):
the parent (:mod:`rfdesign.solvers.openems_antenna`) writes a JSON job describing the whole
model, this module builds and runs it, and writes ``antenna.npz`` atomically: the lumped
port's voltage and current waves over the sweep and, at each far-field frequency, the
near-to-far-field transform of the fields on a box around the antenna (openEMS's ``nf2ff``,
radius 1 m: Debian's 0.0.35 misreports the directivity at any other radius, fixed upstream in
openEMS PR #195) over the whole sphere, so the radiated power it integrates is the total.

Job keys (lengths in mm, frequencies in Hz): ``sim_dir``, ``mesh`` (``x``, ``y``, ``z``
lines), ``boundary`` (six openEMS boundary names), ``dielectrics`` (``eps_r``, ``kappa``,
``start``, ``stop``), ``metals`` (boxes ``[start, stop]``; a zero-thickness box is a sheet), ``sheet`` (optional:
``conductivity``, ``thickness_m`` of openEMS's conducting-sheet model; absent: PEC),
``port`` (``start``, ``stop``, ``dir``, ``r_ohm``), ``f0``, ``fc``, ``f_hz``, ``ff_hz``,
``ff_step_deg``, ``nf2ff`` (``start``, ``stop``), ``threads``, ``end_criteria``,
``max_timesteps``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from rfdesign.solvers._openems_job import _patch_numpy_aliases, run_job_file


def run(job: dict) -> dict:
    """Build the antenna model described by ``job``, run openEMS, return port and far field."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _patch_numpy_aliases()
    from CSXCAD import ContinuousStructure
    from openEMS import openEMS

    fdtd = openEMS(NrTS=int(job["max_timesteps"]), EndCriteria=float(job["end_criteria"]))
    fdtd.SetGaussExcite(job["f0"], job["fc"])
    fdtd.SetBoundaryCond(job["boundary"])
    csx = ContinuousStructure()
    fdtd.SetCSX(csx)
    grid = csx.GetGrid()
    grid.SetDeltaUnit(1e-3)
    for axis in ("x", "y", "z"):
        grid.AddLine(axis, job["mesh"][axis])

    for i, d in enumerate(job["dielectrics"]):
        mat = csx.AddMaterial(f"dielectric{i}", epsilon=d["eps_r"], kappa=d["kappa"])
        mat.AddBox(d["start"], d["stop"], priority=0)
    sheet = job.get("sheet")  # {"conductivity", "thickness_m"}: lossy conducting sheets
    if sheet:
        metal = csx.AddConductingSheet(
            "metal", conductivity=sheet["conductivity"], thickness=sheet["thickness_m"]
        )
    else:
        metal = csx.AddMetal("metal")
    for start, stop in job["metals"]:
        metal.AddBox(start, stop, priority=10)
    p = job["port"]
    port = fdtd.AddLumpedPort(
        1, float(p["r_ohm"]), p["start"], p["stop"], p["dir"], excite=1.0, priority=5
    )
    nf = job["nf2ff"]
    box = fdtd.CreateNF2FFBox(start=nf["start"], stop=nf["stop"])

    sim_dir = Path(job["sim_dir"])
    fdtd.Run(str(sim_dir), cleanup=True, verbose=1, numThreads=int(job["threads"]))

    f = np.asarray(job["f_hz"], dtype=float)
    port.CalcPort(str(sim_dir), f)
    out: dict[str, np.ndarray] = {
        "f_hz": f,
        "uf_inc": np.asarray(port.uf_inc),
        "uf_ref": np.asarray(port.uf_ref),
        "uf_tot": np.asarray(port.uf_tot),
        "if_tot": np.asarray(port.if_tot),
        "n_cells": np.array(np.prod([len(job["mesh"][a]) for a in "xyz"]), dtype=np.int64),
    }
    ff = np.asarray(job["ff_hz"], dtype=float)
    if ff.size:
        step = float(job["ff_step_deg"])
        theta = np.arange(0.0, 180.0 + step / 2, step)
        phi = np.arange(0.0, 360.0, step)
        res = box.CalcNF2FF(str(sim_dir), ff, theta, phi, center=[0, 0, 0], radius=1.0)
        # E on the 1 m sphere: the radiation intensity U = |E|^2 / (2 eta0) (r = 1 m)
        out.update(
            ff_hz=ff,
            theta_deg=theta,
            phi_deg=phi,
            prad_w=np.asarray(res.Prad, float),
            dmax=np.asarray(res.Dmax, float),
            e_theta=np.asarray(res.E_theta),
            e_phi=np.asarray(res.E_phi),
        )
    return out


def main(argv: list[str]) -> int:
    """Run the job file ``argv[0]`` and write ``antenna.npz`` next to it, atomically."""
    return run_job_file(argv[0], run, "antenna.npz")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
