"""Benchmark of the coarse circuit model: every ka_pixel_4x5 layout at 51 frequencies.

Run alone with ``python benchmarks/bench_circuit.py [n_threads]``; ``benchmarks/run.py`` can
import :func:`bench_circuit` and add it to its table of benchmarks.
``python benchmarks/bench_circuit.py accuracy`` prints the model's errors against the
references of ``tests/solvers/test_circuit.py`` (the figures quoted in docs/circuit_model.md).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np


def bench_circuit(n_threads: int = 2) -> str:
    """Time the circuit model on all 32,768 layouts of ``ka_pixel_4x5`` (34-46 GHz, 51 points).

    Args:
        n_threads: Threads for the batch solve (each runs single-threaded BLAS).

    Returns:
        A Markdown table: layouts, seconds, layouts per second, circuit nodes per layout.
    """
    from rfdesign.layouts import Layout, get_grid
    from rfdesign.solvers.circuit import CircuitSolver

    grid = get_grid("ka_pixel_4x5")
    f = np.linspace(34.0, 46.0, 51)
    bits = (np.arange(grid.n_layouts)[:, None] >> np.arange(grid.n_bits - 1, -1, -1)) & 1
    solver = CircuitSolver()
    t0 = time.perf_counter()
    model = solver.model(grid, f)
    t_model = time.perf_counter() - t0
    # nodes of each layout: its metal sub-cells plus the two ports
    sub_per_cell = np.outer(np.bincount(model.row_of), np.bincount(model.col_of))
    nodes = (grid.masks(bits) * sub_per_cell).sum(axis=(1, 2)) + 2
    node_text = f"{nodes.mean():.0f} (range {nodes.min()}-{nodes.max()})"

    t0 = time.perf_counter()
    s = solver.simulate_bits(grid, bits, f, n_threads=n_threads)
    t_all = time.perf_counter() - t0
    assert s.shape == (grid.n_layouts, f.size, 2, 2) and np.isfinite(s).all()

    few = bits[:: grid.n_layouts // 200][:200]
    t0 = time.perf_counter()
    for row in few:
        solver.simulate(Layout(grid, row), f)
    t_one = (time.perf_counter() - t0) / len(few)

    rows = [
        (
            f"all layouts, `simulate_bits`, {n_threads} thread(s)",
            f"{grid.n_layouts:,}",
            f"{t_all:.1f}",
            f"{grid.n_layouts / t_all:,.0f}",
            node_text,
        ),
        (
            "one layout at a time, `Solver.simulate` (Network)",
            f"{len(few)}",
            f"{t_one * len(few):.2f}",
            f"{1 / t_one:,.0f}",
            "",
        ),
        ("grid model build (tables, once per grid and band)", "-", f"{t_model:.3f}", "-", ""),
    ]
    lines = [
        "ka_pixel_4x5, 34-46 GHz, 51 frequencies, default `CircuitSettings` "
        f"({model.SR} x {model.SC} sub-cells on the full patch)",
        "",
        "| run | layouts | seconds | layouts/s | nodes per layout |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return "\n".join(lines)


def accuracy_circuit() -> str:
    """Errors of the circuit model against the references used by its tests (Markdown)."""
    from rfdesign.layouts.feeds import microstrip_line
    from rfdesign.solvers.circuit import CircuitSettings, CircuitSolver

    path = Path(__file__).resolve().parents[1] / "tests" / "solvers" / "test_circuit.py"
    spec = importlib.util.spec_from_file_location("_test_circuit", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    band = np.linspace(34, 46, 25)
    lines = ["| check | reference | model error |", "|---|---|---|"]
    for mesh in (1 / 12, 1 / 24):
        solver = CircuitSolver(CircuitSettings(max_cell_wavelengths=mesh))
        tag = f"sub-cells <= lambda_g/{round(1 / mesh)}"
        for w in (0.12, 0.30, 0.60):
            net = solver.simulate(ref.line_layout(w, 1.0), band)
            a, b, c = net.a[:, 0, 0], net.a[:, 0, 1], net.a[:, 1, 0]
            gl = np.arccosh(a)
            gl = np.where(gl.imag < 0, -gl, gl)
            ee = (gl.imag / 1e-3 * ref.C0 / (2 * np.pi * band * 1e9)) ** 2
            ml = microstrip_line(ref.SUB, w, band)
            ez = np.abs(np.sqrt(b / c).real / np.real(ml.z0_characteristic) - 1).max()
            ee_err = np.abs(ee / np.real(ml.ep_reff_f) - 1).max()
            lines.append(
                f"| {w:.2f} mm pixel line, 34-46 GHz, {tag} | skrf MLine | "
                f"Z0 {100 * ez:.1f} %, eps_eff {100 * ee_err:.1f} % (max) |"
            )
        f = np.linspace(25, 55, 601)
        for w_thru in (ref.W50, 0.30):
            net = solver.simulate(ref.stub_layout(w_thru, 0.12, (0.25, 0.25, 0.25)), f)
            fm = ref.notch_ghz(f, net.s[:, 1, 0])
            fr = ref.notch_ghz(f, ref.stub_circuit(w_thru, 0.12, 0.75, f).s[:, 1, 0])
            fi = ref.notch_ghz(f, ref.stub_circuit(w_thru, 0.12, 0.75, f, False).s[:, 1, 0])
            lines.append(
                f"| 0.75 mm x 0.12 mm stub on a {w_thru:.2f} mm line, {tag} | "
                f"skrf + Hammerstad tee + KJK open end: {fr:.2f} GHz (ideal tee at centre line: "
                f"{fi:.2f} GHz) | notch {fm:.2f} GHz, {100 * (fm / fr - 1):+.1f} % |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["accuracy"]:
        print(accuracy_circuit())
    else:
        print(bench_circuit(int(sys.argv[1]) if len(sys.argv) > 1 else 2))
