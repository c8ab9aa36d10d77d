"""Yield and worst case under an etching tolerance: Monte Carlo on the tuned coarse model.

Every edge of the drawn metal moves independently, uniformly within +-``tolerance_um`` (thin
film on alumina: +-5 um is a common process figure). The verified full-wave response is the
nominal; a sample's response is that plus what the design's tuned coarse model says the
sample changes, ``|S|_dB(fine, nominal) + |S|_dB(model, sample) - |S|_dB(model, nominal)``
(the output-space-mapping surrogate of the verified design; Koziel, Bandler and Madsen, IEEE
MTT 54(5), 2006). The yield is the fraction of samples that meet every mask; the report
gives it with its binomial 95 % interval, the worst sample's margin and the 5th percentile.
Optionally the worst sample is run full-wave (a "corner") to check the model's prediction.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.evaluation import spec_mask_set
from rfdesign.spec import FilterSpec

FLOOR_DB = -120.0
"""|S| in dB is floored here before differences are taken (an exact zero has no dB)."""


@dataclass(frozen=True)
class ToleranceResult:
    """Monte Carlo yield of a design under an edge tolerance.

    Attributes:
        tolerance_um: Each edge's uniform tolerance, +- um.
        samples: Monte Carlo samples.
        seed: Seed of the sampler.
        model: What predicted the samples' changes.
        nominal_margin_db: The verified design's worst margin, dB.
        yield_fraction: Fraction of samples meeting every mask.
        yield_interval: Its 95 % (Wilson) interval.
        worst_margin_db: The worst sample's worst margin, dB.
        p05_margin_db: 5th percentile of the samples' worst margins, dB.
        corner: The worst sample run full-wave: ``{"predicted_db", "fullwave_db", "run"}``,
            or ``None``.
    """

    tolerance_um: float
    samples: int
    seed: int
    model: str
    nominal_margin_db: float
    yield_fraction: float
    yield_interval: tuple[float, float]
    worst_margin_db: float
    p05_margin_db: float
    corner: dict | None = None

    def to_dict(self) -> dict:
        """JSON-ready form."""
        d = asdict(self)
        d["yield_interval"] = list(self.yield_interval)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ToleranceResult:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**d, "yield_interval": tuple(d["yield_interval"])})

    def text(self) -> str:
        """One line for the report."""
        lo, hi = self.yield_interval
        line = (
            f"yield {100 * self.yield_fraction:.1f} % (95 % interval {100 * lo:.1f}-"
            f"{100 * hi:.1f} %) of {self.samples} samples with every edge within "
            f"+-{self.tolerance_um:g} um (seed {self.seed}); worst sample "
            f"{self.worst_margin_db:+.2f} dB, 5th percentile {self.p05_margin_db:+.2f} dB, "
            f"nominal {self.nominal_margin_db:+.2f} dB; changes from the {self.model}"
        )
        if self.corner:
            line += (
                f"; the worst sample full-wave: {self.corner['fullwave_db']:+.2f} dB (model "
                f"{self.corner['predicted_db']:+.2f} dB)"
            )
        return line


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (95 % for ``z = 1.96``)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _db(s: np.ndarray) -> np.ndarray:
    return s_db(s, FLOOR_DB)


def monte_carlo(
    spec: FilterSpec,
    verified: Any,
    model: Callable[[np.ndarray | None], Any],
    n_edges: int,
    tolerance_um: float,
    samples: int,
    seed: int,
    model_name: str,
    corner: Callable[[np.ndarray], Any] | None = None,
) -> ToleranceResult:
    """Yield of the design whose verified network is ``verified``.

    Args:
        spec: The spec (masks, frequencies).
        verified: The verified full-wave network (the nominal).
        model: ``edge moves in mm (n_edges) or None (nominal) -> network`` at the spec's
            frequencies: the tuned coarse model with the edges moved.
        n_edges: How many independent edges the design has.
        tolerance_um: +- um per edge (uniform).
        samples: Monte Carlo samples.
        seed: Seed.
        model_name: What ``model`` is, for the report.
        corner: ``edge moves -> full-wave network``: the worst sample is run (``None``: not).
    """
    judge = spec_mask_set(spec)
    rng = np.random.default_rng(seed)
    moves = rng.uniform(-1.0, 1.0, (samples, n_edges)) * tolerance_um * 1e-3
    nominal = model(None)
    base11 = _db(verified.s[:, 0, 0]) - _db(nominal.s[:, 0, 0])
    base21 = _db(verified.s[:, 1, 0]) - _db(nominal.s[:, 1, 0])
    s11 = np.empty((samples, verified.f.size))
    s21 = np.empty_like(s11)
    for i, m in enumerate(moves):
        net = model(m)
        s11[i] = _db(net.s[:, 0, 0]) + base11
        s21[i] = _db(net.s[:, 1, 0]) + base21
    worst = judge.margins(s11, s21).min(axis=1)
    nominal_margin = float(judge.margins(_db(verified.s[:, 0, 0]), _db(verified.s[:, 1, 0])).min())
    k = int(np.sum(worst >= -1e-9))
    record = None
    if corner is not None:
        i = int(np.argmin(worst))
        net = corner(moves[i])
        full = float(judge.margins(_db(net.s[:, 0, 0]), _db(net.s[:, 1, 0])).min())
        record = {"predicted_db": float(worst[i]), "fullwave_db": full}
    return ToleranceResult(
        tolerance_um=float(tolerance_um),
        samples=int(samples),
        seed=int(seed),
        model=model_name,
        nominal_margin_db=nominal_margin,
        yield_fraction=k / samples,
        yield_interval=wilson_interval(k, samples),
        worst_margin_db=float(worst.min()),
        p05_margin_db=float(np.percentile(worst, 5)),
        corner=record,
    )
