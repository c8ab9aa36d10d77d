"""openEMS (3-D FDTD) model of pixel layouts: the fine model and the final verification.

The model: the substrate over the whole domain with a PEC ground plane below (z = 0), the
metal cells as zero-thickness PEC sheets at z = h (or, with ``conductor="sheet"``, openEMS's
conducting-sheet model with the substrate's conductivity and thickness), and two 50-ohm
microstrip feeds ending in openEMS MSL ports (Liebig, openEMS, www.openems.de; the port and
boundary set-up of its ``MSL_NotchFilter`` tutorial): PML at both feed ends, Mur absorbing
boundaries on the sides and the top.

Each port measures voltage and current a few cells before the patch edge, where the feed is
a plain microstrip; the results are then moved to the patch edges with the propagation
constant of scikit-rf's microstrip model of the feed (Hammerstad-Jensen with Kirschning-
Jansen dispersion). openEMS's own ``ref_plane_shift`` is not used: it corrupts phases when
|S11| is near 1 (ENV.md). Waves are referred to 50 ohm.

Every run happens in its own interpreter (:mod:`._openems_job`): openEMS changes the working
directory, writes its log to file descriptor 1 and grabs all cores. The life cycle of those
processes and folders is :mod:`.isolated`'s: one folder per layout and frequency grid, named by
the cache key (``<cache>/runs/<key>/`` with a cache, else ``<temp dir>/rfdesign-openems-<key>/``)
and locked while the run lives; one sub-folder per excitation (``port1/``, ``port2/``: job,
log, ``ports.npz``, and openEMS's ``sim/`` folder, deleted once its waves are read unless
``keep_files``). An openEMS process dies with the process that started it; an excitation
whose ``ports.npz`` a killed run already wrote is reused on resume (``reused_run`` in the run
information); the folder is removed when the layout is done, and stale ones at the next run.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from rfdesign.core.constants import C0_MM_PER_NS
from rfdesign.layouts.layout import Layout
from rfdesign.solvers.base import Solver, SolverError, excite_both_ports, register_solver
from rfdesign.solvers.convergence import run_with_estimate
from rfdesign.solvers.isolated import JobResult, run_job, solver_run_folder
from rfdesign.solvers.mesh import (
    MERGE_TOL_MM,
    NEAR_EDGE_FRACTION,
    graded_lines,
    merge_near_edges,
    merge_slivers,
    metal_edges,
    shared_boundaries,
    smooth_lines,
    thirds_lines,
)
from rfdesign.solvers.ports import deembed_feeds


@dataclass(frozen=True)
class MeshPreset:
    """Mesh density of one preset: a step ``refinement`` on one ladder of meshes.

    Every length of the mesh scales as ``1 / refinement``: the cells in the metal region and
    along the feeds (``lambda_sub / (20 s)``), across each metal edge (``lambda_sub / (60 s)``,
    the cell that the one-third/two-thirds lines straddle) and across the substrate
    (``2 s`` cells), with ``lambda_sub`` the substrate wavelength at the top frequency. Two
    presets of the ladder are therefore one mesh refined by the ratio of their refinements,
    which is what the Richardson estimate of :mod:`rfdesign.solvers.convergence` needs.

    Attributes:
        refinement: Step ``s`` on the ladder (draft is 1).
        air_cells_per_wavelength: Cells per free-space wavelength far from the metal.
    """

    refinement: float
    air_cells_per_wavelength: float = 15.0

    @property
    def cells_per_wavelength(self) -> float:
        """Cells per substrate wavelength in the metal region and along the feeds."""
        return 20.0 * self.refinement

    @property
    def edge_cells_per_wavelength(self) -> float:
        """Cells per substrate wavelength across a metal edge (``edge_rule="thirds"``)."""
        return 60.0 * self.refinement

    @property
    def substrate_cells(self) -> int:
        """Cells across the substrate height."""
        return max(2, round(2.0 * self.refinement))


MESH_PRESETS: dict[str, MeshPreset] = {
    "draft": MeshPreset(1.0),
    "standard": MeshPreset(1.5),
    "fine": MeshPreset(2.0),
    "reference": MeshPreset(3.0),
}
"""Presets; docs/solvers.md reports what each is good for (mesh-convergence study)."""

MESH_ORDER = 1.0
"""Order of convergence of the resonances on the ladder, used by the Richardson estimate.

Measured on ka_pixel_4x5 ``100001111100110`` with the thirds rule (refinement 1, 2, 3): 1.2
to 2 for the strong resonances and skirts, below 1 for a weak one; 1 is the conservative
choice (a lower order gives a larger error estimate). ``make bench BENCH=convergence`` reports
the order observed on every case."""


@dataclass(frozen=True)
class OpenEMSSettings:
    """Settings of an openEMS run (all part of the cache key).

    Attributes:
        preset: Mesh preset: ``draft``, ``standard``, ``fine``, or ``reference`` (the
            convergence studies' yardstick, too slow for datasets).
        threads: openEMS engine threads per run (never 0, which would mean all cores).
        end_criteria_db: Stop when the field energy has decayed by this much (dB).
        max_timesteps: Hard cap on time steps; a run that reaches it is flagged truncated.
        conductor: ``pec`` (zero-thickness perfect conductor) or ``sheet`` (lossy sheet with
            the substrate's conductivity and metal thickness).
        excite_both_ports: Run a second excitation from port 2. ``None``: only when the
            layout is not mirror-symmetric (otherwise S22 = S11 and S12 = S21 by symmetry).
        feed_length_mm: Length of each simulated feed, from the domain end to the patch.
        deembed_mm: Distance of the measurement planes from the patch edges.
        side_margin_mm: Substrate and air beside the patch (y) before the side boundaries.
        lateral_fine_mm: Width beside the patch (y) still meshed at the fine cell size.
        air_height_mm: Air above the substrate before the top boundary.
        side_boundary: Boundary at the sides and the top: ``MUR`` (first order absorbing,
            cheap) or ``PML_8`` (eight-cell perfectly matched layer) for an open circuit;
            ``PEC`` for a shielded one (a channelised metal housing whose walls stand
            ``side_margin_mm`` beside the patch and whose lid is ``air_height_mm`` above the
            substrate).
        timeout_s: Wall-time limit of one run; the process is killed after it.
        keep_files: Keep the run folder (jobs, logs, openEMS's ``sim/`` folders) for
            debugging, marked kept; it is deleted otherwise (:mod:`.isolated`).
        edge_rule: Mesh lines at the metal edges: ``thirds`` (openEMS's one-third/two-thirds
            rule with cells of ``lambda_sub / (60 s)`` across each edge) or ``on-line`` (a line
            on every edge, the meshing before model version 2). docs/solvers.md compares the
            two: on one layout the thirds rule's draft mesh lies closer to the converged
            resonances than the on-line rule's reference mesh.
        merge_near_edges: With the thirds rule, merge metal edges closer than a quarter of
            the edge cell (:func:`metal_boxes`, :func:`~rfdesign.solvers.mesh.merge_near_edges`):
            no micron cells, so a time step 5-7x longer on a tuned comb, at the price of strip
            ends up to an eighth of an edge cell from where they are drawn (a 3-strip comb's
            5.4 um length offset vanishes on the draft mesh and a one-step correction no longer
            works: ``tests/optimizers/test_comb_fullwave.py``). Off by default; a spec's
            design and verification runs turn it on (:func:`rfdesign.design.verify.
            verification_settings`). Not in the settings' dictionary: a run it changes gets a
            cache key of its own, a run it leaves alone keeps its key.
        error_estimate: Also run the layout on the next coarser preset of the ladder and
            store the Richardson estimate of the resonance error (``mesh_error`` in the run
            information, :func:`~rfdesign.solvers.convergence.mesh_error`); not on draft, the
            coarsest.
    """

    RUN_ONLY: ClassVar[tuple[str, ...]] = ("threads", "timeout_s", "keep_files")

    preset: Literal["draft", "standard", "fine", "reference"] = "standard"
    threads: int = 1
    end_criteria_db: float = -40.0
    max_timesteps: int = 300_000
    conductor: Literal["pec", "sheet"] = "pec"
    excite_both_ports: bool | None = None
    feed_length_mm: float = 2.0
    deembed_mm: float = 0.3
    side_margin_mm: float = 1.0
    lateral_fine_mm: float = 0.4
    air_height_mm: float = 1.5
    side_boundary: Literal["MUR", "PML_8", "PEC"] = "MUR"
    timeout_s: float = 3600.0
    keep_files: bool = False
    error_estimate: bool = False
    edge_rule: Literal["on-line", "thirds"] = "thirds"
    merge_near_edges: bool = False

    def __post_init__(self) -> None:
        if self.preset not in MESH_PRESETS:
            raise ValueError(f"preset: unknown {self.preset!r}; known {sorted(MESH_PRESETS)}")
        if self.threads < 1:
            raise ValueError("threads: must be >= 1 (0 would make openEMS take every core)")
        if self.conductor not in ("pec", "sheet"):
            raise ValueError(f"conductor: 'pec' or 'sheet', got {self.conductor!r}")
        if not 0 < self.deembed_mm < self.feed_length_mm / 2:
            raise ValueError("deembed_mm: must be > 0 and < feed_length_mm / 2")
        if self.edge_rule not in ("on-line", "thirds"):
            raise ValueError(f"edge_rule: 'on-line' or 'thirds', got {self.edge_rule!r}")
        if self.error_estimate and coarser_preset(self.preset) is None:
            raise ValueError(
                f"error_estimate: {self.preset!r} is the coarsest mesh; it needs a coarser one"
            )


def coarser_preset(preset: str) -> str | None:
    """The second mesh of ``preset``'s error estimate (``None`` for the coarsest preset).

    The finest preset at least 1.5 times coarser: a refinement ratio near 1 would divide
    the two runs' small difference (and its run-to-run noise) by ``ratio**p - 1``, near 0.
    """
    s = MESH_PRESETS[preset].refinement
    below = [p for p, m in MESH_PRESETS.items() if m.refinement <= s / 1.5 + 1e-9]
    return max(below, key=lambda p: MESH_PRESETS[p].refinement) if below else None


@functools.cache
def openems_version() -> str:
    """Version of the installed openEMS: the Debian package version, else the Python metadata."""
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "python3-openems"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        from importlib.metadata import version

        return version("openEMS")
    except Exception:
        return "unknown"


MODEL_VERSION = "2"
"""Version of this module's model (geometry, ports, de-embedding); part of the cache key.
2: lines on the metal's own edges (merged shapes, not cells), the one-third/two-thirds rule
as an option, and the refinement ladder of presets."""


def metal_boxes(
    layout: Layout, f_max_ghz: float, settings: OpenEMSSettings
) -> tuple[list[tuple[float, float, float, float]], int]:
    """The layout's metal boxes as openEMS gets them, and how many slivers were merged.

    With the thirds rule, a box thinner than a quarter of the edge cell is merged into the box
    of the same span it sits on (:func:`~rfdesign.solvers.mesh.merge_slivers`); with the
    on-line rule the grid's cells are the boxes.
    """
    rects = layout.metal_rects()
    if settings.edge_rule != "thirds" or not settings.merge_near_edges:
        return rects, 0
    lam_sub = C0_MM_PER_NS / f_max_ghz / np.sqrt(layout.grid.substrate.eps_r)
    h_edge = lam_sub / MESH_PRESETS[settings.preset].edge_cells_per_wavelength
    return merge_slivers(rects, NEAR_EDGE_FRACTION * h_edge)


def build_mesh(
    layout: Layout, f_max_ghz: float, settings: OpenEMSSettings, stats: dict | None = None
) -> dict[str, np.ndarray]:
    """Mesh lines (mm) for ``layout`` simulated up to ``f_max_ghz``.

    Lines lie on every edge of the metal (the cells and the feeds, merged) and on every
    boundary where two metal cells meet (openEMS snaps each box to the mesh by itself); with
    ``edge_rule="thirds"`` an edge that is nowhere such a boundary gets the
    one-third/two-thirds lines of :func:`~rfdesign.solvers.mesh.thirds_lines` instead, with
    cells of ``lambda_sub / edge_cells``. Between the fixed lines CSXCAD's smoothing grades
    the cells by at most 1.4 up to ``lambda_sub / N`` in the metal region and along the feeds
    and up to the air cell size towards the side and top boundaries (N from the preset). The
    measurement planes are lines; the substrate height has ``substrate_cells`` equal cells.
    With the thirds rule, slivers are merged into their boxes (:func:`metal_boxes`) and free
    edges of the same side closer than a quarter of the edge cell are meshed as one
    (:func:`~rfdesign.solvers.mesh.merge_near_edges`); ``stats``, when given, receives
    ``merged_slivers`` and ``merged_edges``, how many were merged away (the cache key depends
    on them).
    """
    g = layout.grid
    preset = MESH_PRESETS[settings.preset]
    sub = g.substrate
    lam0 = C0_MM_PER_NS / f_max_ghz
    lam_sub = lam0 / np.sqrt(sub.eps_r)
    h_fine = lam_sub / preset.cells_per_wavelength
    h_edge = lam_sub / preset.edge_cells_per_wavelength
    h_air = lam0 / preset.air_cells_per_wavelength
    w, ht = g.width_mm, g.height_mm
    y0, y1 = g.feed_span_mm
    d = settings.deembed_mm
    L = settings.feed_length_mm
    m = settings.side_margin_mm
    y_lo, y_hi = min(0.0, y0), max(ht, y1)
    x_bounds, y_bounds = (-L, w + L), (y_lo - m, y_hi + m)
    boxes, slivers = metal_boxes(layout, f_max_ghz, settings)
    if stats is not None:
        stats["merged_slivers"] = slivers
    rects = [*boxes, (-L, y0, 0.0, y1), (w, y0, w + L, y1)]

    def inside(edges: list[tuple[float, int]], lo: float, hi: float) -> list[tuple[float, int]]:
        return [e for e in edges if lo + MERGE_TOL_MM < e[0] < hi - MERGE_TOL_MM]

    def fixed_lines(axis: str, lo: float, hi: float) -> list[float]:
        """Lines on every metal edge and every boundary between two metal boxes."""
        edges = inside(metal_edges(rects, axis), lo, hi)
        shared = [p for p in shared_boundaries(rects, axis) if lo < p < hi]
        if settings.edge_rule == "on-line":
            return [p for p, _ in edges] + shared
        # thirds: where an edge of one row is a shared boundary in another, the line stays on it
        free = [e for e in edges if all(abs(e[0] - p) > MERGE_TOL_MM for p in shared)]
        pinned = [e[0] for e in edges if e not in free]
        merged = 0
        if settings.merge_near_edges:
            free, merged = merge_near_edges(free, NEAR_EDGE_FRACTION * h_edge)
        if stats is not None:
            stats["merged_edges"] = stats.get("merged_edges", 0) + merged
        extra = [*pinned, *shared, *(p for p in (-d, w + d) if axis == "x")]
        return thirds_lines(free, h_edge, others=extra) + pinned + shared

    x = smooth_lines(
        [*fixed_lines("x", *x_bounds), -d, w + d],
        fine_region=x_bounds,
        bounds=x_bounds,
        h_fine=h_fine,
        h_coarse=h_fine,
    )
    # The side boundaries stand exactly side_margin_mm beside the metal (in a channel housing
    # they are its walls); the fine region stops at them when the margin is the narrower.
    lat = min(settings.lateral_fine_mm, m)
    y = smooth_lines(
        fixed_lines("y", *y_bounds),
        fine_region=(y_lo - lat, y_hi + lat),
        bounds=y_bounds,
        h_fine=h_fine,
        h_coarse=max(h_air, h_fine),
    )
    h = sub.height_mm
    dz = h / preset.substrate_cells
    z = graded_lines(
        np.linspace(0, h, preset.substrate_cells + 1),
        fine_region=(0.0, h),
        bounds=(0.0, h + settings.air_height_mm),
        h_fine=dz,
        h_coarse=max(h_air, dz),
    )
    return {"x": x, "y": y, "z": z}


def excitation(f_ghz: np.ndarray) -> tuple[float, float]:
    """Centre and half-width (Hz) of the Gaussian pulse that covers ``f_ghz`` with margin."""
    lo, hi = float(f_ghz.min()), float(f_ghz.max())
    f0 = (lo + hi) / 2
    fc = max(0.75 * (hi - lo), 0.2 * f0)
    return f0 * 1e9, fc * 1e9


_TIMESTEPS = re.compile(r"Time for (\d+) iterations with ([0-9.]+) cells : ([0-9.]+) sec")
_ENERGY = re.compile(r"Energy: ~\S+ \((-?[0-9.]+)dB\)")


def parse_log(text: str) -> dict:
    """Time steps, cells, engine seconds and final energy decay from an openEMS log."""
    info: dict = {}
    if m := _TIMESTEPS.findall(text):
        steps, cells, secs = m[-1]
        info.update(timesteps=int(steps), engine_cells=int(float(cells)), engine_s=float(secs))
    if m := _ENERGY.findall(text):
        info["final_energy_db"] = float(m[-1])
    return info


@register_solver("openems")
class OpenEMSSolver(Solver):
    """3-D FDTD with openEMS: the fine model and final verification (fidelity 'fullwave')."""

    fidelity = "fullwave"
    settings_type = OpenEMSSettings
    coarser_preset = staticmethod(coarser_preset)

    @property
    def version(self) -> str:
        """OpenEMS package version and this model's version."""
        return f"openEMS {openems_version()}; model {MODEL_VERSION}"

    def settings_dict(self, results_only: bool = True) -> dict:
        """As the base class; ``merge_near_edges`` is left out of the hashed form.

        Its effect is keyed per layout instead (:meth:`cache_key`): where it changes nothing
        the key stays that of a run without it.
        """
        d = super().settings_dict(results_only)
        if results_only:
            d.pop("merge_near_edges", None)
        return d

    def cache_key(self, layout: Layout, f_ghz: np.ndarray) -> str:
        """The base key, changed for a layout whose mesh merges near edges.

        Merging near edges (:func:`~rfdesign.solvers.mesh.merge_near_edges`) came after model
        version 2 without a version change, so that every run it leaves alone keeps its stored
        result; a layout whose mesh it changes gets a key of its own, never the old result.
        """
        key = super().cache_key(layout, f_ghz)
        if any(self.merge_counts(layout, float(np.max(f_ghz))).values()):
            tag = f"{key}|near edges merged within {NEAR_EDGE_FRACTION} edge cell"
            key = hashlib.sha256(tag.encode()).hexdigest()
        return key

    def merge_counts(self, layout: Layout, f_max_ghz: float) -> dict[str, int]:
        """How many slivers and near edges the mesh of ``layout`` merges (0 with the merge off).

        The mesh is built only where the setting is on: every call of :meth:`cache_key` (a
        cache hit too) asks, and most runs never merge.
        """
        stats = {"merged_slivers": 0, "merged_edges": 0}
        if self.settings.merge_near_edges and self.settings.edge_rule == "thirds":
            build_mesh(layout, f_max_ghz, self.settings, stats)
        return stats

    # ----- job construction ----------------------------------------------------------------
    def job(self, layout: Layout, f_ghz: np.ndarray, excite_port: int, sim_dir: Path) -> dict:
        """The JSON job for one excitation (see :mod:`rfdesign.solvers._openems_job`)."""
        s = self.settings
        g = layout.grid
        y0, y1 = g.feed_span_mm
        mesh = build_mesh(layout, float(f_ghz.max()), s)
        f0, fc = excitation(f_ghz)
        pml_end = mesh["x"][8] - mesh["x"][0]
        feed_shift = pml_end + 2 * (mesh["x"][9] - mesh["x"][8])
        meas_shift = s.feed_length_mm - s.deembed_mm
        if feed_shift >= meas_shift - 3 * (mesh["x"][9] - mesh["x"][8]):
            need = feed_shift + 3 * (mesh["x"][9] - mesh["x"][8]) + s.deembed_mm
            raise SolverError(
                f"openems: feed_length_mm {s.feed_length_mm:g} is too short for the absorber, "
                f"excitation and measurement plane on this mesh (needs > {need:.2f} mm; the "
                "spec's solver.feed_length_mm sets it)"
            )
        return {
            "sim_dir": str(sim_dir),
            "rects": [list(map(float, r)) for r in metal_boxes(layout, float(f_ghz.max()), s)[0]],
            "feed": {
                "y0": y0,
                "y1": y1,
                "x_min": float(mesh["x"][0]),
                "x_max": float(mesh["x"][-1]),
                "feed_shift": float(feed_shift),
                "meas_shift": float(meas_shift),
            },
            "patch_width": g.width_mm,
            "substrate": g.substrate.to_dict(),
            "conductor": s.conductor,
            "mesh": {k: v.tolist() for k, v in mesh.items()},
            "f0": f0,
            "fc": fc,
            "f_hz": (f_ghz * 1e9).tolist(),
            "excite_port": excite_port,
            "threads": s.threads,
            "end_criteria": 10 ** (s.end_criteria_db / 10),
            "max_timesteps": s.max_timesteps,
            "side_boundary": s.side_boundary,
        }

    def _run_job(self, job: dict, workdir: Path) -> JobResult:
        """Run one job in a fresh interpreter (or reuse its finished result in ``workdir``)."""
        return run_job(
            "openems",
            [sys.executable, "-m", "rfdesign.solvers._openems_job"],
            job,
            workdir,
            "ports.npz",
            self.settings.timeout_s,
            self.settings.threads,
        )

    # ----- the solve -----------------------------------------------------------------------
    def _simulate(self, layout: Layout, f_ghz: np.ndarray) -> tuple[np.ndarray, dict]:
        s = self.settings
        if s.error_estimate:
            return self._simulate_with_estimate(layout, f_ghz)
        both = excite_both_ports(layout, s.excite_both_ports)
        S = np.zeros((f_ghz.size, 2, 2), complex)
        runs: list[dict] = []
        with solver_run_folder(self, layout, f_ghz, keep=s.keep_files) as workdir:
            for port in (1, 2) if both else (1,):
                sub = workdir / f"port{port}"
                sub.mkdir(exist_ok=True)
                job = self.job(layout, f_ghz, port, sub / "sim")
                waves, log, reused = self._run_job(job, sub)
                if not s.keep_files:  # ~1 MB of probe text; the waves are in ports.npz
                    shutil.rmtree(sub / "sim", ignore_errors=True)
                inc = waves[f"uf_inc{port}"]
                other = 2 if port == 1 else 1
                S[:, port - 1, port - 1] = waves[f"uf_ref{port}"] / inc
                S[:, other - 1, port - 1] = waves[f"uf_ref{other}"] / inc
                meas = (float(waves["meas_x1"]), float(waves["meas_x2"]))
                runs.append(
                    parse_log(log)
                    | {"excite_port": port, "cells": int(waves["n_cells"]), "reused_run": reused}
                )
        if not both:
            S[:, 1, 1] = S[:, 0, 0]
            S[:, 0, 1] = S[:, 1, 0]
        d1 = 0.0 - meas[0]
        d2 = meas[1] - layout.grid.width_mm
        S = deembed_feeds(S, layout, f_ghz, d1, d2)
        power = np.abs(S[:, 0, 0]) ** 2 + np.abs(S[:, 1, 0]) ** 2
        timesteps = [r.get("timesteps", 0) for r in runs]
        stats = self.merge_counts(layout, float(f_ghz.max()))
        info = {
            "preset": s.preset,
            "cells": runs[0]["cells"],
            "near_edges_merged": stats["merged_edges"],
            "slivers_merged": stats["merged_slivers"],
            "timesteps": max(timesteps) if timesteps else None,
            "runs": runs,
            "deembed_mm": [d1, d2],
            "max_power_sum": float(power.max()),
            "truncated": bool(max(timesteps, default=0) >= s.max_timesteps or power.max() > 1.01),
            "workdir_kept": str(workdir) if s.keep_files else None,
        }
        return S, info

    def _simulate_with_estimate(self, layout: Layout, f_ghz: np.ndarray) -> tuple[np.ndarray, dict]:
        """The run itself and the next coarser preset's (:func:`run_with_estimate`)."""
        s = self.settings
        coarser = coarser_preset(s.preset)
        assert coarser is not None  # refused by the settings

        def simulate_at(preset: str):
            solver = OpenEMSSolver(replace(s, preset=preset, error_estimate=False), self.cache)
            return solver.simulate(layout, f_ghz)

        ratio = MESH_PRESETS[s.preset].refinement / MESH_PRESETS[coarser].refinement
        return run_with_estimate(simulate_at, f_ghz, s.preset, coarser, ratio, MESH_ORDER)
