"""EM design curves of a resonator family: frequency vs length, coupling vs gap, Qe vs tap.

How a microwave filter designer turns a coupling matrix into dimensions (Hong and Lancaster,
*Microstrip Filters for RF/Microwave Applications*, Wiley 2001, ch. 8; J.-S. Hong, 2nd ed.
2011, ch. 7): simulate a few small structures full-wave and read from them

* the resonant frequency of one weakly coupled strip against its length (the peak, i.e. the
  pole, of its transmission; section 8.1);
* the coupling coefficient of two strips against their gap, from the two split peaks,
  ``k = (f2^2 - f1^2) / (f2^2 + f1^2)`` (eq. 8.9; :mod:`rfdesign.solvers.resonators`);
* the external Q of a strip tapped by a feed against the tap position, from the pole of its
  reflection (a singly loaded resonator's loaded Q is its external Q when the unloaded Q is
  much larger; section 8.3).

Each curve is a handful of full-wave runs (each cached by the solver's result cache, so a
later design on the same substrate, housing and mesh reuses them) fitted by the project's GP
surrogate (:class:`rfdesign.surrogates.gp.GPSurrogate`) in a transform that makes it nearly
linear (``1/f`` against length, ``log k`` against gap, ``log Qe`` against tap), with the GP's
uncertainty. :meth:`DesignCurve.solve` reads the curve backwards: the size that gives a
wanted value; a value outside the measured range asks for one more point where the curve,
extended linearly, would reach it (:meth:`DesignCurve.next_point`), as an engineer extends a
chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rfdesign.solvers.resonators import coupling_coefficient, resonances

TRANSFORMS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
] = {
    "linear": (lambda y: y, lambda z: z),
    "log": (np.log, np.exp),
    "reciprocal": (lambda y: 1.0 / y, lambda z: 1.0 / z),
}
"""Forward and inverse maps of a curve's values to the space the GP fits."""


class OutOfRange(ValueError):
    """A wanted value lies outside what a curve's measured points cover.

    Attributes:
        curve: The curve's name.
        suggestion: The size at which the curve, extended linearly from its nearest two
            points, would reach the value.
    """

    def __init__(self, curve: str, target: float, span: tuple[float, float], suggestion: float):
        super().__init__(
            f"{curve}: {target:.4g} lies outside the measured {span[0]:.4g} to {span[1]:.4g}; "
            f"measure near {suggestion:.4g}"
        )
        self.curve = curve
        self.suggestion = suggestion


@dataclass(frozen=True)
class DesignCurve:
    """Measured points of one design curve and their GP fit.

    Attributes:
        name: What the curve gives, e.g. ``"f0_ghz"``, ``"k"``, ``"qe"``.
        size: The dimension it is read against, e.g. ``"length_mm"``.
        x: The sizes measured (mm).
        y: The values measured there.
        transform: ``"linear"``, ``"log"`` or ``"reciprocal"``: the GP fits the transformed
            values, in which the curve is nearly straight.
        seed: Seed of the GP fit.
    """

    name: str
    size: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    transform: str = "linear"
    seed: int = 0
    _gp: list = field(default_factory=list, repr=False, compare=False)  # the fit, once made

    def __post_init__(self) -> None:
        order = np.argsort(self.x)
        object.__setattr__(self, "x", tuple(float(self.x[i]) for i in order))
        object.__setattr__(self, "y", tuple(float(self.y[i]) for i in order))
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError(f"{self.name}: need at least two (x, y) points, got {len(self.x)}")
        if len(set(self.x)) != len(self.x):
            raise ValueError(f"{self.name}: a size was measured twice: {self.x}")
        if self.transform not in TRANSFORMS:
            raise ValueError(f"transform: {self.transform!r} is not one of {', '.join(TRANSFORMS)}")

    def with_point(self, x: float, y: float) -> DesignCurve:
        """This curve with one more measured point."""
        return DesignCurve(
            self.name, self.size, (*self.x, x), (*self.y, y), self.transform, self.seed
        )

    @property
    def _z(self) -> np.ndarray:
        return TRANSFORMS[self.transform][0](np.asarray(self.y))

    def _fit(self) -> tuple[np.ndarray, Any]:
        """The straight line through the transformed points and the GP of what it leaves.

        A GP with a constant mean bends a straight curve between three points (its slope came
        out 16 % off on exactly linear data), so the trend is a least-squares line (universal
        kriging: Rasmussen and Williams 2006, section 2.7) and the GP models the residuals,
        where there are three points or more and the residuals are not zero.
        """
        if self._gp:
            return self._gp[0]
        x, z = np.asarray(self.x), self._z
        line = np.polyfit(x, z, 1)
        res = z - np.polyval(line, x)
        gp = None
        if len(x) >= 3 and np.ptp(res) > 1e-9 * max(np.ptp(z), 1e-30):
            from rfdesign.surrogates.gp import GPSurrogate

            gp = GPSurrogate(seed=self.seed, max_components=1).fit(x[:, None], res[:, None])
        self._gp.append((line, gp))
        return line, gp

    def predict(self, x: float | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Value and standard deviation at sizes ``x`` (in the curve's units).

        The value is the trend line plus the GP of its residuals; the deviation is the GP's (a
        new observation's, calibrated on the points' leave-one-out residuals) mapped through
        the transform to first order, 0 where the points lie on the line (two points).
        """
        xs = np.atleast_1d(np.asarray(x, float))
        inv = TRANSFORMS[self.transform][1]
        line, gp = self._fit()
        z = np.polyval(line, xs)
        if gp is None:
            return inv(z), np.zeros_like(z)
        mean, std = gp.predict_with_uncertainty(xs[:, None])
        z, sz = z + mean[:, 0], std[:, 0]
        y = inv(z)
        dy = np.abs(inv(z + 1e-6) - inv(z - 1e-6)) / 2e-6
        return y, dy * sz

    def solve(self, target: float, points: int = 2001, extrapolate: bool = False) -> float:
        """The size at which the curve's mean reaches ``target``.

        Args:
            target: The wanted value.
            points: Sizes searched over the measured range.
            extrapolate: Outside the measured values, give :meth:`next_point` (the straight
                line through the nearest two points) instead of raising: a first guess that
                the tuning loop corrects.

        Raises:
            OutOfRange: ``target`` lies outside the values the measured range gives (unless
                ``extrapolate``).
        """
        lo, hi = self.x[0], self.x[-1]
        xs = np.linspace(lo, hi, points)
        ys, _ = self.predict(xs)
        d = ys - target
        hits = np.nonzero(np.sign(d[:-1]) * np.sign(d[1:]) <= 0)[0]
        if not len(hits):
            if extrapolate:
                return self.next_point(target)
            raise OutOfRange(
                self.name, target, (float(ys.min()), float(ys.max())), self.next_point(target)
            )
        i = hits[0]
        if d[i + 1] == d[i]:
            return float(xs[i])
        return float(xs[i] - d[i] * (xs[i + 1] - xs[i]) / (d[i + 1] - d[i]))

    def next_point(self, target: float) -> float:
        """Where the straight line through the two points nearest ``target`` reaches it."""
        fwd = TRANSFORMS[self.transform][0]
        z, zt = self._z, float(fwd(np.asarray(target)))
        near = np.argsort(np.abs(z - zt))[:2]
        (x1, x2), (z1, z2) = np.asarray(self.x)[near], z[near]
        if z1 == z2:
            return float(x2)
        return float(x1 + (zt - z1) * (x2 - x1) / (z2 - z1))

    def to_dict(self) -> dict:
        """JSON-ready form (the points; the fit is redone on load)."""
        return {
            "name": self.name,
            "size": self.size,
            "x": list(self.x),
            "y": list(self.y),
            "transform": self.transform,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, d: dict) -> DesignCurve:
        """Rebuild from :meth:`to_dict`."""
        return cls(d["name"], d["size"], tuple(d["x"]), tuple(d["y"]), d["transform"], d["seed"])


def resonance_of(net: Any):
    """The strongest transmission resonance of a weakly coupled resonator's network."""
    f = net.frequency.f / 1e9
    return resonances(f, net.s[:, 1, 0], 1)[0]


def coupling_of(net: Any) -> tuple[float, float, float]:
    """``(k, f_low, f_high)`` of two coupled resonators from their split peaks (GHz)."""
    f = net.frequency.f / 1e9
    low, high = resonances(f, net.s[:, 1, 0], 2)
    return coupling_coefficient(low.f_ghz, high.f_ghz), low.f_ghz, high.f_ghz


def external_q_of(net: Any) -> tuple[float, float]:
    """``(Qe, f0)`` of a resonator loaded by port 1, from the pole of its reflection (GHz).

    The pole of S11 of a singly loaded resonator has the loaded Q, ``1/Q_L = 1/Qe + 1/Qu``;
    with ``Qu`` much larger than ``Qe`` (a housed strip: ``Qu`` of hundreds, ``Qe`` of tens)
    ``Q_L`` is ``Qe`` within ``Qe / Qu``.
    """
    f = net.frequency.f / 1e9
    res = resonances(f, net.s[:, 0, 0], 1)[0]
    return res.q_loaded, res.f_ghz


def measure(
    simulate: Callable[[Any], Any],
    layouts: Sequence[Any],
    read: Callable[[Any], float],
) -> list[float]:
    """``read(simulate(layout))`` for each layout (each run cached by the solver)."""
    return [float(read(simulate(lay))) for lay in layouts]


def extend_to(
    curve: DesignCurve,
    targets: Sequence[float],
    measure_at: Callable[[float], float],
    bounds: tuple[float, float],
    max_points: int = 3,
) -> DesignCurve:
    """Add measured points until every target lies inside the curve (at most ``max_points``).

    Each new point is where the curve, extended linearly, reaches the farthest target, moved
    5 % of the measured span further and clipped to ``bounds`` (a gap or tap beyond what can
    be built).
    """
    for _ in range(max_points):
        missing = []
        for t in targets:
            try:
                curve.solve(t)
            except OutOfRange as exc:
                missing.append(exc.suggestion)
        if not missing:
            return curve
        span = curve.x[-1] - curve.x[0]
        far = max(missing, key=lambda s: min(abs(s - curve.x[0]), abs(s - curve.x[-1])))
        step = 0.05 * span * (1 if far > curve.x[-1] else -1)
        x = float(np.clip(far + step, *bounds))
        if any(math.isclose(x, xi, rel_tol=1e-6) for xi in curve.x):
            return curve  # at a bound already: the target cannot be built
        curve = curve.with_point(x, measure_at(x))
    return curve
