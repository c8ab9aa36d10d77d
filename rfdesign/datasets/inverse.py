"""Training layouts for the inverse-design GAN: varied-density, manufacturable, simulated.

Uniformly random bits are a poor picture of what a designer draws: at 50 % metal almost every
layout of a fine grid is one blob with corner-only contacts the search forbids. The GAN's
training set instead draws each layout's metal fraction from ``density`` (uniform), closes
its corner-only contacts (:func:`rfdesign.layouts.grid.repair_corner_contacts`) and simulates
it with the circuit model, the cheap rung of the fidelity ladder (DESIGN.md), through the
project's resumable :class:`~rfdesign.datasets.store.Dataset`: a killed run keeps every finished
chunk and resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from rfdesign.layouts.grid import PixelGrid, repair_corner_contacts


def sample_design_bits(
    grid: PixelGrid, n: int, seed: int = 0, density: tuple[float, float] = (0.2, 0.8)
) -> np.ndarray:
    """``n`` distinct layouts without corner-only contacts, ``n x n_bits`` uint8.

    Args:
        grid: The design space.
        n: Number of layouts (at most half the grid's layouts).
        seed: Seed of every random choice.
        density: Range of the per-layout probability of metal in a free cell.

    Raises:
        ValueError: For ``n < 1``, ``n`` too large for the grid, or a density outside [0, 1].
    """
    lo, hi = density
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"density: needs 0 <= low <= high <= 1, got {density}")
    if n < 1 or (grid.n_bits < 62 and n > grid.n_layouts // 2):
        raise ValueError(f"n: {n} layouts is not in 1..{grid.n_layouts // 2} for this grid")
    rng = np.random.default_rng(seed)
    out: dict[bytes, np.ndarray] = {}
    for _ in range(1000):
        m = 2 * (n - len(out)) + 16
        p = rng.uniform(lo, hi, (m, 1))
        bits = repair_corner_contacts(grid, rng.random((m, grid.n_bits)) < p)
        for b in bits:
            out.setdefault(b.tobytes(), b)
            if len(out) == n:
                return np.array(list(out.values()))
    raise ValueError(f"n: found only {len(out)} distinct layouts of {n}")


def circuit_dataset(
    grid: PixelGrid,
    f_ghz: np.ndarray,
    n: int,
    directory: str | Path,
    seed: int = 0,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The GAN's training set: :func:`sample_design_bits` simulated by the circuit model.

    Args:
        grid: The design space.
        f_ghz: Frequencies, GHz (``F``).
        n: Layouts.
        directory: Dataset folder (created, or resumed when it holds the same grid, solver
            settings and sweep).
        seed: Seed of the layouts.
        executor: Runs chunks of 500 layouts; ``None`` = here.
        progress: Called as ``progress(done, total)``.

    Returns:
        ``(bits N x d uint8, S N x F x 2 x 2 complex)`` in the order of the sampled layouts.
    """
    from rfdesign.datasets.generate import generate
    from rfdesign.datasets.store import Dataset
    from rfdesign.solvers.circuit import CircuitSolver

    bits = sample_design_bits(grid, n, seed)
    solver = CircuitSolver()
    ds = Dataset.open_or_create(
        directory,
        grid,
        solver.name,
        solver.settings_dict(results_only=False),
        np.asarray(f_ghz, float),
        {"sampler": "sample_design_bits", "seed": seed},
    )
    generate(ds, solver, grid, bits, executor=executor, chunk_size=500, progress=progress)
    ds = Dataset.open(directory)
    have_bits, s = ds.arrays()
    index = {b.tobytes(): i for i, b in enumerate(have_bits.astype(np.uint8))}
    order = [index[b.tobytes()] for b in bits]
    return have_bits[order], s[order]
