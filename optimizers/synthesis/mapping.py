"""Frequency transformations between a filter's band and the low-pass prototype variable Omega.

The prototype's passband is ``|Omega| <= 1``. Each filter class maps its passband edges to
``Omega = -1, +1`` (Matthaei, Young and Jones 1964, sec. 4.08 and 4.12; Cameron, Kudsia and
Mansour 2007, sec. 3.9 and 8.1):

* band-pass: ``Omega = (f/f0 - f0/f) / FBW``, ``f0 = sqrt(f1 f2)``, ``FBW = (f2 - f1)/f0``;
* band-stop: ``Omega = FBW / (f0/f - f/f0)`` (the stopband centre maps to infinity);
* low-pass: ``Omega = f / fc``;
* high-pass: ``Omega = -fc / f``.

Resonator loss: a band-pass resonator of unloaded quality ``Qu`` shifts its diagonal entry by
``-j / (FBW Qu)`` (Cameron et al. 2007, ch. 8; Cohn, "Dissipation loss in multiple-coupled-
resonator filters", Proc. IRE 47(8), 1959); for the
other classes the loss is the prototype evaluated at the complex frequency ``f (1 - j/(2 Qu))``
(a resonance of quality Qu has its pole ``f0 / (2 Qu)`` off the real axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

FilterKind = Literal["bandpass", "bandstop", "lowpass", "highpass"]
KINDS: tuple[str, ...] = ("bandpass", "bandstop", "lowpass", "highpass")


@dataclass(frozen=True)
class FrequencyMap:
    """The band -> prototype transformation of one filter.

    Attributes:
        kind: ``bandpass``, ``bandstop``, ``lowpass`` or ``highpass``.
        f0_ghz: Centre frequency (band-pass/stop) or cut-off (low/high-pass) in GHz.
        fbw: Fractional bandwidth ``(f2 - f1) / f0`` (band-pass/stop); 1 otherwise.
    """

    kind: FilterKind = "bandpass"
    f0_ghz: float = 1.0
    fbw: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: unknown {self.kind!r}; known {list(KINDS)}")
        if not self.f0_ghz > 0:
            raise ValueError(f"f0_ghz: must be > 0, got {self.f0_ghz}")
        if not self.fbw > 0:
            raise ValueError(f"fbw: must be > 0, got {self.fbw}")

    @classmethod
    def from_edges(
        cls, kind: FilterKind, f1_ghz: float, f2_ghz: float | None = None
    ) -> FrequencyMap:
        """The map of passband edges ``f1 < f2`` (GHz).

        Band-stop: the pass edges around the stop band; low- and high-pass take the cut-off
        ``f1`` only.
        """
        if kind in ("lowpass", "highpass"):
            return cls(kind, float(f1_ghz), 1.0)
        if f2_ghz is None or not f2_ghz > f1_ghz > 0:
            raise ValueError(f"band edges: need 0 < f1 < f2, got {f1_ghz}, {f2_ghz}")
        f0 = float(np.sqrt(f1_ghz * f2_ghz))
        return cls(kind, f0, float((f2_ghz - f1_ghz) / f0))

    def omega(self, f_ghz: np.ndarray) -> np.ndarray:
        """Prototype frequency Omega at ``f_ghz`` (complex input allowed)."""
        f = np.asarray(f_ghz)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "bandpass":
                return (f / self.f0_ghz - self.f0_ghz / f) / self.fbw
            if self.kind == "bandstop":
                return self.fbw / (self.f0_ghz / f - f / self.f0_ghz)
            if self.kind == "lowpass":
                return f / self.f0_ghz
            return -self.f0_ghz / f

    def lossy_omega(self, f_ghz: np.ndarray, qu: float | np.ndarray) -> np.ndarray:
        """Omega of a resonator of unloaded quality ``qu`` (``inf``: lossless), complex.

        Args:
            f_ghz: Frequencies in GHz, shape ``F``.
            qu: One Qu, or one per resonator (shape ``N``; the result is then ``F x N``).
        """
        f = np.asarray(f_ghz, float)
        q = np.asarray(qu, float)
        inv_q = np.where(np.isinf(q), 0.0, 1.0 / np.where(np.isinf(q), 1.0, q))
        if q.ndim:
            f = f[:, None]
        if self.kind == "bandpass":
            return self.omega(f) - 1j * inv_q / self.fbw
        return self.omega(f * (1.0 - 0.5j * inv_q))

    def frequency(self, omega: np.ndarray) -> np.ndarray:
        """Inverse map: the physical frequency (GHz) of prototype frequency ``omega``.

        Band-pass: the root above zero of ``f^2 - Omega FBW f0 f - f0^2 = 0``; band-stop: the
        root in the branch ``f < f0`` for ``Omega > 0`` and ``f > f0`` for ``Omega < 0``.
        """
        w = np.asarray(omega, float)
        f0, b = self.f0_ghz, self.fbw
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "bandpass":
                x = 0.5 * w * b
                return f0 * (x + np.sqrt(x**2 + 1.0))
            if self.kind == "bandstop":
                x = 0.5 * b / w  # f/f0 - f0/f = -FBW / Omega
                return f0 * (-x + np.sqrt(x**2 + 1.0))
            if self.kind == "lowpass":
                return w * f0
            return -f0 / w

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready)."""
        return {"kind": self.kind, "f0_ghz": self.f0_ghz, "fbw": self.fbw}
