"""Physical constants in the units the engines use, from :mod:`scipy.constants` (CODATA 2018).

SI values are scipy's; the variants are the same numbers in the project's units (mm, ns, GHz),
so that no module writes the speed of light again.
"""

from __future__ import annotations

from scipy.constants import c as C0
from scipy.constants import epsilon_0 as EPS0
from scipy.constants import mu_0 as MU0

C0_MM_PER_NS = C0 * 1e-6
"""Speed of light in mm/ns: a wavelength in mm is ``C0_MM_PER_NS / f[GHz]``."""

ETA0 = float((MU0 / EPS0) ** 0.5)
"""Impedance of free space in ohm (376.73)."""

__all__ = ["C0", "C0_MM_PER_NS", "EPS0", "ETA0", "MU0"]
