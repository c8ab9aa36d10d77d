"""Which resonator technology can build a synthesised filter: unloaded Q estimates and a verdict.

A filter of minimum unloaded Q ``Qu_min`` (:func:`~rfdesign.optimizers.synthesis.order.minimum_qu`)
is buildable in a technology whose resonators reach it. Estimates at the filter's frequency on
the spec's substrate:

* **channel housing** (shielded microstrip, no radiation): the Q of the line itself,
  ``Q = beta / (2 alpha)`` with conductor and dielectric attenuation from scikit-rf's
  ``MLine`` (Hammerstad-Jensen, Kirschning-Jansen) for a 50-ohm strip of the spec's metal;
* **channel housing, PEC metal** (what this project's openEMS runs model): dielectric loss only,
  ``beta / (2 alpha_d)``;
* **open microstrip**: the line Q combined with radiation from the resonators' open ends,
  ``1/Q = 1/Q_line + 1/Q_rad``. ``Q_rad`` is this project's openEMS measurement (about 100 for
  isolated half-wave strips at 39.5 GHz on 0.127 mm alumina, ``h/lambda0 = 0.0167``;
  docs/design_space.md sec. 3) scaled with ``(lambda0/h)^2``, the law of open-end radiation
  (Lewin, Proc. IEE 107C, 1960; Hammerstad, "Microstrip handbook", 1975). An estimate: coupled
  strips radiate less (an effective Qu of about 450 was measured for a coupled comb).
* **waveguide cavity**: an air-filled cubic copper cavity in its TE101 mode,
  ``Qc = sqrt(2) pi eta0 / (6 Rs)`` (Pozar, "Microwave Engineering", 4th ed., Wiley 2012,
  eq. 6.46 with ``a = b = d``), ``Rs = sqrt(pi f mu0 / sigma)``: the reference for filters
  that no planar resonator can build.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rfdesign.core.constants import C0_MM_PER_NS, ETA0, MU0

COPPER_S_PER_M = 5.8e7
"""Conductivity of the cavity's copper walls, S/m."""

RADIATION_Q_MEASURED = 100.0
"""Radiation-limited Qu of isolated open half-wave strips measured with openEMS (sec. 3)."""

RADIATION_Q_H_OVER_LAMBDA = 0.127 / (C0_MM_PER_NS / 39.5)
"""The ``h / lambda0`` of that measurement (0.127 mm at 39.5 GHz)."""


@dataclass(frozen=True)
class Technology:
    """A resonator technology and the unloaded Q it reaches.

    Attributes:
        name: E.g. ``"channel housing"``.
        qu: Estimated unloaded Q at the filter's frequency.
        source: How the number was obtained (one line).
        buildable: False for a modelling assumption that no hardware reaches (PEC metal).
    """

    name: str
    qu: float
    source: str
    buildable: bool = True

    def to_dict(self) -> dict:
        """Plain-Python form."""
        return asdict(self)


def technologies(substrate, f0_ghz: float) -> list[Technology]:
    """Unloaded Q estimates of the technologies on ``substrate`` at ``f0_ghz`` (see module).

    Args:
        substrate: A :class:`rfdesign.layouts.substrate.Substrate`.
        f0_ghz: Frequency in GHz.

    Returns:
        Open microstrip, channel housing (the spec's metal), a copper waveguide cavity and the
        channel housing with PEC metal, lowest Q first.
    """
    from rfdesign.layouts.feeds import microstrip_line, microstrip_width_mm

    w = microstrip_width_mm(substrate, 50.0, f0_ghz, round_to_mm=None)
    line = microstrip_line(substrate, w, f0_ghz)
    gamma = complex(line.gamma[0])
    q_line = gamma.imag / (2.0 * gamma.real)
    alpha_d = float(np.atleast_1d(line.alpha_dielectric)[0])
    q_pec = gamma.imag / (2.0 * alpha_d) if alpha_d > 0 else np.inf
    h_over_l = substrate.height_mm / (C0_MM_PER_NS / f0_ghz)
    q_rad = RADIATION_Q_MEASURED * (RADIATION_Q_H_OVER_LAMBDA / h_over_l) ** 2
    q_open = 1.0 / (1.0 / q_line + 1.0 / q_rad)
    metal = f"{substrate.conductivity_s_per_m:.3g} S/m, {substrate.metal_thickness_um:g} um"
    rs = np.sqrt(np.pi * f0_ghz * 1e9 * MU0 / COPPER_S_PER_M)
    q_cavity = np.sqrt(2.0) * np.pi * ETA0 / (6.0 * rs)
    return [
        Technology(
            "open microstrip",
            float(q_open),
            f"radiation Q {q_rad:.0f} (openEMS-measured, scaled by (lambda0/h)^2) with line Q "
            f"{q_line:.0f}",
        ),
        Technology(
            "channel housing",
            float(q_line),
            f"50-ohm line Q from scikit-rf MLine ({metal}, tan delta {substrate.tan_delta:g})",
        ),
        Technology(
            "waveguide cavity",
            float(q_cavity),
            "air-filled cubic copper cavity, TE101 (Pozar eq. 6.46)",
        ),
        Technology(
            "channel housing, PEC metal",
            float(q_pec),
            f"dielectric loss only (tan delta {substrate.tan_delta:g}): the openEMS model's metal",
            buildable=False,
        ),
    ]


def choose_technology(
    min_qu: float, techs: list[Technology], headroom: float = 1.2, buildable: bool = True
) -> Technology | None:
    """The first (lowest-Q, simplest) technology whose Q exceeds ``headroom * min_qu``.

    Args:
        min_qu: The filter's minimum unloaded Q.
        techs: Candidates.
        headroom: Factor on ``min_qu`` a technology must reach (the estimates are rough).
        buildable: Only technologies that hardware reaches (not PEC models).
    """
    for t in sorted(techs, key=lambda t: t.qu):
        if t.qu >= headroom * min_qu and (t.buildable or not buildable):
            return t
    return None
