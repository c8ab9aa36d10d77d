"""Stepped-impedance low-pass: prototype, initial dimensions and optimisation on a model.

The classical route (Matthaei, Young and Jones, *Microwave Filters, Impedance-Matching
Networks, and Coupling Structures*, 1964, sections 4.05 and 7.03; Hong and Lancaster,
*Microstrip Filters for RF/Microwave Applications*, Wiley 2001, sections 3.1 and 5.1):

1. the masks give the passband ripple (from the return loss) and the rejection at the
   nearest stop edge; the Chebyshev order follows (Hong and Lancaster eq. 3.13), odd so the
   ladder is symmetric and matched to 50 ohm at both ends;
2. the ladder's element values ``g_k`` (Matthaei eq. 4.05-2; Hong and Lancaster eq. 3.12);
3. each inductor becomes a short high-impedance section, each capacitor a short
   low-impedance one (Hong and Lancaster eqs. 5.2-5.3:
   ``l_L = lambda_gL / (2 pi) asin(g R0 / Z_h)``, ``l_C = lambda_gC / (2 pi) asin(g Z_l / R0)``);
4. the section lengths are then optimised on a model of the whole line (the circuit model,
   which reproduces each strip's Z0 and eps_eff and the steps between them) for the largest
   worst mask margin: the classical formulas ignore the step capacitances and the sections'
   own parasitic reactances (the inductors' shunt C, the capacitors' series L), and the
   response needs a few percent of correction.

The engine takes plain values and a model callable; :mod:`rfdesign.design.stepped` builds
the spec's pipeline around it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rfdesign.layouts.feeds import microstrip_line
from rfdesign.layouts.stepped import SteppedLine
from rfdesign.layouts.substrate import Substrate
from rfdesign.optimizers.masks import Mask, MaskSet, soft_min

R0_OHM = 50.0
"""Port impedance the prototype is scaled to, ohm."""


def ripple_db(return_loss_db: float) -> float:
    """Chebyshev passband ripple (dB) whose peak reflection is ``return_loss_db``.

    ``L_Ar = -10 log10(1 - 10^(-RL / 10))`` (a lossless two-port: ``|S21|^2 = 1 - |S11|^2``).
    """
    if not return_loss_db > 0:
        raise ValueError(f"return_loss_db: must be > 0, got {return_loss_db}")
    return float(-10.0 * math.log10(1.0 - 10.0 ** (-return_loss_db / 10.0)))


def chebyshev_order(ripple: float, omega_s: float, rejection_db: float) -> int:
    """Smallest Chebyshev order with ``rejection_db`` at ``omega_s`` (Hong and Lancaster eq. 3.13).

    Args:
        ripple: Passband ripple ``L_Ar``, dB.
        omega_s: Normalised stop edge (> 1: the stop edge over the cutoff).
        rejection_db: Attenuation needed there, dB (positive).
    """
    if not omega_s > 1:
        raise ValueError(f"omega_s: the stop edge must lie above the cutoff (> 1), got {omega_s}")
    ratio = (10 ** (rejection_db / 10) - 1) / (10 ** (ripple / 10) - 1)
    return max(1, math.ceil(math.acosh(math.sqrt(max(ratio, 1.0))) / math.acosh(omega_s) - 1e-9))


def chebyshev_g(n: int, ripple: float) -> tuple[float, ...]:
    """Element values ``g_0 .. g_(n+1)`` of the Chebyshev low-pass ladder.

    Matthaei, Young and Jones (1964) eq. 4.05-2, as Hong and Lancaster (2001) eq. 3.12 write
    it: ``beta = ln coth(L_Ar / 17.37)``, ``gamma = sinh(beta / 2n)``; ``g_1 = 2 a_1 / gamma``,
    ``g_k = 4 a_(k-1) a_k / (b_(k-1) g_(k-1))`` with ``a_k = sin((2k - 1) pi / 2n)``,
    ``b_k = gamma^2 + sin^2(k pi / n)``; ``g_(n+1) = 1`` for odd ``n``, ``coth^2(beta / 4)``
    for even ``n``.
    """
    if n < 1:
        raise ValueError(f"n: the order must be >= 1, got {n}")
    if not ripple > 0:
        raise ValueError(f"ripple: must be > 0 dB, got {ripple}")
    beta = math.log(1.0 / math.tanh(ripple / 17.37))
    gamma = math.sinh(beta / (2 * n))
    a = [math.sin((2 * k - 1) * math.pi / (2 * n)) for k in range(1, n + 1)]
    b = [gamma**2 + math.sin(k * math.pi / n) ** 2 for k in range(1, n + 1)]
    g = [1.0, 2 * a[0] / gamma]
    for k in range(2, n + 1):
        g.append(4 * a[k - 2] * a[k - 1] / (b[k - 2] * g[k - 1]))
    g.append(1.0 if n % 2 else 1.0 / math.tanh(beta / 4) ** 2)
    return tuple(g)


@dataclass(frozen=True)
class LineWidths:
    """The two widths of the stepped line and what they give.

    Attributes:
        high_mm: Narrow (high-impedance) section width, mm.
        low_mm: Wide (low-impedance) section width, mm.
        z_high_ohm: Its impedance at the cutoff, ohm.
        z_low_ohm: Its impedance at the cutoff, ohm.
        notes: Which limit set each width.
    """

    high_mm: float
    low_mm: float
    z_high_ohm: float
    z_low_ohm: float
    notes: tuple[str, ...] = ()


def line_widths(
    substrate: Substrate,
    fc_ghz: float,
    f_top_ghz: float,
    min_line_mm: float,
    z_high_ohm: float = 100.0,
    z_low_ohm: float = 20.0,
) -> LineWidths:
    """The widths of the sections: as extreme an impedance ratio as can be built.

    The high impedance is ``z_high_ohm`` or what the narrowest buildable line gives; the low
    one is ``z_low_ohm`` unless that line is wider than a quarter of its guided wavelength at
    ``f_top_ghz`` (a transverse resonance would then sit inside the sweep; Hong and Lancaster
    section 5.1), where the width is cut to that quarter wavelength.
    """
    from rfdesign.layouts.feeds import microstrip_width_mm, microstrip_z0

    notes = []
    w_h = microstrip_width_mm(substrate, z_high_ohm, fc_ghz, round_to_mm=None)
    if w_h < min_line_mm:
        notes.append(
            f"high-impedance width {min_line_mm * 1e3:.0f} um: the fabrication limit "
            f"({z_high_ohm:.0f} ohm needs {w_h * 1e3:.1f} um)"
        )
        w_h = min_line_mm
    w_l = microstrip_width_mm(substrate, z_low_ohm, fc_ghz, round_to_mm=None)
    line = microstrip_line(substrate, w_l, f_top_ghz)
    quarter = 0.25 * 299.792458 / f_top_ghz / math.sqrt(float(np.real(line.ep_reff_f[0])))
    if w_l > quarter:
        notes.append(
            f"low-impedance width {quarter:.3f} mm: a quarter guided wavelength at "
            f"{f_top_ghz:g} GHz ({z_low_ohm:.0f} ohm needs {w_l:.3f} mm)"
        )
        w_l = quarter
    w_h, w_l = round(w_h, 4), round(w_l, 4)
    return LineWidths(
        w_h,
        w_l,
        microstrip_z0(substrate, w_h, fc_ghz),
        microstrip_z0(substrate, w_l, fc_ghz),
        tuple(notes),
    )


def guided_wavelength_mm(substrate: Substrate, width_mm: float, f_ghz: float) -> float:
    """Guided wavelength of a strip at ``f_ghz`` (scikit-rf's dispersive eps_eff), mm."""
    line = microstrip_line(substrate, width_mm, f_ghz)
    return 299.792458 / f_ghz / math.sqrt(float(np.real(line.ep_reff_f[0])))


def initial_line(
    g: Sequence[float], substrate: Substrate, widths: LineWidths, fc_ghz: float
) -> SteppedLine:
    """The ladder ``g`` (odd order, shunt capacitor first) as a stepped line.

    Hong and Lancaster (2001) eqs. 5.2-5.3 at the cutoff ``fc_ghz``; an element the
    impedance ratio cannot reach (``asin`` argument above 1) gets a quarter wavelength and
    is left to the optimisation.
    """
    n = len(g) - 2
    if n % 2 == 0:
        raise ValueError(f"g: a symmetric stepped line needs an odd order, got {n}")
    lam_l = guided_wavelength_mm(substrate, widths.low_mm, fc_ghz)
    lam_h = guided_wavelength_mm(substrate, widths.high_mm, fc_ghz)
    lengths, ws = [], []
    for k in range(1, (n + 1) // 2 + 1):
        if k % 2:  # shunt C
            arg, lam, w = g[k] * widths.z_low_ohm / R0_OHM, lam_l, widths.low_mm
        else:  # series L
            arg, lam, w = g[k] * R0_OHM / widths.z_high_ohm, lam_h, widths.high_mm
        lengths.append(lam / (2 * math.pi) * math.asin(min(arg, 1.0)))
        ws.append(w)
    return SteppedLine(tuple(round(x, 4) for x in lengths), tuple(ws))


class CascadeModel:
    """The line as a cascade of scikit-rf microstrip sections: the coarse model.

    Each section is scikit-rf's :class:`~skrf.media.MLine` (Hammerstad-Jensen impedance,
    Kirschning-Jansen dispersion, conductor and dielectric loss) of its width and length; the
    ports are 50 ohm at the line's ends. The steps between widths (their shunt capacitance and
    the narrow line's extra inductance) and the open ends of the wide sections are left out:
    the fine model's job, bridged by space mapping. Measured against openEMS on a 7-section
    line on 0.254 mm alumina (docs/design_flow.md): cutoff 5.3 GHz vs openEMS 5.8 GHz; the
    project's pixel circuit model gave 5.2 GHz and 30 dB too much stop-band rejection (no
    spurious pass band), which is why the cascade and not the circuit model is the coarse
    model here.

    Args:
        substrate: The substrate and conductor.
        f_ghz: Frequencies, GHz.
    """

    def __init__(self, substrate: Substrate, f_ghz: np.ndarray) -> None:
        import skrf

        self.substrate = substrate
        self.f_ghz = np.asarray(f_ghz, float)
        self._freq = skrf.Frequency.from_f(self.f_ghz, unit="GHz")
        self._media: dict[float, object] = {}

    def _medium(self, width_mm: float):
        import skrf

        key = round(width_mm, 6)
        if key not in self._media:
            m = microstrip_line(self.substrate, width_mm, self.f_ghz)
            self._media[key] = skrf.media.DefinedGammaZ0(
                frequency=self._freq, gamma=m.gamma, z0=m.z0_characteristic, z0_port=R0_OHM
            )
        return self._media[key]

    def __call__(self, line: SteppedLine):
        """The line's 2-port network (``skrf.Network``) at the model's frequencies."""
        return self.sections(line.full_lengths_mm, line.full_widths_mm)

    def sections(self, lengths_mm: Sequence[float], widths_mm: Sequence[float]):
        """Any sequence of sections, port 1 to port 2 (not necessarily symmetric), mm."""
        net = None
        for length, width in zip(lengths_mm, widths_mm, strict=True):
            sec = self._medium(float(width)).line(float(length) * 1e-3, unit="m")
            net = sec if net is None else net**sec
        net.name = "microstrip cascade"
        return net


Model = Callable[[SteppedLine], object]
"""Stepped line -> its network (``skrf.Network``, 2-port)."""


@dataclass(frozen=True)
class LineOptimum:
    """The best line found on a model.

    Attributes:
        line: The line.
        worst_margin_db: Its worst mask margin on the model, dB.
        band_margins_db: Its worst margin per band, dB.
        evaluations: Model evaluations spent.
    """

    line: SteppedLine
    worst_margin_db: float
    band_margins_db: dict[str, float]
    evaluations: int


def optimise_lengths(
    line: SteppedLine,
    model: Model,
    masks: Sequence[Mask],
    f_ghz: np.ndarray,
    min_length_mm: float,
    temperature_db: float = 0.1,
    enough_db: float | None = None,
    max_evaluations: int = 3000,
    restarts: int = 4,
) -> LineOptimum:
    """Section lengths (widths held) with the largest worst margin on ``model``.

    Nelder-Mead on the logarithms of the lengths (each stays above ``min_length_mm``) of a
    soft minimum of the band margins, restarted from where it stalls (the minimum over
    bands has kinks on which a simplex stops).

    Args:
        line: Start (its widths are kept).
        model: Line -> network.
        masks: The masks to meet.
        f_ghz: Frequencies the masks are judged at (the model is asked at these).
        min_length_mm: Shortest section (fabrication: about the smallest line width).
        temperature_db: Softness of the minimum over the bands, dB.
        enough_db: Margins above this count no more (stop early); ``None``: no cap.
        max_evaluations: Most model evaluations in all.
        restarts: Most Nelder-Mead restarts.
    """
    judge = MaskSet(masks, f_ghz)

    def band_margins(ln: SteppedLine) -> dict[str, float]:
        s = model(ln).s
        return judge.report(s[:, 0, 0], s[:, 1, 0]).band_margins_db

    def cost(lengths: np.ndarray) -> float:
        ln = SteppedLine(tuple(round(float(v), 4) for v in lengths), line.widths_mm)
        soft = soft_min(np.array(list(band_margins(ln).values())), temperature_db)
        return float(-(soft if enough_db is None else min(soft, enough_db)))

    stop = None if enough_db is None else -enough_db + 1e-9
    lengths, _, count = minimise_lengths(
        cost, np.array(line.lengths_mm), min_length_mm, max_evaluations, restarts, stop
    )
    out = SteppedLine(tuple(round(float(v), 4) for v in lengths), line.widths_mm)
    margins = band_margins(out)
    return LineOptimum(out, float(min(margins.values())), margins, count)


def minimise_lengths(
    cost: Callable[[np.ndarray], float],
    lengths_mm: np.ndarray,
    min_length_mm: float,
    max_evaluations: int = 3000,
    restarts: int = 4,
    stop_below: float | None = None,
) -> tuple[np.ndarray, float, int]:
    """Minimise ``cost(lengths)`` over positive section lengths (mm).

    First every length by one factor (a bounded scalar search over 0.5-1.5: the classical
    lengths put the cutoff several percent off, and a simplex started there can stall where
    one band is traded against the other: 7 sections ended at -13 dB instead of > 0), then
    Nelder-Mead on the logarithms of the lengths, restarted from where it stalls (a minimum
    over bands has kinks on which a simplex stops). Every length stays above
    ``min_length_mm``.

    Returns:
        ``(lengths, cost, evaluations)``.
    """
    from scipy.optimize import minimize, minimize_scalar

    count = [0]

    def f(u: np.ndarray) -> float:
        count[0] += 1
        return cost(np.maximum(np.exp(u), min_length_mm))

    u0 = np.log(np.maximum(np.asarray(lengths_mm, float), min_length_mm))
    scale = minimize_scalar(
        lambda a: f(u0 + a),
        bounds=(math.log(0.5), math.log(1.5)),
        method="bounded",
        options={"xatol": 1e-3},
    )
    best = (u0 + scale.x, float(scale.fun))
    for _ in range(restarts):
        left = max_evaluations - count[0]
        if left < 2 * u0.size + 2 or (stop_below is not None and best[1] <= stop_below):
            break
        sol = minimize(
            f, best[0], method="Nelder-Mead", options={"maxfev": left, "xatol": 1e-4, "fatol": 1e-3}
        )
        improved = sol.fun < best[1] - 1e-3
        if sol.fun < best[1]:
            best = (sol.x, float(sol.fun))
        if not improved:
            break
    return np.maximum(np.exp(best[0]), min_length_mm), best[1], count[0]
