"""Canonical checks of a full-wave engine against independent microstrip references.

Three structures of :mod:`rfdesign.layouts.canonical` on the paper's 0.127 mm alumina
(eps_r 9.8), made lossy on purpose (``tan_delta`` 0.02, :data:`CANONICAL_SUBSTRATE`) so that a
resonator's Q is known in closed form and a time-domain run settles quickly, with PEC
zero-thickness metal (what both engines model) inside a PEC housing (no radiation, so the
dielectric is the only loss):

* **impedance**: a 0.05 mm strip, a quarter wave long at about 40 GHz, between the 50-ohm
  feeds. At its quarter-wave frequency a lossless section reflects
  ``|Gamma| = |Z^2 - Z_f^2| / (Z^2 + Z_f^2)``, so the peak |S11| gives its impedance ``Z``;
  reference: Hammerstad-Jensen with Kirschning-Jansen dispersion (scikit-rf ``MLine``).
* **resonator**: a half-wave strip end-coupled to both feeds. Frequency against a scikit-rf
  circuit (the strip as ``MLine`` with dielectric loss, each end gap as the pi network of
  Kirschning, Jansen and Koster 1983); unloaded Q against the dielectric Q of a quasi-TEM line,
  ``Q_d = eps_eff (eps_r - 1) / (eps_r (eps_eff - 1) tan_delta)`` (Pozar, *Microwave
  Engineering*, 4th ed., eq. 3.198 with ``Q = beta / (2 alpha)``).
* **coupling**: two such strips side by side; the coupling coefficient from the two split
  peaks (:func:`rfdesign.solvers.resonators.coupling_coefficient`) against the even and odd
  modes' half-wave resonances, ``f sqrt(eps_mode(f)) (l + 2 dl) = c0 / 2``, with
  Kirschning-Jansen coupled-line permittivities (dispersion included) and the
  Kirschning-Jansen-Koster open-end extension; Garg-Bahl's quasi-static modes are given
  beside it.

Each check states its tolerance and why; :func:`run_checks` runs them on any registered solver
(the caller chooses its settings, housing included, via :func:`canonical_settings`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from rfdesign.core.constants import C0
from rfdesign.layouts.canonical import coupled_resonator_pair, end_coupled_resonator, stepped_line
from rfdesign.layouts.feeds import microstrip_line, microstrip_width_mm
from rfdesign.layouts.substrate import Substrate
from rfdesign.solvers.microstrip_formulas import (
    coupled_lines_garg_bahl,
    coupled_lines_kirschning_jansen,
    end_gap_capacitance,
    open_end_extension,
)
from rfdesign.solvers.resonators import coupling_coefficient, fit_resonance, split_peaks

CANONICAL_SUBSTRATE = Substrate(eps_r=9.8, tan_delta=0.02, height_mm=0.127)
"""0.127 mm alumina with a loss tangent of 0.02 (Q_d about 53 at 40 GHz)."""
F_GHZ = np.linspace(34.0, 46.0, 121)
"""Frequencies of every check, GHz."""
HOUSING = {"side_boundary": "PEC", "side_margin_mm": 1.0, "air_height_mm": 1.0}
"""Housing of every check: PEC walls 1 mm (8 h) beside the strips and a lid 1 mm above."""
NARROW_MM = 0.05
"""Width of the impedance check's strip, mm (about 70 ohm)."""
QUARTER_MM = 0.75
"""Its length, mm (a quarter wave near 40 GHz)."""
RESONATOR_MM = 1.38
"""Length of the half-wave strips, mm (about 40 GHz)."""
GAP_MM = 0.05
"""End gap between feed and resonator, and spacing of the coupled pair, mm."""


@dataclass(frozen=True)
class CheckResult:
    """One measured quantity against its reference.

    Attributes:
        check: Structure (``impedance``, ``resonator``, ``coupling``).
        quantity: What was measured, with its unit.
        measured: The engine's value.
        reference: The reference value.
        tolerance: Allowed relative deviation.
        reason: Where the tolerance comes from.
    """

    check: str
    quantity: str
    measured: float
    reference: float
    tolerance: float
    reason: str

    @property
    def deviation(self) -> float:
        """``measured / reference - 1``."""
        return self.measured / self.reference - 1.0

    @property
    def passed(self) -> bool:
        """Whether the deviation lies within the tolerance."""
        return abs(self.deviation) <= self.tolerance


def lossless_substrate(substrate: Substrate) -> Substrate:
    """The substrate the references model, without dielectric loss.

    A zero-thickness, (nearly) perfect strip, as the engines model it; the dielectric loss
    enters the references separately (:func:`dielectric_alpha`).
    """
    return dataclasses.replace(
        substrate, metal_thickness_um=0.0, conductivity_s_per_m=1e15, tan_delta=0.0
    )


def feed_width_mm(substrate: Substrate = CANONICAL_SUBSTRATE) -> float:
    """The width of a 50-ohm lossless zero-thickness strip at 40 GHz, mm: the feeds'."""
    return microstrip_width_mm(lossless_substrate(substrate))


def canonical_settings(solver_name: str, preset: str, **options):
    """Settings of ``solver_name`` at ``preset`` in the checks' housing (:data:`HOUSING`)."""
    from rfdesign.solvers.base import get_solver_class, settings_from_options

    cls = get_solver_class(solver_name)
    return settings_from_options(cls, **{"preset": preset, **HOUSING, **options})


# ----- references ----------------------------------------------------------------------------
def line_impedance(substrate: Substrate, width_mm: float, f_ghz: float) -> float:
    """Hammerstad-Jensen / Kirschning-Jansen impedance of a lossless PEC strip, ohm (scikit-rf)."""
    line = microstrip_line(lossless_substrate(substrate), width_mm, np.array([f_ghz]))
    return float(np.real(line.z0_characteristic[0]))


def dielectric_alpha(eps_r: float, eps_eff: np.ndarray, tan_delta: float, f_ghz: np.ndarray):
    """Dielectric attenuation of a quasi-TEM line, Np/m (Pozar, 4th ed., eq. 3.198)."""
    k0 = 2 * np.pi * np.asarray(f_ghz) * 1e9 / C0
    return k0 * eps_r * (eps_eff - 1) * tan_delta / (2 * np.sqrt(eps_eff) * (eps_r - 1))


def resonator_circuit(
    substrate: Substrate, width_mm: float, length_mm: float, gap_mm: float, f_ghz: np.ndarray
):
    """scikit-rf circuit of the end-coupled resonator, 50-ohm ports at the feeds' ends.

    Each end gap is a pi network: series ``C_s`` and shunt ``C_p = C_end Q2 / (Q2 + 1)`` on
    each side (Kirschning, Jansen and Koster, IEEE MTT-S Digest 1983, pp. 495-497;
    :func:`~rfdesign.solvers.microstrip_formulas.end_gap_capacitance`), where ``C_end`` is
    the open end's capacitance ``dl C'`` (Kirschning-Jansen-Koster extension ``dl``). The
    strip (as wide as the feeds) is :func:`lossy_line`.
    """
    line = lossy_line(substrate, width_mm, f_ghz)
    h = substrate.height_mm * 1e-3
    eps_eff = np.real(line.gamma.imag * C0 / (2 * np.pi * f_ghz * 1e9)) ** 2
    z0 = np.real(line.z0)
    c_per_m = np.sqrt(eps_eff) / (C0 * z0)
    dl = open_end_extension(width_mm / substrate.height_mm, eps_eff, substrate.eps_r) * h
    cs_per_w, ratio = end_gap_capacitance(
        np.array(gap_mm * 1e-3), np.array(width_mm * 1e-3), h, substrate.eps_r
    )
    cs = float(cs_per_w) * width_mm * 1e-3
    cp = dl * c_per_m * float(ratio)
    # the feeds are as wide as the strip: one medium for gaps, strip and ports
    gap = line.shunt_capacitor(cp) ** line.capacitor(cs) ** line.shunt_capacitor(cp)
    net = gap ** line.line(length_mm * 1e-3, "m") ** gap
    net.renormalize(50.0)
    return net


def dielectric_q(substrate: Substrate, width_mm: float, f_ghz: float) -> float:
    """Dielectric Q of a quasi-TEM microstrip, ``beta / (2 alpha_d)`` (Pozar, eq. 3.198)."""
    line = microstrip_line(lossless_substrate(substrate), width_mm, np.array([f_ghz]))
    e = float(np.real(line.ep_reff_f[0]))
    er = substrate.eps_r
    return e * (er - 1.0) / (er * (e - 1.0) * substrate.tan_delta)


def mode_resonances(
    substrate: Substrate, width_mm: float, length_mm: float, spacing_mm: float
) -> tuple[float, float]:
    """Half-wave resonances of a coupled strip pair's even and odd modes, GHz.

    Solves ``f sqrt(eps_mode(f)) (l + 2 dl_mode) = c0 / 2`` with Kirschning-Jansen's
    frequency-dependent mode permittivities. The modes' open ends have no closed form:
    ``dl_mode`` is the Kirschning-Jansen-Koster extension, with the mode's permittivity, of a
    strip as wide as the pair (``2 w + s``) for the even mode (both strips at one potential,
    little field in the gap) and of one strip for the odd mode (whose end fringing is
    smaller, as the field closes across the gap: the odd resonance and k come out low). This
    approximation dominates the coupling check's tolerance.

    Returns:
        ``(f_even, f_odd)``: the even mode (higher permittivity) resonates lower.
    """
    h = substrate.height_mm
    u_end = {"even": (2 * width_mm + spacing_mm) / h, "odd": width_mm / h}

    def solve(mode: str) -> float:
        def residual(f: float) -> float:
            m = coupled_lines_kirschning_jansen(
                width_mm, spacing_mm, h, substrate.eps_r, np.array([f])
            )
            e = float((m.eps_even if mode == "even" else m.eps_odd)[0])
            dl = float(open_end_extension(np.array(u_end[mode]), np.array(e), substrate.eps_r)) * h
            return f * 1e9 * math.sqrt(e) * (length_mm + 2 * dl) * 1e-3 - C0 / 2

        return brentq(residual, 5.0, 200.0, xtol=1e-6)

    return solve("even"), solve("odd")


# ----- checks --------------------------------------------------------------------------------
def lossy_line(substrate: Substrate, width_mm: float, f_ghz: np.ndarray):
    """scikit-rf medium of a PEC strip with dielectric loss.

    scikit-rf's lossless ``MLine`` phase constant and impedance plus the attenuation of
    :func:`dielectric_alpha`: scikit-rf 2.2's ``MLine`` with a loss tangent also lowers the
    real part of eps_eff (by 4.6 % at ``tan_delta`` 0.02 on this substrate), which a loss
    tangent does not do.
    """
    from skrf.media import DefinedGammaZ0

    ml = microstrip_line(lossless_substrate(substrate), width_mm, f_ghz)
    eps_eff = np.real(ml.ep_reff_f)
    alpha = dielectric_alpha(substrate.eps_r, eps_eff, substrate.tan_delta, f_ghz)
    return DefinedGammaZ0(
        ml.frequency, gamma=alpha + 1j * np.imag(ml.gamma), z0=np.real(ml.z0_characteristic)
    )


def quarter_wave_impedance(f_ghz: np.ndarray, s11: np.ndarray, z_feed: float) -> tuple:
    """Impedance of a line section from its peak reflection between feeds of ``z_feed``.

    A lossless quarter-wave section of impedance ``Z`` reflects ``|Gamma| = (Z^2 - Z_f^2) /
    (Z^2 + Z_f^2)`` at its quarter-wave frequency, so ``Z = Z_f sqrt((1 + G) / (1 - G))``
    (``Z > Z_f``). The peak is refined by a parabola through five points.

    Returns:
        ``(Z in ohm, frequency of the peak in GHz)``.
    """
    a = np.abs(s11)
    i = int(np.argmax(a))
    j = slice(max(i - 2, 0), min(i + 3, a.size))
    c2, c1, c0 = np.polyfit(f_ghz[j] - f_ghz[i], a[j], 2)
    gamma, f_peak = (
        (c0 - c1**2 / (4 * c2), f_ghz[i] - c1 / (2 * c2)) if c2 < 0 else (a[i], f_ghz[i])
    )
    return z_feed * math.sqrt((1 + gamma) / (1 - gamma)), float(f_peak)


def check_impedance(
    simulate: Callable, substrate: Substrate = CANONICAL_SUBSTRATE, f_ghz: np.ndarray = F_GHZ
) -> list:
    """Impedance of a 0.05 mm strip from its quarter-wave reflection peak.

    The reference goes through the same measurement: a scikit-rf circuit of the section
    (:func:`lossy_line`, Hammerstad-Jensen impedance with Kirschning-Jansen dispersion and the
    dielectric loss, which lowers the peak a little) between ideal 50-ohm ports. The peak's
    frequency is not checked: |Gamma| of a quarter-wave section is flat near its maximum, so
    the small frequency slope the width steps add moves the maximum by several GHz (openEMS:
    43.4-47 GHz on fine to draft, circuit 39.9 GHz) while its height hardly changes.
    """
    wf = feed_width_mm(substrate)
    net = simulate(stepped_line(substrate, wf, NARROW_MM, QUARTER_MM), F_GHZ)
    z, _ = quarter_wave_impedance(F_GHZ, net.s[:, 0, 0], 50.0)
    section = lossy_line(substrate, NARROW_MM, F_GHZ).line(QUARTER_MM * 1e-3, "m")
    section.renormalize(50.0)
    z_ref, _ = quarter_wave_impedance(F_GHZ, section.s[:, 0, 0], 50.0)
    return [
        CheckResult(
            "impedance",
            f"Z0 of a {NARROW_MM} mm strip (ohm)",
            z,
            z_ref,
            0.03,
            "Hammerstad-Jensen's and Kirschning-Jansen's stated accuracy (under 1 %) and the "
            "two width steps, which the circuit leaves out",
        ),
    ]


def check_resonator(simulate: Callable, substrate: Substrate = CANONICAL_SUBSTRATE) -> list:
    """Frequency and unloaded Q of a half-wave strip end-coupled to both feeds."""
    wf = feed_width_mm(substrate)
    net = simulate(end_coupled_resonator(substrate, wf, RESONATOR_MM, GAP_MM), F_GHZ)
    res = fit_resonance(F_GHZ, net.s[:, 1, 0])
    ref = fit_resonance(
        F_GHZ, resonator_circuit(substrate, wf, RESONATOR_MM, GAP_MM, F_GHZ).s[:, 1, 0]
    )
    return [
        CheckResult(
            "resonator",
            "resonant frequency (GHz)",
            res.f_ghz,
            ref.f_ghz,
            0.015,
            "Kirschning-Jansen dispersion (0.6 % in eps_eff) and the open-end and gap models "
            "(2.5 % of the 0.04 mm extension), plus a mesh's own error",
        ),
        CheckResult(
            "resonator",
            "unloaded Q",
            res.q_unloaded,
            dielectric_q(substrate, wf, res.f_ghz),
            0.10,
            "the Lorentzian fit on 0.1 GHz steps and Q_u = Q_L / (1 - |S21|) (a few %)",
        ),
    ]


def check_coupling(simulate: Callable, substrate: Substrate = CANONICAL_SUBSTRATE) -> list:
    """Coupling coefficient of two side-by-side half-wave strips from their split peaks."""
    wf = feed_width_mm(substrate)
    layout = coupled_resonator_pair(substrate, wf, RESONATOR_MM, GAP_MM, GAP_MM)
    net = simulate(layout, F_GHZ)
    low, high = split_peaks(F_GHZ, net.s[:, 1, 0])
    f_even, f_odd = mode_resonances(substrate, wf, RESONATOR_MM, GAP_MM)
    gb = coupled_lines_garg_bahl(wf, GAP_MM, substrate.height_mm, substrate.eps_r)
    k_static = float((gb.eps_even - gb.eps_odd) / (gb.eps_even + gb.eps_odd))
    return [
        CheckResult(
            "coupling",
            "coupling coefficient k",
            coupling_coefficient(low.f_ghz, high.f_ghz),
            coupling_coefficient(f_even, f_odd),
            0.15,
            "k is a difference of two mode permittivities (each within 1 % by "
            "Kirschning-Jansen: about 8 % of k) and the modes' open ends are approximated "
            f"(mode_resonances); Garg-Bahl's quasi-static k is {k_static:.4f}",
        ),
        CheckResult(
            "coupling",
            "even-mode resonance (GHz)",
            low.f_ghz,
            f_even,
            0.02,
            "mode permittivity (1 %) and the open-end approximation (about 1 %)",
        ),
        CheckResult(
            "coupling",
            "odd-mode resonance (GHz)",
            high.f_ghz,
            f_odd,
            0.02,
            "mode permittivity (1 %) and the open-end approximation (about 1 %)",
        ),
    ]


CHECKS: dict[str, Callable] = {
    "impedance": check_impedance,
    "resonator": check_resonator,
    "coupling": check_coupling,
}
"""Every canonical check by name."""


def run_checks(solver, names: tuple[str, ...] = tuple(CHECKS)) -> list[CheckResult]:
    """Run the named checks with ``solver`` (its settings as given); results in order."""
    out: list[CheckResult] = []
    for name in names:
        out += CHECKS[name](solver.simulate)
    return out
