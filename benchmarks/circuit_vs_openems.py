"""The circuit model against openEMS (standard preset) on the committed reference layouts.

For every layout of the openEMS test set (data/openems_ka_pixel_4x5_standard_test): the
resonances (|S21| and |S11| extrema with >= 3 dB prominence, |S| clipped at -40 dB) of
openEMS are matched to the nearest circuit-model resonance; the relative frequency error of
each match and the mean absolute |S21| and |S11| difference in dB (clipped at -40 dB) are
reported. Prints a Markdown table.

Run: .venv/bin/python benchmarks/circuit_vs_openems.py
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from rfdesign.datasets.store import Dataset, load_reference
from rfdesign.layouts import Layout, get_grid
from rfdesign.solvers.circuit import CircuitSolver

FLOOR = -40.0


def resonances(f: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Frequencies of the extrema of |S| in dB with at least 3 dB prominence."""
    db = np.maximum(20 * np.log10(np.abs(s) + 1e-300), FLOOR)
    out = []
    for sign in (1, -1):
        peaks, _ = find_peaks(sign * db, prominence=3.0)
        out.extend(f[peaks])
    return np.sort(np.array(out))


def compare(ds: Dataset) -> tuple[list[str], dict]:
    """Per-layout rows and the summary figures."""
    grid = get_grid("ka_pixel_4x5")
    f = ds.f_ghz
    bits, s_fw = ds.arrays()
    s_c = CircuitSolver().simulate_bits(grid, bits, f)
    rows, all_err, mae21, mae11, corners = [], [], [], [], []
    for i in range(len(bits)):
        n_corner = len(Layout(grid, bits[i]).connectivity.corner_contacts)
        corners.append(n_corner)
        errs = []
        for p in ((1, 0), (0, 0)):
            r_fw = resonances(f, s_fw[i, :, p[0], p[1]])
            r_c = resonances(f, s_c[i, :, p[0], p[1]])
            if r_c.size:
                errs += [abs(r_c[np.argmin(np.abs(r_c - r))] - r) / r for r in r_fw]
        d21 = np.abs(
            np.maximum(20 * np.log10(np.abs(s_c[i, :, 1, 0]) + 1e-300), FLOOR)
            - np.maximum(20 * np.log10(np.abs(s_fw[i, :, 1, 0])), FLOOR)
        ).mean()
        d11 = np.abs(
            np.maximum(20 * np.log10(np.abs(s_c[i, :, 0, 0]) + 1e-300), FLOOR)
            - np.maximum(20 * np.log10(np.abs(s_fw[i, :, 0, 0])), FLOOR)
        ).mean()
        all_err += errs
        mae21.append(d21)
        mae11.append(d11)
        med = f"{100 * np.median(errs):.1f}" if errs else "-"
        rows.append(
            f"| {''.join(map(str, bits[i]))} | {n_corner} | {len(errs)} | {med} | "
            f"{(100 * max(errs)) if errs else float('nan'):.1f} | {d21:.1f} | {d11:.1f} |"
        )
    summary = {
        "layouts": len(bits),
        "resonances": len(all_err),
        "median_resonance_error_pct": 100 * float(np.median(all_err)),
        "mean_abs_s21_db": float(np.mean(mae21)),
        "mean_abs_s11_db": float(np.mean(mae11)),
        "layouts_without_corner_contacts": int(sum(c == 0 for c in corners)),
        "mean_abs_s21_db_without_corner_contacts": float(
            np.mean([m for m, c in zip(mae21, corners, strict=True) if c == 0])
        ),
        "mean_abs_s21_db_with_corner_contacts": float(
            np.mean([m for m, c in zip(mae21, corners, strict=True) if c > 0])
        ),
    }
    return rows, summary


def main() -> None:
    """Print the table."""
    rows, summary = compare(load_reference("openems_ka_pixel_4x5_standard_test"))
    print(
        "| layout | resonances | median error % | max error % | mean abs dS21 dB | mean abs dS11 dB |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print(summary)


if __name__ == "__main__":
    main()
