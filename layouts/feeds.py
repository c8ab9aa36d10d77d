"""Microstrip feed synthesis with scikit-rf's quasi-static microstrip model.

The line width for a wanted characteristic impedance is found by root-finding on
:class:`skrf.media.MLine` (Hammerstad and Jensen, "Accurate models for microstrip
computer-aided design", IEEE MTT-S Int. Microwave Symp. Dig., 1980, pp. 407-409, with the
Kirschning-Jansen dispersion model). No impedance formula is re-implemented here.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from rfdesign.layouts.substrate import Substrate

FEED_WIDTH_GRID_MM = 1e-4
"""Synthesised widths are rounded to 0.1 um, the drawing grid of the exported GDS files."""


def microstrip_line(substrate: Substrate, width_mm: float, frequency_ghz: np.ndarray | float):
    """Return scikit-rf's microstrip media for a strip on ``substrate``.

    Args:
        substrate: The substrate and conductor.
        width_mm: Strip width in mm.
        frequency_ghz: Frequency or frequencies in GHz.

    Returns:
        A :class:`skrf.media.MLine` (Hammerstad-Jensen static model, Kirschning-Jansen
        dispersion, conductor and dielectric losses).
    """
    import skrf
    from skrf.media import MLine

    f = np.atleast_1d(np.asarray(frequency_ghz, dtype=float))
    frequency = skrf.Frequency.from_f(f, unit="GHz")
    return MLine(
        frequency=frequency,
        w=width_mm * 1e-3,
        h=substrate.height_mm * 1e-3,
        t=max(substrate.metal_thickness_um, 1e-3) * 1e-6,
        ep_r=substrate.eps_r,
        tand=substrate.tan_delta,
        rho=1.0 / substrate.conductivity_s_per_m,
        rough=0.0,
        model="hammerstadjensen",
        disp="kirschningjansen",
    )


def microstrip_z0(substrate: Substrate, width_mm: float, frequency_ghz: float) -> float:
    """Characteristic impedance in ohm of a strip of ``width_mm`` at ``frequency_ghz``."""
    line = microstrip_line(substrate, width_mm, frequency_ghz)
    return float(np.real(line.z0_characteristic[0]))


def microstrip_width_mm(
    substrate: Substrate,
    z0_ohm: float = 50.0,
    frequency_ghz: float = 40.0,
    round_to_mm: float | None = FEED_WIDTH_GRID_MM,
) -> float:
    """Synthesise the strip width in mm that gives ``z0_ohm`` on ``substrate``.

    Args:
        substrate: The substrate and conductor.
        z0_ohm: Wanted characteristic impedance in ohm (5-200).
        frequency_ghz: Frequency in GHz at which the dispersive impedance is matched.
        round_to_mm: Drawing grid in mm to round the width to; ``None`` keeps the exact root.

    Returns:
        The strip width in mm.

    Raises:
        ValueError: If ``z0_ohm`` cannot be reached with widths between 0.001 and 100 substrate
            heights.
    """
    if not 5.0 <= z0_ohm <= 200.0:
        raise ValueError(f"z0_ohm: {z0_ohm} ohm is outside the synthesisable range 5-200 ohm")
    h = substrate.height_mm

    def mismatch(log_w: float) -> float:
        return microstrip_z0(substrate, math.exp(log_w), frequency_ghz) - z0_ohm

    lo, hi = math.log(1e-3 * h), math.log(100.0 * h)
    if mismatch(lo) * mismatch(hi) > 0:
        raise ValueError(f"z0_ohm: {z0_ohm} ohm is not reachable on this substrate")
    width = math.exp(brentq(mismatch, lo, hi, xtol=1e-10))
    if round_to_mm:
        width = round(round(width / round_to_mm) * round_to_mm, 9)
    return width
