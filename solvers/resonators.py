"""Resonators measured from S-parameters: frequency, loaded and unloaded Q, coupling.

The quantities filter design is built from (Hong and Lancaster, *Microstrip Filters for
RF/Microwave Applications*, Wiley 2001, ch. 8): a weakly coupled resonator's frequency and Q
from the peak of its transmission, and the coupling coefficient of two synchronously tuned
resonators from their two split peaks. Used by the canonical solver checks
(:mod:`rfdesign.solvers.canonical`) and by EM design curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Resonance:
    """One transmission resonance.

    Attributes:
        f_ghz: Resonant frequency in GHz (the pole's).
        q_loaded: Loaded Q, ``f0 / (3 dB bandwidth)`` (the pole's).
        s21_peak: |S21| of the fitted model at ``f_ghz`` (linear).
        points: Number of frequency points the fit used.
    """

    f_ghz: float
    q_loaded: float
    s21_peak: float
    points: int

    @property
    def q_unloaded(self) -> float:
        """Unloaded Q of a resonator coupled equally to both ports: ``Q_L / (1 - |S21|)``.

        Kajfez, *Q Factor Measurements Using MATLAB*, Artech House 2011, ch. 1 (transmission
        method, symmetric coupling). NaN when the peak reaches 1 (a lossless resonator).
        """
        return self.q_loaded / (1.0 - self.s21_peak) if self.s21_peak < 1.0 else math.nan


def resonances(
    f_ghz: np.ndarray, s21: np.ndarray, count: int, extra_poles: int = 2
) -> list[Resonance]:
    """The ``count`` strongest resonances of a transmission response, from its poles.

    scikit-rf's vector fitting (Gustavsen and Semlyen, IEEE Trans. Power Delivery 14(3),
    1999) fits ``S21`` with ``count + extra_poles`` complex pole pairs; a pole ``p = -s + j w``
    is a resonance at ``w / 2 pi`` with loaded Q ``w / (2 s)``. Poles are ranked by the peak
    they contribute, ``|residue| / s``, and those outside the band or with Q below 1 are
    dropped. Fitting poles instead of reading peaks keeps two overlapping resonances apart
    (their peaks pull each other; their poles do not).

    Args:
        f_ghz: Frequencies in GHz, ascending (``F``).
        s21: Complex S21 (``F``).
        count: Number of resonances wanted.
        extra_poles: Pole pairs beyond ``count`` for the background (feeds, far modes).

    Returns:
        The resonances, lowest frequency first.

    Raises:
        ValueError: If fewer than ``count`` resonances lie in the band.
    """
    import warnings

    import skrf
    from skrf.vectorFitting import VectorFitting

    f = np.asarray(f_ghz, dtype=float)
    s = np.asarray(s21, dtype=complex)
    net = skrf.Network(frequency=skrf.Frequency.from_f(f, unit="GHz"), s=s[:, None, None])
    vf = VectorFitting(net)
    with warnings.catch_warnings():  # convergence chatter; the fit is judged below
        warnings.simplefilter("ignore")
        vf.vector_fit(n_poles_real=0, n_poles_cmplx=count + extra_poles)
    poles = []
    for pole, res in zip(vf.poles, vf.residues[0], strict=True):
        w, sigma = abs(pole.imag), abs(pole.real)
        f0 = w / (2 * np.pi * 1e9)
        if sigma == 0 or not f[0] <= f0 <= f[-1] or w / (2 * sigma) < 1:
            continue
        poles.append(FittedPole(f0, w / (2 * sigma), complex(res), sigma))
    found = [(p.strength, p.f_ghz, p.q) for p in merge_unresolved(poles)]
    if len(found) < count:
        raise ValueError(f"resonances: {len(found)} resonance(s) in the band, need {count}")
    strongest = sorted(sorted(found)[-count:], key=lambda t: t[1])
    out = []
    for _, f0, q in strongest:
        peak = abs(vf.get_model_response(0, 0, freqs=np.array([f0 * 1e9]))[0])
        out.append(Resonance(float(f0), float(q), float(peak), int(f.size)))
    return out


@dataclass(frozen=True)
class FittedPole:
    """One complex pole pair of a vector fit: ``p = -sigma + j 2 pi f``.

    Attributes:
        f_ghz: Frequency of the pole in GHz.
        q: Its Q, ``w / (2 sigma)``.
        residue: Its residue (of the pole with positive imaginary part).
        sigma: Its damping in 1/s.
    """

    f_ghz: float
    q: float
    residue: complex
    sigma: float

    @property
    def strength(self) -> float:
        """The peak it contributes, ``|residue| / sigma``."""
        return abs(self.residue) / self.sigma


def merge_unresolved(poles: list[FittedPole]) -> list[FittedPole]:
    """Poles closer than their half-power bandwidths, merged into one.

    A fit with spare poles may split one peak into two poles a few MHz apart with large,
    nearly opposite residues (the ripple that stopping a ring-down early leaves is one cause);
    ranked one by one they look like the two strongest resonances and give a coupling
    coefficient of almost zero (seen on CI: k = 0.0002 for a pair at 40.5 and 44.3 GHz). Two
    poles whose distance is below the sum of their half bandwidths ``f / (2 Q)`` are not two
    resonances any measurement could tell apart (the Rayleigh criterion for resonances): they
    are merged into one with the summed residue, at the frequency and Q of the stronger.

    Args:
        poles: Fitted poles, any order.

    Returns:
        The resolved poles, lowest frequency first.
    """
    out: list[FittedPole] = []
    for p in sorted(poles, key=lambda p: p.f_ghz):
        if out and p.f_ghz - out[-1].f_ghz < out[-1].f_ghz / (2 * out[-1].q) + p.f_ghz / (2 * p.q):
            prev = out.pop()
            lead = max(prev, p, key=lambda x: x.strength)
            out.append(FittedPole(lead.f_ghz, lead.q, prev.residue + p.residue, lead.sigma))
        else:
            out.append(p)
    return out


def fit_resonance(f_ghz: np.ndarray, s21: np.ndarray) -> Resonance:
    """The strongest resonance of ``s21`` (:func:`resonances`)."""
    return resonances(f_ghz, s21, 1)[0]


def split_peaks(f_ghz: np.ndarray, s21: np.ndarray) -> tuple[Resonance, Resonance]:
    """The two strongest resonances of a coupled-resonator pair, lower one first."""
    low, high = resonances(f_ghz, s21, 2)
    return low, high


def coupling_coefficient(f_low_ghz: float, f_high_ghz: float) -> float:
    """Coupling coefficient of two synchronously tuned resonators from their split peaks.

    ``k = (f2^2 - f1^2) / (f2^2 + f1^2)``: Hong and Lancaster (2001), eq. (8.9); it holds for
    electric, magnetic and mixed coupling alike.
    """
    return (f_high_ghz**2 - f_low_ghz**2) / (f_high_ghz**2 + f_low_ghz**2)
