"""The memory a filter design needs, estimated from its spec before any work.

The circuit model (:mod:`rfdesign.solvers.circuit`) is the search's evaluator wherever no
trained surrogate fits the grid, and the coarse model of refinement: it solves one dense
complex nodal matrix per frequency, ``N x N`` with ``N`` = metal sub-cells + 2 ports, for all
frequencies at once, so its memory grows as ``F x N^2``. The search judges a whole population
of responses at once (``population x F``). The mask sampling of
:mod:`rfdesign.optimizers.masks` is sparse, ``O(F)``, and never the limit.

:meth:`rfdesign.spec.FilterSpec.resource_estimate` builds the :class:`ResourceEstimate` of a
spec; loading a spec refuses one above :func:`memory_limit_bytes`, naming the field to change.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rfdesign.core.constants import C0_MM_PER_NS

if TYPE_CHECKING:
    from rfdesign.layouts.grid import PixelGrid

Loc = tuple[str | int, ...]

MEMORY_CAP_GIB = 8.0
"""Most memory, in GiB, a spec's design may need (see :func:`memory_limit_bytes`)."""

MEMORY_ENV = "RFDESIGN_MAX_MEMORY_GIB"
"""Environment variable that replaces the limit of :func:`memory_limit_bytes` (GiB)."""

_GIB = 2**30
_RESPONSE_BYTES_PER_POINT = 2 * 2 * 16 + 2 * 8
"""One layout's response at one frequency: complex S (2 x 2, complex128), |S11| and |S21| dB."""


def memory_limit_bytes() -> int:
    """The memory a spec's design may need, in bytes.

    ``$RFDESIGN_MAX_MEMORY_GIB`` when set; otherwise :data:`MEMORY_CAP_GIB` (8 GiB), or half
    the machine's physical memory (``os.sysconf``) where that is less.
    """
    value = os.environ.get(MEMORY_ENV)
    if value:
        try:
            gib = float(value)
        except ValueError:
            gib = math.nan
        if math.isfinite(gib) and gib > 0:
            return int(gib * _GIB)
    cap = int(MEMORY_CAP_GIB * _GIB)
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX, or the value is unknown
        return cap
    return min(cap, physical // 2) if physical > 0 else cap


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / _GIB:.1f} GiB"


@dataclass(frozen=True)
class ResourceEstimate:
    """The memory a design of a spec needs, known before any work (see the module).

    Attributes:
        points: Sweep points ``F``.
        sub_cells: ``(rows, columns)`` of the circuit model's sub-cells (cells cut to at most
            1/12 of the shortest guided wavelength); an all-metal layout has one node each.
        circuit_nodes: ``N`` of an all-metal layout: sub-cells + 2 ports.
        circuit_bytes: The nodal matrices of one layout, ``F x N x N`` complex128.
        population: Layouts judged at once (the search population).
        response_bytes: Their responses, ``population x F`` (complex 2 x 2 S and two dB rows).
    """

    points: int
    sub_cells: tuple[int, int]
    circuit_nodes: int
    circuit_bytes: int
    population: int
    response_bytes: int

    @property
    def total_bytes(self) -> int:
        """The peak: the circuit model's matrices while a population's responses are held."""
        return self.circuit_bytes + self.response_bytes

    def issues(self, limit_bytes: int) -> list[tuple[Loc, str]]:
        """One ``(field path, reason)`` naming the field to change if over ``limit_bytes``."""
        if self.total_bytes <= limit_bytes:
            return []
        over = f"over the {_gib(limit_bytes)} limit (set {MEMORY_ENV} to change it)"
        per_point = 16 * self.circuit_nodes**2 + self.population * _RESPONSE_BYTES_PER_POINT
        fit_points = limit_bytes // per_point
        if self.circuit_bytes >= self.response_bytes and fit_points < min(self.points, 101):
            rows, cols = self.sub_cells
            return [
                (
                    ("grid",),
                    f"the circuit model of this grid has {self.circuit_nodes:,} nodes ({rows} x "
                    f"{cols} sub-cells when all metal): {_gib(self.circuit_bytes)} of nodal "
                    f"matrices at {self.points:,} points, {over}; use fewer or larger cells",
                )
            ]
        if self.circuit_bytes >= self.response_bytes:
            return [
                (
                    ("sweep", "points"),
                    f"{self.points:,} points need {_gib(self.total_bytes)} (the circuit "
                    f"model's {self.circuit_nodes}-node matrices at every point and the "
                    f"population's responses), {over}; use at most {fit_points:,} points",
                )
            ]
        fit_population = (limit_bytes - self.circuit_bytes) // (
            self.points * _RESPONSE_BYTES_PER_POINT
        )
        return [
            (
                ("search", "population"),
                f"{self.population:,} layouts x {self.points:,} points of responses judged at "
                f"once need {_gib(self.total_bytes)}, {over}; use a population of at most "
                f"{max(fit_population, 0):,} or fewer sweep points",
            )
        ]


def estimate_resources(
    grid: PixelGrid, start_ghz: float, stop_ghz: float, points: int, population: int
) -> ResourceEstimate:
    """The memory a design on ``grid`` over a linear sweep needs (nothing is simulated).

    The circuit model's sub-cells are counted as :mod:`rfdesign.solvers.circuit` cuts them: no
    edge longer than ``CircuitSettings.max_cell_wavelengths`` of the guided wavelength at the
    top of the sweep on the widest strip the grid holds (scikit-rf's microstrip ``eps_eff``;
    ``eps_r`` if that model cannot answer).

    Args:
        grid: The design space.
        start_ghz: First sweep frequency, GHz.
        stop_ghz: Last sweep frequency, GHz.
        points: Sweep points ``F``.
        population: Layouts judged at once.
    """
    from rfdesign.layouts.feeds import microstrip_line
    from rfdesign.solvers.circuit import CircuitSettings

    widest = max(grid.height_mm, grid.width_mm, grid.feed_width_mm)
    eps_eff = grid.substrate.eps_r
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            ml = microstrip_line(grid.substrate, widest, [start_ghz, stop_ghz])
            value = float(max(ml.ep_reff_f.real))
            eps_eff = value if math.isfinite(value) and value >= 1 else eps_eff
        except (ArithmeticError, ValueError):  # out of the model's range: eps_eff <= eps_r
            pass
    lam_mm = C0_MM_PER_NS / (stop_ghz * math.sqrt(eps_eff))
    s_max = CircuitSettings().max_cell_wavelengths * lam_mm

    def cuts(sizes) -> int:
        return int(sum(max(1, math.ceil(v / s_max - 1e-9)) for v in sizes))

    rows, cols = cuts(grid.row_heights), cuts(grid.full_column_widths_mm)
    nodes = rows * cols + 2
    return ResourceEstimate(
        points=points,
        sub_cells=(rows, cols),
        circuit_nodes=nodes,
        circuit_bytes=16 * points * nodes**2,
        population=population,
        response_bytes=population * points * _RESPONSE_BYTES_PER_POINT,
    )
