"""A parametric stub band-stop filter: the space-mapping benchmark with coarse and fine models.

A 50-ohm microstrip line with one open shunt stub at its centre notches the frequency where
the stub is a quarter wavelength long. Design variables ``x = (stub length, stub width)`` in
mm. The geometry is a mirrored :class:`rfdesign.layouts.PixelGrid` (through line in row 0,
the stub in the centre column of row 1), so the fine model is the project's openEMS solver on
exactly the layout that is exported.

* coarse: scikit-rf transmission lines (Hammerstad-Jensen with Kirschning-Jansen dispersion):
  feed, ideal tee, open stub of the drawn length, no open-end or junction corrections;
* fine: openEMS (3-D FDTD), which sees the fringing at the open end and the tee junction, so
  its notch sits lower than the coarse one: the gap space mapping closes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.layouts.feeds import microstrip_line, microstrip_width_mm
from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout
from rfdesign.layouts.substrate import ALUMINA_127UM, Substrate
from rfdesign.optimizers.masks import DB_FLOOR, Mask, MaskSet

ARM_MM = 0.6
"""Length of line on each side of the stub, mm."""


@dataclass(frozen=True)
class StubFilterProblem:
    """The notch filter and its masks.

    Attributes:
        f_ghz: Frequencies of the responses, GHz.
        stop: Band (GHz) where |S21| must stay below ``stop_db``.
        stop_db: Rejection limit, dB.
        passes: Bands (GHz) where |S21| must stay above ``pass_db``.
        pass_db: Insertion-loss limit, dB.
        substrate: The substrate.
        lower: Lower bounds of (stub length, stub width), mm.
        upper: Upper bounds, mm.
    """

    f_ghz: tuple[float, ...] = tuple(np.linspace(20.0, 60.0, 161))
    stop: tuple[float, float] = (39.0, 41.0)
    stop_db: float = -20.0
    passes: tuple[tuple[float, float], ...] = ((20.0, 23.0), (57.0, 60.0))
    pass_db: float = -2.0
    substrate: Substrate = ALUMINA_127UM
    lower: tuple[float, float] = (0.3, 0.04)
    upper: tuple[float, float] = (1.2, 0.5)

    @property
    def feed_width_mm(self) -> float:
        """The 50-ohm width, mm."""
        return microstrip_width_mm(self.substrate, 50.0, 40.0)

    @property
    def masks(self) -> MaskSet:
        """The spec as masks on :attr:`f_ghz`."""
        ms = [Mask("stop", "stop", "s21", "max", self.stop_db, *self.stop)]
        ms += [
            Mask(f"pass{i + 1}", "pass", "s21", "min", self.pass_db, lo, hi)
            for i, (lo, hi) in enumerate(self.passes)
        ]
        return MaskSet(ms, np.asarray(self.f_ghz))

    def objective(self, response_db: np.ndarray) -> float:
        """Minus the worst margin (dB) of |S21| ``response_db``: <= 0 means the masks hold."""
        r = np.asarray(response_db, float)[None]
        return float(-self.masks.margins(np.full_like(r, DB_FLOOR), r).min())

    def layout(self, x: np.ndarray) -> Layout:
        """The mirrored pixel layout of design ``x = (stub length, stub width)`` (mm)."""
        length, width = (float(v) for v in x)
        w = self.feed_width_mm
        grid = PixelGrid(
            column_widths_mm=(ARM_MM, width / 2),
            row_heights_mm=(w, length),
            substrate=self.substrate,
            feed_width_mm=w,
            feed_y_mm=w / 2,
            mirror=True,
            name="stub_bandstop",
        )
        return Layout(grid, "1101")  # row 0: line, line; row 1: empty, stub

    def coarse(self, x: np.ndarray) -> np.ndarray:
        """|S21| in dB of the transmission-line model (scikit-rf), shape ``F``."""
        import skrf

        length, width = (float(v) for v in np.clip(x, self.lower, self.upper))
        f = np.asarray(self.f_ghz)
        feed = microstrip_line(self.substrate, self.feed_width_mm, f)
        stub_media = microstrip_line(self.substrate, width, f)
        arm = feed.line((ARM_MM + width / 2) * 1e-3, "m")
        stub = stub_media.line(length * 1e-3, "m") ** stub_media.open()
        shunt = skrf.network.connect(feed.tee(), 2, stub, 0)
        net = arm**shunt**arm
        return s_db(net.s[:, 1, 0], DB_FLOOR)

    def fine_model(self, solver):
        """The fine model ``x -> |S21| dB`` simulated by ``solver`` (openEMS)."""

        def fine(x: np.ndarray) -> np.ndarray:
            x = np.clip(x, self.lower, self.upper)
            net = solver.simulate(self.layout(x), np.asarray(self.f_ghz))
            return s_db(net.s[:, 1, 0], DB_FLOOR)

        return fine
