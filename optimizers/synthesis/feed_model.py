"""The model an extraction fits: a coupling matrix behind a feed line at each port.

``S(x)`` and its analytic Jacobian (``d(A^-1) = -A^-1 dA A^-1``) for
:func:`rfdesign.optimizers.synthesis.extraction.extract`; the formulas are in that module's
docstring. When every resonator has the same loss, one eigen-decomposition of the resonator block
replaces a solve per frequency (:func:`port_columns`).
"""

from __future__ import annotations

import numpy as np

from rfdesign.optimizers.synthesis.matrix import CouplingMatrix


class FeedModel:
    """Measured-side model ``S(x)`` of the fit and its Jacobian.

    ``x = [pattern entries (upper triangle), a1, b1, a2, b2, p]``: the feed phase of port ``k``
    is ``a_k + b_k u`` with ``u = (f - fc) / h`` (centre ``fc``, half span ``h`` of the data:
    well-conditioned), and ``p = 1 / Qu``.
    """

    def __init__(self, f, start: CouplingMatrix, rows, cols, qu_fixed) -> None:
        self.f = f
        self.fmap = start.fmap
        self.base = np.array(start.m, float)
        self.rows, self.cols = rows, cols
        self.n2 = len(self.base)
        self.fc = 0.5 * (f.max() + f.min())
        self.h = max(0.5 * (f.max() - f.min()), 1e-9 * self.fc)
        self.u = (f - self.fc) / self.h
        self.qu_fixed = qu_fixed  # None: p is free
        self.n_m = len(rows)
        self._key: bytes | None = None
        self.n_eval = 0

    def matrix(self, x: np.ndarray) -> np.ndarray:
        """The coupling matrix of parameter vector ``x`` (pattern entries set, symmetric)."""
        m = self.base.copy()
        m[self.rows, self.cols] = x[: self.n_m]
        m[self.cols, self.rows] = x[: self.n_m]
        return m

    def _omega(self, p: float) -> tuple[np.ndarray, np.ndarray]:
        """Resonator diagonal term ``F x N`` and its derivative in ``p = 1 / Qu``."""
        n = self.n2 - 2
        f = self.f
        if self.qu_fixed is not None:
            w = self.fmap.lossy_omega(f, np.asarray(self.qu_fixed))
            w = np.broadcast_to(w if np.ndim(w) == 2 else w[:, None], (f.size, n))
            w = np.where(np.isfinite(w), w, 1e15)  # band-stop centre: Omega = inf
            return w, np.zeros_like(w)
        if self.fmap.kind == "bandpass":  # Omega - j p / FBW (mapping.FrequencyMap.lossy_omega)
            w = self.fmap.omega(f) - 1j * p / self.fmap.fbw
            dw = np.full(f.size, -1j / self.fmap.fbw)
        else:  # Omega(f (1 - j p / 2)): d/dp by the chain rule, central difference of Omega
            z = f * (1.0 - 0.5j * p)
            dz = 1e-7 * np.abs(z)
            dom = (self.fmap.omega(z + dz) - self.fmap.omega(z - dz)) / (2 * dz)
            w, dw = self.fmap.omega(z), dom * (-0.5j * f)
        w = np.where(np.isfinite(w), w, 1e15)  # band-stop centre: Omega = inf, resonators open
        return np.repeat(w[:, None], n, 1), np.repeat(np.nan_to_num(dw)[:, None], n, 1)

    def _solve(self, x: np.ndarray) -> None:
        key = x.tobytes()
        if key == self._key:
            return
        self.n_eval += 1
        n2, f = self.n2, self.f
        w, dw = self._omega(x[self.n_m + 4])
        m = self.matrix(x)
        uniform = np.all(w == w[:, :1])
        sol, dense = port_columns(m, w[:, 0]) if uniform else (None, np.ones(f.size, bool))
        if dense.any():  # A^-1 columns 0 and L by dense solves (A complex symmetric)
            a = np.broadcast_to(m.astype(complex), (int(dense.sum()), n2, n2)).copy()
            k = np.arange(1, n2 - 1)
            a[:, k, k] += w[dense]
            a[:, 0, 0] -= 1j
            a[:, -1, -1] -= 1j
            rhs = np.zeros((a.shape[0], n2, 2), complex)
            rhs[:, 0, 0] = rhs[:, -1, 1] = 1.0
            if sol is None:
                sol = np.empty((f.size, n2, 2), complex)
            sol[dense] = np.linalg.solve(a, rhs)
        x0, xl = sol[:, :, 0], sol[:, :, 1]
        ph1 = x[self.n_m] + x[self.n_m + 1] * self.u
        ph2 = x[self.n_m + 2] + x[self.n_m + 3] * self.u
        e = np.stack([np.exp(-2j * ph1), np.exp(-1j * (ph1 + ph2)), np.exp(-2j * ph2)], 1)
        s = np.stack([1 + 2j * x0[:, 0], -2j * xl[:, 0], 1 + 2j * xl[:, -1]], 1)
        self._key, self._x0, self._xl, self._dw, self._e, self._s = key, x0, xl, dw, e, s
        self.s_meas = s * e

    def s(self, x: np.ndarray) -> np.ndarray:
        """Model ``S11, S21, S22`` as measured (feeds included), ``F x 3`` complex."""
        self._solve(x)
        return self.s_meas

    def jac(self, x: np.ndarray) -> np.ndarray:
        """``d S / d x``, ``F x 3 x len(x)`` complex."""
        self._solve(x)
        x0, xl, e, sm = self._x0, self._xl, self._e, self.s_meas
        r, c = self.rows, self.cols
        diag = (r == c).astype(float)
        off = 1.0 - diag
        # d[A^-1]_ab / dM_rc = -([A^-1]_ar [A^-1]_cb + [A^-1]_ac [A^-1]_rb) (r != c), or one term
        d11 = -(2 * off + diag) * x0[:, r] * x0[:, c]
        d22 = -(2 * off + diag) * xl[:, r] * xl[:, c]
        d21 = -(off * (xl[:, r] * x0[:, c] + xl[:, c] * x0[:, r]) + diag * xl[:, r] * x0[:, r])
        jm = np.stack([2j * d11, -2j * d21, 2j * d22], 1)  # F x 3 x n_m
        res = slice(1, self.n2 - 1)
        dp = np.stack(
            [
                -2j * np.sum(x0[:, res] ** 2 * self._dw, 1),
                2j * np.sum(xl[:, res] * x0[:, res] * self._dw, 1),
                -2j * np.sum(xl[:, res] ** 2 * self._dw, 1),
            ],
            1,
        )
        u = self.u[:, None]
        z = np.zeros_like(sm[:, :1])
        g1 = np.concatenate([-2j * sm[:, :1], -1j * sm[:, 1:2], z], 1)  # d/d a1
        g2 = np.concatenate([z, -1j * sm[:, 1:2], -2j * sm[:, 2:]], 1)  # d/d a2
        feed = np.stack([g1, g1 * u, g2, g2 * u], 2)
        return np.concatenate([jm * e[:, :, None], feed, (dp * e)[:, :, None]], 2)


def port_columns(m: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns 0 and N+1 of ``A^-1``, ``A = M - j R + lam(f) W`` (one ``lam`` for all resonators).

    With the eigen-decomposition ``M_rr = V diag(d) V^T`` of the (real symmetric) resonator
    block, ``A_rr^-1 = V diag(1 / (d + lam)) V^T`` and the 2 x 2 Schur complement on the ports
    ``Y = M_pp - j I - M_pr A_rr^-1 M_rp`` give ``[A^-1]_pp = Y^-1`` and ``[A^-1]_rp = -A_rr^-1
    M_rp Y^-1`` (the admittance form of the coupling-matrix circuit, Cameron, Kudsia and
    Mansour 2007, ch. 8): ``F N^2`` work instead of ``F`` dense solves.

    Args:
        m: Real symmetric ``(N+2) x (N+2)`` matrix.
        lam: Resonator term at each frequency, shape ``F`` (complex).

    Returns:
        ``(cols, dense)``: ``cols`` of shape ``F x (N+2) x 2``, and the frequencies (boolean
        ``F``) too close to a resonance of the resonator block (``|d + lam|`` below ``1e-6``
        of the matrix's scale) whose columns must be solved densely instead.
    """
    d, v = np.linalg.eigh(m[1:-1, 1:-1])
    g = m[np.ix_([0, -1], range(1, len(m) - 1))] @ v  # 2 x N port couplings to the eigenmodes
    den = d[None, :] + lam[:, None]  # F x N
    dense = np.abs(den).min(1) < 1e-6 * max(1.0, np.abs(m).max())
    inv = 1.0 / np.where(np.abs(den) < 1e-300, 1.0, den)
    y = (m[np.ix_([0, -1], [0, -1])] - 1j * np.eye(2))[None] - np.einsum("ak,fk,bk->fab", g, inv, g)
    det = y[:, 0, 0] * y[:, 1, 1] - y[:, 0, 1] * y[:, 1, 0]
    det = np.where(det == 0, 1.0, det)
    yi = np.stack(
        [np.stack([y[:, 1, 1], -y[:, 0, 1]], 1), np.stack([-y[:, 1, 0], y[:, 0, 0]], 1)], 1
    )
    yi = yi / det[:, None, None]
    cols = np.empty((lam.size, len(m), 2), complex)
    cols[:, [0, -1], :] = yi
    cols[:, 1:-1, :] = -np.einsum("rk,fk,ak,fab->frb", v, inv, g, yi)
    return cols, dense | ~np.isfinite(cols).all((1, 2))
