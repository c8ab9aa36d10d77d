"""Mesh convergence of openEMS on its preset ladder, with Richardson estimates.

Cases: five ka_pixel_4x5 layouts (open boundaries; three of the earlier study, two of the
committed openEMS test set), the first of them also in a PEC box of the same size (walls and
lid where the open model absorbs) and with the older on-line edge rule, and the
two shipped channel-housed designs (``examples/ka_highpass_channel.yaml``,
``examples/ka_bandpass_channel.yaml``, their layouts of ``search.initial`` with the spec's
housing). Each is simulated on every preset of the ladder
(``draft``, ``standard``, ``fine``, ``reference``: refinement 1, 1.5, 2, 3; docs/solvers.md),
121 points over 34-46 GHz. Features: |S21| and |S11| extrema with >= 3 dB prominence and the
-3 dB crossings of |S21|; the Richardson estimate compares the nulls with >= 6 dB and the
crossings (:mod:`rfdesign.solvers.convergence`).

Every pixel case (:data:`PALACE_CASES`) also runs on Palace's draft mesh (absorbing or PEC
walls at the same places), compared in a third table with openEMS's finest run and its limit.

Per case and preset the table gives the cost, the Richardson error estimate that the solver
itself stores with ``error_estimate=True`` (this preset against the next coarser one, order
:data:`rfdesign.solvers.openems.MESH_ORDER`), and the largest distance of a feature from the
finest run; a second table gives every feature on every mesh, the order observed on the three
finest meshes and the extrapolated frequency.

Runs are stored as ``benchmarks/results/convergence/<case>_<preset>.npz`` (S, run
information) as they finish, so an interrupted study resumes where it stopped::

    make bench BENCH=convergence      # or: .venv/bin/python benchmarks/bench_convergence.py
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "convergence"
F_GHZ = np.linspace(34.0, 46.0, 121)
PIXEL_LAYOUTS = ("100001111100110", "011010111011101", "110100110101011")
"""The three layouts of the earlier convergence study (docs/solvers.md)."""
TEST_LAYOUTS = ("011011000011101", "000110111111010")
"""Two layouts of the committed openEMS test set (data/openems_ka_pixel_4x5_standard_test),
whose model-1 standard results the issue's independent model questioned."""
SPECS = ("ka_highpass_channel", "ka_bandpass_channel")
BOX = {"side_boundary": "PEC", "side_margin_mm": 1.0, "air_height_mm": 1.5}
"""PEC walls and lid where the open model has its absorbing boundaries (openEMS's defaults)."""
PRESETS = ("draft", "standard", "fine", "reference")


def cases() -> dict[str, tuple]:
    """Case name -> (layout, openEMS settings without preset, spec or None)."""
    from rfdesign.design.verify import housing_options
    from rfdesign.layouts import Layout, get_grid
    from rfdesign.spec import load_spec

    out = {}
    grid = get_grid("ka_pixel_4x5")
    for bits in PIXEL_LAYOUTS + TEST_LAYOUTS:
        out[f"ka_pixel_4x5_{bits}"] = (Layout.from_bits(grid, bits), {}, None)
    # the first layout in a PEC box of the same size: do the open boundaries slow convergence?
    bits = PIXEL_LAYOUTS[0]
    out[f"ka_pixel_4x5_{bits}_housed"] = (Layout.from_bits(grid, bits), dict(BOX), None)
    # the meshing before model version 2 (a line on every edge), for comparison
    out[f"ka_pixel_4x5_{bits}_on-line"] = (
        Layout.from_bits(grid, bits),
        {"edge_rule": "on-line"},
        None,
    )
    for name in SPECS:
        spec = load_spec(ROOT / "examples" / f"{name}.yaml")
        lay = Layout.from_bits(spec.pixel_grid(), spec.search.initial[0])
        out[name] = (lay, housing_options(spec, "openems"), spec)
    return out


def simulate(case: str, layout, options: dict, preset: str, threads: int = 2) -> tuple:
    """S and run information of one case on one preset; stored in OUT, reused when there."""
    from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver

    solver = OpenEMSSolver(OpenEMSSettings(preset=preset, threads=threads, **options))
    return stored_run(OUT / f"{case}_{preset}.npz", solver, layout)


def stored_run(path: Path, solver, layout) -> tuple:
    """S and run information of one stored run.

    Read from ``path`` if the same solver version wrote it, else run with ``solver`` and
    written there atomically (per-excitation details left out).
    """
    if path.exists():
        with np.load(path) as d:
            info = json.loads(str(d["info"]))
            if info.get("solver_version") == solver.version:
                return d["s"], info
    net = solver.simulate(layout, F_GHZ)
    info = {k: v for k, v in net.rfdesign_info.items() if k != "runs"}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, s=net.s, f_ghz=F_GHZ, info=json.dumps(info, default=str))
    tmp.replace(path)
    return net.s, info


def verdict(spec, s: np.ndarray, relative: float) -> str:
    """The spec's worst margin on ``s`` and its range within +-``relative`` in frequency."""
    from rfdesign.design.verify import shifted_margin
    from rfdesign.solvers.base import make_network

    net = make_network(F_GHZ, s)
    m = shifted_margin(spec, net, 0.0)
    if math.isnan(relative):
        return f"{m:+.2f} dB"
    moved = [shifted_margin(spec, net, -relative), shifted_margin(spec, net, relative)]
    return f"{m:+.2f} dB ({min(m, *moved):+.2f} to {max(m, *moved):+.2f})"


def study(case: str, results: dict[str, tuple], spec=None) -> tuple[list[str], list[str]]:
    """Rows of the summary table and of the feature table for one case."""
    from rfdesign.solvers.convergence import (
        match,
        mesh_error,
        observed_order,
        resonances,
        richardson,
    )
    from rfdesign.solvers.openems import MESH_ORDER, MESH_PRESETS, coarser_preset

    finest = PRESETS[-1]
    ref = resonances(F_GHZ, results[finest][0])
    summary, features = [], []
    for p in PRESETS:
        s, info = results[p]
        coarser = coarser_preset(p)
        est, rel = "-", math.nan
        if coarser is not None:
            ratio = MESH_PRESETS[p].refinement / MESH_PRESETS[coarser].refinement
            e = mesh_error(
                F_GHZ,
                results[coarser][0],
                s,
                preset=p,
                coarser=coarser,
                ratio=ratio,
                order=MESH_ORDER,
            )
            rel = e.relative
            est = "no feature" if math.isnan(rel) else f"{100 * rel:.2f} %"
        pairs = match(ref, resonances(F_GHZ, s))
        dist = max((abs(a.f_ghz - b.f_ghz) / a.f_ghz for a, b in pairs), default=math.nan)
        summary.append(
            f"| {case} | {p} | {info['cells']:,} | {info['timesteps']:,} | "
            f"{info['wall_s']:.0f} | {est} | {100 * dist:.2f} % ({len(pairs)}/{len(ref)}) | "
            f"{verdict(spec, s, rel) if spec is not None else '-'} |"
        )
    scales = tuple(MESH_PRESETS[p].refinement for p in PRESETS[-3:])
    for r in ref:
        values = []
        for p in PRESETS:
            m = match([r], resonances(F_GHZ, results[p][0]))
            values.append(m[0][1].f_ghz if m else math.nan)
        last3 = tuple(values[-3:])
        order = observed_order(last3, scales) if not any(map(math.isnan, last3)) else math.nan
        p_use = order if 0.5 <= order <= 4 else MESH_ORDER
        limit = richardson(values[-2], values[-1], scales[2] / scales[1], p_use)
        cells = " | ".join("-" if math.isnan(v) else f"{v:.3f}" for v in values)
        features.append(
            f"| {case} | {r.kind} | {cells} | {'-' if math.isnan(order) else f'{order:.2f}'} | "
            f"{limit:.3f} ({100 * (limit / values[-1] - 1):+.2f} %) |"
        )
    return summary, features


PALACE = ROOT / "benchmarks" / "results" / "palace_crosscheck"
PALACE_PRESETS = ("draft",)
"""Palace presets run on the pixel cases of :data:`PALACE_CASES`."""
PALACE_CASES = (
    *(f"ka_pixel_4x5_{bits}" for bits in PIXEL_LAYOUTS + TEST_LAYOUTS),
    f"ka_pixel_4x5_{PIXEL_LAYOUTS[0]}_housed",
)
"""Pixel cases also run on Palace (10-12 min per draft run on one core): every layout of the
cross-check set, and the first study layout also in its PEC box. (The shipped designs'
Palace runs are in :data:`PALACE`.)"""


def simulate_palace(case: str, layout, options: dict, preset: str) -> tuple:
    """Palace's S and run information for a pixel case, stored in OUT like openEMS's runs.

    Open cases get absorbing walls and lid at openEMS's distances, boxed ones the same PEC box.
    """
    from rfdesign.solvers.openems import OpenEMSSettings
    from rfdesign.solvers.palace import PalaceSettings, PalaceSolver

    domain = OpenEMSSettings()
    solver = PalaceSolver(
        PalaceSettings(
            preset=preset,
            side_boundary="PEC" if options.get("side_boundary") == "PEC" else "absorbing",
            side_margin_mm=options.get("side_margin_mm", domain.side_margin_mm),
            air_height_mm=options.get("air_height_mm", domain.air_height_mm),
        )
    )
    return stored_run(OUT / f"{case}_palace_{preset}.npz", solver, layout)


def palace_runs(case: str) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """Palace's stored runs of a case: (preset, f GHz, S, size) from both result folders."""
    import skrf

    runs = []
    for path in sorted(PALACE.glob(f"{case}_palace_*.s2p")):  # shipped designs, 49 points
        net = skrf.Network(str(path))
        runs.append((path.stem.split("_palace_")[1], net.frequency.f / 1e9, net.s, "-"))
    for path in sorted(OUT.glob(f"{case}_palace_*.npz")):  # open pixel layouts, 121 points
        with np.load(path) as d:
            info = json.loads(str(d["info"]))
            size = f"{info['unknowns']:,} unknowns, {info['wall_s']:.0f} s"
            runs.append((path.stem.split("_palace_")[1], d["f_ghz"], d["s"], size))
    return runs


def palace_rows(case: str, results: dict[str, tuple]) -> list[str]:
    """Palace's runs of a case against openEMS's finest and its limit.

    Compared: the features the Richardson estimate uses (interpolated between the points of
    each run as for openEMS).
    """
    from rfdesign.solvers.convergence import match, well_defined_features
    from rfdesign.solvers.openems import MESH_ORDER, MESH_PRESETS

    fine, finest = PRESETS[-2], PRESETS[-1]
    ratio = MESH_PRESETS[finest].refinement / MESH_PRESETS[fine].refinement
    ref = well_defined_features(F_GHZ, results[finest][0])
    prev = {
        (a.kind, round(a.f_ghz, 6)): b
        for a, b in match(ref, well_defined_features(F_GHZ, results[fine][0]))
    }
    rows = []
    for preset, f, s, size in palace_runs(case):
        feats = well_defined_features(f, s)
        for a, b in match(ref, feats):
            c = prev.get((a.kind, round(a.f_ghz, 6)))
            limit = richardson_or_nan(c, a, ratio, MESH_ORDER)
            rows.append(
                f"| {case} | {preset} | {size} | {a.kind} | {a.f_ghz:.3f} | "
                f"{limit:.3f} | {b.f_ghz:.3f} | {100 * (b.f_ghz / a.f_ghz - 1):+.2f} % | "
                f"{100 * (b.f_ghz / limit - 1):+.2f} % |"
            )
    return rows


def richardson_or_nan(coarse, fine, ratio: float, order: float) -> float:
    """Richardson limit of a feature, NaN where the coarser mesh has no match."""
    from rfdesign.solvers.convergence import richardson

    return math.nan if coarse is None else richardson(coarse.f_ghz, fine.f_ghz, ratio, order)


def plot(case: str, results: dict[str, tuple], online: dict[str, tuple] | None) -> None:
    """|S21| and |S11| of one case on every preset: docs/images/openems_convergence.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    runs = [(f"{p} ({results[p][1]['cells']:,} lines)", results[p][0], "-") for p in PRESETS]
    if online:
        p = PRESETS[-1]
        runs.append((f"{p}, edges on lines (model 1 meshing)", online[p][0], "--"))
    for label, s, style in runs:
        for ax, (i, j) in zip(axes, ((1, 0), (0, 0)), strict=True):
            db = 20 * np.log10(np.maximum(np.abs(s[:, i, j]), 1e-6))
            ax.plot(F_GHZ, db, style, label=label, lw=1.2)
    for ax, name in zip(axes, ("|S21|", "|S11|"), strict=True):
        ax.set_title(f"{name}, {case}", fontsize=9)
        ax.set_xlabel("frequency (GHz)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("dB")
    axes[0].set_ylim(-45, 2)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "images" / "openems_convergence.png", dpi=130)
    plt.close(fig)


def run(threads: int = 2, only: list[str] | None = None) -> str:
    """Simulate what is missing and return the Markdown tables.

    Args:
        threads: openEMS threads per run.
        only: Run and report only the cases whose names contain one of these strings.
    """
    from rfdesign.solvers.openems import MESH_ORDER, MESH_PRESETS, openems_version

    summary, features, palace = [], [], []
    stored = {}
    for case, (layout, options, spec) in cases().items():
        if only and not any(s in case for s in only):
            continue
        results = {p: simulate(case, layout, options, p, threads) for p in PRESETS}
        if case in PALACE_CASES:
            for p in PALACE_PRESETS:
                simulate_palace(case, layout, options, p)
        stored[case] = results
        rows = study(case, results, spec)
        summary += rows[0]
        features += rows[1]
        palace += palace_rows(case, results)
        print("\n".join(rows[0]), flush=True)
    first = f"ka_pixel_4x5_{PIXEL_LAYOUTS[0]}"
    if first in stored:
        plot(first, stored[first], stored.get(f"{first}_on-line"))
    ladder = ", ".join(f"{p} {MESH_PRESETS[p].refinement:g}" for p in PRESETS)
    scope = f"cases containing {', '.join(only)} only; " if only else ""
    return "\n".join(
        [
            f"{scope}openEMS {openems_version()}, {threads} threads per run, 121 points 34-46 GHz; "
            f"refinement ladder: {ladder}; Richardson order {MESH_ORDER:g}.",
            "",
            "| case | preset | cells | time steps | wall s | Richardson estimate (vs its "
            "coarser preset) | largest distance from the finest run (matched / features) | "
            "spec's worst margin (range within the estimate) |",
            "|---|---|---|---|---|---|---|---|",
            *summary,
            "",
            "Features (GHz) on every preset, the order observed on the three finest meshes "
            "(NaN: not monotone) and the Richardson limit from the two finest (observed order "
            f"where it lies in 0.5-4, else {MESH_ORDER:g}):",
            "",
            "| case | feature | " + " | ".join(PRESETS) + " | observed order | limit |",
            "|---|---|" + "---|" * len(PRESETS) + "---|---|",
            *features,
            "",
            "Palace (finite elements; shipped designs: benchmarks/results/palace_crosscheck/, "
            "49 points, PEC housing; pixel layouts: benchmarks/results/convergence/, 121 points, "
            "first-order absorbing walls and lid at openEMS's distances, or PEC there for the "
            "boxed case, one thread) "
            f"against openEMS {PRESETS[-1]} and its Richardson limit (from "
            f"{PRESETS[-2]} and {PRESETS[-1]}, order {MESH_ORDER:g}):",
            "",
            "| case | Palace preset | size, wall | feature | openEMS (GHz) | openEMS limit (GHz) "
            "| Palace (GHz) | Palace vs openEMS | Palace vs limit |",
            "|---|---|---|---|---|---|---|---|---|",
            *palace,
        ]
    )


if __name__ == "__main__":
    # bench_convergence.py [THREADS [CASE-SUBSTRING ...]]: a partial study, written like make bench
    from run import RESULTS, machine

    table = run(int(sys.argv[1]) if len(sys.argv) > 1 else 2, sys.argv[2:] or None)
    text = f"# benchmark: convergence\n\nMachine: {machine()}\n\n{table}\n"
    (RESULTS / "convergence.md").write_text(text)
    print(text)
