"""Stage 4, refinement: a pixel design's continuous sizes tuned by space mapping.

After the search has fixed the bits, the column widths and row heights of the grid are still
free. :func:`refine_sizes` tunes them with the circuit model as the coarse model and the
verifying solver as the fine model (:func:`rfdesign.optimizers.space_mapping.space_map`,
trust-region ASM by default, Bakr et al., IEEE MTT 46(12), 1998), spending at most ``budget``
fine runs. The objective is minus the worst margin of the spec's masks (dB). The refined
layout is kept only if the fine model says it is better than the start.

A fine run that fails (a time-out, a solver error) ends the refinement, not the design: the
best layout the fine model has judged so far is kept and the error is recorded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rfdesign.evaluation import spec_mask_set
from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.masks import DB_FLOOR, MaskSet
from rfdesign.spec import FilterSpec

SIZE_RANGE = 0.3
"""Each size may move by at most this fraction of its start value."""

COARSE_XATOL_MM = 1e-4
"""The circuit-model optimisation of the sizes stops at 0.1 um steps (50 times finer than
the default +-5 um tolerance); the default 1e-9 took 2,400 circuit runs (97 s) a refine."""

COARSE_FATOL_DB = 1e-3
"""... and at 0.001 dB of worst margin across the simplex."""


@dataclass
class RefineResult:
    """Outcome of :func:`refine_sizes`.

    Attributes:
        layout: The refined layout (the start layout if nothing better was found).
        network: Its fine network.
        improved: Whether the refined sizes beat the start on the fine model.
        worst_margin_before_db: Fine worst margin of the start layout, dB.
        worst_margin_after_db: Fine worst margin of :attr:`layout`, dB.
        fine_runs: Fine evaluations spent (cache hits included).
        history: The space-mapping history (one entry per fine evaluation, sizes in mm).
        method: The space-mapping variant.
        mapping: The final mapping (ASM: Broyden matrix ``B`` and residual ``f``).
        error: First line of the solver error that ended the refinement early, else ``None``.
    """

    layout: Layout
    network: Any
    improved: bool
    worst_margin_before_db: float
    worst_margin_after_db: float
    fine_runs: int
    history: list[dict] = field(default_factory=list)
    method: str = "tr-asm"
    mapping: dict = field(default_factory=dict)
    error: str | None = None

    def record(self) -> dict:
        """The JSON-ready refinement record of the design report."""
        return {
            "method": self.method,
            "improved": self.improved,
            "worst_margin_before_db": self.worst_margin_before_db,
            "worst_margin_after_db": self.worst_margin_after_db,
            "fine_runs": self.fine_runs,
            "column_widths_mm": list(self.layout.grid.column_widths_mm),
            "row_heights_mm": list(self.layout.grid.row_heights_mm),
            "history": self.history,
            "mapping": self.mapping,
            "error": self.error,
        }


def _sized(grid: PixelGrid, x: np.ndarray) -> PixelGrid:
    """``grid`` with column widths ``x[:n_cols]`` and row heights ``x[n_cols:]`` (mm)."""
    return dataclasses.replace(
        grid,
        column_widths_mm=tuple(float(v) for v in x[: grid.n_cols]),
        row_heights_mm=tuple(float(v) for v in x[grid.n_cols :]),
        name=grid.name if grid.name.endswith("-refined") else f"{grid.name}-refined",
    )


def refine_sizes(
    spec: FilterSpec,
    layout: Layout,
    solver,
    start_network=None,
    budget: int = 3,
    method: str = "tr-asm",
    masks: MaskSet | None = None,
) -> RefineResult:
    """Space-map the grid sizes of ``layout`` (circuit coarse, ``solver`` fine).

    Args:
        spec: The spec whose masks define the objective.
        layout: The searched layout (its bits stay fixed).
        solver: The fine solver (openEMS in the pipeline).
        start_network: The fine network of ``layout`` if already simulated.
        budget: Fine evaluations for the space mapping (the start's is not counted).
        method: A :func:`~rfdesign.optimizers.space_mapping.space_map` method.
        masks: The spec's masks on its sweep (the design flow's judge); built if not given.

    Returns:
        The :class:`RefineResult`.
    """
    from rfdesign.core.db import s_db
    from rfdesign.optimizers.space_mapping import nelder_mead, space_map
    from rfdesign.solvers.circuit import simulate_bits

    f = np.asarray(spec.frequencies_ghz(), float)
    masks = masks if masks is not None else spec_mask_set(spec, f)
    grid, bits = layout.grid, layout.bits
    x0 = np.array([*grid.column_widths_mm, *grid.row_heights_mm])
    lower = x0 * (1 - SIZE_RANGE)
    upper = x0 * (1 + SIZE_RANGE)

    def response(s: np.ndarray) -> np.ndarray:
        return np.concatenate([s_db(s[:, 1, 0], DB_FLOOR), s_db(s[:, 0, 0], DB_FLOOR)])

    def objective(r: np.ndarray) -> float:
        n = f.size
        return float(-masks.margins(r[None, n:], r[None, :n]).min())

    def coarse(x: np.ndarray) -> np.ndarray:
        return response(simulate_bits(_sized(grid, x), bits[None], f)[0])

    from rfdesign.solvers.base import SolverError

    networks: dict[bytes, tuple[Layout, Any, float]] = {}

    def fine(x: np.ndarray) -> np.ndarray:
        lay = Layout(_sized(grid, x), bits)
        net = solver.simulate(lay, f)
        r = response(net.s)
        networks[np.asarray(x, float).tobytes()] = (lay, net, -objective(r))
        return r

    def unrefined(error: str) -> RefineResult:
        return RefineResult(layout, start_network, False, np.nan, np.nan, 0, error=error)

    try:
        start = start_network if start_network is not None else solver.simulate(layout, f)
    except SolverError as exc:
        return unrefined(str(exc).splitlines()[0])
    before = -objective(response(start.s))
    error, history, mapping, n_fine = None, [], {}, 0
    try:
        res = space_map(
            coarse,
            fine,
            x0,
            objective,
            method,
            max_fine=budget,
            bounds=(lower, upper),
            tol=1e-5,
            optimiser=nelder_mead(xatol=COARSE_XATOL_MM, fatol=COARSE_FATOL_DB),
        )
        history, mapping, n_fine = res.history, res.mapping, res.n_fine
    except SolverError as exc:
        error = str(exc).splitlines()[0]
        n_fine = len(networks) + 1  # the failed run counts
    lay, net, after = max(networks.values(), key=lambda t: t[2], default=(layout, start, before))
    if after <= before:
        lay, net, after = layout, start, before
    return RefineResult(
        layout=lay,
        network=net,
        improved=lay is not layout,
        worst_margin_before_db=before,
        worst_margin_after_db=after,
        fine_runs=n_fine,
        history=history,
        method=method,
        mapping=mapping,
        error=error,
    )
