"""One openEMS run in its own process: ``python -m rfdesign.solvers._openems_job JOB.json``.

openEMS runs in-process, changes the working directory, writes its engine log to file
descriptor 1 and takes every core unless told otherwise (ENV.md). This module is therefore
never imported by the parent: the parent writes a JSON job, starts this module in a fresh
interpreter with stdout going to a log file, and reads back ``ports.npz`` (written atomically).
Only the solver input and the raw port waves cross the process boundary; all physics
decisions live in :mod:`rfdesign.solvers.openems`.

Job keys (lengths in mm, frequencies in Hz): ``sim_dir``, ``rects`` (metal boxes
``[x0, y0, x1, y1]`` at z = h), ``feed`` (``y0``, ``y1``, ``x_min``, ``x_max``, ``feed_shift``,
``meas_shift``), ``patch_width``, ``substrate`` (eps_r, tan_delta, height_mm,
metal_thickness_um, conductivity_s_per_m), ``conductor`` ('pec' or 'sheet'), ``mesh``
(``x``, ``y``, ``z`` line lists), ``f0``, ``fc``, ``f_hz``, ``excite_port``, ``threads``,
``end_criteria``, ``max_timesteps``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np


def _patch_numpy_aliases() -> None:
    """Debian's openEMS 0.0.35 ports.py uses np.float and np.int, removed from numpy 1.24.

    Restore them as the builtins they aliased, before openEMS.ports is used (ENV.md).
    """
    # setattr, not `np.float = float`: linters "fix" the latter into a plain assignment.
    for alias, builtin in (("float", float), ("int", int)):
        if not hasattr(np, alias):
            setattr(np, alias, builtin)


def run(job: dict) -> dict:
    """Build the model described by ``job``, run openEMS, return the port waves."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _patch_numpy_aliases()
    from CSXCAD import ContinuousStructure
    from openEMS import openEMS
    from openEMS.physical_constants import EPS0

    sub = job["substrate"]
    h = sub["height_mm"]
    mesh_lines = job["mesh"]

    fdtd = openEMS(NrTS=int(job["max_timesteps"]), EndCriteria=float(job["end_criteria"]))
    fdtd.SetGaussExcite(job["f0"], job["fc"])
    # x ends: PML absorbs the feed lines; sides and top: Mur or PML; z-bottom: PEC ground.
    side = job.get("side_boundary", "MUR")
    fdtd.SetBoundaryCond(["PML_8", "PML_8", side, side, "PEC", side])
    csx = ContinuousStructure()
    fdtd.SetCSX(csx)
    grid = csx.GetGrid()
    grid.SetDeltaUnit(1e-3)
    for axis in ("x", "y", "z"):
        grid.AddLine(axis, mesh_lines[axis])

    # Substrate over the whole x-y domain; dielectric loss as conductivity at f0.
    kappa = 2 * np.pi * job["f0"] * EPS0 * sub["eps_r"] * sub["tan_delta"]
    substrate = csx.AddMaterial("substrate", epsilon=sub["eps_r"], kappa=kappa)
    x = mesh_lines["x"]
    y = mesh_lines["y"]
    substrate.AddBox([x[0], y[0], 0.0], [x[-1], y[-1], h], priority=0)

    if job["conductor"] == "sheet":
        metal = csx.AddConductingSheet(
            "metal",
            conductivity=sub["conductivity_s_per_m"],
            thickness=sub["metal_thickness_um"] * 1e-6,
        )
    else:
        metal = csx.AddMetal("metal")
    # One box per cell: the mesh has a line wherever two cells meet (rfdesign.solvers.openems
    # build_mesh), so neighbouring boxes share it. Merged polygons were tried: on the same
    # mesh they moved the resonances of a ka_pixel_4x5 layout by 1 GHz (openEMS's inside test
    # of a polygon treats its edges differently from a box's).
    for x0, y0, x1, y1 in job["rects"]:
        metal.AddBox([x0, y0, h], [x1, y1, h], priority=10)

    feed = job["feed"]
    ports = []
    for nr, (start_x, stop_x) in enumerate(
        ((feed["x_min"], 0.0), (feed["x_max"], job["patch_width"])), start=1
    ):
        excite = -1 if nr == job["excite_port"] else 0
        kw = {"FeedShift": feed["feed_shift"]} if excite else {}
        ports.append(
            fdtd.AddMSLPort(
                nr,
                metal,
                [start_x, feed["y0"], h],
                [stop_x, feed["y1"], 0.0],
                "x",
                "z",
                excite=excite,
                MeasPlaneShift=feed["meas_shift"],
                priority=20,
                **kw,
            )
        )

    sim_dir = Path(job["sim_dir"])
    fdtd.Run(str(sim_dir), cleanup=True, verbose=1, numThreads=int(job["threads"]))

    f = np.asarray(job["f_hz"], dtype=float)
    out: dict[str, np.ndarray] = {"f_hz": f}
    for i, port in enumerate(ports, start=1):
        # A per-frequency 50-ohm array: Debian's CalcPort takes a plain float as a cue to also
        # decompose time signals, which MSL ports do not record (AttributeError ut_tot).
        port.CalcPort(str(sim_dir), f, ref_impedance=np.full(f.shape, 50.0))
        out[f"uf_inc{i}"] = np.asarray(port.uf_inc)
        out[f"uf_ref{i}"] = np.asarray(port.uf_ref)
        out[f"meas_x{i}"] = np.array(port.measplane_pos)
    out["n_cells"] = np.array(
        len(mesh_lines["x"]) * len(mesh_lines["y"]) * len(mesh_lines["z"]), dtype=np.int64
    )
    return out


def run_job_file(job_path: str, build_and_run, result_name: str) -> int:
    """Run the JSON job at ``job_path`` with ``build_and_run`` and write its arrays beside it.

    The result is written to a temporary file and renamed into place, so a result file that
    exists is complete: the parent reuses it when it resumes a killed run.
    """
    job_file = Path(job_path).resolve()
    job = json.loads(job_file.read_text())
    result = build_and_run(job)
    tmp = job_file.parent / f"{Path(result_name).stem}.tmp.npz"
    np.savez(tmp, **result)
    os.replace(tmp, job_file.parent / result_name)
    return 0


def main(argv: list[str]) -> int:
    """Entry point: run the job file ``argv[0]`` and write ``ports.npz`` next to it."""
    return run_job_file(argv[0], run, "ports.npz")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
