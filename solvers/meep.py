"""Meep (3-D FDTD) model of pixel layouts: the second full-wave engine, for MPI clusters.

The model is the openEMS model's (:mod:`rfdesign.solvers.openems`) on Meep's uniform grid:
the substrate over the whole domain, the ground plane at z = 0 (the cell's bottom face, Meep's
default metallic boundary), the metal cells and two 50-ohm microstrip feeds as ``mp.metal``
boxes at z = h, PML on the x ends (the feeds run into it), on the y sides and on the top.
Length unit 1 mm, so a Meep frequency is ``f[GHz] / 299.792458`` (Oskooi et al., "MEEP: A
flexible free-software package for electromagnetic simulations by the FDTD method", Comput.
Phys. Commun. 181, 687-702, 2010).

**Grid.** Meep's grid is uniform. The run snaps the requested resolution to the nearest one at
which the substrate height is a whole number of cells, so that the ground (z = 0) and the
metal plane (z = h) both lie on grid planes; in x the grid is centred on the patch centre
(mirror-symmetric layouts stay symmetric), in y on the feed centre line (Meep's mirror plane,
used when the metal is symmetric about it). Meep has no zero-thickness conductor: a metal box
zeroes the tangential E nodes it contains. ``metal="sheet"`` (default) uses a box half a cell
thick centred on z = h, which holds exactly one plane of tangential E nodes, the closest the
grid gets to the real 4 um film; ``metal="block"`` uses a box ``max(thickness, 1 cell)``
thick on the substrate (a strip one cell, 20-50 um, thick). Every metal edge is moved to the
nearest grid plane (``snap_edges``, :func:`metal_box`): with edges in the outer half of a cell
Meep's strips are slow-wave lines (eps_eff 20-75 % high, docs/meep.md). Strip widths are
therefore whole numbers of cells. Conductors are lossless (PEC).

**Ports.** Meep's mode solver (MPB) cannot solve a cross-section that contains ``mp.metal``
(it aborts with "invalid dielectric function for MPB"), so eigenmode sources and
``get_eigenmode_coefficients`` do not work for microstrip. The ports are therefore
transmission-line probes, as in openEMS's MSL ports: a Gaussian Ez current sheet under the
strip drives one feed; on each feed the strip voltage (``-int Ez dz`` over the Yee nodes under
the strip centre) is recorded on three planes ``deembed_mm``, ``+ probe_spacing_mm`` and
``+ 2 probe_spacing_mm`` from the patch edge, and a flux plane on the innermost one (the
reference plane) records the power. The voltages give the feed's propagation constant
(``cosh(gamma s) = (V1 + V3) / 2 V2``, least squares over ports and runs) and the incident and
outgoing voltage waves; the power gives the feed's (power-voltage) impedance. S-parameters are
ratios of the waves at the reference planes (``S = B A^-1`` with both excitations, else
``S11 = b1/a1``, ``S21 = b2/a1``), referred to the simulated feed's own impedance (nominally
50 ohm; ``reference="50ohm"`` renormalises them with the measured impedance), and are moved
to the patch edges with the measured propagation constant (``deembed_gamma="measured"``) or
with scikit-rf's microstrip model of the feed (``"model"``, as the openEMS solver does).

**Cost.** A 0.127 mm substrate needs a fine grid everywhere; see docs/meep.md for the measured
convergence: Meep's microstrip results are trustworthy only at resolutions that need a
cluster, where the job runs under MPI (``mpi_processes``, ``mpi_launcher``).

Each run happens in its own interpreter (:mod:`._meep_job`), its output in a log file, killed
with its process group at the timeout. Processes and folders follow :mod:`.isolated`'s life
cycle, as openEMS's do: one folder per layout and frequency grid named by the cache key
(``<cache>/runs/<key>/``, else ``<temp dir>/rfdesign-meep-<key>/``), one sub-folder per
excitation, a finished excitation reused after a kill (``reused_runs``), the folder removed
when the layout is done. The job dies with its parent; under MPI only the launcher does.
"""

from __future__ import annotations

import functools
import math
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from rfdesign.core.constants import C0, C0_MM_PER_NS, ETA0
from rfdesign.layouts.layout import Layout, Rect
from rfdesign.solvers.base import Solver, SolverError, register_solver
from rfdesign.solvers.isolated import JobResult, run_job, solver_run_folder
from rfdesign.solvers.ports import deembed_feeds, shift_planes

RESOLUTION_PRESETS: dict[str, float] = {"draft": 16.0, "standard": 32.0, "fine": 64.0}
"""Requested resolutions in pixels per mm (2, 4 and 8 cells across 0.127 mm; snapped per run).

Measured on a 50-ohm through line on 0.127 mm alumina (docs/meep.md): ``draft`` checks
plumbing and trends (eps_eff +6 %, 0.24 M cells, 10 s CPU); ``standard`` is within 5 % of
scikit-rf in eps_eff and Z0 for that feed (1.8 M cells, 2 min CPU; a pixel layout costs 2-5
times more); ``fine`` (15 M cells, about 35 min CPU for the line, extrapolated) is for MPI on a
cluster.
"""

MODEL_VERSION = "1"
"""Version of this module's model (geometry, probes, wave separation); part of the cache key."""

N_PLANES = 3
"""Probe planes per feed."""


@dataclass(frozen=True)
class MeepSettings:
    """Settings of a Meep run (all part of the cache key). Lengths in mm.

    Attributes:
        preset: Resolution preset: ``draft``, ``standard`` or ``fine`` (RESOLUTION_PRESETS).
        resolution: Pixels per mm; overrides the preset. Snapped per run to the nearest value
            that puts a whole number of cells across the substrate (at least one).
        metal: ``sheet`` (one plane of tangential-E nodes at z = h) or ``block`` (a box
            ``max(metal thickness, 1 cell)`` thick on the substrate).
        pml_mm: PML thickness on the x ends, the y sides and the top.
        feed_length_mm: Feed length from the x-PML to each patch edge (holds the source and
            the probe planes).
        deembed_mm: Distance of the innermost probe plane (the reference plane) from the
            patch edge.
        probe_spacing_mm: Spacing of the three probe planes on each feed.
        source_gap_mm: Distance from the source to the outermost probe plane.
        side_margin_mm: Substrate and air beside the metal (y) before the side PML.
        air_height_mm: Air above the substrate before the top PML.
        dft_decay_tol: Stop when the probe spectra change by less than this fraction of
            their largest change between checks (``mp.stop_when_dft_decayed``).
        max_time_units: Hard cap on the simulated time in Meep units (1 mm / c0 = 3.336 ps);
            a run that reaches it is flagged truncated.
        excite_both_ports: Run a second excitation from port 2. ``None``: only when the
            layout is not mirror-symmetric about the patch centre.
        use_symmetry: Use Meep's y mirror symmetry (half the cells) when the metal is
            symmetric about the feed centre line.
        snap_edges: Move every metal edge to the nearest grid plane (:func:`metal_box`);
            without it Meep's strips are slow-wave lines at most resolutions.
        reference: ``50ohm`` (default, the solver contract: renormalised to 50 ohm with the
            measured feed impedance, so a coarse grid's mis-drawn feed shows as a mismatch) or
            ``feed`` (waves referred to the simulated feed's own impedance).
        deembed_gamma: Propagation constant used to move the planes to the patch edges:
            ``measured`` (from the probes) or ``model`` (scikit-rf's microstrip model).
        mpi_processes: MPI ranks per run; > 1 starts the job with ``mpi_launcher``.
        mpi_launcher: Launcher command, ``{n}`` replaced by ``mpi_processes`` (e.g.
            ``"srun -n {n}"`` under SLURM).
        timeout_s: Wall-time limit of one run; the process group is killed after it.
        keep_files: Keep the run folder (job, log, probes) for debugging, marked kept; it is
            deleted otherwise (:mod:`.isolated`).
    """

    RUN_ONLY: ClassVar[tuple[str, ...]] = (
        "mpi_processes",
        "mpi_launcher",
        "timeout_s",
        "keep_files",
    )

    preset: Literal["draft", "standard", "fine"] = "standard"
    resolution: float | None = None
    metal: Literal["sheet", "block"] = "sheet"
    pml_mm: float = 1.0
    feed_length_mm: float = 1.5
    deembed_mm: float = 0.3
    probe_spacing_mm: float = 0.2
    source_gap_mm: float = 0.6
    side_margin_mm: float = 0.8
    air_height_mm: float = 0.8
    dft_decay_tol: float = 1e-5
    max_time_units: float = 2000.0
    excite_both_ports: bool | None = None
    use_symmetry: bool = True
    snap_edges: bool = True
    reference: Literal["feed", "50ohm"] = "50ohm"
    deembed_gamma: Literal["measured", "model"] = "measured"
    mpi_processes: int = 1
    mpi_launcher: str = "mpirun -np {n}"
    timeout_s: float = 7200.0
    keep_files: bool = False

    def __post_init__(self) -> None:
        choices = {
            "preset": (self.preset, RESOLUTION_PRESETS),
            "metal": (self.metal, ("sheet", "block")),
            "reference": (self.reference, ("feed", "50ohm")),
            "deembed_gamma": (self.deembed_gamma, ("measured", "model")),
        }
        for name, (value, allowed) in choices.items():
            if value not in allowed:
                raise ValueError(f"{name}: unknown {value!r}; known {sorted(allowed)}")
        if self.resolution is not None and not self.resolution > 0:
            raise ValueError("resolution: must be > 0 pixels per mm")
        positive = ("pml_mm", "deembed_mm", "probe_spacing_mm", "source_gap_mm")
        positive += ("side_margin_mm", "air_height_mm", "dft_decay_tol", "max_time_units")
        for name in (*positive, "timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be > 0")
        needed = self.deembed_mm + (N_PLANES - 1) * self.probe_spacing_mm + self.source_gap_mm
        if self.feed_length_mm < needed + 0.05:
            raise ValueError(
                f"feed_length_mm: {self.feed_length_mm} mm leaves no room for the probe planes "
                f"and the source (needs > {needed + 0.05:.2f} mm)"
            )
        if self.mpi_processes < 1:
            raise ValueError("mpi_processes: must be >= 1")
        if self.mpi_processes > 1 and "{n}" not in self.mpi_launcher:
            raise ValueError("mpi_launcher: must contain '{n}' (the number of processes)")

    @property
    def requested_resolution(self) -> float:
        """The requested resolution in pixels per mm (explicit, else the preset's)."""
        return float(self.resolution or RESOLUTION_PRESETS[self.preset])


def grid_resolution(requested: float, substrate_mm: float) -> tuple[float, int]:
    """The resolution (pixels per mm) nearest ``requested`` with whole cells across the substrate.

    Returns:
        ``(resolution, substrate_cells)``.
    """
    cells = max(1, round(requested * substrate_mm))
    return cells / substrate_mm, cells


def job_command(settings: MeepSettings, job_file: Path | str) -> list[str]:
    """The command line that runs one job: plain Python, or under MPI when ``mpi_processes > 1``."""
    cmd = [sys.executable, "-m", "rfdesign.solvers._meep_job", str(job_file)]
    if settings.mpi_processes > 1:
        return shlex.split(settings.mpi_launcher.format(n=settings.mpi_processes)) + cmd
    return cmd


@functools.cache
def meep_version() -> str:
    """Version of the installed Meep: the Debian package, else ``meep.__version__``.

    Never the Python distribution metadata: PyPI's ``meep`` is an unrelated package (ENV.md).
    """
    for cmd in (
        ["dpkg-query", "-W", "-f=${Version}", "python3-meep"],
        [sys.executable, "-c", "import meep; print(meep.__version__)"],
    ):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
        except (OSError, subprocess.SubprocessError):
            continue
        lines = out.stdout.strip().splitlines()
        if out.returncode == 0 and lines:
            return lines[-1].strip()
    return "unknown"


def _mirrored(rects: list[Rect], axis: int, centre: float) -> bool:
    """True if the set of boxes is its own mirror image about ``centre`` on ``axis`` (0 x, 1 y)."""

    def key(r: Rect) -> tuple[float, ...]:
        return tuple(round(v, 6) for v in r)

    def flip(r: Rect) -> Rect:
        x0, y0, x1, y1 = r
        if axis == 0:
            return (2 * centre - x1, y0, 2 * centre - x0, y1)
        return (x0, 2 * centre - y1, x1, 2 * centre - y0)

    return sorted(map(key, rects)) == sorted(key(flip(r)) for r in rects)


def _round_away(v: float, px: float) -> int:
    """``v / px`` rounded to the nearest integer, halves away from zero (mirror-symmetric)."""
    return int(math.copysign(math.floor(abs(v) / px + 0.5), v))


def metal_box(rect: Rect, centre: tuple[float, float], res: float, snap: bool) -> Rect:
    """The Meep box of a metal rectangle ``(x0, y0, x1, y1)`` (mm) on a grid of ``res`` px/mm.

    Grid planes lie at ``centre + k / res``. With ``snap`` each edge moves to the nearest
    plane and the box reaches a quarter cell beyond it: the outermost tangential-E nodes the
    box zeroes then lie on the snapped edge, on both axes. Without it, an edge that falls in
    the outer half of a cell zeroes a row of E nodes half a cell beyond the last row of the
    other component, and Meep's strip becomes a slow-wave line (eps_eff +20-75 %,
    docs/meep.md).
    """
    if not snap:
        return rect
    px = 1.0 / res
    (cx, cy), (x0, y0, x1, y1) = centre, rect

    def at(v: float, c: float) -> float:
        return c + _round_away(v - c, px) * px

    return (
        at(x0, cx) - px / 4,
        at(y0, cy) - px / 4,
        at(x1, cx) + px / 4,
        at(y1, cy) + px / 4,
    )


def excitation(f_ghz: np.ndarray) -> tuple[float, float]:
    """Centre and width (Meep units) of the Gaussian pulse that covers ``f_ghz`` with margin.

    Meep's Gaussian spectrum falls as ``exp(-2 pi^2 (df / fwidth)^2)``; a width of three band
    widths keeps the band edges above about 0.5 of the peak.
    """
    lo, hi = float(f_ghz.min()), float(f_ghz.max())
    mid = (lo + hi) / 2
    width = min(max(3 * (hi - lo), 0.4 * mid), mid)
    return mid / C0_MM_PER_NS, width / C0_MM_PER_NS


@register_solver("meep")
class MeepSolver(Solver):
    """3-D FDTD with Meep on a uniform grid (fidelity 'fullwave'); cluster-sized for microstrip."""

    fidelity = "fullwave"
    settings_type = MeepSettings

    @property
    def version(self) -> str:
        """Meep version and this model's version."""
        return f"meep {meep_version()}; model {MODEL_VERSION}"

    # ----- job construction ----------------------------------------------------------------
    def job(self, layout: Layout, f_ghz: np.ndarray, excite_port: int) -> dict:
        """The JSON job of one excitation (see :mod:`rfdesign.solvers._meep_job`)."""
        s = self.settings
        g = layout.grid
        sub = g.substrate
        h = sub.height_mm
        res, n_sub = grid_resolution(s.requested_resolution, h)
        px = 1.0 / res
        w = g.width_mm
        y0, y1 = g.feed_span_mm
        yc = (y0 + y1) / 2
        rects = [tuple(map(float, r)) for r in layout.metal_rects()]
        # x: grid planes at the patch centre + k cells (mirror-symmetric layouts stay
        # symmetric on the grid); the feeds run through the x-PML.
        xc = w / 2
        n_half_x = math.ceil((xc + s.feed_length_mm + s.pml_mm) / px - 1e-9)
        x_lo, x_hi = xc - n_half_x * px, xc + n_half_x * px
        # y: centred on the feed centre line (Meep's mirror plane), an even number of cells.
        reach = max(yc - min([y0, *(r[1] for r in rects)]), max([y1, *(r[3] for r in rects)]) - yc)
        n_half = math.ceil((reach + s.side_margin_mm + s.pml_mm) / px - 1e-9)
        n_z = math.ceil((h + s.air_height_mm + s.pml_mm) / px - 1e-9)
        z_top = (n_z + n_z % 2) * px
        feeds = [(x_lo - px, y0, 0.0, y1), (w, y0, x_hi + px, y1)]
        boxes = [metal_box(r, (xc, yc), res, s.snap_edges) for r in rects + feeds]
        # Feed width on the grid: the span of its zeroed E nodes (snapped), else nominal.
        w_grid = boxes[-1][3] - boxes[-1][1] - px / 2 if s.snap_edges else g.feed_width_mm
        if s.metal == "sheet":
            metal_z = [h - 0.25 * px, h + 0.25 * px]
        else:
            n_t = max(1, round(sub.metal_thickness_um * 1e-3 / px))
            metal_z = [h - 0.25 * px, h + (n_t + 0.25) * px]
        # Probe planes on grid planes, equally spaced, the reference plane first.
        step = max(1, round(s.probe_spacing_mm / px))
        k1 = _round_away(-s.deembed_mm - xc, px)
        planes1 = [xc + (k1 - i * step) * px for i in range(N_PLANES)]
        planes2 = [xc - (k1 - i * step) * px for i in range(N_PLANES)]
        gap = max(2, round(s.source_gap_mm / px))
        src_x = planes1[-1] - gap * px if excite_port == 1 else planes2[-1] + gap * px
        f0, fw = excitation(f_ghz)
        symmetric_y = s.use_symmetry and _mirrored(rects, 1, yc)
        return {
            "resolution": res,
            "substrate_cells": n_sub,
            "cell": {"x": [x_lo, x_hi], "y": [yc - n_half * px, yc + n_half * px], "z_top": z_top},
            "pml": s.pml_mm,
            "substrate": {"eps_r": sub.eps_r, "tan_delta": sub.tan_delta, "height_mm": h},
            "metal": [list(b) for b in boxes],
            "metal_z": metal_z,
            "strip": {"yc": yc, "w": g.feed_width_mm, "w_grid": w_grid},
            "source": {"x": src_x, "y0": y0, "y1": y1, "port": excite_port},
            "planes": [planes1, planes2],
            "freqs": (f_ghz / C0_MM_PER_NS).tolist(),
            "fcen": f0,
            "fwidth": fw,
            "symmetry_y": bool(symmetric_y),
            "dft_tol": s.dft_decay_tol,
            "min_time": 2.0 * (x_hi - x_lo) * math.sqrt(sub.eps_r),
            "max_time": s.max_time_units,
        }

    def _run_job(self, job: dict, workdir: Path) -> JobResult:
        """Run one job in a fresh interpreter (or under MPI), or reuse its finished result."""
        job_file = workdir / "job.json"
        cmd = job_command(self.settings, job_file)
        if cmd and cmd[-1] == str(job_file):
            cmd = cmd[:-1]  # run_job appends the job file itself
        return run_job("meep", cmd, job, workdir, "probes.npz", self.settings.timeout_s)

    # ----- the solve -----------------------------------------------------------------------
    def _simulate(self, layout: Layout, f_ghz: np.ndarray) -> tuple[np.ndarray, dict]:
        s = self.settings
        rects = [tuple(map(float, r)) for r in layout.metal_rects()]
        symmetric_x = _mirrored(rects, 0, layout.grid.width_mm / 2)
        both = s.excite_both_ports if s.excite_both_ports is not None else not symmetric_x
        results: list[dict[str, np.ndarray]] = []
        jobs: list[dict] = []
        reused = 0
        with solver_run_folder(self, layout, f_ghz, keep=s.keep_files) as workdir:
            for port in (1, 2) if both else (1,):
                sub = workdir / f"port{port}"
                sub.mkdir(exist_ok=True)
                jobs.append(self.job(layout, f_ghz, port))
                run = self._run_job(jobs[-1], sub)
                results.append(run.arrays)
                reused += run.reused
        job = jobs[0]
        planes = np.asarray(job["planes"])
        offsets = np.stack([-planes[0], planes[1] - layout.grid.width_mm])  # 2 x N_PLANES, mm
        waves = separate_waves(
            [r["V"] for r in results], [r["P"] for r in results], probe_spacing(offsets)
        )
        S_planes, a2_ratio = scattering_matrix(waves["A"], waves["B"], both)
        z_feed = np.real(waves["z0"])
        if s.reference == "50ohm":
            S_planes = renormalize(S_planes, z_feed, 50.0)
        d1, d2 = float(offsets[0, 0]), float(offsets[1, 0])
        if s.deembed_gamma == "model":
            S = deembed_feeds(S_planes, layout, f_ghz, d1, d2)
        else:
            S = shift_planes(S_planes, waves["gamma"] * d1, waves["gamma"] * d2)
        power = np.abs(S[:, 0, 0]) ** 2 + np.abs(S[:, 1, 0]) ** 2
        beta = waves["gamma"].imag * 1e3  # 1/m
        k0 = 2 * np.pi * f_ghz * 1e9 / C0
        eps_eff = (beta / k0) ** 2
        meep_time = [float(r["meep_time"]) for r in results]
        # Like openEMS (ENV.md), a run cut off early shows up as |S11|^2 + |S21|^2 > 1; the probe
        # method itself gives up to ~1.01 on a clean through line, hence the 1.02 threshold.
        truncated = any(bool(r["truncated"]) for r in results) or float(power.max()) > 1.02
        info = {
            "preset": s.preset if s.resolution is None else None,
            "resolution_requested": s.requested_resolution,
            "resolution": job["resolution"],
            "substrate_cells": job["substrate_cells"],
            "cells": int(results[0]["cells"]),
            "symmetry_y": job["symmetry_y"],
            "cells_computed": int(results[0]["cells"]) // (2 if job["symmetry_y"] else 1),
            "feed_width_grid_mm": job["strip"]["w_grid"],
            "meep_time_units": max(meep_time),
            "timesteps": max(int(r["timesteps"]) for r in results),
            "engine_s": float(sum(float(r["engine_s"]) for r in results)),
            "cpu_s": float(sum(float(r["cpu_s"]) for r in results)),
            "mpi_processes": int(results[0]["processes"]),
            "runs": len(results),
            "reused_runs": reused,
            "reference_planes_mm": [d1, d2],
            "eps_eff_feed": [round(float(e), 5) for e in eps_eff],
            "z0_feed_ohm": [round(float(z), 3) for z in np.real(z_feed)],
            "port2_incident_ratio": float(a2_ratio),
            "max_power_sum": float(power.max()),
            "truncated": bool(truncated),
            "workdir_kept": str(workdir) if s.keep_files else None,
        }
        return S, info


# ----------------------------------------------------------------------------------------------
# Wave separation (engineering convention e^{+j w t}; Meep's DFT uses e^{-i w t})
# ----------------------------------------------------------------------------------------------
def probe_spacing(offsets: np.ndarray) -> float:
    """The common spacing (mm) of the probe planes; raises if they are not equally spaced."""
    steps = np.diff(offsets, axis=1)
    if np.ptp(steps) > 1e-6:
        raise SolverError(f"meep: probe planes are not equally spaced: {offsets.tolist()}")
    return float(steps.mean())


def separate_waves(
    volts: list[np.ndarray], powers: list[np.ndarray], spacing: float
) -> dict[str, np.ndarray]:
    """Incident and outgoing voltage waves at the reference planes, gamma and feed impedance.

    Args:
        volts: Per excitation, the probe voltages from Meep (``e^{-i w t}``), shape
            ``2 x N_PLANES x F`` (port, plane from the patch outwards, frequency).
        powers: Per excitation, the power through each reference plane in +x, shape ``2 x F``
            (Meep units).
        spacing: Plane spacing in mm.

    Returns:
        ``A`` and ``B`` (incident and outgoing waves at the reference planes, shape
        ``E x 2 x F`` for E excitations, ``e^{+j w t}``), ``gamma`` (1/mm, shape ``F``) and
        ``z0`` (ohm, shape ``F``). At distance ``u`` from the reference plane, away from the
        patch, the feed voltage is ``A e^{gamma u} + B e^{-gamma u}``.
    """
    V = np.conj(np.stack(volts))  # E x 2 x P x F
    P = np.stack(powers)  # E x 2 x F
    # cosh(gamma s) = (V1 + V3) / (2 V2), least squares over excitations and ports.
    v1, v2, v3 = V[:, :, 0], V[:, :, 1], V[:, :, 2]
    c = (np.conj(v2) * (v1 + v3)).sum(axis=(0, 1)) / (2 * (np.abs(v2) ** 2).sum(axis=(0, 1)))
    gs = np.arccosh(c.astype(complex))
    gs = np.where(gs.imag < 0, -gs, gs)  # forward waves lag: beta > 0
    e = np.exp(gs)
    B = (v1 * e - v2) / (e - 1 / e)
    A = v1 - B
    # Power in +x: (|A|^2 - |B|^2) / Z0 at port 1, the opposite at port 2 (power-voltage Z0).
    q = np.array([1.0, -1.0])[None, :, None] * (np.abs(A) ** 2 - np.abs(B) ** 2)
    y0 = (q * P).sum(axis=(0, 1)) / (q**2).sum(axis=(0, 1))
    return {"A": A, "B": B, "gamma": gs / spacing, "z0": ETA0 / y0}


def scattering_matrix(A: np.ndarray, B: np.ndarray, both: bool) -> tuple[np.ndarray, float]:
    """S (``F x 2 x 2``) from incident ``A`` and outgoing ``B`` waves (``E x 2 x F``).

    With both excitations ``S = B A^-1`` per frequency, which also removes the small waves
    the PML sends back into the feeds. With one excitation ``S11 = b1 / a1``, ``S21 = b2 / a1``
    and the rest by symmetry. Also returns max ``|a2 / a1|`` of the first excitation: the
    wave coming back from the port-2 PML, a measure of the termination quality.
    """
    ratio = float(np.max(np.abs(A[0, 1] / A[0, 0])))
    F = A.shape[-1]
    S = np.zeros((F, 2, 2), complex)
    if both:
        Am = np.transpose(A, (2, 1, 0))  # F x port x excitation
        Bm = np.transpose(B, (2, 1, 0))
        S = Bm @ np.linalg.inv(Am)
    else:
        S[:, 0, 0] = S[:, 1, 1] = B[0, 0] / A[0, 0]
        S[:, 1, 0] = S[:, 0, 1] = B[0, 1] / A[0, 0]
    return S, ratio


def renormalize(S: np.ndarray, z_from: np.ndarray, z_to: float) -> np.ndarray:
    """S referred to ``z_from`` (ohm, per frequency) renormalised to ``z_to`` (power waves).

    Uses the usual reference-impedance change for equal port impedances (Kurokawa, "Power
    waves and the scattering matrix", IEEE Trans. MTT 13, 194-202, 1965):
    ``S' = (S - r) (1 - r S)^-1`` with ``r = (z_to - z_from) / (z_to + z_from)``.
    """
    out = np.empty_like(S)
    eye = np.eye(2)
    for k, z in enumerate(np.asarray(z_from)):
        r = (z_to - z) / (z_to + z)
        out[k] = (S[k] - r * eye) @ np.linalg.inv(eye - r * S[k])
    return out
