"""The rectangular patch's transmission-line and cavity model: the antennas' coarse model.

Closed forms and integrals of C. A. Balanis, *Antenna Theory: Analysis and Design*, 4th ed.,
Wiley 2016, section 14.2 (rectangular patch), numbered as there:

- effective permittivity (14-1) and the fringing extension of each radiating edge (14-2);
- the design width for an efficient radiator (14-6) and the resonant length (14-7);
- the conductance of one radiating slot (14-12, integral I1 of 14-12a) and the mutual
  conductance of the two slots (14-18a), the edge input resistance of the TM010 mode
  ``R_in = 1 / (2 (G1 + G12))`` (14-17) and the inset feed's ``R_in cos^2(pi y0 / L)``
  (14-20a);
- the directivity of one slot ``D0 = (2 pi W / lambda0)^2 / I1`` (14-53) and of the two-slot
  patch ``D2 = (2 pi W / lambda0)^2 pi / I2`` (14-56), I2 the two-slot pattern's integral.

The frequency response (:func:`input_impedance`) is the transmission-line model (Balanis
section 14.2.1, fig. 14.10): the patch is a microstrip line of width ``W`` and length ``L``
(scikit-rf's ``MLine``: Hammerstad-Jensen impedance and Kirschning-Jansen dispersion, with
conductor and dielectric loss) loaded at each end by a slot admittance ``G + jB``: ``G = G1 +
G12`` (the mutual conductance folded into each slot, so the resonant edge resistance is
(14-17)'s) and ``B`` the open end's fringing capacitance, the susceptance of the line
extension (14-2). An inset feed at ``y0`` splits the line into two sections in parallel.

Everything is for the TM010 mode (resonant length along the feed), a thin substrate
(``h << lambda0``) and an infinite ground plane: a finite ground, the feed's own radiation
and surface waves are what the full-wave model adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate, special

from rfdesign.core.constants import C0


def eps_eff(eps_r: float, height_mm: float, width_mm: float) -> float:
    """Effective permittivity of a wide microstrip (Balanis eq. 14-1, W / h > 1)."""
    return (eps_r + 1) / 2 + (eps_r - 1) / 2 * (1 + 12 * height_mm / width_mm) ** -0.5


def fringe_extension_mm(eps_r: float, height_mm: float, width_mm: float) -> float:
    """Electrical extension of each radiating edge, mm (Hammerstad; Balanis eq. 14-2)."""
    ee = eps_eff(eps_r, height_mm, width_mm)
    wh = width_mm / height_mm
    return 0.412 * height_mm * (ee + 0.3) * (wh + 0.264) / ((ee - 0.258) * (wh + 0.8))


def design_width_mm(f_ghz: float, eps_r: float) -> float:
    """Patch width for an efficient radiator, mm (Balanis eq. 14-6)."""
    return C0 / (2 * f_ghz * 1e9) * np.sqrt(2 / (eps_r + 1)) * 1e3


def resonant_length_mm(f_ghz: float, eps_r: float, height_mm: float, width_mm: float) -> float:
    """Physical length resonating at ``f_ghz`` in the TM010 mode, mm (Balanis eq. 14-7)."""
    ee = eps_eff(eps_r, height_mm, width_mm)
    half_wave = C0 / (2 * f_ghz * 1e9 * np.sqrt(ee)) * 1e3
    return half_wave - 2 * fringe_extension_mm(eps_r, height_mm, width_mm)


def resonant_frequency_ghz(
    length_mm: float, eps_r: float, height_mm: float, width_mm: float
) -> float:
    """TM010 resonance of a patch with fringing, GHz (Balanis eq. 14-7 solved for f)."""
    ee = eps_eff(eps_r, height_mm, width_mm)
    l_eff = length_mm + 2 * fringe_extension_mm(eps_r, height_mm, width_mm)
    return C0 / (2 * l_eff * 1e-3 * np.sqrt(ee)) / 1e9


def _slot_factor(theta: np.ndarray, k0w: float) -> np.ndarray:
    """``[sin(k0 W cos(theta) / 2) / cos(theta)]^2 sin^3(theta)``, the slots' integrand."""
    c = np.cos(theta)
    x = k0w * c / 2
    # sin(x) / cos(theta) = (k0 W / 2) sinc(x), finite at theta = pi / 2
    return (k0w / 2 * np.sinc(x / np.pi)) ** 2 * np.sin(theta) ** 3


def slot_conductance_s(f_ghz: float, width_mm: float) -> float:
    """Conductance of one radiating slot of width ``W``, S (Balanis eq. 14-12, I1 of 14-12a)."""
    k0w = 2 * np.pi * f_ghz * 1e9 / C0 * width_mm * 1e-3
    i1, _ = integrate.quad(_slot_factor, 0, np.pi, args=(k0w,), limit=200)
    return i1 / (120 * np.pi**2)


def mutual_conductance_s(f_ghz: float, width_mm: float, length_mm: float) -> float:
    """Mutual conductance of the two slots ``L`` apart, S (Balanis eq. 14-18a)."""
    k0 = 2 * np.pi * f_ghz * 1e9 / C0
    k0w, k0l = k0 * width_mm * 1e-3, k0 * length_mm * 1e-3

    def f(theta: float) -> float:
        return float(_slot_factor(np.asarray(theta), k0w) * special.j0(k0l * np.sin(theta)))

    g12, _ = integrate.quad(f, 0, np.pi, limit=200)
    return g12 / (120 * np.pi**2)


def edge_resistance_ohm(f_ghz: float, width_mm: float, length_mm: float) -> float:
    """TM010 input resistance at the radiating edge, ohm (Balanis eq. 14-17, plus sign)."""
    g = slot_conductance_s(f_ghz, width_mm) + mutual_conductance_s(f_ghz, width_mm, length_mm)
    return 1 / (2 * g)


def inset_resistance_ohm(edge_ohm: float, inset_mm: float, length_mm: float) -> float:
    """Input resistance of a feed ``inset_mm`` inside the radiating edge (Balanis eq. 14-20a)."""
    return edge_ohm * np.cos(np.pi * inset_mm / length_mm) ** 2


def inset_for_resistance_mm(r_ohm: float, edge_ohm: float, length_mm: float) -> float:
    """Inset at which the input resistance is ``r_ohm`` (eq. 14-20a inverted), mm."""
    if not 0 < r_ohm <= edge_ohm:
        raise ValueError(
            f"r_ohm: {r_ohm:g} ohm must lie in (0, {edge_ohm:.1f}] (the edge resistance)"
        )
    return length_mm / np.pi * np.arccos(np.sqrt(r_ohm / edge_ohm))


def slot_directivity(f_ghz: float, width_mm: float) -> float:
    """Directivity of one radiating slot over a ground plane (Balanis eq. 14-53), linear."""
    k0w = 2 * np.pi * f_ghz * 1e9 / C0 * width_mm * 1e-3
    i1, _ = integrate.quad(_slot_factor, 0, np.pi, args=(k0w,), limit=200)
    return k0w**2 / i1


def patch_directivity(f_ghz: float, width_mm: float, l_eff_mm: float) -> float:
    """Directivity of the two-slot patch (Balanis eq. 14-56), linear.

    ``I2`` integrates the slots' pattern times the array factor ``cos^2(k0 L_eff sin(theta)
    sin(phi) / 2)`` over the half space in front of the ground plane (``0 <= phi <= pi`` in
    Balanis's coordinates, the slot's width along z).

    Args:
        f_ghz: Frequency, GHz.
        width_mm: Patch width (the slots' length), mm.
        l_eff_mm: Distance between the slots, mm: the effective length ``L + 2 dL``.
    """
    k0 = 2 * np.pi * f_ghz * 1e9 / C0
    k0w, k0l = k0 * width_mm * 1e-3, k0 * l_eff_mm * 1e-3

    def f(phi: float, theta: float) -> float:
        af = np.cos(k0l / 2 * np.sin(theta) * np.sin(phi)) ** 2
        return float(_slot_factor(np.asarray(theta), k0w) * af)

    i2, _ = integrate.dblquad(f, 0, np.pi, 0, np.pi, epsabs=1e-10, epsrel=1e-8)
    return k0w**2 * np.pi / i2


@dataclass(frozen=True)
class PatchModel:
    """The transmission-line model of an inset-fed rectangular patch on an infinite ground.

    Attributes:
        length_mm: Resonant length L (along the feed), mm.
        width_mm: Width W (the radiating edges' length), mm.
        inset_mm: Feed point's distance inside the radiating edge, mm (0: edge fed).
        eps_r: Substrate permittivity.
        height_mm: Substrate thickness, mm.
        tan_delta: Substrate loss tangent.
        conductivity_s_per_m: Metal conductivity, S/m (``inf``: lossless metal).
        metal_thickness_um: Metal thickness, um.
    """

    length_mm: float
    width_mm: float
    inset_mm: float
    eps_r: float
    height_mm: float
    tan_delta: float = 0.0
    conductivity_s_per_m: float = float("inf")
    metal_thickness_um: float = 0.0

    @property
    def resonance_ghz(self) -> float:
        """TM010 resonance with fringing (Balanis eq. 14-7), GHz."""
        return resonant_frequency_ghz(self.length_mm, self.eps_r, self.height_mm, self.width_mm)

    @property
    def l_eff_mm(self) -> float:
        """Effective length ``L + 2 dL``, mm."""
        return self.length_mm + 2 * fringe_extension_mm(self.eps_r, self.height_mm, self.width_mm)

    def resistance_ohm(self, f_ghz: float | None = None) -> float:
        """Input resistance at the feed at resonance (eqs. 14-17, 14-20a), ohm."""
        f = self.resonance_ghz if f_ghz is None else f_ghz
        edge = edge_resistance_ohm(f, self.width_mm, self.length_mm)
        return inset_resistance_ohm(edge, self.inset_mm, self.length_mm)

    def directivity_dbi(self, f_ghz: float | None = None) -> float:
        """Two-slot directivity (eq. 14-56), dBi."""
        f = self.resonance_ghz if f_ghz is None else f_ghz
        return 10 * np.log10(patch_directivity(f, self.width_mm, self.l_eff_mm))

    def _line(self, f_ghz: np.ndarray):
        """scikit-rf microstrip of the patch's width (impedance, loss, dispersion)."""
        import skrf

        freq = skrf.Frequency.from_f(np.asarray(f_ghz, float), unit="GHz")
        # lossless metal: a vanishing resistivity (scikit-rf divides by the skin depth)
        rho = 1 / self.conductivity_s_per_m if np.isfinite(self.conductivity_s_per_m) else 1e-16
        return skrf.media.MLine(
            frequency=freq,
            w=self.width_mm * 1e-3,
            h=self.height_mm * 1e-3,
            t=max(self.metal_thickness_um, 1e-3) * 1e-6,
            ep_r=self.eps_r,
            rho=rho,
            tand=self.tan_delta,
            model="hammerstadjensen",
            disp="kirschningjansen",
            z0_port=50.0,
        )

    def input_impedance(self, f_ghz: np.ndarray) -> np.ndarray:
        """Input impedance at the feed point over ``f_ghz`` (GHz), ohm.

        Transmission-line model: each radiating edge is an admittance ``G + jB`` (``G =
        G1 + G12`` at each frequency, ``B = Y0 tan(beta dL)``, the open end's fringing as a
        line extension); the feed point ``inset_mm`` inside one edge sees the two line
        sections (``inset_mm`` and ``L - inset_mm``) to the edges in parallel.
        """
        f = np.atleast_1d(np.asarray(f_ghz, float))
        line = self._line(f)
        z0 = np.asarray(line.z0_characteristic, complex)
        gamma = np.asarray(line.gamma, complex)  # 1/m
        dl = fringe_extension_mm(self.eps_r, self.height_mm, self.width_mm) * 1e-3
        g = np.array(
            [
                slot_conductance_s(fi, self.width_mm)
                + mutual_conductance_s(fi, self.width_mm, self.length_mm)
                for fi in f
            ]
        )
        y0 = 1 / z0
        y_slot = g + 1j * y0 * np.tan(gamma.imag * dl)

        def seen_through(length_m: float) -> np.ndarray:
            """Admittance of a slot seen through ``length_m`` of the patch line."""
            t = np.tanh(gamma * length_m)
            return y0 * (y_slot + y0 * t) / (y0 + y_slot * t)

        y_in = seen_through(self.inset_mm * 1e-3) + seen_through(
            (self.length_mm - self.inset_mm) * 1e-3
        )
        return 1 / y_in

    def s11(self, f_ghz: np.ndarray, z_ref_ohm: float = 50.0) -> np.ndarray:
        """Reflection coefficient at the feed point against ``z_ref_ohm``."""
        z = self.input_impedance(f_ghz)
        return (z - z_ref_ohm) / (z + z_ref_ohm)


def design_patch(
    f_ghz: float,
    eps_r: float,
    height_mm: float,
    r_feed_ohm: float = 50.0,
    width_mm: float | None = None,
    **loss,
) -> PatchModel:
    """Balanis's design procedure (section 14.2.2): W (14-6), L (14-7), inset (14-20a).

    Args:
        f_ghz: Resonant frequency, GHz.
        eps_r: Substrate permittivity.
        height_mm: Substrate thickness, mm.
        r_feed_ohm: Resistance wanted at the feed point, ohm.
        width_mm: Width, mm (default: eq. 14-6's).
        **loss: ``tan_delta``, ``conductivity_s_per_m``, ``metal_thickness_um`` for the
            response.
    """
    w = design_width_mm(f_ghz, eps_r) if width_mm is None else width_mm
    length = resonant_length_mm(f_ghz, eps_r, height_mm, w)
    edge = edge_resistance_ohm(f_ghz, w, length)
    inset = inset_for_resistance_mm(min(r_feed_ohm, edge), edge, length)
    return PatchModel(length, w, inset, eps_r, height_mm, **loss)
