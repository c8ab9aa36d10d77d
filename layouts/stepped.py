"""Stepped-impedance line: sections of alternating width on one axis (a parametric family).

The low-pass of Matthaei, Young and Jones (*Microwave Filters, Impedance-Matching Networks,
and Coupling Structures*, 1964, section 7.03) and Hong and Lancaster (*Microstrip Filters for
RF/Microwave Applications*, Wiley 2001, section 5.1): short narrow (high-impedance) sections
act as series inductors, short wide (low-impedance) sections as shunt capacitors. A wide
section whose length is small and width large is a pair of open stubs, so the same family
holds stub-loaded lines.

The line renders to an all-fixed :class:`PixelGrid` (no free bits), mirror symmetric about
its centre, so GDS, PNG, openEMS, Palace and the circuit model apply unchanged. Columns are
the sections from port 1 to the centre (the last one is half the centre section: the mirror
doubles it); rows are symmetric about the line's axis: the narrowest width in the middle,
then one row pair per larger width. A section of width ``w`` fills the middle row and every
row pair up to ``w``. The feeds meet the line's axis.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout
from rfdesign.layouts.substrate import Substrate

WIDTH_DIGITS = 4
"""Widths are compared after rounding to 0.1 um (mm, 4 decimals)."""


@dataclass(frozen=True)
class SteppedLine:
    """Sections of a mirror-symmetric stepped-impedance line.

    Attributes:
        lengths_mm: Section lengths from port 1 to the centre, mm; the last one is the whole
            centre section (an odd number of sections in all).
        widths_mm: Their widths, mm (same length as ``lengths_mm``).
    """

    lengths_mm: tuple[float, ...]
    widths_mm: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.lengths_mm) != len(self.widths_mm) or not self.lengths_mm:
            raise ValueError(
                f"widths_mm: needs one width per section ({len(self.lengths_mm)} lengths), "
                f"got {len(self.widths_mm)}"
            )
        for name, vals in (("lengths_mm", self.lengths_mm), ("widths_mm", self.widths_mm)):
            bad = [v for v in vals if not np.isfinite(v) or v <= 0]
            if bad:
                raise ValueError(f"{name}: every value must be finite and > 0, got {bad[0]}")

    @property
    def n_sections(self) -> int:
        """Sections of the whole line (mirror images counted)."""
        return 2 * len(self.lengths_mm) - 1

    @property
    def full_lengths_mm(self) -> tuple[float, ...]:
        """Every section's length from port 1 to port 2, mm."""
        half = self.lengths_mm[:-1]
        return (*half, self.lengths_mm[-1], *half[::-1])

    @property
    def full_widths_mm(self) -> tuple[float, ...]:
        """Every section's width from port 1 to port 2, mm."""
        half = self.widths_mm[:-1]
        return (*half, self.widths_mm[-1], *half[::-1])

    @property
    def length_mm(self) -> float:
        """Length of the whole line, mm."""
        return float(sum(self.full_lengths_mm))

    def grid(self, substrate: Substrate, feed_width_mm: float, name: str = "stepped") -> PixelGrid:
        """The line as an all-fixed, mirrored :class:`PixelGrid`."""
        widths = sorted({round(w, WIDTH_DIGITS) for w in self.widths_mm})
        # rows from the bottom: (w_k - w_(k-1)) / 2 for the widest first, the middle row
        # (narrowest width), then the same upwards
        steps = [(b - a) / 2 for a, b in itertools.pairwise(widths)]
        rows = [*steps[::-1], widths[0], *steps]
        mid = len(steps)
        columns = [*self.lengths_mm[:-1], self.lengths_mm[-1] / 2]
        fixed = {}
        for c, w in enumerate(self.widths_mm):
            reach = widths.index(round(w, WIDTH_DIGITS))  # row pairs this section fills
            for r in range(len(rows)):
                fixed[(r, c)] = abs(r - mid) <= reach
        return PixelGrid(
            tuple(columns),
            tuple(rows),
            substrate,
            feed_width_mm,
            mirror=True,
            fixed=fixed,
            feed_y_mm=sum(rows) / 2,
            name=name,
        )

    def layout(self, substrate: Substrate, feed_width_mm: float, name: str = "stepped") -> Layout:
        """The line as a layout (no free bits)."""
        return Layout.from_bits(self.grid(substrate, feed_width_mm, name), "")

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready)."""
        return {"lengths_mm": list(self.lengths_mm), "widths_mm": list(self.widths_mm)}

    @classmethod
    def from_dict(cls, d: dict) -> SteppedLine:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(d["lengths_mm"]), tuple(d["widths_mm"]))
