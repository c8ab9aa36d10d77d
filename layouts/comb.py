"""The comb: parallel half-wave strips side by side, tapped by the feeds (a parametric family).

The structure that met both Ka-band specs in a channel housing (docs/design_space.md sections
6-7): ``n`` strips of one length stand across the channel, each coupled to its neighbours
along its whole length (a parallel-coupled, "comb" arrangement of half-wave resonators; Hong
and Lancaster, *Microstrip Filters for RF/Microwave Applications*, Wiley 2001, ch. 5 and 8);
each feed runs into the patch and taps the first (last) strip at a height ``tap_mm`` above
its lower end. Sizes map to the coupling matrix (Hong and Lancaster ch. 8): the strip length
sets the resonant frequency, each gap a coupling coefficient, the tap height the external Q.

The family renders to an all-fixed :class:`PixelGrid` (non-uniform columns and rows, no free
bits), so GDS, PNG, openEMS, Palace, the circuit model and the report apply unchanged; the
grid is mirror symmetric about the centre (a symmetric coupling matrix, as a Chebyshev or
symmetric-zero response has).

Columns from port 1 inwards: the tap column ``inset_mm`` (metal only in the tap row), then
strip, gap, strip, ... to the centre: for even ``n`` the last column is half the centre gap
(mirrored: the whole gap), for odd ``n`` half the centre strip. Rows from the bottom: below
the tap, the tap row (the feed's width), above it (the strip's rest).

The design-curve structures (:func:`single_strip`, :func:`strip_pair`,
:func:`tapped_strip`) are the same strips without taps, weakly coupled to the feeds through an
empty column, as Hong and Lancaster (ch. 8) measure a resonator's frequency, two resonators'
coupling and a tapped resonator's external Q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout
from rfdesign.layouts.substrate import Substrate

MIN_CELL_MM = 1e-3
"""Rows shorter than this (1 um) are dropped: a tap at the very end of a strip has no row
below it."""


def _rows(length_mm: float, tap_mm: float, tap_width_mm: float) -> tuple[list[float], int, float]:
    """Row heights, the index of the tap row and the feed's centre y for a tapped strip."""
    below = tap_mm - tap_width_mm / 2
    above = length_mm - tap_mm - tap_width_mm / 2
    if below < -1e-9 or above < -1e-9:
        raise ValueError(
            f"tap_mm: the feed ({tap_width_mm:.3f} mm wide) at {tap_mm:.3f} mm must lie on the "
            f"{length_mm:.3f} mm strip"
        )
    rows, tap_row = [], 0
    if below >= MIN_CELL_MM:
        rows.append(below)
        tap_row = 1
    rows.append(tap_width_mm)
    if above >= MIN_CELL_MM:
        rows.append(above)
    feed_y = sum(rows[:tap_row]) + tap_width_mm / 2
    return rows, tap_row, feed_y


@dataclass(frozen=True)
class Comb:
    """Sizes of a mirror-symmetric comb of ``n`` strips (mm).

    Attributes:
        n: Number of strips (resonators), >= 1.
        lengths_mm: Strip lengths (across the channel) of the designed half from port 1
            inwards, ``ceil(n / 2)`` values; the strips stand on one line (``y = 0``), so a
            shorter strip ends lower (each resonator is tuned by its own length).
        widths_mm: Strip widths of the designed half from port 1 inwards: ``ceil(n / 2)``
            values (for odd ``n`` the last is the centre strip's whole width).
        gaps_mm: Gaps between neighbouring strips from port 1 inwards: ``n // 2`` values (for
            even ``n`` the last is the whole centre gap).
        tap_mm: Height of the feed's centre above the strips' lower end.
        inset_mm: Distance from the patch edge (where the feed ends) to the first strip; the
            feed crosses it as the tap line.
    """

    n: int
    lengths_mm: tuple[float, ...]
    widths_mm: tuple[float, ...]
    gaps_mm: tuple[float, ...]
    tap_mm: float
    inset_mm: float = 0.13

    def __post_init__(self) -> None:
        object.__setattr__(self, "lengths_mm", tuple(float(x) for x in self.lengths_mm))
        object.__setattr__(self, "widths_mm", tuple(float(w) for w in self.widths_mm))
        object.__setattr__(self, "gaps_mm", tuple(float(g) for g in self.gaps_mm))
        if self.n < 1:
            raise ValueError(f"n: a comb needs at least one strip, got {self.n}")
        if len(self.lengths_mm) != (self.n + 1) // 2:
            raise ValueError(
                f"lengths_mm: {self.n} strips need {(self.n + 1) // 2} lengths (the designed "
                f"half), got {len(self.lengths_mm)}"
            )
        if len(self.widths_mm) != (self.n + 1) // 2:
            raise ValueError(
                f"widths_mm: {self.n} strips need {(self.n + 1) // 2} widths (the designed "
                f"half), got {len(self.widths_mm)}"
            )
        if len(self.gaps_mm) != self.n // 2:
            raise ValueError(
                f"gaps_mm: {self.n} strips need {self.n // 2} gaps (the designed half, the "
                f"centre gap whole), got {len(self.gaps_mm)}"
            )
        for name, values in (
            ("lengths_mm", self.lengths_mm),
            ("widths_mm", self.widths_mm),
            ("gaps_mm", self.gaps_mm),
            ("inset_mm", (self.inset_mm,)),
        ):
            if min(values) <= 0:
                raise ValueError(f"{name}: sizes must be > 0 mm, got {values}")

    @classmethod
    def uniform(
        cls, n: int, length_mm: float, width_mm: float, gap_mm: float, tap_mm: float, **kw
    ) -> Comb:
        """A comb of ``n`` equal strips with equal gaps."""
        half = (n + 1) // 2
        return cls(n, (length_mm,) * half, (width_mm,) * half, (gap_mm,) * (n // 2), tap_mm, **kw)

    def _full(self, half: tuple[float, ...]) -> tuple[float, ...]:
        """A per-strip half (``ceil(n / 2)`` values) mirrored to all ``n`` strips."""
        return half + (half[::-1] if self.n % 2 == 0 else half[-2::-1])

    @property
    def all_lengths_mm(self) -> tuple[float, ...]:
        """Lengths of all ``n`` strips from port 1 to port 2."""
        return self._full(self.lengths_mm)

    @property
    def all_widths_mm(self) -> tuple[float, ...]:
        """Widths of all ``n`` strips from port 1 to port 2."""
        return self._full(self.widths_mm)

    @property
    def all_gaps_mm(self) -> tuple[float, ...]:
        """The ``n - 1`` gaps from port 1 to port 2."""
        half = self.gaps_mm
        return half + (half[-2::-1] if self.n % 2 == 0 else half[::-1])

    def columns(self) -> tuple[list[float], list[bool]]:
        """Column widths of the designed half and which of them are strips."""
        cols, strip = [self.inset_mm], [False]
        for i, w in enumerate(self.widths_mm):
            centre_strip = self.n % 2 == 1 and i == len(self.widths_mm) - 1
            cols.append(w / 2 if centre_strip else w)
            strip.append(True)
            if i < len(self.gaps_mm):
                centre_gap = self.n % 2 == 0 and i == len(self.gaps_mm) - 1
                g = self.gaps_mm[i]
                cols.append(g / 2 if centre_gap else g)
                strip.append(False)
        return cols, strip

    def grid(self, substrate: Substrate, feed_width_mm: float, name: str = "comb") -> PixelGrid:
        """The all-fixed pixel grid of this comb (feeds ``feed_width_mm`` wide, 50 ohm).

        Rows run between every strip end and the tap line's edges, so each strip ends on a
        row boundary.
        """
        cols, strip = self.columns()
        _rows(self.lengths_mm[0], self.tap_mm, feed_width_mm)  # the tap lies on strip 1
        tap = (self.tap_mm - feed_width_mm / 2, self.tap_mm + feed_width_mm / 2)
        edges = [0.0]
        for y in sorted({*tap, *self.lengths_mm}):
            if y - edges[-1] >= MIN_CELL_MM:
                edges.append(y)
        e = np.asarray(edges)
        rows, tops, mids = np.diff(e), e[1:], (e[:-1] + e[1:]) / 2
        tap_row = int(np.argmin(np.abs(mids - self.tap_mm)))
        lengths = iter(self.lengths_mm)
        top_of = {c: next(lengths) for c, s in enumerate(strip) if s}
        fixed = {
            (r, c): bool((s and tops[r] <= top_of[c] + 1e-9) or (c == 0 and r == tap_row))
            for r in range(len(rows))
            for c, s in enumerate(strip)
        }
        feed_y = float(mids[tap_row])
        return PixelGrid(
            tuple(cols),
            tuple(float(r) for r in rows),
            substrate,
            feed_width_mm,
            mirror=True,
            fixed=fixed,
            feed_y_mm=feed_y,
            name=name,
        )

    def layout(self, substrate: Substrate, feed_width_mm: float, name: str = "comb") -> Layout:
        """The comb as a layout (no free bits)."""
        return Layout.from_bits(self.grid(substrate, feed_width_mm, name), "")


def _untapped(
    columns: list[float],
    strip: list[bool],
    length_mm: float,
    feed_y_mm: float,
    substrate: Substrate,
    feed_width_mm: float,
    mirror: bool,
    name: str,
) -> Layout:
    """Strips in the given columns, the feeds at ``feed_y_mm`` not touching them."""
    grid = PixelGrid(
        tuple(columns),
        (length_mm,),
        substrate,
        feed_width_mm,
        mirror=mirror,
        fixed={(0, c): s for c, s in enumerate(strip)},
        feed_y_mm=feed_y_mm,
        name=name,
    )
    return Layout.from_bits(grid, "")


def single_strip(
    substrate: Substrate,
    feed_width_mm: float,
    length_mm: float,
    width_mm: float,
    feed_gap_mm: float,
) -> Layout:
    """One strip in the middle, each feed ending ``feed_gap_mm`` from it (weakly coupled).

    The feeds point at the strip's side at its lower end (``feed_y`` half a feed width up),
    where a half-wave strip's voltage is largest: the peak of |S21| is the resonance
    (Hong and Lancaster 2001, section 8.1).
    """
    return _untapped(
        [feed_gap_mm, width_mm / 2],
        [False, True],
        length_mm,
        feed_width_mm / 2,
        substrate,
        feed_width_mm,
        True,
        "comb_single_strip",
    )


def strip_pair(
    substrate: Substrate,
    feed_width_mm: float,
    length_mm: float,
    width_mm: float,
    gap_mm: float,
    feed_gap_mm: float,
) -> Layout:
    """Two strips ``gap_mm`` apart, each weakly coupled to its feed (split peaks give k)."""
    return _untapped(
        [feed_gap_mm, width_mm, gap_mm / 2],
        [False, True, False],
        length_mm,
        feed_width_mm / 2,
        substrate,
        feed_width_mm,
        True,
        "comb_strip_pair",
    )


def tapped_strip(
    substrate: Substrate,
    feed_width_mm: float,
    length_mm: float,
    width_mm: float,
    tap_mm: float,
    inset_mm: float,
    far_mm: float,
) -> Layout:
    """One strip tapped by port 1 at ``tap_mm``; port 2's feed ends ``far_mm`` away from it.

    Not mirrored. The reflection at port 1 of the singly loaded resonator gives its external
    Q (Hong and Lancaster 2001, section 8.3); port 2 is so far away that it barely loads it.
    """
    rows, tap_row, feed_y = _rows(length_mm, tap_mm, feed_width_mm)
    strip = [False, True, False]
    fixed = {
        (r, c): s or (c == 0 and r == tap_row)
        for r in range(len(rows))
        for c, s in enumerate(strip)
    }
    grid = PixelGrid(
        (inset_mm, width_mm, far_mm),
        tuple(rows),
        substrate,
        feed_width_mm,
        mirror=False,
        fixed=fixed,
        feed_y_mm=feed_y,
        name="comb_tapped_strip",
    )
    return Layout.from_bits(grid, "")
