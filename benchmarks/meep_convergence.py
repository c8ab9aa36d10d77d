"""Grid convergence of the Meep microstrip model: a 50-ohm through line against scikit-rf.

Two measurements on the same grid and metal model as :mod:`rfdesign.solvers.meep` (uniform
grid, resolution ``n / h`` so that the 0.127 mm substrate is ``n`` cells, the strip a PEC
sheet on one grid plane with its edges snapped to grid planes, PML 1 mm; ``--no-snap`` keeps
the nominal edges):

1. **Ports** (the real solver, 3-D): a 3 mm through line simulated by ``MeepSolver`` at
   ``n = 1, 2, ...`` substrate cells. The effective permittivity comes from the phase of S21
   between the two reference planes (scikit-rf's gamma undoes the de-embedding exactly, and
   the 2 pi ambiguity is resolved with the reference); the feed impedance is the solver's
   power-voltage estimate. Cost grows as ``n**4``.
2. **Mode** (a cheap cross-check that reaches finer grids): the same cross-section in a cell
   two pixels long with Bloch-periodic x boundaries at a fixed ``kx``; Harminv finds the
   frequency of the strip mode, and ``eps_eff = (kx / f)**2``. This uses Meep's grid and
   metal treatment exactly as the 3-D model does, without ports; cost grows as ``n**3``.

Both are compared with scikit-rf's ``MLine`` (Hammerstad-Jensen with Kirschning-Jansen
dispersion) for the substrate's real 4 um conductor. Run one Meep process at a time:

    .venv/bin/python benchmarks/meep_convergence.py            # prints the tables
    .venv/bin/python benchmarks/meep_convergence.py --port-cells 1 2 3 --mode-cells 2 4

Results of the recorded run are in docs/meep.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from rfdesign.core.constants import C0_MM_PER_NS

os.environ.setdefault("MPLBACKEND", "Agg")

F_GHZ = np.linspace(34.0, 46.0, 13)


def through_layout(length_mm: float):
    """A 50-ohm strip of ``length_mm`` built from two pixels as wide as the feed."""
    from rfdesign.layouts import Layout, PixelGrid, Substrate, microstrip_width_mm

    sub = Substrate()
    w50 = microstrip_width_mm(sub)
    grid = PixelGrid((length_mm / 2,), (w50,), sub, w50, mirror=True, name="through")
    return Layout(grid, "1")


def port_run(n_cells: int, length_mm: float, snap: bool = True) -> dict:
    """One 3-D solver run at ``n_cells`` substrate cells; eps_eff from S21 between the planes."""
    from rfdesign.layouts.feeds import microstrip_line
    from rfdesign.solvers.meep import MeepSettings, MeepSolver

    lay = through_layout(length_mm)
    g = lay.grid
    h = g.substrate.height_mm
    settings = MeepSettings(resolution=n_cells / h, deembed_gamma="model", snap_edges=snap)
    solver = MeepSolver(settings)
    t0 = time.perf_counter()
    net = solver.simulate(lay, F_GHZ)
    wall = time.perf_counter() - t0
    info = net.rfdesign_info
    ref = microstrip_line(g.substrate, g.feed_width_mm, F_GHZ)
    d1, d2 = info["reference_planes_mm"]
    span_m = (length_mm + d1 + d2) * 1e-3
    s21_planes = net.s[:, 1, 0] * np.exp(-ref.gamma * (d1 + d2) * 1e-3)
    phase = -np.unwrap(np.angle(s21_planes))
    phase_ref = ref.gamma.imag * span_m
    phase += 2 * np.pi * np.round((phase_ref[0] - phase[0]) / (2 * np.pi))
    k0 = 2 * np.pi * F_GHZ * 1e9 / 299_792_458.0
    eps = (phase / span_m / k0) ** 2
    eps_ref = np.real(ref.ep_reff_f)
    z0 = np.asarray(info["z0_feed_ohm"])
    z0_ref = np.real(ref.z0_characteristic)
    return {
        "n": n_cells,
        "resolution": info["resolution"],
        "feed_grid_mm": info["feed_width_grid_mm"],
        "cells": info["cells"],
        "cells_computed": info["cells_computed"],
        "timesteps": info["timesteps"],
        "wall_s": wall,
        "cpu_s": info["cpu_s"],
        "eps_mid": float(eps[len(eps) // 2]),
        "eps_ref_mid": float(eps_ref[len(eps) // 2]),
        "eps_err": float(np.max(np.abs(eps / eps_ref - 1))),
        "eps_3plane_err": float(np.max(np.abs(np.asarray(info["eps_eff_feed"]) / eps_ref - 1))),
        "z0_mid": float(z0[len(z0) // 2]),
        "z0_err": float(np.max(np.abs(z0 / z0_ref - 1))),
        "s11_max_db": float(net.s_db[:, 0, 0].max()),
        "s21_min_db": float(net.s_db[:, 1, 0].min()),
        "truncated": info["truncated"],
    }


def mode_run(n_cells: int, f_target_ghz: float = 40.0, snap: bool = True) -> dict:
    """Bloch-periodic cross-section at ``n_cells`` substrate cells: eps_eff of the strip mode.

    ``snap=False`` draws the strip at its nominal width, as the solver does with
    ``snap_edges=False``.
    """
    import meep as mp

    from rfdesign.layouts import Substrate, microstrip_width_mm
    from rfdesign.layouts.feeds import microstrip_line
    from rfdesign.solvers.meep import metal_box

    mp.verbosity(0)
    sub = Substrate()
    h, w = sub.height_mm, microstrip_width_mm(sub)
    res = n_cells / h
    px = 1 / res
    pml, margin = 1.0, 0.8
    eps_guess = float(np.real(microstrip_line(sub, w, f_target_ghz).ep_reff_f[0]))
    f_meep = f_target_ghz / C0_MM_PER_NS
    kx = f_meep * math.sqrt(eps_guess)  # Meep's k is in units of 2 pi / mm, like frequency
    n_half = math.ceil((w / 2 + margin + pml) / px)
    n_z = math.ceil((h + margin + pml) / px)
    n_z += n_z % 2  # even cell counts keep the ground and the strip on grid planes
    size = mp.Vector3(2 * px, 2 * n_half * px, (n_z + 2) * px)
    centre = mp.Vector3(0, 0, (n_z - 2) * px / 2)
    # The strip's edges as the solver draws them (snapped to grid planes, metal_box).
    _, sy0, _, sy1 = metal_box((-1.0, -w / 2, 1.0, w / 2), (0.0, 0.0), res, snap)
    w_box = sy1 - sy0
    # Bloch-periodic boundaries replace the metallic cell faces, so the ground is a metal box.
    geometry = [
        mp.Block(mp.Vector3(mp.inf, mp.inf, h), center=mp.Vector3(0, 0, h / 2),
                 material=mp.Medium(epsilon=sub.eps_r)),
        mp.Block(mp.Vector3(mp.inf, mp.inf, 2.25 * px), center=mp.Vector3(0, 0, -0.875 * px),
                 material=mp.metal),
        mp.Block(mp.Vector3(mp.inf, w_box, 0.5 * px), center=mp.Vector3(0, 0, h), material=mp.metal),
    ]  # fmt: skip
    sim = mp.Simulation(
        cell_size=size,
        geometry_center=centre,
        resolution=res,
        geometry=geometry,
        sources=[
            mp.Source(
                mp.GaussianSource(f_meep, fwidth=0.8 * f_meep),
                component=mp.Ez,
                center=mp.Vector3(0, 0, h / 2),
                size=mp.Vector3(0, 0, h),
            )
        ],
        boundary_layers=[mp.PML(pml, direction=mp.Y), mp.PML(pml, direction=mp.Z, side=mp.High)],
        k_point=mp.Vector3(kx),
        symmetries=[mp.Mirror(mp.Y)],
    )
    harminv = mp.Harminv(mp.Ez, mp.Vector3(0, 0, h / 2), f_meep, 1.2 * f_meep)
    t0, c0 = time.perf_counter(), time.process_time()
    sim.run(mp.after_sources(harminv), until_after_sources=200)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if not harminv.modes:
        raise RuntimeError(f"mode run n={n_cells}: Harminv found no mode")
    mode = max(harminv.modes, key=lambda m: abs(m.amp))
    f_ghz = mode.freq * C0_MM_PER_NS
    eps = (kx / mode.freq) ** 2
    eps_ref = float(np.real(microstrip_line(sub, w, f_ghz).ep_reff_f[0]))
    return {
        "n": n_cells,
        "resolution": res,
        "strip_px": w * res,
        "strip_grid_px": (w_box * res - 0.5) if snap else w * res,
        "cells": round(size.x * res) * round(size.y * res) * round(size.z * res),
        "wall_s": wall,
        "cpu_s": cpu,
        "f_ghz": f_ghz,
        "eps": eps,
        "eps_ref": eps_ref,
        "eps_err": eps / eps_ref - 1,
    }


def port_table(rows: list[dict]) -> str:
    """Markdown table of the 3-D runs."""
    out = [
        "| n (cells in h) | px/mm | feed on grid mm | cells (computed) | time steps | wall s | CPU s "
        "| eps_eff @40 GHz (ref) | max eps_eff error | 3-plane error | Z0 @40 GHz | max Z0 error "
        "| max S11 dB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['n']} | {r['resolution']:.2f} | {r['feed_grid_mm']:.4f} "
            f"| {r['cells']:,} ({r['cells_computed']:,}) "
            f"| {r['timesteps']:,} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} "
            f"| {r['eps_mid']:.3f} ({r['eps_ref_mid']:.3f}) | {100 * r['eps_err']:+.1f} % "
            f"| {100 * r['eps_3plane_err']:.1f} % | {r['z0_mid']:.1f} | {100 * r['z0_err']:.1f} % "
            f"| {r['s11_max_db']:.1f} |"
        )
    return "\n".join(out)


def mode_table(rows: list[dict]) -> str:
    """Markdown table of the Bloch-mode runs."""
    out = [
        "| n (cells in h) | px/mm | strip px (on grid) | cells | CPU s | f GHz | eps_eff | "
        "scikit-rf | error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['n']} | {r['resolution']:.2f} | {r['strip_px']:.2f} ({r['strip_grid_px']:.2f}) "
            f"| {r['cells']:,} "
            f"| {r['cpu_s']:.0f} | {r['f_ghz']:.2f} | {r['eps']:.3f} | {r['eps_ref']:.3f} "
            f"| {100 * r['eps_err']:+.1f} % |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run the study and print both tables (optionally also write them to ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-cells", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    parser.add_argument("--mode-cells", type=int, nargs="*", default=[2, 3, 4, 5, 6, 8, 10])
    parser.add_argument("--length-mm", type=float, default=3.0)
    parser.add_argument(
        "--no-snap", action="store_true", help="nominal metal edges (snap_edges=False)"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    args = parser.parse_args(argv)
    text = []
    if args.port_cells:
        rows = []
        for n in args.port_cells:
            rows.append(port_run(n, args.length_mm, snap=not args.no_snap))
            print(f"port n={n}: {rows[-1]}", file=sys.stderr, flush=True)
        text += [
            f"3-D solver runs, {args.length_mm:g} mm through line, 34-46 GHz:",
            "",
            port_table(rows),
        ]
    if args.mode_cells:
        rows = []
        for n in args.mode_cells:
            rows.append(mode_run(n, snap=not args.no_snap))
            print(f"mode n={n}: {rows[-1]}", file=sys.stderr, flush=True)
        text += ["", "Bloch-periodic cross-section (strip mode near 40 GHz):", "", mode_table(rows)]
    report = "\n".join(text)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
