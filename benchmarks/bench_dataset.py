"""Dataset throughput: layouts per second with 1 and 2 local Dask workers."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from rfdesign.cluster import executor_for
from rfdesign.datasets.generate import generate, sample_bits
from rfdesign.datasets.store import Dataset
from rfdesign.layouts import get_grid
from rfdesign.solvers.base import get_solver

F = np.linspace(34, 46, 51)


def _run(solver_name: str, n: int, workers: int, chunk: int, **settings) -> tuple[float, int]:
    grid = get_grid("ka_pixel_4x5")
    solver = get_solver(solver_name, **settings)
    bits = sample_bits(grid, "random", n, seed=123)
    with tempfile.TemporaryDirectory() as tmp:
        ds = Dataset.create(Path(tmp) / "d", grid, solver_name, solver.settings_dict(), F)
        with executor_for("local", workers=workers) as ex:
            report = generate(ds, solver, grid, bits, executor=ex, chunk_size=chunk)
    return report.wall_s, report.computed


def bench_dataset() -> str:
    """Throughput of `generate` on a local Dask cluster, circuit and openEMS (draft)."""
    lines = [
        "| solver | layouts | workers | wall s | layouts per s | layouts per hour |",
        "|---|---|---|---|---|---|",
    ]
    cases = [("circuit", 8192, 512, {}), ("openems", 4, 1, {"preset": "draft"})]
    for name, n, chunk, settings in cases:
        for workers in (1, 2):
            wall, done = _run(name, n, workers, chunk, **settings)
            label = name + (f" ({settings['preset']})" if settings else "")
            lines.append(
                f"| {label} | {done} | {workers} | {wall:.1f} | {done / wall:.2f} | "
                f"{3600 * done / wall:,.0f} |"
            )
    return "\n".join(lines)
