"""openEMS cost per preset and throughput with 1 x 2 threads vs 2 x 1 thread."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rfdesign.layouts import Layout, get_grid
from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver

F = np.linspace(34, 46, 51)
BITS = ["100001111100110", "011010111011101", "110100110101011", "101101011100110"]


def _one(preset: str, threads: int, bits: str) -> dict:
    lay = Layout.from_bits(get_grid("ka_pixel_4x5"), bits)
    net = OpenEMSSolver(OpenEMSSettings(preset=preset, threads=threads)).simulate(lay, F)
    return net.rfdesign_info


def bench_openems(presets: tuple[str, ...] = ("draft", "standard", "fine")) -> str:
    """Seconds, cells and time steps per preset; simulations per hour, 1 x 2 vs 2 x 1."""
    lines = [
        "Per preset (one layout at a time, 1 thread, 51 frequencies 34-46 GHz, "
        f"{len(BITS)} ka_pixel_4x5 layouts, mean):",
        "",
        "| preset | cells | time steps | s per simulation | simulations per hour |",
        "|---|---|---|---|---|",
    ]
    for preset in presets:
        infos = [_one(preset, 1, b) for b in BITS]
        wall = float(np.mean([i["wall_s"] for i in infos]))
        steps = int(np.mean([i["timesteps"] for i in infos]))
        lines.append(
            f"| {preset} | {infos[0]['cells']:,} | {steps:,} | {wall:.1f} | {3600 / wall:.0f} |"
        )
    lines += [
        "",
        "Throughput on all cores (same layouts):",
        "",
        "| preset | layout | wall s for all | simulations per hour |",
        "|---|---|---|---|",
    ]
    for preset in presets[:2]:
        t0 = time.perf_counter()
        for b in BITS:
            _one(preset, 2, b)
        serial = time.perf_counter() - t0
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda b, p=preset: _one(p, 1, b), BITS))
        parallel = time.perf_counter() - t0
        n = len(BITS)
        lines.append(
            f"| {preset} | 1 process x 2 threads | {serial:.0f} | {3600 * n / serial:.0f} |"
        )
        lines.append(
            f"| {preset} | 2 processes x 1 thread | {parallel:.0f} | {3600 * n / parallel:.0f} |"
        )
    return "\n".join(lines)
