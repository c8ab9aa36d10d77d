"""Substrate and conductor description shared by every engine.

Plain frozen dataclass (no pydantic) so that the engines can be used without the spec layer.
Units: lengths in mm, conductor thickness in um, conductivity in S/m.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Substrate:
    """A single-layer microstrip substrate with a ground plane below.

    Attributes:
        eps_r: Relative permittivity of the dielectric (dimensionless, > 1).
        tan_delta: Dielectric loss tangent (dimensionless, >= 0).
        height_mm: Dielectric thickness between ground and metal in mm (> 0).
        metal_thickness_um: Conductor thickness in um (>= 0; 0 means an ideal sheet).
        conductivity_s_per_m: Conductor conductivity in S/m (> 0).
    """

    eps_r: float = 9.8
    tan_delta: float = 1e-4
    height_mm: float = 0.127
    metal_thickness_um: float = 4.0
    conductivity_s_per_m: float = 4.1e7

    def __post_init__(self) -> None:
        checks = {
            "eps_r": self.eps_r > 1.0,
            "tan_delta": 0.0 <= self.tan_delta < 1.0,
            "height_mm": self.height_mm > 0.0,
            "metal_thickness_um": self.metal_thickness_um >= 0.0,
            "conductivity_s_per_m": self.conductivity_s_per_m > 0.0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{name}={getattr(self, name)!r}" for name in bad)
            raise ValueError(f"Substrate: out-of-range value(s): {values}")

    def to_dict(self) -> dict[str, float]:
        """Return the substrate as a plain dictionary (for hashing and provenance)."""
        return {k: float(v) for k, v in asdict(self).items()}


ALUMINA_127UM = Substrate()
"""The paper's substrate: 0.127 mm alumina (eps_r 9.8, tan_delta 1e-4), 4 um gold."""
