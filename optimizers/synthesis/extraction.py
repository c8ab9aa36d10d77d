"""Coupling-matrix extraction: from a filter's complex S-parameters back to its matrix.

Given the S-parameters of a physical filter (a full-wave run or a measurement, seen through
feed lines of unknown length) and the matrix it was designed from, find the coupling matrix of
the same topology, its resonators' detunings and their unloaded Q: each full-wave run then reads
as a diagnosis ("resonator 3 is 0.40 % high, coupling 2-3 is 8.0 % weak") for tuning.

Model: the coupling-matrix circuit of :class:`~rfdesign.optimizers.synthesis.matrix.CouplingMatrix`
(Cameron, Kudsia and Mansour, "Microwave Filters for Communication Systems", Wiley 2007, ch. 8),
``S11 = 1 + 2j [A^-1]_00``, ``S22 = 1 + 2j [A^-1]_LL``, ``S21 = -2j [A^-1]_L0``, behind a feed
line at each port (the "phase loading" of Meng and Wu, "An analytical approach to computer-aided
diagnosis and tuning of lossy microwave coupled resonator filters", IEEE Trans. MTT 57(12),
2009)::

    S11_meas = S11 exp(-2j phi1(f)),  S22_meas = S22 exp(-2j phi2(f)),
    S21_meas = S12_meas = S21 exp(-j (phi1(f) + phi2(f))),  phi_p(f) = phi_p0 + 2 pi f tau_p.

The pattern's entries, one uniform ``1 / Qu`` and the four feed parameters are fitted by
nonlinear least squares on the real and imaginary parts of S11, S21 and S22 (scipy's
trust-region reflective ``least_squares``, Branch, Coleman and Li, SIAM J. Sci. Comput. 21(1),
1999) with the analytic Jacobian ``d(A^-1) = -A^-1 dA A^-1``, from the synthesised matrix. This
is a least-squares fit of the circuit model; Meng and Wu (2009) and Macchiarella ("Extraction of
unloaded Q and coupling matrix from measurements on filters with large losses", IEEE MWCL
20(6), 2010) extract the same quantities analytically from a rational fit instead. Fitting on
complex S, not dB, keeps the problem smooth near the reflection zeros.

Start values (:func:`_start_values`): Qu from a scan of ``|S|`` (phase-free); each feed's delay
and phase from the correlation ``sum S_meas conj(S_start) exp(+j 4 pi f tau)`` maximised over
``tau`` (no unwrapping, so no 2 pi ambiguity across the passband gap); the S21 sign (``phi_p0``
is known modulo pi from ``S_pp`` alone) from the correlation of S21. The feeds are fitted alone
first, then everything together; a second start with the other S21 sign runs only when the first
does not converge. ``(phi1 + pi, phi2 + pi)`` gives the same S-parameters: the reported pair
has ``phi1`` in ``(-pi/2, pi/2]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rfdesign.optimizers.synthesis.feed_model import FeedModel
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix

RMS_TOLERANCE = 0.05
"""Default largest ``rms_error`` of a converged fit, relative to the rms of ``|S|`` of the data."""

QU_MIN = 2.0
"""Smallest unloaded Q the fit may reach (bound on ``1 / Qu``)."""

QU_LOSSLESS = 1e7
"""A fitted Qu above this is reported as lossless (``inf``)."""

_QU_SCAN = (np.inf, 5000.0, 2000.0, 1000.0, 500.0, 300.0, 200.0, 100.0, 50.0, 20.0, 5.0)
_LSQ = {"method": "trf", "x_scale": "jac", "xtol": 1e-12, "ftol": 1e-12, "gtol": 1e-12}
_TAU_MAX_NS = 5.0  # largest feed delay searched (a 1.5 m air line; EM feeds are far shorter)


@dataclass(frozen=True)
class ExtractionResult:
    """The fitted coupling matrix of a filter and how well it explains the data.

    Attributes:
        matrix: Fitted matrix (the start's frequency map); ``qu`` is the fitted uniform Qu
            (``inf``: no measurable loss), or the start's Qu when Qu was not fitted.
        start: The matrix the fit started from (the design target).
        phase_rad: Feed-line phase ``phi_p0`` at ports 1 and 2 (rad, at ``f = 0``).
        delay_ps: Feed-line group delay ``tau_p`` at ports 1 and 2 (ps);
            ``phi_p(f) = phase_rad[p] + 2 pi f delay_ps[p]``.
        rms_error: ``sqrt(sum w |S_meas - S_model|^2 / sum w)``, the sums over S11, S21, S22
            and the fitted points (complex, linear; ``w`` the weights, 1 by default).
        rms_tolerance: The ``rms_error`` a converged fit must stay below (absolute: the
            relative tolerance times ``data_rms``).
        data_rms: The data's rms ``|S|`` (same weighted mean over S11, S21, S22).
        converged: The optimiser reported success and ``rms_error <= rms_tolerance``.
        message: Why not, in one line, when not converged (empty otherwise).
        n_evaluations: Model evaluations in all stages and starts.
        n_points: Frequency points fitted.
    """

    matrix: CouplingMatrix
    start: CouplingMatrix
    phase_rad: tuple[float, float] = (0.0, 0.0)
    delay_ps: tuple[float, float] = (0.0, 0.0)
    rms_error: float = np.nan
    rms_tolerance: float = np.nan
    data_rms: float = np.nan
    converged: bool = False
    message: str = ""
    n_evaluations: int = 0
    n_points: int = 0
    fitted_qu: bool = field(default=True, repr=False)

    def detuning_percent(self) -> np.ndarray:
        """Each fitted resonator's resonance relative to ``f0``, percent (+: high), shape ``N``."""
        return self.matrix.detuning_percent()

    def resonance_error_percent(self) -> np.ndarray:
        """Each fitted resonance relative to the start's (the target's) resonance, percent.

        Equal to :meth:`detuning_percent` when the target's resonators sit at ``f0`` (symmetric
        responses); the number to tune by for asymmetric ones. Shape ``N``.
        """
        fit = self.matrix.resonant_frequencies_ghz()
        target = self.start.resonant_frequencies_ghz()
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100.0 * (fit / target - 1.0)

    def coupling_error_percent(self) -> dict[tuple[int, int], float]:
        """``100 (M_fit - M_start) / M_start`` for each non-zero coupling ``(i, j)``, ``i < j``.

        Indices as in the matrix: 0 = source, 1..N = resonators, N+1 = load.
        """
        out = {}
        for i, j in self.start.topology():
            out[(i, j)] = float(100.0 * (self.matrix.m[i, j] / self.start.m[i, j] - 1.0))
        return out

    def diagnosis(
        self, threshold_percent: float = 0.1, coupling_threshold_percent: float = 1.0
    ) -> list[str]:
        """Readable lines: what is off, by how much, and the fit's own quality.

        Args:
            threshold_percent: Resonance errors (vs the target's resonance) at or above this
                are listed, percent.
            coupling_threshold_percent: Coupling errors at or above this are listed, percent;
                couplings that are zero in the target are listed when larger than this
                fraction of the target's median coupling.

        Returns:
            Lines such as ``"resonator 3 is 0.40 % high (resonates at 42.168 GHz, target 42
            GHz)"``, ``"coupling 2-3 is 8.0 % weak (M = 0.5494, target 0.5972)"``,
            ``"Qu = 412"``; the first line says ``"fit failed: ..."`` when not converged (the
            numbers after it are those of the last iterate and not to be trusted; it is the
            only line when the data could not be fitted at all).
        """
        n = self.matrix.order
        labels = ["S", *[str(k) for k in range(1, n + 1)], "L"]
        lines = []
        if not self.converged and self.n_evaluations == 0:
            return [f"fit failed: {self.message}"]  # nothing was fitted
        if not self.converged:
            lines.append(
                f"fit failed: {self.message}; the lines below describe the last iterate, "
                "not the filter"
            )
        err = self.resonance_error_percent()
        fit_f = self.matrix.resonant_frequencies_ghz()
        target_f = self.start.resonant_frequencies_ghz()
        for k in range(n):
            if not np.isfinite(err[k]):
                d = self.matrix.m[k + 1, k + 1] - self.start.m[k + 1, k + 1]
                if abs(d) > 1e-6:
                    lines.append(f"resonator {k + 1}: M{k + 1},{k + 1} is off by {d:+.4f}")
            elif abs(err[k]) >= threshold_percent:
                side = "high" if err[k] > 0 else "low"
                lines.append(
                    f"resonator {k + 1} is {abs(err[k]):.2f} % {side} (resonates at "
                    f"{fit_f[k]:.5g} GHz, target {target_f[k]:.5g} GHz)"
                )
        nonzero = np.abs([self.start.m[i, j] for i, j in self.start.topology()])
        scale = float(np.median(nonzero)) if nonzero.size else 1.0
        for (i, j), e in self.coupling_error_percent().items():
            mf, ms = self.matrix.m[i, j], self.start.m[i, j]
            name = f"coupling {labels[i]}-{labels[j]}"
            if np.sign(mf) != np.sign(ms):
                lines.append(f"{name} has the opposite sign (M = {mf:.4f}, target {ms:.4f})")
            elif abs(e) >= coupling_threshold_percent:
                side = "strong" if abs(mf) > abs(ms) else "weak"
                lines.append(f"{name} is {abs(e):.1f} % {side} (M = {mf:.4f}, target {ms:.4f})")
        iu, ju = np.triu_indices(n + 2, 1)
        for i, j in zip(iu, ju, strict=True):
            mf = self.matrix.m[i, j]
            if self.start.m[i, j] == 0 and abs(mf) > coupling_threshold_percent / 100 * scale:
                lines.append(
                    f"coupling {labels[i]}-{labels[j]} = {mf:.4f} (zero in the target: parasitic)"
                )
        q = self.matrix.qu
        if not self.fitted_qu:
            lines.append(f"Qu not fitted (held at {q})")
        elif q == np.inf:
            lines.append(f"Qu > {QU_LOSSLESS:.0e} (no measurable loss)")
        else:
            lines.append(f"Qu = {q:.0f}")
        (p1, p2), (t1, t2) = self.phase_rad, self.delay_ps
        lines.append(
            f"feed lines: port 1 phase {p1:+.3f} rad, delay {t1:.2f} ps; port 2 phase "
            f"{p2:+.3f} rad, delay {t2:.2f} ps"
        )
        lines.append(
            f"rms error {self.rms_error:.3g} = {100 * self.rms_error / self.data_rms:.2g} % of "
            f"the data's rms |S| (tolerance {100 * self.rms_tolerance / self.data_rms:.3g} %), "
            f"{self.n_points} points, {self.n_evaluations} evaluations"
        )
        return lines

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready); couplings keyed ``"i-j"`` by matrix index."""
        return {
            "matrix": self.matrix.to_dict(),
            "start": self.start.to_dict(),
            "phase_rad": list(self.phase_rad),
            "delay_ps": list(self.delay_ps),
            "rms_error": _num(self.rms_error),
            "rms_tolerance": _num(self.rms_tolerance),
            "data_rms": _num(self.data_rms),
            "converged": self.converged,
            "message": self.message,
            "n_evaluations": self.n_evaluations,
            "n_points": self.n_points,
            "detuning_percent": [_num(x) for x in self.detuning_percent()],
            "coupling_error_percent": {
                f"{i}-{j}": _num(e) for (i, j), e in self.coupling_error_percent().items()
            },
            "diagnosis": self.diagnosis(),
        }


def _num(x: float) -> float | None:
    """A float for JSON (``None`` for NaN/inf)."""
    return float(x) if np.isfinite(x) else None


def _as_data(f_ghz: Any, s: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(f F, s F x 2 x 2)``; ``ValueError`` naming the argument on bad shapes."""
    if hasattr(s, "s") and hasattr(s, "f") and not isinstance(s, np.ndarray):  # skrf.Network
        if f_ghz is None:
            f_ghz = np.asarray(s.f, float) / 1e9
        s = s.s
    try:
        arr = np.asarray(s, complex)
    except (TypeError, ValueError):
        raise ValueError(
            f"s: expected complex S-parameters F x 2 x 2 or an skrf.Network, got {type(s)}"
        ) from None
    if arr.ndim != 3 or arr.shape[1:] != (2, 2) or arr.shape[0] < 1:
        raise ValueError(
            f"s: expected complex S-parameters of shape F x 2 x 2 (or an skrf.Network), got "
            f"shape {arr.shape}"
        )
    if f_ghz is None:
        raise ValueError("f_ghz: frequencies in GHz are needed when s is an array")
    try:
        f = np.asarray(f_ghz, float)
    except (TypeError, ValueError):
        raise ValueError(f"f_ghz: expected real frequencies in GHz, got {type(f_ghz)}") from None
    if f.ndim != 1 or f.size != arr.shape[0]:
        raise ValueError(
            f"f_ghz: expected one frequency per row of s ({arr.shape[0]}), got shape {f.shape}"
        )
    return f, arr


def _default_pattern(start: CouplingMatrix) -> np.ndarray:
    """The start's non-zero couplings and every resonator's diagonal entry."""
    n2 = start.order + 2
    pat = np.zeros((n2, n2), bool)
    tol = 1e-9 * max(np.abs(start.m).max(), 1.0)
    for i, j in start.topology(tol):
        pat[i, j] = pat[j, i] = True
    k = np.arange(1, n2 - 1)
    pat[k, k] = True
    return pat


def _best_delay(f: np.ndarray, prod: np.ndarray, factor: float) -> tuple[float, complex]:
    """``tau`` (ns) maximising ``|sum prod exp(+j factor 2 pi f tau)|`` and that sum.

    ``prod = S_meas conj(S_model)``: a grid search over ``|tau| <= tau_max`` (the largest
    delay the frequency step resolves, at most 5 ns) at an eighth of the peak width, then a
    parabolic refinement. No phase unwrapping is involved.
    """
    span = max(f.max() - f.min(), 1e-12)
    step_f = np.median(np.diff(np.sort(f))) if f.size > 1 else span
    tau_max = min(_TAU_MAX_NS, 1.0 / (2 * factor * max(step_f, 1e-12)))
    d_tau = 1.0 / (8 * factor * span)
    grid = np.arange(-tau_max, tau_max + d_tau, d_tau)
    best, best_val = 0.0, -1.0
    for chunk in np.array_split(grid, max(1, grid.size * f.size // 2_000_000 + 1)):
        c = np.abs(np.exp(2j * np.pi * factor * np.outer(chunk, f)) @ prod)
        k = int(np.argmax(c))
        if c[k] > best_val:
            best, best_val = float(chunk[k]), float(c[k])
    vals = [
        abs(np.sum(prod * np.exp(2j * np.pi * factor * f * t)))
        for t in (best - d_tau, best, best + d_tau)
    ]
    den = vals[0] - 2 * vals[1] + vals[2]
    if den < 0:
        best += 0.5 * d_tau * (vals[0] - vals[2]) / den
    return best, complex(np.sum(prod * np.exp(2j * np.pi * factor * f * best)))


def _start_values(model: FeedModel, x: np.ndarray, d, w, fit_qu: bool, fit_phase: bool) -> list:
    """Start vectors of the fit: the start's matrix with a scanned Qu and correlated feeds.

    Qu: the value of a short scan that best matches ``|S11|, |S21|, |S22|`` (no phase
    involved). Feeds: :func:`_best_delay` on ``S11_meas conj(S11_start)`` (and S22) gives
    ``tau_p`` and ``phi_p0`` modulo pi; the correlation of S21 then picks the pair whose S21
    sign matches. The second vector has the other S21 sign (``phi2 + pi``).
    """
    n_m = model.n_m
    x = x.copy()
    if fit_qu:
        costs = []
        for q in _QU_SCAN:
            x[-1] = 0.0 if q == np.inf else 1.0 / q
            costs.append(np.sum(w * (np.abs(model.s(x)) - np.abs(d)) ** 2))
        q = _QU_SCAN[int(np.argmin(costs))]
        x[-1] = 0.0 if q == np.inf else 1.0 / q
    if not fit_phase:
        return [x]
    f, fc, h = model.f, model.fc, model.h
    model.s(x)
    s0 = model._s  # the start's S without feed lines
    tau1, c1 = _best_delay(f, d[:, 0] * np.conj(s0[:, 0]) * w[:, 0], 2.0)
    tau2, c2 = _best_delay(f, d[:, 2] * np.conj(s0[:, 2]) * w[:, 2], 2.0)
    phi1 = -np.angle(c1) / 2 + 2 * np.pi * tau1 * fc  # feed phase at fc
    phi2 = -np.angle(c2) / 2 + 2 * np.pi * tau2 * fc
    c21 = np.sum(w[:, 1] * d[:, 1] * np.conj(s0[:, 1]) * np.exp(2j * np.pi * (tau1 + tau2) * f))
    if np.cos(np.angle(c21) + phi1 + phi2 - 2 * np.pi * (tau1 + tau2) * fc) < 0:
        phi2 += np.pi  # S21 sign: phi_p0 is known modulo pi from S_pp alone
    x[n_m : n_m + 4] = [phi1, 2 * np.pi * tau1 * h, phi2, 2 * np.pi * tau2 * h]
    alt = x.copy()
    alt[n_m + 2] += np.pi
    return [x, alt]


def _fail(start, message, n_points=0, n_eval=0, fitted_qu=True) -> ExtractionResult:
    return ExtractionResult(
        matrix=start,
        start=start,
        converged=False,
        message=message,
        n_evaluations=n_eval,
        n_points=n_points,
        fitted_qu=fitted_qu,
    )


def extract(
    f_ghz: np.ndarray | None,
    s: Any,
    start: CouplingMatrix,
    pattern: np.ndarray | None = None,
    fit_qu: bool = True,
    fit_phase: bool = True,
    weights: np.ndarray | None = None,
    max_nfev: int = 200,
    rms_tolerance: float = RMS_TOLERANCE,
    mirror: bool = False,
) -> ExtractionResult:
    """Fit the coupling matrix of ``start``'s topology, its Qu and the feed lines to ``s``.

    Args:
        f_ghz: Frequencies in GHz, shape ``F`` (``None`` when ``s`` is an ``skrf.Network``).
        s: Complex S-parameters, ``F x 2 x 2`` (S12 and S21 are averaged: the model is
            reciprocal), or an ``skrf.Network``.
        start: The synthesised (target) matrix; the fit starts there and keeps its frequency
            map. Its entries outside ``pattern`` stay fixed.
        pattern: Boolean ``(N+2) x (N+2)``: the entries fitted (symmetric; the upper
            triangle, diagonal included, are the parameters). Default: the start's non-zero
            couplings and every resonator's diagonal entry.
        fit_qu: Fit one uniform unloaded Q (``1 / Qu`` in ``[0, 1 / QU_MIN]``); otherwise hold
            the start's Qu.
        fit_phase: Fit the feed phase and delay of each port; otherwise the data are taken as
            de-embedded to the filter's ports (phases and delays 0).
        weights: Non-negative weight of each frequency (``F``) or of each of S11, S21, S22 at
            each frequency (``F x 3``) in the sum of squares; default 1.
        max_nfev: Largest number of model evaluations of each least-squares run.
        rms_tolerance: Largest ``rms_error`` of a converged fit relative to the rms of
            ``|S11|, |S21|, |S22|`` of the data (default 5 %).
        mirror: The filter is symmetric end to end: each entry ``M_ij`` is tied to its mirror
            image ``M_(N+1-j)(N+1-i)`` (one parameter for both). With couplings past the
            main line a response has many matrices; tying removes the asymmetric ones, which a
            symmetric structure cannot have (a 5-resonator comb's fit otherwise wanders to
            ``M_12 = 0.41``, ``M_45 = 0.98``).

    Returns:
        The :class:`ExtractionResult`. A fit that fails (the optimiser gives up, or the model
        of this topology cannot reproduce the data within the tolerance) and data that cannot
        be fitted (NaN or inf, too few points, non-positive band-pass frequencies) come back
        with ``converged=False`` and the reason in ``message``; nothing raises past the shape
        checks.

    Raises:
        ValueError: Before any work, on arguments of the wrong type or shape (``s``,
            ``f_ghz``, ``start``, ``pattern``, ``weights``).
    """
    from scipy.optimize import least_squares

    if not isinstance(start, CouplingMatrix):
        raise ValueError(f"start: expected a CouplingMatrix, got {type(start).__name__}")
    f, data = _as_data(f_ghz, s)
    n2 = start.order + 2
    if pattern is None:
        pat = _default_pattern(start)
    else:
        pat = np.asarray(pattern)
        if pat.shape != (n2, n2):
            raise ValueError(f"pattern: expected a {n2} x {n2} boolean array, got {pat.shape}")
        pat = pat.astype(bool) | pat.astype(bool).T
    if weights is None:
        w = np.ones((f.size, 3))
    else:
        try:
            w = np.asarray(weights, float)
        except (TypeError, ValueError):
            raise ValueError(f"weights: expected real numbers, got {type(weights)}") from None
        if w.shape == (f.size,):
            w = np.repeat(w[:, None], 3, 1)
        if w.shape != (f.size, 3):
            raise ValueError(f"weights: expected shape ({f.size},) or ({f.size}, 3), got {w.shape}")
    fail = {"n_points": f.size, "fitted_qu": fit_qu}

    # -- data that cannot be fitted -----------------------------------------------------------
    bad = ~np.isfinite(data).all(axis=(1, 2))
    if bad.any():
        return _fail(start, f"s: {int(bad.sum())} of {f.size} points are NaN or inf", **fail)
    if not np.isfinite(f).all() or (start.fmap.kind != "lowpass" and np.any(f <= 0)):
        return _fail(start, "f_ghz: frequencies must be finite and > 0", **fail)
    if not np.abs(data).any():
        return _fail(start, "s: every value is zero (no response to fit)", **fail)
    if not np.isfinite(w).all() or np.any(w < 0) or w.sum() <= 0:
        return _fail(start, "weights: must be finite, >= 0 and not all zero", **fail)
    if mirror and not np.array_equal(pat, pat[::-1, ::-1].T):
        return _fail(start, "pattern: mirror=True needs a pattern symmetric end to end", **fail)
    if mirror:  # mirror images share one parameter: both must start with the same sign
        start = start.with_positive_main_line()
    rows, cols = np.nonzero(np.triu(pat))
    # tie[i] = index of the parameter entry i takes (its own, or its mirror image's)
    tie = np.arange(rows.size)
    if mirror:
        where = {(int(r), int(c)): i for i, (r, c) in enumerate(zip(rows, cols, strict=True))}
        for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
            image = tuple(sorted((n2 - 1 - int(c), n2 - 1 - int(r))))
            tie[i] = min(i, where[image])
    keep = np.unique(tie)
    ties = (tie[:, None] == keep[None, :]).astype(float)  # n_m x n_free: entries = ties @ free
    n_par = keep.size + 4 * fit_phase + fit_qu
    if n_par == 0:
        return _fail(start, "nothing to fit: empty pattern, fit_qu and fit_phase False", **fail)
    if 6 * int((w > 0).any(1).sum()) < n_par:
        return _fail(start, f"too few points for {n_par} unknowns", **fail)

    d = np.stack([data[:, 0, 0], 0.5 * (data[:, 1, 0] + data[:, 0, 1]), data[:, 1, 1]], 1)
    sw = np.sqrt(w)
    data_rms = float(np.sqrt(np.sum(w * np.abs(d) ** 2) / w.sum()))
    tol = rms_tolerance * data_rms
    qu_fixed = None if fit_qu else start.qu
    model = FeedModel(f, start, rows, cols, qu_fixed)
    n_m = rows.size

    def resid(x: np.ndarray) -> np.ndarray:
        r = sw * (model.s(x) - d)
        return np.concatenate([r.real.ravel(), r.imag.ravel()])

    def jac(x: np.ndarray) -> np.ndarray:
        j = (sw[:, :, None] * model.jac(x)).reshape(3 * f.size, -1)
        j = np.concatenate([j[:, :n_m] @ ties, j[:, n_m:]], 1)  # tied entries: summed
        return np.concatenate([j.real, j.imag], 0)

    n_f = keep.size  # the fit's parameters: free entries, a1, b1, a2, b2, p

    def full(y: np.ndarray) -> np.ndarray:
        return np.concatenate([ties @ y[:n_f], y[n_f:]])

    def reduced(x: np.ndarray) -> np.ndarray:
        return np.concatenate([(ties.T @ x[:n_m]) / ties.sum(0), x[n_m:]])

    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.sum(w * np.abs(model.s(x) - d) ** 2) / w.sum()))

    x = np.zeros(n_m + 5)
    x[:n_m] = start.m[rows, cols]
    try:
        with np.errstate(all="ignore"):
            starts = [reduced(s) for s in _start_values(model, x, d, w, fit_qu, fit_phase)]
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError) as exc:
        return _fail(start, f"start values: {type(exc).__name__}: {exc}".splitlines()[0], **fail)

    lo = np.full(n_f + 5, -np.inf)
    hi = np.full(n_f + 5, np.inf)
    lo[-1], hi[-1] = 0.0, 1.0 / QU_MIN
    free_all = np.ones(n_f + 5, bool)
    free_all[n_f : n_f + 4] = fit_phase
    free_all[-1] = fit_qu
    feed_only = np.zeros(n_f + 5, bool)
    feed_only[n_f : n_f + 4] = fit_phase

    def run(x0: np.ndarray, free: np.ndarray, nfev: int):
        def r(y):
            xx = x0.copy()
            xx[free] = y
            return resid(full(xx))

        def jj(y):
            xx = x0.copy()
            xx[free] = y
            return jac(full(xx))[:, free]

        y0 = np.clip(x0[free], lo[free], hi[free])
        sol = least_squares(r, y0, jac=jj, bounds=(lo[free], hi[free]), max_nfev=nfev, **_LSQ)
        out = x0.copy()
        out[free] = sol.x
        return out, sol

    best = None
    for x0 in starts:
        try:
            with np.errstate(all="ignore"):
                if fit_phase:
                    x0, _ = run(x0, feed_only, min(50, max_nfev))
                xf, sol = run(x0, free_all, max_nfev)
                xf = full(xf)
                err = rms(xf)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError) as exc:
            msg = f"least squares stopped: {type(exc).__name__}: {exc}".splitlines()[0]
            if best is None:
                best = (np.inf, full(x0), msg, False)
            continue
        ok = bool(sol.success) and np.isfinite(err) and err <= tol
        reasons = []
        if not sol.success:
            reasons.append(f"the optimiser stopped without converging ({sol.message.rstrip('.')})")
        if not err <= tol:
            reasons.append(
                f"rms error {err:.3g} exceeds the tolerance {tol:.3g} ({100 * rms_tolerance:.3g} "
                "% of the data's rms |S|): this topology's model does not explain the data"
            )
        msg = "; ".join(reasons)
        if best is None or (ok and not best[3]) or (ok == best[3] and err < best[0]):
            best = (err, xf, msg, ok)
        if ok:
            break
    err, xf, msg, ok = best

    # -- the result ---------------------------------------------------------------------------
    m = model.matrix(xf)
    if not np.isfinite(m).all():
        return _fail(start, msg or "the fit diverged (non-finite matrix)", **fail)
    p = xf[-1]
    if fit_qu:
        qu = np.inf if p <= 1.0 / QU_LOSSLESS else float(1.0 / p)
    else:
        qu = start.qu
    a1, b1, a2, b2 = xf[n_m : n_m + 4]
    tau1, tau2 = b1 / (2 * np.pi * model.h), b2 / (2 * np.pi * model.h)
    p1 = a1 - 2 * np.pi * tau1 * model.fc
    p2 = a2 - 2 * np.pi * tau2 * model.fc
    shift = np.pi * np.round(p1 / np.pi - 1e-12)  # (phi1 + pi, phi2 + pi) is the same feed
    p1, p2 = p1 - shift, p2 - shift
    p2 = float(np.angle(np.exp(1j * p2)))
    return ExtractionResult(
        matrix=CouplingMatrix(m, start.fmap, qu),
        start=start,
        phase_rad=(float(p1), p2),
        delay_ps=(float(tau1 * 1e3), float(tau2 * 1e3)),
        rms_error=float(err),
        rms_tolerance=float(tol),
        data_rms=data_rms,
        converged=ok,
        message=msg,
        n_evaluations=model.n_eval,
        n_points=f.size,
        fitted_qu=fit_qu,
    )
