"""Continuous benchmark data for size surrogates: one ka_pixel_4x5 layout, three cell sizes.

The ``ka_pixel_4x5`` preset (:func:`rfdesign.layouts.presets.ka_pixel_4x5`) fixes the cell
sizes; here one pixel layout is kept and the sizes are varied, which is the continuous
fine-tuning step that follows a binary layout search (B. Liu et al., "An Efficient Method for
Antenna Design Optimization Based on Evolutionary Computation and Machine Learning
Techniques", IEEE Trans. Antennas Propag. 62(1), 2014; SADEA for antennas, B. Liu et al.,
IEEE TAP 69(4), 2021). The responses come from the coarse circuit model
(:class:`rfdesign.solvers.circuit.CircuitSolver`), about 40 ms per design on one core (each
design is a new grid, so the circuit model's tables are rebuilt every time).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from rfdesign.core.db import s_db

if TYPE_CHECKING:
    from rfdesign.layouts.grid import PixelGrid

DEFAULT_LAYOUT_INT = 21487
"""The fixed layout: free bits ``101001111101111`` (``format(21487, "015b")``, bit order of
:class:`~rfdesign.layouts.grid.PixelGrid`). Of 2,000 random ka_pixel_4x5 layouts at the preset
sizes it had the clearest single pass band in the circuit model: peak |S21| -3.3 dB at
39.5 GHz, below -38 dB at both band edges, so the size parameters move a resonance through the
34-46 GHz band."""

PARAMETER_NAMES = ("narrow_col_mm", "resonator_col_mm", "row_mm")
"""The three continuous parameters, in mm: width of the two 0.12 mm coupling columns (port and
centre), width of the three resonator columns, height of the four rows."""

PARAMETER_BOUNDS_MM = np.array([[0.08, 0.16], [0.20, 0.34], [0.25, 0.35]])
"""Bounds in mm of :data:`PARAMETER_NAMES`, shape ``3 x 2`` (low, high per row)."""

FLOOR_DB = -40.0
"""|S| in dB is clipped from below at this value (deep notches carry no design information)."""


def sized_grid(narrow_col_mm: float, resonator_col_mm: float, row_mm: float) -> PixelGrid:
    """The ``ka_pixel_4x5`` grid with the given cell sizes (mm); feeds and fixed cells kept.

    The preset's ``column_widths_mm`` holds the designed (left) half from port 1 inwards:
    ``(narrow, resonator, resonator, resonator, narrow)``; the mirror doubles the last one
    into the centre coupling column.

    Returns:
        A :class:`~rfdesign.layouts.grid.PixelGrid`.
    """
    from rfdesign.layouts.presets import get_grid

    base = get_grid("ka_pixel_4x5")
    n, r = float(narrow_col_mm), float(resonator_col_mm)
    return dataclasses.replace(
        base,
        column_widths_mm=(n, r, r, r, n),
        row_heights_mm=(float(row_mm),) * base.n_rows,
        name="ka_pixel_4x5_sized",
    )


def pixel_size_dataset(
    n: int,
    seed: int,
    bits: np.ndarray | None = None,
    f_ghz: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Sample cell sizes of one ka_pixel_4x5 layout and compute |S11|, |S21| in dB.

    The sizes are a scrambled Sobol sample (:class:`scipy.stats.qmc.Sobol`, seeded) scaled to
    :data:`PARAMETER_BOUNDS_MM`; the responses come from the circuit model, with |S| in dB
    floored at :data:`FLOOR_DB`.

    Args:
        n: Number of designs (a power of two is best for Sobol balance; any ``n >= 1`` works).
        seed: Seed of the Sobol scrambling; different seeds give different designs.
        bits: The fixed layout's 15 free bits; default: :data:`DEFAULT_LAYOUT_INT`.
        f_ghz: Frequencies in GHz, shape ``F``; default 51 points from 34 to 46 GHz.

    Returns:
        ``(X, Y, names, bounds)``: ``X`` sizes in mm, shape ``n x 3``; ``Y`` = ``[|S11| dB,
        |S21| dB]`` concatenated, shape ``n x 2F`` (``n x 102`` by default); ``names`` of the
        three parameters; ``bounds`` in mm, shape ``3 x 2``.
    """
    import warnings

    from scipy.stats import qmc

    from rfdesign.solvers.circuit import CircuitSolver

    if int(n) < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    f = np.linspace(34.0, 46.0, 51) if f_ghz is None else np.asarray(f_ghz, dtype=float)
    if bits is None:
        bits = (DEFAULT_LAYOUT_INT >> np.arange(14, -1, -1)) & 1
    bits = np.asarray(bits, dtype=int).reshape(1, -1)
    bounds = PARAMETER_BOUNDS_MM.copy()
    with warnings.catch_warnings():  # Sobol warns about n not being a power of two
        warnings.simplefilter("ignore", UserWarning)
        unit = qmc.Sobol(d=bounds.shape[0], scramble=True, seed=seed).random(int(n))
    x = qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    solver = CircuitSolver()
    s = np.empty((x.shape[0], f.size, 2, 2), dtype=complex)
    for i, row in enumerate(x):  # every design is a new grid, hence a new circuit model
        s[i] = solver.simulate_bits(sized_grid(*row), bits, f)[0]
    db = s_db(s, FLOOR_DB)
    y = np.concatenate([db[:, :, 0, 0], db[:, :, 1, 0]], axis=1)
    return x, y, list(PARAMETER_NAMES), bounds
