"""openEMS for antennas: |S11| over a band and the far field through the near-to-far-field box.

The antenna counterpart of :mod:`rfdesign.solvers.openems`, with the same run discipline:
each run in its own interpreter and folder (:mod:`rfdesign.solvers.isolated`, a timeout that
kills the process group, a finished job reused on resume), an explicit thread count, and a
checksummed result cache keyed by the geometry, the settings, the frequencies and the
versions (:class:`rfdesign.solvers.base.ResultCache`, array entries).

The model (as openEMS's own ``Simple_Patch_Antenna`` tutorial builds it, www.openems.de):

- the geometry's metal as zero-thickness PEC sheets, the ground plane as one at ``z = 0``, the
  substrate a lossy dielectric box over the ground (loss tangent as a conductivity at the
  pulse centre);
- a lumped port: at the substrate's edge between ground and the feed line (inset feed), a
  vertical current from ground to patch (probe feed) or across the dipole's gap;
- air around the antenna to a quarter of the free-space wavelength at the band centre, then
  an 8-cell PML (or Mur) on all six sides; the near-to-far-field box two cells inside the
  absorber;
- the mesh: the metal edges with the one-third/two-thirds rule (:func:`thirds_lines`, cells
  ``lambda_sub / edge_cells`` across an edge), ``lambda_sub / cells`` over the substrate and
  antenna, graded by at most 1.4 to ``lambda_0 / cells`` in the air (CSXCAD's smoothing), the
  substrate with ``substrate_cells`` equal cells.

The far field is computed on the whole sphere (``ff_step_deg``) at each requested frequency,
because openEMS's ``nf2ff`` integrates the radiated power over the angles it is given.
Radiation efficiency is the radiated over the accepted power; realised gain is the directivity
times the radiated over the incident power (Balanis 4th ed., eqs. 2-47 and 2-49), so it
includes the mismatch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rfdesign.core.constants import C0_MM_PER_NS, EPS0, ETA0
from rfdesign.layouts.antenna import Dipole, RectPatch
from rfdesign.layouts.pixel_patch import PixelPatch
from rfdesign.solvers.base import ResultCache, frequency_ghz
from rfdesign.solvers.isolated import run_folder, run_job
from rfdesign.solvers.mesh import metal_edges, smooth_lines, thirds_lines
from rfdesign.solvers.openems import excitation, openems_version, parse_log

log = logging.getLogger(__name__)

MODEL_VERSION = 1
"""Version of this antenna model (meshing, port, boundaries); part of every cache key."""
PML_CELLS = 8


@dataclass(frozen=True)
class AntennaSettings:
    """How an antenna is modelled in openEMS.

    Attributes:
        cells: Cells per wavelength in the medium at the highest frequency (substrate and
            antenna region); the air grades to ``lambda_0 / cells``.
        edge_cells: Cells per substrate wavelength across a metal edge (thirds rule).
        substrate_cells: Equal cells across the substrate.
        air_fraction: Air around the antenna, in free-space wavelengths at the band centre.
        boundary: ``"PML_8"`` or ``"MUR"`` on all six sides.
        end_criteria: openEMS's energy end criterion (1e-4: -40 dB).
        max_timesteps: Most FDTD steps; a run that reaches them is flagged ``truncated``.
        ff_step_deg: Angular step of the far field over the sphere, degrees.
        conductor: ``"pec"`` or ``"sheet"`` (openEMS's conducting-sheet model with the
            substrate's metal conductivity and thickness: the patch's and ground's conductor
            loss); a dipole is always PEC.
        threads: openEMS engine threads (does not change results).
        timeout_s: Wall-time limit of a run, s (does not change results).
    """

    cells: float = 20.0
    edge_cells: float = 60.0
    substrate_cells: int = 4
    air_fraction: float = 0.25
    boundary: str = "PML_8"
    end_criteria: float = 1e-4
    max_timesteps: int = 300_000
    ff_step_deg: float = 5.0
    conductor: str = "pec"
    threads: int = 1
    timeout_s: float = 1800.0

    RUN_ONLY: ClassVar[tuple[str, ...]] = ("threads", "timeout_s")

    def __post_init__(self) -> None:
        # one type per field, so 30 and 30.0 cells give one cache key
        for name in ("cells", "edge_cells", "air_fraction", "end_criteria", "ff_step_deg"):
            object.__setattr__(self, name, float(getattr(self, name)))
        for name in ("substrate_cells", "max_timesteps", "threads"):
            object.__setattr__(self, name, int(getattr(self, name)))
        if self.conductor not in ("pec", "sheet"):
            raise ValueError(f"conductor: 'pec' or 'sheet', got {self.conductor!r}")
        if self.boundary not in ("PML_8", "MUR"):
            raise ValueError(f"boundary: 'PML_8' or 'MUR', got {self.boundary!r}")
        if not (self.cells >= 10 and self.edge_cells >= self.cells):
            raise ValueError("cells: >= 10, and edge_cells >= cells")
        if self.substrate_cells < 1 or self.air_fraction <= 0 or self.ff_step_deg <= 0:
            raise ValueError("substrate_cells >= 1, air_fraction > 0, ff_step_deg > 0")


@dataclass(frozen=True)
class AntennaResult:
    """What one antenna run gives.

    Attributes:
        f_ghz: Sweep, GHz.
        s11: Reflection coefficient at the port against ``z_ref_ohm``.
        zin_ohm: Input impedance at the port.
        p_acc_w: Accepted power per frequency (port), W.
        p_inc_w: Incident power per frequency (port), W.
        ff_ghz: Far-field frequencies, GHz.
        theta_deg: Polar angles of the far field, degrees.
        phi_deg: Azimuths of the far field, degrees.
        directivity: Directivity pattern ``(len(ff_ghz), theta, phi)``, linear.
        prad_w: Radiated power per far-field frequency, W.
        z_ref_ohm: Port reference impedance, ohm.
        info: Run information (solver, settings, cells, time steps, flags).
    """

    f_ghz: np.ndarray
    s11: np.ndarray
    zin_ohm: np.ndarray
    p_acc_w: np.ndarray
    p_inc_w: np.ndarray
    ff_ghz: np.ndarray
    theta_deg: np.ndarray
    phi_deg: np.ndarray
    directivity: np.ndarray
    prad_w: np.ndarray
    z_ref_ohm: float
    info: dict

    def _ff_index(self, f_ghz: float) -> int:
        i = int(np.argmin(np.abs(self.ff_ghz - f_ghz)))
        if abs(self.ff_ghz[i] - f_ghz) > 1e-6 * f_ghz:
            raise KeyError(f"f_ghz: no far field at {f_ghz:g} GHz (have {self.ff_ghz.tolist()})")
        return i

    def _port_at(self, f_ghz: float, values: np.ndarray) -> float:
        return float(np.interp(f_ghz, self.f_ghz, values))

    def directivity_dbi(self, f_ghz: float) -> float:
        """Peak directivity at a far-field frequency, dBi."""
        return float(10 * np.log10(self.directivity[self._ff_index(f_ghz)].max()))

    def radiation_efficiency(self, f_ghz: float) -> float:
        """Radiated over accepted power (Balanis eq. 2-44's e_cd), at a far-field frequency."""
        i = self._ff_index(f_ghz)
        return float(self.prad_w[i] / self._port_at(f_ghz, self.p_acc_w))

    def realised_gain_dbi(self, f_ghz: float) -> float:
        """Peak directivity times radiated over incident power (mismatch included), dBi."""
        i = self._ff_index(f_ghz)
        eff = self.prad_w[i] / self._port_at(f_ghz, self.p_inc_w)
        return float(10 * np.log10(self.directivity[i].max() * eff))

    def bandwidth_ghz(self, limit_db: float = -10.0) -> float:
        """Width of the matched band (|S11| below ``limit_db``) around the deepest null, GHz.

        The band's edges are interpolated between sweep points; 0 if no point is below the
        limit; a band that runs into the sweep's end stops there.
        """
        s = 20 * np.log10(np.maximum(np.abs(self.s11), 1e-12)) - limit_db
        i = int(np.argmin(s))
        if s[i] >= 0:
            return 0.0
        lo = i
        while lo > 0 and s[lo - 1] < 0:
            lo -= 1
        hi = i
        while hi < len(s) - 1 and s[hi + 1] < 0:
            hi += 1
        f = self.f_ghz

        def edge(a: int, b: int) -> float:  # a below the limit, b above it
            return float(f[a] + (f[b] - f[a]) * s[a] / (s[a] - s[b]))

        f_lo = edge(lo, lo - 1) if lo > 0 else float(f[0])
        f_hi = edge(hi, hi + 1) if hi < len(s) - 1 else float(f[-1])
        return f_hi - f_lo

    def cut_dbi(self, f_ghz: float, phi_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """Directivity (dBi) in the plane ``phi = phi_deg`` and its opposite, theta -180..180.

        Returns:
            Angles (degrees, negative on the ``phi + 180`` side) and directivity in dBi.
        """
        i = self._ff_index(f_ghz)
        j = int(np.argmin(np.abs(self.phi_deg - phi_deg % 360)))
        k = int(np.argmin(np.abs(self.phi_deg - (phi_deg + 180) % 360)))
        d = self.directivity[i]
        angles = np.r_[-self.theta_deg[:0:-1], self.theta_deg]
        values = np.r_[d[:0:-1, k], d[:, j]]
        return angles, 10 * np.log10(np.maximum(values, 1e-12))

    def network(self):
        """The one-port as an :class:`skrf.Network` (reference ``z_ref_ohm``)."""
        import skrf

        freq = skrf.Frequency.from_f(self.f_ghz, unit="GHz")
        return skrf.Network(frequency=freq, s=self.s11.reshape(-1, 1, 1), z0=self.z_ref_ohm)


# ----------------------------------------------------------------------------------------------
# The model: metal, dielectrics, port and mesh of one geometry
# ----------------------------------------------------------------------------------------------
def _axis_lines(
    rects: list[tuple[float, float, float, float]],
    axis: str,
    fixed: list[float],
    region: tuple[float, float],
    h_edge: float,
    h_fine: float,
    h_air: float,
    air: float,
) -> np.ndarray:
    """Mesh lines along one axis: thirds at metal edges, fine over ``region``, then air + PML."""
    lines = thirds_lines(metal_edges(rects, axis), h_edge, fixed) + list(fixed)
    lo, hi = region[0] - air - PML_CELLS * h_air, region[1] + air + PML_CELLS * h_air
    return smooth_lines(lines, region, (lo, hi), h_fine, h_air)


def antenna_model(
    antenna: RectPatch | PixelPatch | Dipole, f_ghz: np.ndarray, settings: AntennaSettings
) -> dict[str, Any]:
    """The job's geometry: mesh lines, metal boxes, dielectrics, port and far-field box (mm).

    A pixel patch's mesh has a line on every cell edge and the thirds rule on the feed line's
    edges only, so all layouts of its grid share one mesh (:mod:`rfdesign.layouts.pixel_patch`).
    """
    s = settings
    f_max, f_mid = float(f_ghz.max()), float(f_ghz.mean())
    lam0 = C0_MM_PER_NS / f_max
    air = s.air_fraction * C0_MM_PER_NS / f_mid
    h_air = lam0 / s.cells
    if isinstance(antenna, RectPatch | PixelPatch):
        sub = antenna.substrate
        h = sub.height_mm
        lam_sub = lam0 / math.sqrt(sub.eps_r)
        h_fine, h_edge = lam_sub / s.cells, lam_sub / s.edge_cells
        gx0, gy0, gx1, gy1 = antenna.ground_rect()
        rects = antenna.metal_rects()
        fixed_x, fixed_y = [gx0, gx1], [gy0, gy1]
        edge_rects = rects
        if isinstance(antenna, PixelPatch):
            fixed_x += antenna.mesh_lines("x")
            fixed_y += antenna.mesh_lines("y")
            edge_rects = [antenna.feed_rect()]
        if antenna.feed == "probe":
            fixed_x.append(antenna.probe_x_mm)
            fixed_y.append(0.0)
            port = {
                "start": [antenna.probe_x_mm, 0.0, 0.0],
                "stop": [antenna.probe_x_mm, 0.0, h],
                "dir": "z",
            }
        else:
            f2 = antenna.feed_width_mm / 2
            port = {"start": [gx0, -f2, 0.0], "stop": [gx0, f2, h], "dir": "z"}
        x = _axis_lines(edge_rects, "x", fixed_x, (gx0, gx1), h_edge, h_fine, h_air, air)
        y = _axis_lines(edge_rects, "y", fixed_y, (gy0, gy1), h_edge, h_fine, h_air, air)
        z_sub = np.linspace(0.0, h, s.substrate_cells + 1).tolist()
        z = smooth_lines(
            z_sub,
            (0.0, h),
            (-air - PML_CELLS * h_air, h + air + PML_CELLS * h_air),
            h / s.substrate_cells,
            h_air,
        )
        kappa = 2 * math.pi * f_mid * 1e9 * EPS0 * sub.eps_r * sub.tan_delta
        dielectrics = [
            {"eps_r": sub.eps_r, "kappa": kappa, "start": [gx0, gy0, 0.0], "stop": [gx1, gy1, h]}
        ]
        metals = [[[x0, y0, h], [x1, y1, h]] for x0, y0, x1, y1 in rects]
        metals.append([[gx0, gy0, 0.0], [gx1, gy1, 0.0]])
    else:  # a dipole along z, its strip in the x-z plane
        g2, l2, w2 = antenna.gap_mm / 2, antenna.length_mm / 2, antenna.width_mm / 2
        h_fine, h_edge = lam0 / (2 * s.cells), lam0 / s.edge_cells
        strips = [(-w2, g2, w2, l2), (-w2, -l2, w2, -g2)]  # (x0, z0, x1, z1)
        x = _axis_lines(strips, "x", [], (-w2 - h_fine, w2 + h_fine), h_edge, h_fine, h_air, air)
        y = smooth_lines(
            [0.0],
            (-h_fine, h_fine),
            (-air - PML_CELLS * h_air, air + PML_CELLS * h_air),
            h_fine,
            h_air,
        )
        zrects = [(z0, x0, z1, x1) for x0, z0, x1, z1 in strips]
        z = _axis_lines(zrects, "x", [-g2, g2], (-l2, l2), h_edge, h_fine, h_air, air)
        dielectrics = []
        metals = [[[-w2, 0.0, g2], [w2, 0.0, l2]], [[-w2, 0.0, -l2], [w2, 0.0, -g2]]]
        port = {"start": [-w2, 0.0, -g2], "stop": [w2, 0.0, g2], "dir": "z"}
    mesh = {"x": np.asarray(x), "y": np.asarray(y), "z": np.asarray(z)}
    inner = PML_CELLS + 2 if s.boundary == "PML_8" else 3
    nf2ff = {
        "start": [float(mesh[a][inner]) for a in "xyz"],
        "stop": [float(mesh[a][-1 - inner]) for a in "xyz"],
    }
    return {
        "mesh": mesh,
        "metals": metals,
        "dielectrics": dielectrics,
        "port": port,
        "nf2ff": nf2ff,
    }


# ----------------------------------------------------------------------------------------------
# The solver
# ----------------------------------------------------------------------------------------------
class OpenEMSAntennaSolver:
    """openEMS for one-port antennas: |S11|, impedance, far field, efficiency, realised gain.

    Args:
        settings: The model's settings.
        cache: Optional result cache (array entries); hits return without running openEMS.
        z_ref_ohm: The port's resistance and reference impedance, ohm (50; a dipole's
            reference is conventionally 73).
    """

    name = "openems-antenna"

    def __init__(
        self,
        settings: AntennaSettings | None = None,
        cache: ResultCache | None = None,
        z_ref_ohm: float = 50.0,
    ) -> None:
        self.settings = settings or AntennaSettings()
        self.cache = cache
        self.z_ref_ohm = float(z_ref_ohm)

    @property
    def version(self) -> str:
        """openEMS package version and this model's version."""
        return f"openEMS {openems_version()}; antenna model {MODEL_VERSION}"

    def settings_dict(self, results_only: bool = True) -> dict:
        """The settings as JSON (without the run-only fields when ``results_only``)."""
        d = dataclasses.asdict(self.settings)
        if results_only:
            for name in AntennaSettings.RUN_ONLY:
                d.pop(name)
            if d["conductor"] == "pec":  # added after model 1: PEC runs keep their keys
                d.pop("conductor")
        return d

    def cache_key(
        self, antenna: RectPatch | PixelPatch | Dipole, f_ghz: np.ndarray, ff_ghz: np.ndarray
    ) -> str:
        """sha256 of solver, version, settings, geometry, port, frequencies and far-field ones."""
        import hashlib

        content = {
            "solver": self.name,
            "version": self.version,
            "settings": self.settings_dict(),
            "antenna": antenna.key(),
            "z_ref_ohm": self.z_ref_ohm,
            "f_hz": [round(float(f) * 1e9, 3) for f in f_ghz],
            "ff_hz": [round(float(f) * 1e9, 3) for f in ff_ghz],
        }
        blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def job(
        self,
        antenna: RectPatch | PixelPatch | Dipole,
        f_ghz: np.ndarray,
        ff_ghz: np.ndarray,
        sim_dir: Path,
    ) -> dict:
        """The JSON job (:mod:`rfdesign.solvers._openems_antenna_job`)."""
        s = self.settings
        model = antenna_model(antenna, f_ghz, s)
        f0, fc = excitation(np.r_[f_ghz, ff_ghz])
        model["port"]["r_ohm"] = self.z_ref_ohm
        sheet = None
        if s.conductor == "sheet" and isinstance(antenna, RectPatch | PixelPatch):
            sub = antenna.substrate
            sheet = {
                "conductivity": sub.conductivity_s_per_m,
                "thickness_m": max(sub.metal_thickness_um, 0.1) * 1e-6,
            }
        return {
            "sheet": sheet,
            "sim_dir": str(sim_dir),
            "mesh": {k: v.tolist() for k, v in model["mesh"].items()},
            "boundary": [s.boundary] * 6,
            "dielectrics": model["dielectrics"],
            "metals": model["metals"],
            "port": model["port"],
            "nf2ff": model["nf2ff"],
            "f0": f0,
            "fc": fc,
            "f_hz": (f_ghz * 1e9).tolist(),
            "ff_hz": (ff_ghz * 1e9).tolist(),
            "ff_step_deg": s.ff_step_deg,
            "threads": s.threads,
            "end_criteria": s.end_criteria,
            "max_timesteps": s.max_timesteps,
        }

    def simulate(
        self, antenna: RectPatch | PixelPatch | Dipole, frequency: Any, far_field_ghz: Any = ()
    ) -> AntennaResult:
        """Simulate ``antenna`` over ``frequency`` (GHz) with far fields at ``far_field_ghz``.

        Raises:
            SolverError: openEMS failed, timed out or wrote no result (with its log tail).
        """
        f = frequency_ghz(frequency)
        ff = np.atleast_1d(np.asarray(far_field_ghz, float))
        key = self.cache_key(antenna, f, ff)
        if self.cache is not None and (hit := self.cache.get_arrays(key)) is not None:
            arrays, info = hit
            return self._result(arrays, info | {"cache_hit": True})
        t0 = time.perf_counter()
        root = self.cache.root if self.cache is not None else None
        with run_folder(self.name, key, root) as folder:
            work = folder / "run"
            work.mkdir(exist_ok=True)
            job = self.job(antenna, f, ff, work / "sim")
            res = run_job(
                self.name,
                [sys.executable, "-m", "rfdesign.solvers._openems_antenna_job"],
                job,
                work,
                "antenna.npz",
                self.settings.timeout_s,
                self.settings.threads,
            )
        arrays = dict(res.arrays)
        run_info = parse_log(res.log)
        truncated = run_info.get("timesteps", 0) >= self.settings.max_timesteps
        info = {
            **run_info,
            "solver": self.name,
            "solver_version": self.version,
            "settings": self.settings_dict(results_only=False),
            "antenna": {"type": type(antenna).__name__, **dataclasses.asdict(antenna)},
            "antenna_key": antenna.key(),
            "cells": int(arrays["n_cells"]),
            "truncated": bool(truncated),
            "wall_s": time.perf_counter() - t0,
            "host": socket.gethostname(),
            "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        result = self._result(arrays, info | {"cache_hit": False})
        if ff.size:
            eff = [result.radiation_efficiency(x) for x in ff]
            info["non_passive"] = bool(max(eff) > 1.02)
            result = dataclasses.replace(result, info=info | {"cache_hit": False})
        if self.cache is not None:
            self.cache.put_arrays(key, arrays, info)
        log.info("%s: %s done in %.1f s", self.name, type(antenna).__name__, info["wall_s"])
        return result

    def _result(self, a: dict[str, np.ndarray], info: dict) -> AntennaResult:
        """The result from the job's arrays: S11, impedance, powers, directivity pattern."""
        z = self.z_ref_ohm
        uf_inc, uf_ref = a["uf_inc"], a["uf_ref"]
        uf_tot, if_tot = a["uf_tot"], a["if_tot"]
        if "ff_hz" in a:
            e2 = np.abs(a["e_theta"]) ** 2 + np.abs(a["e_phi"]) ** 2  # (F, theta, phi)
            u = e2 / (2 * ETA0)  # radiation intensity at r = 1 m, W / sr
            directivity = 4 * np.pi * u / a["prad_w"][:, None, None]
            ff, th, ph, prad = a["ff_hz"] / 1e9, a["theta_deg"], a["phi_deg"], a["prad_w"]
        else:
            directivity = np.zeros((0, 0, 0))
            ff, th, ph, prad = (np.zeros(0),) * 4
        return AntennaResult(
            f_ghz=a["f_hz"] / 1e9,
            s11=uf_ref / uf_inc,
            zin_ohm=uf_tot / if_tot,
            p_acc_w=0.5 * np.real(uf_tot * np.conj(if_tot)),
            p_inc_w=np.abs(uf_inc) ** 2 / (2 * z),
            ff_ghz=ff,
            theta_deg=th,
            phi_deg=ph,
            directivity=directivity,
            prad_w=prad,
            z_ref_ohm=z,
            info=info,
        )
