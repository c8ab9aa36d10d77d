"""Antennas on openEMS: the solver against references, and SADEA against plain DE.

1. **References** (:func:`references`): a half-wave dipole's directivity against 2.15 dBi
   (Balanis, *Antenna Theory*, 4th ed., eq. 4-91) and five inset-fed patches, each sized by
   the cavity model for one frequency (Balanis section 14.2.2) on the 28 GHz spec's laminate,
   against the model's resonance (eq. 14-7) and two-slot directivity (eq. 14-56); radiation
   efficiency must not exceed 1.
2. **Designs** (:func:`designs`): ``rfdesign design examples/antennas/patch_28ghz.yaml`` with
   SADEA and with plain DE (pymoo) on openEMS, the same budget of 40 runs from no dimensions;
   the table gives the runs until the spec was first met and the final margins. The designs
   take 40-60 minutes each here, so the table reads the stored reports
   (``benchmarks/results/antenna/patch_28ghz_<method>/report.json``); run one with::

       .venv/bin/python benchmarks/bench_antenna.py --design sadea   # or de

3. **Pixel patch** (:func:`pixel`): ``rfdesign design examples/antennas/pixel_dualband.yaml``
   (two bands, 28 and 37 GHz), the GA on a CNN ensemble pre-trained on cheap openEMS runs,
   rounds verified on openEMS, from no layout; and the plain inset-fed patch designed by SADEA
   for the same spec (the comparison: the issue asks for a spec the plain patch cannot meet).
   Stored reports again; run them with::

       .venv/bin/python benchmarks/bench_antenna.py --pixel
       .venv/bin/python benchmarks/bench_antenna.py --pixel-plain

Every openEMS run is cached in ``benchmarks/results/antenna/cache`` (not committed), so an
interrupted design resumes.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "antenna"
SPEC = ROOT / "examples" / "antennas" / "patch_28ghz.yaml"
PIXEL_SPEC = ROOT / "examples" / "antennas" / "pixel_dualband.yaml"
PATCH_F_GHZ = (20.0, 24.0, 28.0, 32.0, 36.0)
"""The five patch sizes: each the cavity model's 50-ohm inset patch for one frequency."""


def _solver(z_ref: float = 50.0):
    from rfdesign.solvers.base import ResultCache
    from rfdesign.solvers.openems_antenna import OpenEMSAntennaSolver

    return OpenEMSAntennaSolver(cache=ResultCache(OUT / "cache"), z_ref_ohm=z_ref)


def cavity_patch(f0: float):
    """The cavity model's 50-ohm inset patch for ``f0`` (GHz) on the 28 GHz spec's laminate.

    Sizes to 1 um, notches 0.15 mm, feed and ground a quarter free-space wavelength long.
    Returns the model and the patch.
    """
    from rfdesign.antenna_spec import load_antenna_spec
    from rfdesign.core.constants import C0_MM_PER_NS
    from rfdesign.layouts.antenna import RectPatch
    from rfdesign.layouts.feeds import microstrip_width_mm
    from rfdesign.solvers.patch_model import design_patch

    sub = load_antenna_spec(SPEC).substrate.to_substrate()
    m = design_patch(f0, sub.eps_r, sub.height_mm)
    lam4 = C0_MM_PER_NS / f0 / 4
    patch = RectPatch(
        round(m.length_mm, 3),
        round(m.width_mm, 3),
        sub,
        inset_mm=round(m.inset_mm, 3),
        feed_width_mm=round(microstrip_width_mm(sub, 50.0, f0), 4),
        notch_mm=0.15,
        feed_length_mm=round(lam4, 3),
        ground_margin_mm=round(lam4, 3),
    )
    return m, patch


def references() -> str:
    """The dipole and five patches against their references (table)."""
    from rfdesign.layouts.antenna import Dipole

    lines = [
        "openEMS 0.0.35 (Debian), antenna model 1: PEC sheets, lumped 50-ohm port, 8-cell PML "
        "a quarter wavelength out, 20 cells per wavelength (60 across metal edges), far field "
        "over the whole sphere in 5-degree steps at radius 1 m; one thread.",
        "",
        "| structure | reference | openEMS | difference | radiation efficiency | run (s) |",
        "|---|---|---|---|---|---|",
    ]
    t0 = time.perf_counter()
    hits = 0
    r = _solver(73.0).simulate(Dipole(15.0, 0.5, 0.5), np.linspace(8, 12, 41), [10.0])
    hits += bool(r.info.get("cache_hit"))
    d = r.directivity_dbi(10.0)
    lines.append(
        f"| half-wave dipole, 15 mm at 10 GHz, 0.5 mm strip | directivity 2.15 dBi (Balanis "
        f"eq. 4-91) | {d:.2f} dBi | {d - 2.15:+.2f} dB | {r.radiation_efficiency(10.0):.3f} | "
        f"{r.info['wall_s']:.0f} |"
    )
    for f0 in PATCH_F_GHZ:
        m, patch = cavity_patch(f0)
        f = np.linspace(0.85 * f0, 1.15 * f0, 121)
        res = _solver().simulate(patch, f, [f0])
        hits += bool(res.info.get("cache_hit"))
        f_res = float(res.f_ghz[np.argmin(np.abs(res.s11))])
        s11_min = 20 * np.log10(np.abs(res.s11).min())
        dd = res.directivity_dbi(f0)
        lines.append(
            f"| patch {patch.length_mm} x {patch.width_mm} mm (model {f0:g} GHz), inset "
            f"{patch.inset_mm} mm | resonance {m.resonance_ghz:.2f} GHz, directivity "
            f"{m.directivity_dbi(f0):.2f} dBi (eqs. 14-7, 14-56) | {f_res:.2f} GHz "
            f"(\\|S11\\| {s11_min:.1f} dB), {dd:.2f} dBi | {100 * (f_res / f0 - 1):+.1f} %, "
            f"{dd - m.directivity_dbi(f0):+.2f} dB | {res.radiation_efficiency(f0):.3f} | "
            f"{res.info['wall_s']:.0f} |"
        )
    lines += [
        "",
        f"Wall time of this table: {time.perf_counter() - t0:.0f} s ({hits} of 6 runs read "
        "from the cache; the run column is each run's own time when first computed).",
    ]
    return "\n".join(lines)


def _null_ghz(f: np.ndarray, s11: np.ndarray) -> float:
    """The |S11| minimum, parabola through the lowest point and its neighbours (dB), GHz."""
    y = 20 * np.log10(np.abs(s11))
    i = int(np.clip(np.argmin(y), 1, len(y) - 2))
    a, b, c = y[i - 1 : i + 2]
    return float(f[i] + 0.5 * (a - c) / (a - 2 * b + c) * (f[1] - f[0]))


def convergence() -> str:
    """The 28 GHz cavity-model patch on three meshes: how far resonance and gain move."""
    from rfdesign.solvers.base import ResultCache
    from rfdesign.solvers.convergence import observed_order, richardson
    from rfdesign.solvers.openems_antenna import AntennaSettings, OpenEMSAntennaSolver

    f0 = 28.0
    _, patch = cavity_patch(f0)
    f = np.linspace(0.85 * f0, 1.15 * f0, 121)
    lines = [
        "The cavity model's 28 GHz patch (row 4 above) with every cell size divided by 1.5 and "
        "by 2 (cells per wavelength 20 / 30 / 40, across an edge 60 / 90 / 120, across the "
        "substrate 4 / 6 / 8); the |S11| null from a parabola through its three lowest points.",
        "",
        "| cells per wavelength | cells | run (s) | \\|S11\\| null (GHz) | realised gain at 28 GHz "
        "(dBi) | directivity (dBi) |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for k in (1.0, 1.5, 2.0):
        settings = AntennaSettings(cells=20 * k, edge_cells=60 * k, substrate_cells=round(4 * k))
        r = OpenEMSAntennaSolver(settings, ResultCache(OUT / "cache")).simulate(patch, f, [f0])
        rows.append((_null_ghz(r.f_ghz, r.s11), r.realised_gain_dbi(f0)))
        lines.append(
            f"| {20 * k:g} | {r.info['cells']:,} | {r.info['wall_s']:.0f} | {rows[-1][0]:.3f} | "
            f"{rows[-1][1]:.2f} | {r.directivity_dbi(f0):.2f} |"
        )
    (n20, g20), (n30, g30), (n40, g40) = rows
    p_n = observed_order((n20, n30, n40), (1.0, 1.5, 2.0))
    p_g = observed_order((g20, g30, g40), (1.0, 1.5, 2.0))
    lim_n = richardson(n30, n40, 4 / 3, 1.0)
    lim_g = richardson(g30, g40, 4 / 3, 1.0)
    lines += [
        "",
        f"Observed order: null {p_n:.2f}, gain {p_g:.2f}. Richardson at order 1 from the two "
        f"finest: null {lim_n:.3f} GHz ({100 * (lim_n / n20 - 1):+.2f} % from the 20-cell mesh "
        f"the searches run on), realised gain at 28 GHz {lim_g:.2f} dBi ({lim_g - g20:+.2f} dB).",
    ]
    return "\n".join(lines)


def design(method: str) -> dict:
    """Design the 28 GHz patch with ``method`` (sadea or de) and store its report."""
    from rfdesign.antenna_spec import load_antenna_spec
    from rfdesign.design.antenna import design_antenna

    spec = load_antenna_spec(SPEC)
    d = design_antenna(
        spec, out=OUT / f"patch_28ghz_{method}", cache_dir=OUT / "cache", method=method
    )
    return d.summary()


def designs() -> str:
    """SADEA against plain DE on the 28 GHz spec, from the stored reports (table)."""
    lines = [
        "`examples/antennas/patch_28ghz.yaml`: 27.5-28.35 GHz with \\|S11\\| < -10 dB, realised "
        "gain >= 6 dBi at 28 GHz, 0.508 mm eps_r 3.55 tan delta 0.0027; inset-fed patch, three "
        "sizes (length, width, inset) in the cavity model's box, no dimensions given; 40 "
        "openEMS runs each, seed 0.",
        "",
        "| method | runs to spec | worst margin after 40 runs (dB) | \\|S11\\| margin (dB) | "
        "gain margin (dB) | realised gain (dBi) | patch (mm) | solver time (min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method in ("sadea", "de"):
        path = OUT / f"patch_28ghz_{method}" / "report.json"
        if not path.exists():
            lines.append(f"| {method} | not run yet | - | - | - | - | - | - |")
            continue
        s = json.loads(path.read_text())
        m = list(s["margins_db"].values())
        gain = next(iter(s["far_field"].values()))["realised_gain_dbi"]
        p = s["patch"]
        lines.append(
            f"| {method} | {s['runs_to_spec'] or 'not met'} | {s['worst_margin_db']:+.2f} | "
            f"{m[0]:+.2f} | {m[1]:+.2f} | {gain:.2f} | {p['length_mm']} x {p['width_mm']}, inset "
            f"{p['inset_mm']} | {s['provenance']['solver_s'] / 60:.1f} |"
        )
    return "\n".join(lines)


def tradeoff(budget: int, sampling_only: bool) -> dict:
    """The 28 GHz patch's trade-off front from ``budget`` openEMS runs; stored as JSON.

    With ``sampling_only`` the front of as many Latin-hypercube samples (no GP): the issue's
    comparison.
    """
    from rfdesign.antenna_spec import load_antenna_spec
    from rfdesign.design.antenna import TRADEOFF_OBJECTIVES, PatchProblem, patch_tradeoff
    from rfdesign.optimizers.tradeoff import hypervolume

    spec = load_antenna_spec(SPEC)
    t0 = time.perf_counter()
    res = patch_tradeoff(spec, budget=budget, cache_dir=OUT / "cache", sampling_only=sampling_only)
    box = PatchProblem.from_spec(spec).bounds
    ref = np.array([0.0, 0.0, box[0, 1] * box[1, 1]])  # no bandwidth, 0 dBi, the largest patch
    front = res.front()
    row = {
        "kind": "lhs" if sampling_only else "gp-nsga2",
        "budget": budget,
        "objectives": TRADEOFF_OBJECTIVES,
        "reference_point": ref.tolist(),
        "hypervolume": hypervolume(res.f[front], ref),
        "front": [{"x": res.x[i].tolist(), "f": res.f[i].tolist()} for i in front],
        "all_f": res.f.tolist(),
        "wall_s": time.perf_counter() - t0,
    }
    (OUT / f"tradeoff_{row['kind']}_{budget}.json").write_text(json.dumps(row, indent=1))
    return row


def tradeoffs() -> str:
    """The stored trade-off fronts (table)."""
    rows = sorted(OUT.glob("tradeoff_*.json"))
    if not rows:
        return "Not run yet (`.venv/bin/python benchmarks/bench_antenna.py --tradeoff 60`)."
    lines = [
        "Objectives: matched (-10 dB) bandwidth (GHz, larger is better), realised gain at 28 "
        "GHz (dBi), patch area (mm^2); hypervolume against (0 GHz, 0 dBi, the "
        "box's largest patch).",
        "",
        "| front from | openEMS runs | designs on the front | hypervolume | widest band (GHz) | "
        "highest gain (dBi) | smallest area on the front (mm^2) |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in rows:
        r = json.loads(p.read_text())
        f = np.array([d["f"] for d in r["front"]])
        lines.append(
            f"| {'GP + NSGA-II, active learning' if r['kind'] == 'gp-nsga2' else 'Latin hypercube alone'} "
            f"| {r['budget']} | {len(f)} | {r['hypervolume']:.2f} | {-f[:, 0].min():.2f} | "
            f"{-f[:, 1].min():.2f} | {f[:, 2].min():.2f} |"
        )
    return "\n".join(lines)


def pixel_design(plain: bool = False) -> dict:
    """Design the dual-band spec's pixel patch (or, with ``plain``, its plain patch by SADEA)."""
    from rfdesign.antenna_spec import load_antenna_spec
    from rfdesign.design.antenna import design_antenna
    from rfdesign.design.pixel_antenna import design_pixel_antenna

    spec = load_antenna_spec(PIXEL_SPEC)
    if plain:
        d = design_antenna(
            spec,
            out=OUT / "pixel_dualband_plain",
            cache_dir=OUT / "cache",
            method="sadea",
            budget=40,
        )
    else:
        d = design_pixel_antenna(spec, out=OUT / "pixel_dualband", cache_dir=OUT / "cache")
    return d.summary()


def pixel() -> str:
    """The dual-band pixel patch and the plain patch on the same spec (stored reports)."""
    lines = [
        "`examples/antennas/pixel_dualband.yaml`: 27.5-28.35 GHz and 37.0-38.6 GHz with "
        "\\|S11\\| < -10 dB, realised gain >= 5 dBi at 28 and 37.8 GHz; same laminate as the 28 "
        "GHz patch; no layout and no dimensions given.",
        "",
        "| design | openEMS runs | worst margin (dB) | margins n261 / us37 / gain 28 / gain 37.8 "
        "(dB) | finer mesh worst (dB) | with copper worst (dB) | flags | wall (min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label in (
        ("pixel_dualband", "pixel patch (GA on CNN ensemble)"),
        ("pixel_dualband_plain", "plain inset-fed patch (SADEA, 40 runs)"),
    ):
        path = OUT / name / "report.json"
        if not path.exists():
            lines.append(f"| {label} | not run yet | - | - | - | - | - | - |")
            continue
        s = json.loads(path.read_text())
        pv = s["provenance"]
        runs = (
            f"{pv['cheap_runs']} cheap + {pv['search_runs']} search + 3 to verify"
            if "cheap_runs" in pv
            else f"{s['fullwave_runs']} + 2 to verify"
        )
        m = " / ".join(f"{v:+.2f}" for v in s["margins_db"].values())
        fm = s["finer_mesh"]["worst_margin_db"] if s["finer_mesh"] else float("nan")
        lm = (
            s["with_conductor_loss"]["worst_margin_db"]
            if s["with_conductor_loss"]
            else float("nan")
        )
        lines.append(
            f"| {label} | {runs} | {s['worst_margin_db']:+.2f} | {m} | {fm:+.2f} | {lm:+.2f} | "
            f"{', '.join(s['flags']) or 'none'} | {pv['wall_s'] / 60:.1f} |"
        )
    path = OUT / "pixel_dualband" / "report.json"
    if path.exists():
        s = json.loads(path.read_text())
        lines += [
            "",
            "The pixel search, round by round (best predicted: the highest of the ensemble's mean "
            "worst band margins over the round's picks, before their runs; best verified: openEMS; error: the ensemble's "
            "mean \\|S11\\| error on the round's layouts, dB, before they joined its data):",
            "",
            "| round | runs | best predicted (dB) | best verified (dB) | ensemble error (dB) |",
            "|---|---|---|---|---|",
        ]
        for rd in s["provenance"]["rounds"]:
            best_p = max(rd["predicted_worst_db"], default=float("nan"))
            best_v = rd["best_verified_db"] if rd["best_verified_db"] is not None else float("nan")
            err = rd["mae_db"] if rd["mae_db"] is not None else float("nan")
            lines.append(
                f"| {rd['round']} | {rd['runs']} | {best_p:+.2f} | {best_v:+.2f} | {err:.2f} |"
            )
        lines += ["", "The layout (row 0 meets the feed; # metal):", "", "```"]
        lines += s["patch"]["mask"] + ["```"]
    return "\n".join(lines)


def run() -> str:
    """``make bench BENCH=antenna``: the references (run) and the designs (stored)."""
    return (
        "## The solver against references\n\n"
        + references()
        + "\n\n## Mesh convergence of the patch\n\n"
        + convergence()
        + "\n\n## SADEA against plain DE on openEMS\n\n"
        + designs()
        + "\n\n## Trade-off front (bandwidth, gain, area)\n\n"
        + tradeoffs()
        + "\n\n## Pixel patch: a dual-band spec\n\n"
        + pixel()
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--design"]:
        print(json.dumps(design(sys.argv[2]), indent=1, default=str)[:2000])
    elif sys.argv[1:2] in (["--pixel"], ["--pixel-plain"]):
        print(json.dumps(pixel_design(sys.argv[1] == "--pixel-plain"), default=str)[:2000])
    elif sys.argv[1:2] == ["--tradeoff"]:  # --tradeoff N [--lhs]
        row = tradeoff(int(sys.argv[2]), sampling_only="--lhs" in sys.argv)
        print(row["kind"], row["budget"], row["hypervolume"])
    else:
        print(run())
