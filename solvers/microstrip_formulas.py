"""Closed-form microstrip discontinuity formulas that scikit-rf does not provide.

Used by the coarse circuit model (:mod:`rfdesign.solvers.circuit`). Each function names its
source; SI units throughout (m, F, F/m, Hz). Lines themselves (Z0, eps_eff, losses) come from
scikit-rf's :class:`skrf.media.MLine` through :func:`rfdesign.layouts.feeds.microstrip_line`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import ellipk
from skrf.media.mline import hammerstad_ab, hammerstad_er, hammerstad_zl

from rfdesign.core.constants import C0, EPS0, ETA0
from rfdesign.layouts.feeds import microstrip_line
from rfdesign.layouts.substrate import Substrate


def static_line(substrate: Substrate, widths_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quasi-static capacitance per length and effective permittivity of strips.

    Hammerstad-Jensen static model via scikit-rf (``C' = sqrt(eps_eff) / (c0 Z0)``).

    Args:
        substrate: Substrate and conductor.
        widths_m: Strip widths in m.

    Returns:
        ``(C', eps_eff)``: F/m and dimensionless, each shaped like ``widths_m``.
    """
    w = np.asarray(widths_m, dtype=float)
    c, e = np.empty(w.size), np.empty(w.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, wi in enumerate(w.ravel()):
            ml = microstrip_line(substrate, float(wi) * 1e3, np.array([1.0]))
            z = float(np.real(ml.zl_eff).ravel()[0])
            ee = float(np.real(ml.ep_reff).ravel()[0])
            c[i], e[i] = math.sqrt(ee) / (C0 * z), ee
    return c.reshape(w.shape), e.reshape(w.shape)


def open_end_extension(u: np.ndarray, eps_eff: np.ndarray, eps_r: float) -> np.ndarray:
    """Open-end length extension of a microstrip, in units of the substrate height.

    Kirschning, Jansen and Koster, "Accurate model for open end effect of microstrip lines",
    Electronics Letters 17(3), 1981, pp. 123-125 (stated accuracy 2.5 % for
    0.01 <= w/h <= 100, eps_r <= 50).

    Args:
        u: Strip width over substrate height, w/h.
        eps_eff: Effective permittivity of the strip (the dispersive value may be used).
        eps_r: Substrate permittivity.

    Returns:
        dl / h, broadcast over ``u`` and ``eps_eff``.
    """
    e = np.power(eps_eff, 0.81)
    v = np.power(u, 0.8544)
    q1 = 0.434907 * (e + 0.26) / (e - 0.189) * (v + 0.236) / (v + 0.87)
    q2 = 1.0 + np.power(u, 0.371) / (2.358 * eps_r + 1.0)
    q3 = 1.0 + 0.5274 * np.arctan(0.084 * np.power(u, 1.9413 / q2)) / np.power(eps_eff, 0.9236)
    q4 = 1.0 + 0.0377 * np.arctan(0.067 * np.power(u, 1.456)) * (
        6.0 - 5.0 * np.exp(0.036 * (1.0 - eps_r))
    )
    q5 = 1.0 - 0.218 * np.exp(-7.5 * u)
    return q1 * q3 * q5 / q4


def garg_bahl_capacitances(
    s_m: np.ndarray,
    w_m: np.ndarray,
    h_m: float,
    eps_r: float,
    c_line: np.ndarray,
    eps_eff: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The capacitances per length of one strip of a pair of coupled microstrips.

    Garg and Bahl, "Characteristics of coupled microstriplines", IEEE Trans. MTT 27(7), 1979,
    pp. 700-705 (stated accuracy 3 % for 0.2 <= w/h <= 2, 0.05 <= s/h <= 2): the even mode has
    ``C_e = C_p + C_f + C_f'``, the odd mode ``C_o = C_p + C_f + C_ga + C_gd``. ``K(k')/K(k)``
    of ``C_ga`` is evaluated exactly (scipy's ``ellipk``).

    Args:
        s_m: Gap widths in m.
        w_m: Strip widths in m.
        h_m: Substrate height in m.
        eps_r: Substrate permittivity (1 for the air-filled line).
        c_line: Quasi-static C' of a single strip of width ``w_m``, F/m.
        eps_eff: Quasi-static effective permittivity of that strip.

    Returns:
        ``(C_p, C_f, C_f', C_ga, C_gd)`` in F/m, broadcast over the inputs.
    """
    c_p = EPS0 * eps_r * w_m / h_m
    c_f = np.maximum(0.5 * (c_line - c_p), 1e-30)
    a = np.exp(-0.1 * np.exp(2.33 - 2.53 * w_m / h_m))
    c_f2 = c_f / (1.0 + a * (h_m / s_m) * np.tanh(8.0 * s_m / h_m)) * np.sqrt(eps_r / eps_eff)
    k = s_m / (s_m + 2.0 * w_m)
    c_ga = EPS0 * ellipk(1.0 - k**2) / ellipk(k**2)
    c_gd = EPS0 * eps_r / np.pi * np.log(1.0 / np.tanh(np.pi * s_m / (4.0 * h_m)))
    c_gd = c_gd + 0.65 * c_f * (0.02 * np.sqrt(eps_r) * h_m / s_m + 1.0 - eps_r**-2)
    return c_p, c_f, c_f2, c_ga, c_gd


def coupled_edge_capacitance(
    s_m: np.ndarray,
    w_m: np.ndarray,
    h_m: float,
    eps_r: float,
    c_line: np.ndarray,
    eps_eff: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Mutual capacitance and even-mode fringing of the facing edges of coupled lines.

    From Garg and Bahl's capacitances (:func:`garg_bahl_capacitances`): the mutual
    capacitance is ``C_m = (C_o - C_e) / 2`` and the edge facing the gap keeps ``C_f'`` to
    ground instead of ``C_f``.

    Args:
        s_m: Gap widths in m.
        w_m: Strip widths in m (the metal depth behind each facing edge).
        h_m: Substrate height in m.
        eps_r: Substrate permittivity.
        c_line: Quasi-static C' of a strip of width ``w_m``, F/m.
        eps_eff: Quasi-static effective permittivity of that strip.

    Returns:
        ``(C_m, ratio)``: mutual capacitance per unit edge length in F/m (clipped at 0) and
        ``C_f' / C_f`` clipped to [0, 1].
    """
    _, c_f, c_f2, c_ga, c_gd = garg_bahl_capacitances(s_m, w_m, h_m, eps_r, c_line, eps_eff)
    c_m = np.maximum(0.5 * (c_ga + c_gd - c_f2), 0.0)
    return c_m, np.clip(c_f2 / c_f, 0.0, 1.0)


@dataclass(frozen=True)
class CoupledModes:
    """Even- and odd-mode parameters of a symmetric pair of coupled microstrips.

    Attributes:
        eps_even: Effective permittivity of the even mode (shape of the frequency input, or a
            scalar for a quasi-static model).
        eps_odd: Effective permittivity of the odd mode.
        z0_even: Even-mode impedance in ohm (NaN where the model gives none).
        z0_odd: Odd-mode impedance in ohm.
    """

    eps_even: np.ndarray
    eps_odd: np.ndarray
    z0_even: np.ndarray
    z0_odd: np.ndarray


def _single_strip_static(u: float, eps_r: float) -> tuple[float, float]:
    """Zero-thickness strip, Hammerstad-Jensen (scikit-rf's functions): (C' F/m, eps_eff)."""
    a, b = hammerstad_ab(u, eps_r)
    eps_eff = float(hammerstad_er(u, eps_r, a, b))
    z_air = float(hammerstad_zl(u))
    return eps_eff / (C0 * z_air), eps_eff


def coupled_lines_garg_bahl(w_mm: float, s_mm: float, h_mm: float, eps_r: float) -> CoupledModes:
    """Quasi-static even and odd modes of zero-thickness coupled microstrips.

    Garg and Bahl, IEEE Trans. MTT 27(7), 1979, pp. 700-705: ``eps_e = C_e / C_e(air)``,
    ``Z_0e = 1 / (c0 sqrt(C_e C_e(air)))`` and likewise for the odd mode, the air-filled line
    being the same formulas with ``eps_r = 1``. Single-strip capacitances from
    Hammerstad-Jensen (scikit-rf).

    Args:
        w_mm: Strip width in mm.
        s_mm: Gap in mm.
        h_mm: Substrate height in mm.
        eps_r: Substrate permittivity.
    """
    u = w_mm / h_mm
    modes = []
    for er in (eps_r, 1.0):
        c_line, eps_eff = _single_strip_static(u, er)
        c_p, c_f, c_f2, c_ga, c_gd = garg_bahl_capacitances(
            s_mm * 1e-3, w_mm * 1e-3, h_mm * 1e-3, er, c_line, eps_eff
        )
        modes.append((c_p + c_f + c_f2, c_p + c_f + c_ga + c_gd))
    (ce, co), (ce_air, co_air) = modes
    return CoupledModes(
        eps_even=np.asarray(ce / ce_air),
        eps_odd=np.asarray(co / co_air),
        z0_even=np.asarray(1.0 / (C0 * math.sqrt(ce * ce_air))),
        z0_odd=np.asarray(1.0 / (C0 * math.sqrt(co * co_air))),
    )


def coupled_lines_kirschning_jansen(
    w_mm: float, s_mm: float, h_mm: float, eps_r: float, f_ghz: np.ndarray
) -> CoupledModes:
    """Frequency-dependent even- and odd-mode permittivities of coupled microstrips.

    Kirschning and Jansen, "Accurate wide-range design equations for the frequency-dependent
    characteristic of parallel coupled microstrip lines", IEEE Trans. MTT 32(1), 1984,
    pp. 83-90, with the corrections of IEEE Trans. MTT 33(3), 1985, p. 288 (stated accuracy
    about 1 % for 0.1 <= w/h <= 10, 0.1 <= s/h <= 10, 1 <= eps_r <= 18, f h <= 25 GHz mm).
    Zero-thickness strips; the static single-strip permittivity is Hammerstad-Jensen's
    (scikit-rf). For a wide gap both modes tend to the single strip with Kirschning-Jansen
    dispersion. Impedances are not computed (NaN).

    Args:
        w_mm: Strip width in mm.
        s_mm: Gap in mm.
        h_mm: Substrate height in mm.
        eps_r: Substrate permittivity.
        f_ghz: Frequencies in GHz.
    """
    er = eps_r
    u, g = w_mm / h_mm, s_mm / h_mm
    fn = np.asarray(f_ghz, dtype=float) * h_mm  # GHz mm
    # quasi-static even mode: Hammerstad's formula at a modified width
    v = u * (20.0 + g**2) / (10.0 + g**2) + g * math.exp(-g)
    eps_e0 = float(hammerstad_er(v, er, *hammerstad_ab(v, er)))
    # quasi-static odd mode
    eps_1 = float(hammerstad_er(u, er, *hammerstad_ab(u, er)))
    d = 0.593 + 0.694 * math.exp(-0.562 * u)
    bo = 0.747 * er / (0.15 + er)
    co = bo - (bo - 0.207) * math.exp(-0.414 * u)
    ao = 0.7287 * (eps_1 - 0.5 * (er + 1.0)) * (1.0 - math.exp(-0.179 * u))
    eps_o0 = (0.5 * (er + 1.0) + ao - eps_1) * math.exp(-co * g**d) + eps_1
    # dispersion of the even mode
    # P1-P4 are the single strip's (Kirschning and Jansen, Electron. Lett. 18(6), 1982)
    p1 = (
        0.27488
        + (0.6315 + 0.525 / (1.0 + 0.0157 * fn) ** 20) * u
        - 0.065683 * math.exp(-8.7513 * u)
    )
    p2 = 0.33622 * (1.0 - math.exp(-0.03442 * er))
    p3 = 0.0363 * math.exp(-4.6 * u) * (1.0 - np.exp(-((fn / 38.7) ** 4.97)))
    p4 = 1.0 + 2.751 * (1.0 - math.exp(-((er / 15.916) ** 8)))
    p5 = 0.334 * math.exp(-3.3 * (er / 15.0) ** 3) + 0.746
    p6 = p5 * np.exp(-((fn / 18.0) ** 0.368))
    p7 = 1.0 + 4.069 * p6 * g**0.479 * math.exp(-1.347 * g**0.595 - 0.17 * g**2.5)
    fe = p1 * p2 * ((p3 * p4 + 0.1844 * p7) * fn) ** 1.5763
    # dispersion of the odd mode
    p8 = 0.7168 * (1.0 + 1.076 / (1.0 + 0.0576 * (er - 1.0)))
    p9 = p8 - 0.7913 * (1.0 - np.exp(-((fn / 20.0) ** 1.424))) * math.atan(
        2.481 * (er / 8.0) ** 0.946
    )
    p10 = 0.242 * (er - 1.0) ** 0.55
    p11 = 0.6366 * (np.exp(-0.3401 * fn) - 1.0) * math.atan(1.263 * (u / 3.0) ** 1.629)
    p12 = p9 + (1.0 - p9) / (1.0 + 1.183 * u**1.376)
    p13 = 1.695 * p10 / (0.414 + 1.605 * p10)
    p14 = 0.8928 + 0.1072 * (1.0 - np.exp(-0.42 * (fn / 20.0) ** 3.215))
    p15 = np.abs(1.0 - 0.8928 * (1.0 + p11) * math.exp(-p13 * g**1.092) * p12 / p14)
    fo = p1 * p2 * ((p3 * p4 + 0.1844) * fn * p15) ** 1.5763
    nan = np.full_like(fn, np.nan)
    return CoupledModes(
        eps_even=er - (er - eps_e0) / (1.0 + fe),
        eps_odd=er - (er - eps_o0) / (1.0 + fo),
        z0_even=nan,
        z0_odd=nan.copy(),
    )


def end_gap_capacitance(
    s_m: np.ndarray, w_m: np.ndarray, h_m: float, eps_r: float
) -> tuple[np.ndarray, np.ndarray]:
    """Series capacitance of the gap between the ends of two equal microstrips.

    Kirschning, Jansen and Koster, "Measurement and computer-aided modeling of microstrip
    discontinuities by an improved resonator method", IEEE MTT-S Int. Microwave Symp. Digest,
    1983, pp. 495-497 (stated for 0.1 <= w/h <= 3 and 6 <= eps_r <= 13; also the model of
    Qucs' MGAP). ``w/h`` is clipped to that range; the capacitance per unit width hardly
    depends on it.

    Args:
        s_m: Gap in m.
        w_m: Strip width in m.
        h_m: Substrate height in m.
        eps_r: Substrate permittivity.

    Returns:
        ``(C_s / w, ratio)``: series capacitance per unit strip width in F/m and the factor
        ``Q2 / (Q2 + 1)`` by which the neighbouring end lowers each open-end capacitance.
    """
    u = np.clip(w_m / h_m, 0.1, 3.0)
    g = s_m / h_m
    q1 = 0.04598 * (0.03 + u**1.23) * (0.272 + 0.07 * eps_r)
    q2 = 0.107 * (u + 9.0) * g**3.23 + 2.09 * g**1.05 * (1.5 + 0.3 * u) / (1.0 + 0.6 * u)
    c_s = 5e-10 * h_m * np.exp(-1.86 * g) * q1 * (1.0 + 4.19 * (1.0 - np.exp(-0.785 / np.sqrt(u))))
    return c_s / (u * h_m), q2 / (q2 + 1.0)


def t_junction_shift(
    z0: np.ndarray, eps_eff: np.ndarray, w_m: np.ndarray, h_m: float, f_hz: np.ndarray
) -> np.ndarray:
    """How far beyond the through line's edge the side arm of a T-junction starts.

    Hammerstad, "Computer-aided design of microstrip couplers with accurate discontinuity
    models", IEEE MTT-S Int. Microwave Symp. Digest, 1981, pp. 54-56 (planar-waveguide model of
    the junction; the same equations drive Qucs' MTEE). The side arm's reference plane lies
    ``d2 = D1 (0.5 - r (0.05 + 0.7 exp(-1.6 r) + 0.25 r q - 0.17 ln r))`` from the through
    line's centre line, where ``D1 = eta0 h / (Z1 sqrt(eps_eff1))`` is the parallel-plate width
    of the through line, ``r = Z1 / Z2`` and ``q = (f / f_p1)^2`` with ``f_p1 = 0.4 Z1 / h``
    (GHz for h in mm). ``r`` is clipped to [0.5, 2], the range of ordinary T-junctions.

    Args:
        z0: Characteristic impedance per strip width and frequency, ``K x F``, ohm.
        eps_eff: Effective permittivity, ``K x F``.
        w_m: The ``K`` strip widths in m.
        h_m: Substrate height in m.
        f_hz: The ``F`` frequencies in Hz.

    Returns:
        ``d2 - W1 / 2`` in m for through-line width index ``k1`` and side-arm width index
        ``k2``, shape ``K x K x F`` (positive: the side arm looks shorter than drawn).
    """
    z1, z2 = z0[:, None, :], z0[None, :, :]
    d1 = (ETA0 * h_m / (z0 * np.sqrt(eps_eff)))[:, None, :]
    fp1 = 0.4e6 * z0 / h_m  # Hz, h in m
    q = (f_hz[None, :] / fp1)[:, None, :] ** 2
    r = np.clip(z1 / z2, 0.5, 2.0)  # beyond this the fit runs away (r > 3 gives d2 >> D1)
    d2 = d1 * (0.5 - r * (0.05 + 0.7 * np.exp(-1.6 * r) + 0.25 * r * q - 0.17 * np.log(r)))
    return d2 - 0.5 * w_m[:, None, None]


def gap_coupling_tables(
    gaps_m: np.ndarray, widths_m: np.ndarray, h_m: float, substrate: Substrate
) -> tuple[np.ndarray, np.ndarray]:
    """Coupling of metal edges facing across a gap, per unit edge length.

    Edges facing across a gap ``s`` over a window ``W`` with metal ``d`` deep behind them
    couple like the side edges of coupled lines when ``W >> d``
    (:func:`coupled_edge_capacitance`, a 2-D result, with ``d`` clipped to its 0.2-2 h range)
    and like the ends of two strips of width ``W`` when ``d >> W``
    (:func:`end_gap_capacitance`); the two are blended with weight ``d / (d + W)`` on the
    end-gap value.

    Args:
        gaps_m: The gap widths in m (``G`` values).
        widths_m: The strip widths in m that depths and windows may take (``K`` values).
        h_m: Substrate height in m.
        substrate: Substrate (for the static line parameters).

    Returns:
        ``(C_m, ratio)``, each ``G x K (depth) x K (window)``: mutual capacitance per unit
        edge length in F/m and the factor on each facing edge's fringing to ground.
    """
    w_gb, inv = np.unique(np.clip(widths_m, 0.2 * h_m, 2.0 * h_m), return_inverse=True)
    c_st, ee_st = static_line(substrate, w_gb)
    s = np.asarray(gaps_m, dtype=float)[:, None]
    cm_side, r_side = coupled_edge_capacitance(
        s, w_gb[inv][None, :], h_m, substrate.eps_r, c_st[inv], ee_st[inv]
    )
    cm_end, r_end = end_gap_capacitance(s, widths_m[None, :], h_m, substrate.eps_r)
    d, w = widths_m[:, None], widths_m[None, :]
    t = (d / (d + w))[None]
    cm = t * cm_end[:, None, :] + (1.0 - t) * cm_side[:, :, None]
    ratio = t * r_end[:, None, :] + (1.0 - t) * r_side[:, :, None]
    return cm, ratio
