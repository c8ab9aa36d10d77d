"""Palace (3-D finite elements): the independent full-wave engine that checks openEMS.

A different method from openEMS's FDTD, so that errors of one (staircased metal edges, a mesh
too coarse across the substrate, port models) are not shared by the other: Palace (Grimm et
al., AWS, https://awslabs.github.io/palace; Apache-2.0) solves the frequency-domain Maxwell
equations with Nedelec elements of order ``order`` on a tetrahedral mesh and sweeps frequency
with an adaptive reduced-order model (``adaptive_tol``). It is installed from PyPI by
``make setup`` (``palace-solver``, a binary wheel with its MPI; gmsh builds the mesh).

The model is the channel housing of :mod:`rfdesign.solvers.openems` with ``side_boundary
PEC``: the substrate over the whole domain on a PEC ground, the metal cells and the two 50-ohm
feeds as zero-thickness PEC sheets at z = h, side walls ``side_margin_mm`` beside the metal
and a lid ``air_height_mm`` above the substrate: PEC for the channel housing, or first-order
absorbing (``side_boundary="absorbing"``, Palace's scattering boundary condition, the
frequency-domain counterpart of openEMS's first-order ``MUR``) for an open circuit. Each feed runs ``feed_length_mm`` to a wave
port on the end wall, whose 2-D mode solve gives the feed's propagation constant; the port's
``Offset`` moves the reference plane back to the patch edge. The S-parameters are normalised to
the feed's own quasi-TEM mode (a matched feed reflects nothing), not to exactly 50 ohm: the
feed is drawn 50 ohm wide by scikit-rf's microstrip model, so the two differ by the feed's
impedance error (|Gamma| below 0.02 for the project's feeds). With absorbing walls the ports'
2-D mode solves still see PEC on the port's outline (Palace's ``WavePortPEC``), as a shielded
line's mode, which the quasi-TEM microstrip mode is when the walls stand several substrate
heights away.

Mesh presets (element size at the metal edges / in the substrate / far away, mm; element
order 2):

* ``draft``: 0.05 / 0.08 / 0.4
* ``standard``: 0.03 / 0.06 / 0.3
* ``fine``: 0.02 / 0.045 / 0.25

Each run happens in its own process (:mod:`._palace_job`) under :mod:`.isolated`'s life cycle
(timeout, kill with the parent, reuse of a finished result, run folders).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, replace
from typing import ClassVar, Literal

import numpy as np

from rfdesign.layouts.layout import Layout
from rfdesign.solvers.base import Solver, SolverError, excite_both_ports, register_solver
from rfdesign.solvers.convergence import run_with_estimate
from rfdesign.solvers.isolated import run_job, solver_run_folder

MODEL_VERSION = "1"
"""Version of this module's model (geometry, ports, mesh rules); part of the cache key."""


@dataclass(frozen=True)
class PalaceMeshPreset:
    """Element sizes of one preset, mm.

    Attributes:
        lc_edge_mm: At the metal edges (where the current crowds).
        lc_sub_mm: Anywhere in the substrate.
        lc_max_mm: Far from the metal.
        edge_reach_mm: Distance from the edges over which the size grows to ``lc_max_mm``.
    """

    lc_edge_mm: float
    lc_sub_mm: float
    lc_max_mm: float
    edge_reach_mm: float = 0.5


PALACE_PRESETS: dict[str, PalaceMeshPreset] = {
    "draft": PalaceMeshPreset(0.05, 0.08, 0.4),
    "standard": PalaceMeshPreset(0.03, 0.06, 0.3),
    "fine": PalaceMeshPreset(0.02, 0.045, 0.25),
}

PALACE_ORDER = 1.0
"""Order of convergence assumed by the error estimate (the zero-thickness edge's singular
field limits it, as for openEMS; draft -> standard moved the housed combs' skirts 0.3-0.6 %)."""


def palace_refinement(preset: str) -> float:
    """Refinement of a preset: draft's element size at the metal edges over this preset's."""
    return PALACE_PRESETS["draft"].lc_edge_mm / PALACE_PRESETS[preset].lc_edge_mm


def palace_coarser_preset(preset: str) -> str | None:
    """The second mesh of ``preset``'s error estimate (``None`` for draft).

    The finest preset at least 1.5 times coarser at the metal edges, as for openEMS.
    """
    r = palace_refinement(preset)
    below = [p for p in PALACE_PRESETS if palace_refinement(p) <= r / 1.5 + 1e-9]
    return max(below, key=palace_refinement) if below else None


@dataclass(frozen=True)
class PalaceSettings:
    """Settings of a Palace run (all but the ``RUN_ONLY`` ones are part of the cache key).

    Attributes:
        preset: Mesh preset (``draft``, ``standard``, ``fine``).
        order: Order of the Nedelec elements (2: quadratic fields).
        adaptive_tol: Tolerance of the adaptive frequency sweep (0 solves every frequency).
        side_boundary: ``PEC`` (the channel housing) or ``absorbing`` (an open circuit:
            first-order absorbing side walls and lid).
        side_margin_mm: Side walls' distance beside the metal (the housing's wall gap).
        air_height_mm: Lid height above the substrate.
        feed_length_mm: Feed length from the patch edge to the wave port.
        excite_both_ports: Excite port 2 as well; ``None``: only when the layout is not
            mirror-symmetric.
        error_estimate: Also run the next coarser preset (draft for standard, standard for
            fine) and store the Richardson estimate of the resonance error (``mesh_error``),
            as openEMS does; not on draft.
        threads: OpenMP threads of the one MPI process.
        timeout_s: Wall-time limit of one run, s.
        keep_files: Keep the run folder (mesh, configuration, Palace's output).
    """

    RUN_ONLY: ClassVar[tuple[str, ...]] = ("threads", "timeout_s", "keep_files")

    preset: Literal["draft", "standard", "fine"] = "standard"
    order: int = 2
    adaptive_tol: float = 1e-3
    side_boundary: Literal["PEC", "absorbing"] = "PEC"
    side_margin_mm: float = 0.6
    air_height_mm: float = 1.0
    feed_length_mm: float = 1.0
    excite_both_ports: bool | None = None
    error_estimate: bool = False
    threads: int = 1
    timeout_s: float = 7200.0
    keep_files: bool = False

    def __post_init__(self) -> None:
        if self.preset not in PALACE_PRESETS:
            raise ValueError(f"preset: unknown {self.preset!r}; known {sorted(PALACE_PRESETS)}")
        if self.side_boundary not in ("PEC", "absorbing"):
            raise ValueError(
                f"side_boundary: 'PEC' (channel housing) or 'absorbing' (open), got "
                f"{self.side_boundary!r}"
            )
        if self.error_estimate and palace_coarser_preset(self.preset) is None:
            raise ValueError(
                f"error_estimate: {self.preset!r} is the coarsest mesh; it needs a coarser one"
            )
        if self.order not in (1, 2, 3):
            raise ValueError(f"order: 1, 2 or 3, got {self.order}")
        for name in ("side_margin_mm", "air_height_mm", "feed_length_mm", "timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)}")
        if self.threads < 1:
            raise ValueError("threads: must be >= 1")
        if not 0 <= self.adaptive_tol < 1:
            raise ValueError(f"adaptive_tol: must be in [0, 1), got {self.adaptive_tol}")


@functools.cache
def palace_version() -> str:
    """Version of the installed Palace (the wheel's), or ``missing``."""
    try:
        import palace_solver

        return str(getattr(palace_solver, "PALACE_VERSION", palace_solver.__version__))
    except ImportError:
        return "missing"


@register_solver("palace")
class PalaceSolver(Solver):
    """3-D finite elements with Palace: openEMS's independent check (fidelity 'fullwave')."""

    fidelity = "fullwave"
    settings_type = PalaceSettings
    coarser_preset = staticmethod(palace_coarser_preset)

    @property
    def version(self) -> str:
        """Palace version and this model's version."""
        return f"palace {palace_version()}; model {MODEL_VERSION}"

    def job(self, layout: Layout, f_ghz: np.ndarray, excite_both: bool) -> dict:
        """The JSON job of one run (see :mod:`rfdesign.solvers._palace_job`)."""
        s = self.settings
        g = layout.grid
        preset = PALACE_PRESETS[s.preset]
        y0, y1 = g.feed_span_mm
        L = s.feed_length_mm
        feeds = [(-L, y0, 0.0, y1), (g.width_mm, y0, g.width_mm + L, y1)]
        rects = [tuple(map(float, r)) for r in layout.metal_rects()] + feeds
        y_lo, y_hi = min(0.0, y0), max(g.height_mm, y1)
        m = s.side_margin_mm
        return {
            "rects": [list(r) for r in rects],
            "box": [-L, g.width_mm + L, y_lo - m, y_hi + m],
            "height_mm": g.substrate.height_mm,
            "lid_mm": s.air_height_mm,
            "absorbing": s.side_boundary == "absorbing",
            "eps_r": g.substrate.eps_r,
            "tan_delta": g.substrate.tan_delta,
            "offset_mm": L,
            "lc_edge_mm": preset.lc_edge_mm,
            "lc_sub_mm": preset.lc_sub_mm,
            "lc_max_mm": preset.lc_max_mm,
            "edge_reach_mm": preset.edge_reach_mm,
            "order": s.order,
            "f_ghz": [float(f) for f in f_ghz],
            "adaptive_tol": s.adaptive_tol,
            "excite_both": bool(excite_both),
        }

    def _simulate(self, layout: Layout, f_ghz: np.ndarray) -> tuple[np.ndarray, dict]:
        if palace_version() == "missing":
            raise SolverError("palace: the palace-solver package is not installed (make setup)")
        s = self.settings
        if s.error_estimate:
            coarser = palace_coarser_preset(s.preset)
            assert coarser is not None  # refused by the settings

            def simulate_at(preset: str):
                solver = PalaceSolver(replace(s, preset=preset, error_estimate=False), self.cache)
                return solver.simulate(layout, f_ghz)

            ratio = palace_refinement(s.preset) / palace_refinement(coarser)
            return run_with_estimate(simulate_at, f_ghz, s.preset, coarser, ratio, PALACE_ORDER)
        both = excite_both_ports(layout, s.excite_both_ports)
        job = self.job(layout, f_ghz, both)
        with solver_run_folder(self, layout, f_ghz, keep=s.keep_files) as workdir:
            arrays, _log, reused = run_job(
                "palace",
                [sys.executable, "-m", "rfdesign.solvers._palace_job"],
                job,
                workdir,
                "sparams.npz",
                s.timeout_s,
                s.threads,
            )
        S = np.asarray(arrays["s"], complex)
        power = np.abs(S[:, 0, 0]) ** 2 + np.abs(S[:, 1, 0]) ** 2
        info = {
            "preset": s.preset,
            "order": s.order,
            "side_boundary": s.side_boundary,
            "tetrahedra": int(arrays["n_tets"]),
            "unknowns": int(arrays["n_unknowns"]),
            "reused_run": reused,
            "max_power_sum": float(power.max()),
            "truncated": False,  # a frequency-domain solve has no time-step cap
            "workdir_kept": str(workdir) if s.keep_files else None,
        }
        return S, info
