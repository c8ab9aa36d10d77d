"""2-D TM scattering by inhomogeneous dielectric objects: Richmond's method of moments.

Time convention ``exp(-i omega t)``; fields are ``E_z``; the background is vacuum
(wavenumber ``k0``). The object lives on a uniform grid of square cells of side ``d`` with
relative permittivity ``eps_r`` (complex allowed) and contrast ``chi = eps_r - 1``. In this
convention ``eps_r = eps' + i eps''`` with loss ``eps'' > 0`` (``2.5+0.5j`` is lossy); a
negative imaginary part is a gain medium, which :func:`check_passive` refuses. The total
field obeys the Lippmann-Schwinger equation

    E = E_inc + G_D (chi E),    G_D[m, n] = k0^2 * integral over cell n of (i/4) H0(k0 |r_m - r'|)

discretised with pulse bases and point matching, each square cell replaced by the circle of
equal area (radius ``a = d / sqrt(pi)``), which gives the closed forms (J. H. Richmond,
"Scattering by a dielectric cylinder of arbitrary cross section shape", IEEE Trans. Antennas
Propag. 13(3), 1965):

    off-diagonal:  (i pi k0 a / 2) J1(k0 a) H0(k0 |r_m - r_n|)
    self term:     (i pi k0 a / 2) H1(k0 a) - 1

``G_D`` is block Toeplitz on the uniform grid, so it is applied by FFT on a circulant embedding
of twice the size, and ``(I - G_D chi) E = E_inc`` is solved by scipy's GMRES for all
incidences at once (one block-diagonal operator: every block is the same matrix, so one
Krylov space serves all right-hand sides). The induced contrast current is ``J = chi E`` and
the scattered field at receivers ``E_s(r_p) = sum_n (i pi k0 a / 2) J1(k0 a) H0(k0 |r_p - r_n|)
J_n``.

The analytic references are in :mod:`rfdesign.scattering.mie2d`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np
import scipy.fft
from scipy.special import hankel1, j1


def check_passive(eps_r: complex | np.ndarray, field: str = "eps_r") -> None:
    """Refuse a gain medium: with time dependence ``exp(-i omega t)``, loss is ``Im eps_r > 0``.

    Args:
        eps_r: One relative permittivity or a map of them (real or complex).
        field: The argument, option or field it came from; it starts the message.

    Raises:
        ValueError: One line, ``"<field>: ..."``, for a value that is not finite or whose
            imaginary part is negative (beyond rounding).
    """
    eps = np.asarray(eps_r, complex)
    if not np.all(np.isfinite(eps)):
        raise ValueError(f"{field}: must be finite")
    if eps.size == 0:
        return
    worst = eps.ravel()[int(np.argmin(eps.imag))]
    if worst.imag < -1e-12 * max(1.0, float(np.abs(eps).max())):
        raise ValueError(
            f"{field}: {worst:g} is a gain medium: with time dependence exp(-i omega t), "
            f"eps_r = eps' + i eps'' and loss is eps'' > 0 (a lossy medium is "
            f"{worst.conjugate():g})"
        )


@dataclass(frozen=True)
class Grid2D:
    """A uniform square grid of the investigation domain.

    Attributes:
        n: Cells per side.
        half_width: The domain is ``[-half_width, half_width]^2`` (m).
    """

    n: int
    half_width: float

    @property
    def d(self) -> float:
        """Cell side (m)."""
        return 2 * self.half_width / self.n

    @property
    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates ``x, y`` (m), each ``n x n`` (``[iy, ix]`` indexing)."""
        c = -self.half_width + (np.arange(self.n) + 0.5) * self.d
        x, y = np.meshgrid(c, c)
        return x, y

    def coverage(self, inside, samples: int = 8) -> np.ndarray:
        """Fraction of each cell where ``inside(x, y)`` holds (``samples^2`` points per cell)."""
        s = (np.arange(samples) + 0.5) / samples - 0.5
        x, y = self.centres
        frac = np.zeros_like(x)
        for dx in s:
            for dy in s:
                frac += inside(x + dx * self.d, y + dy * self.d)
        return frac / samples**2


@dataclass
class MoMResult:
    """Fields of one solve.

    Attributes:
        total: Total field in the cells, ``n_inc x n x n``.
        current: Contrast current ``chi * E``, ``n_inc x n x n``.
        scattered: Scattered field at the receivers, ``n_inc x n_rx`` (if receivers were given).
        iterations: GMRES iterations.
    """

    total: np.ndarray
    current: np.ndarray
    scattered: np.ndarray | None = None
    iterations: int = 0
    info: dict = field(default_factory=dict)


class MoM2D:
    """Richmond MoM on a :class:`Grid2D` at wavenumber ``k0`` (rad/m).

    Args:
        grid: The investigation domain.
        k0: Free-space wavenumber, rad/m.
    """

    def __init__(self, grid: Grid2D, k0: float) -> None:
        self.grid = grid
        self.k0 = float(k0)
        self.a = grid.d / np.sqrt(np.pi)
        n = grid.n
        # Green's function samples on the (2n - 1)^2 offsets, placed in a 2n x 2n circulant
        off = np.arange(-(n - 1), n) * grid.d
        ox, oy = np.meshgrid(off, off)
        rho = np.hypot(ox, oy)
        ka = self.k0 * self.a
        with np.errstate(invalid="ignore"):
            g = 0.5j * np.pi * ka * j1(ka) * hankel1(0, self.k0 * rho)
        g[n - 1, n - 1] = 0.5j * np.pi * ka * hankel1(1, ka) - 1.0
        circ = np.zeros((2 * n, 2 * n), complex)
        # offsets -(n-1)..(n-1) map to circulant indices (m mod 2n)
        idx = np.arange(-(n - 1), n) % (2 * n)
        circ[np.ix_(idx, idx)] = g
        self._g_hat = np.fft.fft2(circ)
        self._self_term = g[n - 1, n - 1]
        self._receiver_cache: dict[bytes, np.ndarray] = {}

    # ----- operators -------------------------------------------------------------------
    def apply_g(self, x: np.ndarray) -> np.ndarray:
        """``G_D x`` for fields ``x`` of shape ``... x n x n`` (FFT convolution)."""
        # The zero padding is pruned: the forward transform along x runs on the n rows that
        # hold data, the inverse along x only on the n rows that are kept (3/4 of the work).
        # Transforming in place (overwrite_x) halves the time of pocketfft's copies.
        # One thread: a second one gained about 7 % here, and data generation runs a solve per process.
        n = self.grid.n
        y = scipy.fft.fft(x, n=2 * n, axis=-1)
        y = scipy.fft.fft(y, n=2 * n, axis=-2, overwrite_x=True)
        y *= self._g_hat
        y = scipy.fft.ifft(y, axis=-2, overwrite_x=True)[..., :n, :]
        return scipy.fft.ifft(y, axis=-1, overwrite_x=True)[..., :n]

    def dense_g(self) -> np.ndarray:
        """The full ``N x N`` matrix ``G_D`` (``N = n^2``), for checks and the speed baseline."""
        x, y = self.grid.centres
        xs, ys = x.ravel(), y.ravel()
        rho = np.hypot(xs[:, None] - xs[None], ys[:, None] - ys[None])
        ka = self.k0 * self.a
        with np.errstate(invalid="ignore"):
            g = 0.5j * np.pi * ka * j1(ka) * hankel1(0, self.k0 * rho)
        np.fill_diagonal(g, self._self_term)
        return g

    # ----- incident fields --------------------------------------------------------------
    def plane_waves(self, angles_rad: np.ndarray) -> np.ndarray:
        """Unit plane waves ``exp(i k0 (x cos phi + y sin phi))`` in the cells, ``n_inc x n x n``."""
        x, y = self.grid.centres
        phi = np.atleast_1d(np.asarray(angles_rad, float))[:, None, None]
        return np.exp(1j * self.k0 * (x * np.cos(phi) + y * np.sin(phi)))

    def line_sources(self, positions: np.ndarray) -> np.ndarray:
        """Fields ``(i/4) H0(k0 |r - r_t|)`` of unit line sources at ``positions`` (``T x 2``, m)."""
        x, y = self.grid.centres
        p = np.atleast_2d(np.asarray(positions, float))
        rho = np.hypot(x[None] - p[:, 0, None, None], y[None] - p[:, 1, None, None])
        return 0.25j * hankel1(0, self.k0 * rho)

    # ----- solves -----------------------------------------------------------------------
    def solve(
        self,
        eps_r: np.ndarray,
        e_inc: np.ndarray,
        receivers: np.ndarray | None = None,
        rtol: float = 1e-8,
        maxiter: int = 2000,
        restart: int = 30,
    ) -> MoMResult:
        """Total fields and currents for every incidence (FFT + GMRES).

        Args:
            eps_r: Relative permittivity of the cells, ``n x n`` (``[iy, ix]``).
            e_inc: Incident fields, ``n_inc x n x n``.
            receivers: Receiver positions ``R x 2`` (m) for the scattered field.
            rtol: GMRES relative tolerance.
            maxiter: GMRES iteration limit (restart cycles).
            restart: Krylov vectors kept between restarts. The benchmark's objects converge in
                about 10 iterations; scipy allocates the whole Krylov basis up front, so a
                large value only costs memory traffic (restart 200 took 3x as long as 30 on a
                7-iteration solve of 16 incidences on 64 x 64 cells).

        Returns:
            The :class:`MoMResult`.

        Raises:
            ValueError: On shape mismatches, or a gain medium (:func:`check_passive`).
            RuntimeError: If GMRES does not converge.
        """
        from scipy.sparse.linalg import LinearOperator, gmres

        n = self.grid.n
        eps_r = np.asarray(eps_r, complex)
        check_passive(eps_r)
        e_inc = np.asarray(e_inc, complex)
        if e_inc.ndim == 2:
            e_inc = e_inc[None]
        if eps_r.shape != (n, n) or e_inc.shape[1:] != (n, n):
            raise ValueError(
                f"eps_r: expected {n} x {n}, got {eps_r.shape}; e_inc: expected "
                f"T x {n} x {n}, got {e_inc.shape}"
            )
        chi = eps_r - 1.0
        shape = e_inc.shape

        def matvec(v: np.ndarray) -> np.ndarray:
            e = v.reshape(shape)
            return (e - self.apply_g(chi * e)).ravel()

        op = LinearOperator((e_inc.size, e_inc.size), matvec=matvec, dtype=complex)
        count = [0]

        def cb(_):
            count[0] += 1

        # scipy < 1.12 (Debian's 1.10) calls the relative tolerance ``tol``
        tol_kw = "rtol" if "rtol" in inspect.signature(gmres).parameters else "tol"
        sol, info = gmres(
            op,
            e_inc.ravel(),
            **{tol_kw: rtol},
            atol=0.0,
            restart=restart,
            maxiter=maxiter,
            callback=cb,
            callback_type="pr_norm",
        )
        if info != 0:
            raise RuntimeError(
                f"mom2d: GMRES did not converge (info {info}, {count[0]} iterations)"
            )
        total = sol.reshape(shape)
        current = chi * total
        scattered = None if receivers is None else self.scattered_field(current, receivers)
        return MoMResult(total, current, scattered, count[0])

    def solve_dense(
        self, eps_r: np.ndarray, e_inc: np.ndarray, receivers: np.ndarray | None = None
    ) -> MoMResult:
        """The same solve with the dense matrix and LU (the baseline)."""
        n = self.grid.n
        check_passive(eps_r)
        chi = np.asarray(eps_r, complex).ravel() - 1.0
        e_inc = np.atleast_3d(np.asarray(e_inc, complex)).reshape(-1, n * n)
        a = np.eye(n * n) - self.dense_g() * chi[None, :]
        total = np.linalg.solve(a, e_inc.T).T.reshape(-1, n, n)
        current = chi.reshape(n, n) * total
        scattered = None if receivers is None else self.scattered_field(current, receivers)
        return MoMResult(total, current, scattered)

    def receiver_matrix(self, receivers: np.ndarray) -> np.ndarray:
        """``G_S``: contrast currents in the cells -> scattered field at ``receivers``, ``R x N``.

        Kept per receiver set (read-only): the Hankel functions cost more than a solve's
        iterations (44 ms for 32 receivers on 64 x 64 cells).
        """
        r = np.atleast_2d(np.asarray(receivers, float))
        key = r.tobytes() + bytes(str(r.shape), "ascii")
        if key not in self._receiver_cache:
            x, y = self.grid.centres
            rho = np.hypot(r[:, 0, None] - x.ravel()[None], r[:, 1, None] - y.ravel()[None])
            ka = self.k0 * self.a
            g_s = 0.5j * np.pi * ka * j1(ka) * hankel1(0, self.k0 * rho)
            g_s.flags.writeable = False
            if len(self._receiver_cache) >= 8:
                self._receiver_cache.clear()
            self._receiver_cache[key] = g_s
        return self._receiver_cache[key]

    def scattered_field(self, current: np.ndarray, receivers: np.ndarray) -> np.ndarray:
        """Scattered field at ``receivers`` (``R x 2``, m) of contrast currents ``T x n x n``."""
        g_s = self.receiver_matrix(receivers)
        return np.asarray(current).reshape(len(current), -1) @ g_s.T
