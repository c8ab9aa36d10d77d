"""One Palace run in its own process: ``python -m rfdesign.solvers._palace_job JOB.json``.

Builds the finite-element model of a pixel layout in a channel housing with gmsh (OpenCASCADE
kernel), writes Palace's configuration, runs Palace (AWS's finite-element solver,
https://awslabs.github.io/palace, through the ``palace-solver`` wheel) on one MPI process and
writes ``sparams.npz`` atomically: the complex S-parameters at the requested frequencies with
reference planes where the job puts them (wave-port ``Offset``), and the model's size. Only
this module imports gmsh and palace_solver; all physics decisions live in
:mod:`rfdesign.solvers.palace`.

Job keys (lengths in mm, frequencies in GHz): ``rects`` (metal ``[x0, y0, x1, y1]`` at z = h,
feeds included), ``box`` (``x0, x1, y0, y1``), ``height_mm``, ``lid_mm`` (air above the
substrate), ``absorbing`` (side walls and lid absorbing instead of PEC; optional, false), ``eps_r``, ``tan_delta``, ``offset_mm`` (wave-port de-embedding per port),
``lc_edge_mm``, ``lc_sub_mm``, ``lc_max_mm``, ``edge_reach_mm``, ``order``, ``f_ghz``,
``adaptive_tol``, ``excite_both``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

TOL = 1e-6  # mm: geometric tolerance for classifying faces


def build_mesh(job: dict, path: Path) -> dict:
    """Write the gmsh mesh (format 2.2) of ``job`` to ``path``; return attribute numbers."""
    import gmsh

    x0, x1, y0, y1 = job["box"]
    h, lid = job["height_mm"], job["lid_mm"]
    gmsh.initialize(["-nt", "1"])
    try:
        gmsh.option.setNumber("General.Terminal", 1)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.model.add("layout")
        occ = gmsh.model.occ
        air = occ.addBox(x0, y0, 0.0, x1 - x0, y1 - y0, h + lid)
        sub = occ.addBox(x0, y0, 0.0, x1 - x0, y1 - y0, h)
        rects = [occ.addRectangle(a, b, h, c - a, d - b) for a, b, c, d in job["rects"]]
        if len(rects) > 1:
            fused, _ = occ.fuse([(2, rects[0])], [(2, r) for r in rects[1:]])
        else:
            fused = [(2, rects[0])]
        _, pieces = occ.fragment([(3, air), (3, sub)], fused)
        occ.synchronize()
        # the metal is whatever the fused sheet became (the map lists the pieces of each
        # input: the two volumes first, then the sheet's surfaces); classifying faces by
        # their centre would miss a non-convex piece such as a feed joined to a strip
        metal = sorted({t for piece in pieces[2:] for d, t in piece if d == 2})

        def faces_at(axis: int, value: float) -> list[int]:
            lo = [x0 - 1, y0 - 1, -1.0]
            hi = [x1 + 1, y1 + 1, h + lid + 1]
            lo[axis], hi[axis] = value - TOL, value + TOL
            return [t for _, t in gmsh.model.getEntitiesInBoundingBox(*lo, *hi, dim=2)]

        ground = faces_at(2, 0.0)
        lid_faces = faces_at(2, h + lid)
        walls = faces_at(1, y0) + faces_at(1, y1)
        port1, port2 = faces_at(0, x0), faces_at(0, x1)
        vols = gmsh.model.getEntities(3)
        sub_vol = [t for _, t in vols if occ.getCenterOfMass(3, t)[2] < h]
        air_vol = [t for _, t in vols if t not in sub_vol]
        groups = {
            "air": (3, air_vol, 1),
            "substrate": (3, sub_vol, 2),
            "metal": (2, metal, 11),
            "ground": (2, ground, 12),
            "lid": (2, lid_faces, 13),
            "walls": (2, walls, 14),
            "port1": (2, port1, 21),
            "port2": (2, port2, 22),
        }
        for name, (dim, tags, num) in groups.items():
            if not tags:
                raise RuntimeError(f"palace model: no {name} entities found")
            gmsh.model.addPhysicalGroup(dim, tags, num, name=name)
        # element size: fine at the metal edges, graded away from them, bounded in the substrate
        edges = gmsh.model.getBoundary([(2, t) for t in metal], combined=False, oriented=False)
        fld = gmsh.model.mesh.field
        dist = fld.add("Distance")
        fld.setNumbers(dist, "CurvesList", sorted({abs(t) for _, t in edges}))
        fld.setNumber(dist, "Sampling", 100)
        thr = fld.add("Threshold")
        fld.setNumber(thr, "InField", dist)
        fld.setNumber(thr, "SizeMin", job["lc_edge_mm"])
        fld.setNumber(thr, "SizeMax", job["lc_max_mm"])
        fld.setNumber(thr, "DistMin", 0.5 * job["lc_edge_mm"])
        fld.setNumber(thr, "DistMax", job["edge_reach_mm"])
        box = fld.add("Box")
        for k, v in (
            ("XMin", x0),
            ("XMax", x1),
            ("YMin", y0),
            ("YMax", y1),
            ("ZMin", 0.0),
            ("ZMax", h),
            ("VIn", job["lc_sub_mm"]),
            ("VOut", job["lc_max_mm"]),
        ):
            fld.setNumber(box, k, v)
        mn = fld.add("Min")
        fld.setNumbers(mn, "FieldsList", [thr, box])
        fld.setAsBackgroundMesh(mn)
        for k, v in (
            ("Mesh.MeshSizeFromPoints", 0),
            ("Mesh.MeshSizeFromCurvature", 0),
            ("Mesh.MeshSizeExtendFromBoundary", 0),
            ("Mesh.Algorithm", 6),
            ("Mesh.Algorithm3D", 1),
            ("Mesh.MshFileVersion", 2.2),
        ):
            gmsh.option.setNumber(k, v)
        gmsh.model.mesh.generate(3)
        n_tets = sum(len(t) for t in gmsh.model.mesh.getElements(3)[1])
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return {k: v[2] for k, v in groups.items()} | {"n_tets": int(n_tets)}


def config(job: dict, mesh: Path, attrs: dict, out: Path) -> dict:
    """Palace's driven-problem configuration for ``job``."""
    f = np.asarray(job["f_ghz"], float)
    if f.size > 1 and np.allclose(np.diff(f), f[1] - f[0], rtol=1e-9):
        samples = [{"Type": "Linear", "MinFreq": f[0], "MaxFreq": f[-1], "NSample": int(f.size)}]
    else:
        samples = [{"Type": "Point", "Freq": f.tolist()}]
    ports = [
        {
            "Index": 1,
            "Attributes": [attrs["port1"]],
            "Mode": 1,
            "Offset": job["offset_mm"],
            "Excitation": 1,
        },
        {
            "Index": 2,
            "Attributes": [attrs["port2"]],
            "Mode": 1,
            "Offset": job["offset_mm"],
            "Excitation": 2 if job["excite_both"] else False,
        },
    ]
    return {
        "Problem": {"Type": "Driven", "Verbose": 2, "Output": str(out)},
        "Model": {"Mesh": str(mesh), "L0": 1e-3},
        "Domains": {
            "Materials": [
                {"Attributes": [attrs["air"]], "Permittivity": 1.0, "Permeability": 1.0},
                {
                    "Attributes": [attrs["substrate"]],
                    "Permittivity": job["eps_r"],
                    "Permeability": 1.0,
                    "LossTan": job["tan_delta"],
                },
            ]
        },
        "Boundaries": boundaries(job, attrs, ports),
        "Solver": {
            "Order": int(job["order"]),
            "Driven": {
                "Samples": samples,
                "AdaptiveTol": float(job["adaptive_tol"]),
                "AdaptiveMaxSamples": 40,
            },
            "Linear": {"Type": "Default", "KSPType": "GMRES", "Tol": 1e-8, "MaxIts": 200},
        },
    }


def boundaries(job: dict, attrs: dict, ports: list[dict]) -> dict:
    """Palace's boundary conditions: PEC metal and ground, and PEC or absorbing walls and lid.

    Absorbing walls are first order (Palace's scattering boundary condition); the ports' mode
    solves treat them as PEC (``WavePortPEC``), so each port sees a shielded line's mode.
    """
    outer = [attrs["lid"], attrs["walls"]]
    if not job.get("absorbing", False):
        pec = [attrs[k] for k in ("metal", "ground")] + outer
        return {"PEC": {"Attributes": pec}, "WavePort": ports}
    return {
        "PEC": {"Attributes": [attrs["metal"], attrs["ground"]]},
        "Absorbing": {"Attributes": outer, "Order": 1},
        "WavePortPEC": {"Attributes": outer},
        "WavePort": ports,
    }


def read_s(csv: Path, n_f: int, excite_both: bool) -> np.ndarray:
    """``F x 2 x 2`` complex S from Palace's ``port-S.csv`` (dB and degrees per entry)."""
    head = csv.read_text().splitlines()[0]
    names = [c.strip() for c in head.split(",")]
    data = np.atleast_2d(np.genfromtxt(csv, delimiter=",", skip_header=1))
    s = np.full((data.shape[0], 2, 2), np.nan, complex)
    for k, name in enumerate(names):
        m = re.match(r"\|S\[(\d)\]\[(\d)\]\| \(dB\)", name)
        if m:
            i, j = int(m.group(1)) - 1, int(m.group(2)) - 1
            s[:, i, j] = 10 ** (data[:, k] / 20) * np.exp(1j * np.deg2rad(data[:, k + 1]))
    if not excite_both:  # mirror-symmetric layout: port 2 is port 1 reflected
        s[:, 1, 1], s[:, 0, 1] = s[:, 0, 0], s[:, 1, 0]
    if s.shape[0] != n_f or not np.all(np.isfinite(s)):
        raise RuntimeError(f"palace: port-S.csv has {s.shape[0]} rows or missing entries")
    return s


def run(job: dict, workdir: Path, log_file: Path) -> dict:
    """Mesh, configure and run Palace; return the arrays of ``sparams.npz``.

    ``log_file`` is where this process's stdout goes (read back for Palace's warnings).
    """
    import palace_solver

    mesh = workdir / "layout.msh"
    attrs = build_mesh(job, mesh)
    out = workdir / "postpro"
    if out.exists():  # a killed run's output: Palace would warn and overwrite
        shutil.rmtree(out)
    cfg = config(job, mesh, attrs, out)
    (workdir / "config.json").write_text(json.dumps(cfg, indent=1))
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    sys.stdout.flush()
    start = log_file.stat().st_size if log_file.exists() else 0
    # Palace writes into this process's stdout, the run's log file: progress is visible live
    proc = subprocess.run(
        [str(palace_solver.executable_path()), str(workdir / "config.json")],
        cwd=workdir,
        env=env,
        check=False,
    )
    text = log_file.read_text(errors="replace")[start:] if log_file.exists() else ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    if proc.returncode != 0:
        raise RuntimeError(f"palace exited with code {proc.returncode}")
    warnings = [ln for ln in text.splitlines() if "Warning!" in ln]
    if warnings:  # unknown attributes or boundaries without a condition: a wrong model
        raise RuntimeError(f"palace warned (model not as built): {warnings[0]}")
    s = read_s(out / "port-S.csv", len(job["f_ghz"]), job["excite_both"])
    # "Level k (p = order): N unknowns": the finest level of the Nedelec space (not auxiliary)
    dofs = re.findall(r"Level \d+ \(p = \d+\): ([0-9,]+) unknowns", text)
    meta = json.loads((out / "palace.json").read_text()) if (out / "palace.json").exists() else {}
    return {
        "s": s,
        "n_tets": np.array(attrs["n_tets"]),
        "n_unknowns": np.array(int(dofs[-1].replace(",", "")) if dofs else -1),
        "meta": np.array(json.dumps(meta)),
    }


def main(job_file: str) -> None:
    """Run the job in ``job_file``'s folder and write ``sparams.npz`` atomically."""
    path = Path(job_file)
    job = json.loads(path.read_text())
    arrays = run(job, path.parent, path.parent / "palace.log")
    tmp = path.parent / "sparams.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path.parent / "sparams.npz")


if __name__ == "__main__":
    main(sys.argv[1])
