"""FICLM's accuracy against its speed: U-Net widths against the FFT MoM, and the MoM's cost.

Issue 9 asks FICLM for a scattered field within 2 % (median) of the MoM at >= 20x its speed.
This bench measures both sides of that trade on the published setup (64 x 64 cells, 16
transmitters, 32 receivers): FICLM networks of several U-Net widths, trained the same way on the
same 1,200 MoM solutions (rfdesign.scattering.bench.ficlm_model; cached in
``$RFDESIGN_CACHE/scatter``), scored against the MoM on the same grid (GMRES to 1e-6) on the
test objects, with their time per object in one batch per family; and the MoM's own cost as the
contrast grows (GMRES iterations of a homogeneous cylinder), which is what decides whether a
learned forward solver can pay off.
"""

from __future__ import annotations

import numpy as np

from rfdesign.scattering.bench import mom_solves, relative_errors, timed

WIDTHS = (8, 16, 32)
CYLINDER_EPS = (1.5, 2.0, 3.0, 4.0)


def contrast_table(setup) -> list[str]:
    """GMRES iterations and ms of the MoM for a 0.4 m cylinder of growing permittivity."""
    x, y = setup.mom.grid.centres
    lines = [
        "The MoM's cost grows with the contrast (a centred cylinder of radius 0.4 m, 64 x 64, 16 "
        "incidences, rtol 1e-6):",
        "",
        "| eps_r | GMRES iterations | ms |",
        "|---|---|---|",
    ]
    for eps_r in CYLINDER_EPS:
        eps = np.where(np.hypot(x, y) < 0.4, eps_r, 1.0)
        res, t = timed(setup.mom.solve, eps, setup.e_inc, setup.receivers, 1e-6)
        lines.append(f"| {eps_r} | {res.iterations} | {1e3 * t:.0f} |")
    return lines


def run() -> str:
    """The Markdown tables."""
    import torch

    from rfdesign.scattering.bench import BenchConfig, datasets, default_root, ficlm_model
    from rfdesign.scattering.data import inversion_setup

    cfg = BenchConfig(root=default_root(), meep=False)
    setup = inversion_setup(cfg.n)
    train, test = datasets(cfg)
    ref = {fam: mom_solves(setup, d["eps"]) for fam, d in test.items()}
    fams = list(test)
    lines = [
        f"FICLM U-Nets of several widths (depth 3, {cfg.epochs['ficlm']} epochs at learning "
        f"rate 1e-3 + {cfg.epochs['ficlm_more']} at 3e-4 on the same "
        f"{sum(cfg.train.values())} MoM solutions) against the MoM on the same {cfg.n} x "
        f"{cfg.n} grid (GMRES, rtol 1e-6): median relative error of the scattered fields (16 x "
        "32) on the test objects; ms per object with each family in one batch; speed-up = MoM "
        f"ms / FICLM ms. torch {torch.__version__}, {torch.get_num_threads()} threads.",
        "",
        "| width | parameters | "
        + " | ".join(f"{f} error | {f} ms | {f} speed-up" for f in fams)
        + " |",
        "|---|---|" + "---|---|---|" * len(fams),
    ]
    for width in WIDTHS:
        net = ficlm_model(cfg, train, setup, width, print)
        params = sum(p.numel() for p in net.model.parameters())
        cells = []
        for fam in fams:
            pred, t = timed(net.scattered, test[fam]["eps"])
            err = np.median(relative_errors(pred, ref[fam][0]))
            ms = 1e3 * t / len(pred)
            cells += [f"{100 * err:.2f} %", f"{ms:.1f}", f"{ref[fam][1] / ms:.1f}x"]
        lines.append(f"| {width} | {params:,} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines += [
        "",
        "MoM-64 ms per object: "
        + ", ".join(f"{f} {ref[f][1]:.0f} (rtol 1e-6) / {ref[f][2]:.0f} (1e-2)" for f in fams)
        + ".",
        "",
        *contrast_table(setup),
    ]
    return "\n".join(lines)
