"""Mesh-convergence study of the openEMS presets on pixel layouts of ka_pixel_4x5.

For each layout, every preset (draft, standard, fine) is compared with the finest run (the
``fine`` preset, plus an extra ``reference`` mesh for the first layout): shift of the main
resonances (|S21| and |S11| extrema with >= 3 dB prominence) and the largest |delta S| in dB
(|S| clipped at -40 dB, so that deep nulls do not dominate). Prints a Markdown table and
stores the raw networks in benchmarks/results/openems_convergence/.

Run: .venv/bin/python benchmarks/openems_convergence.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks

from rfdesign.layouts import Layout, get_grid
from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver

OUT = Path(__file__).resolve().parent / "results" / "openems_convergence"
F = np.linspace(34, 46, 121)
LAYOUTS = ["100001111100110", "011010111011101", "110100110101011"]
FLOOR_DB = -40.0


def resonances(s_db: np.ndarray) -> np.ndarray:
    """Frequencies (GHz) of the |S| extrema with at least 3 dB prominence."""
    marks = []
    for sign in (1, -1):
        peaks, _ = find_peaks(sign * np.maximum(s_db, FLOOR_DB), prominence=3.0)
        marks.extend(F[peaks])
    return np.sort(np.array(marks))


def shift(ref: np.ndarray, other: np.ndarray) -> float:
    """Largest distance (GHz) from a reference resonance to the nearest one in ``other``."""
    if ref.size == 0 or other.size == 0:
        return float("nan")
    return float(max(np.min(np.abs(other - r)) for r in ref))


def run(bits: str, preset: str) -> tuple[np.ndarray, dict]:
    """Simulate one layout with one preset; cached on disk in OUT."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{bits}_{preset}.npz"
    if path.exists():
        with np.load(path) as d:
            return d["s"], json.loads(str(d["info"]))
    lay = Layout.from_bits(get_grid("ka_pixel_4x5"), bits)
    solver = OpenEMSSolver(OpenEMSSettings(preset=preset))
    t0 = time.perf_counter()
    net = solver.simulate(lay, F)
    info = {k: net.rfdesign_info[k] for k in ("cells", "timesteps", "max_power_sum")}
    info["wall_s"] = time.perf_counter() - t0
    np.savez(path, s=net.s, info=json.dumps(info))
    return net.s, info


def main() -> None:
    """Run the study and print the table."""
    rows = []
    for i, bits in enumerate(LAYOUTS):
        presets = ["draft", "standard", "fine"] + (["reference"] if i == 0 else [])
        results = {}
        for p in presets:
            results[p] = run(bits, p)
        best = "reference" if "reference" in results else "fine"
        s_ref = results[best][0]
        ref21 = 20 * np.log10(np.abs(s_ref[:, 1, 0]))
        ref11 = 20 * np.log10(np.abs(s_ref[:, 0, 0]))
        res_ref = np.concatenate([resonances(ref21), resonances(ref11)])
        for p in presets:
            s, info = results[p]
            d21 = 20 * np.log10(np.abs(s[:, 1, 0]))
            d11 = 20 * np.log10(np.abs(s[:, 0, 0]))
            res = np.concatenate([resonances(d21), resonances(d11)])
            ds = max(
                np.max(np.abs(np.maximum(d21, FLOOR_DB) - np.maximum(ref21, FLOOR_DB))),
                np.max(np.abs(np.maximum(d11, FLOOR_DB) - np.maximum(ref11, FLOOR_DB))),
            )
            sh = shift(res_ref, res)
            rows.append(
                f"| {bits} | {p} | {info['cells']:,} | {info['timesteps']:,} | {info['wall_s']:.0f} "
                f"| {best} | {sh:.2f} ({100 * sh / 40:.1f} %) | {ds:.1f} |"
            )
            print(rows[-1], flush=True)
    header = (
        "| layout | preset | cells | time steps | wall s | vs | max resonance shift GHz (% of 40 GHz) "
        "| max abs delta S dB |\n|---|---|---|---|---|---|---|---|"
    )
    print("\n" + header + "\n" + "\n".join(rows))
    plot(LAYOUTS[0], ["draft", "standard", "fine", "reference"])


def plot(bits: str, presets: list[str]) -> None:
    """|S21| and |S11| of one layout for every preset: docs/images/openems_convergence.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for p in presets:
        s, info = run(bits, p)
        for ax, (i, j) in zip(axes, ((1, 0), (0, 0)), strict=True):
            ax.plot(F, 20 * np.log10(np.abs(s[:, i, j])), label=f"{p} ({info['cells']:,} cells)")
    for ax, name in zip(axes, ("|S21|", "|S11|"), strict=True):
        ax.set_title(f"{name}, ka_pixel_4x5 {bits}", fontsize=9)
        ax.set_xlabel("frequency (GHz)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("dB")
    axes[0].set_ylim(-45, 2)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    out = Path(__file__).resolve().parents[1] / "docs" / "images" / "openems_convergence.png"
    fig.savefig(out, dpi=130)


if __name__ == "__main__":
    sys.exit(main())
