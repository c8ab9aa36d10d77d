"""Generalised Chebyshev filtering functions: the characteristic polynomials E, F and P.

A lossless two-port of degree N with ``nfz`` finite transmission zeros is described by three
polynomials of the complex low-pass frequency ``s = j Omega`` (Cameron, Kudsia and Mansour,
"Microwave Filters for Communication Systems", Wiley 2007, ch. 6)::

    S11(s) = F(s) / (eps_R E(s)),    S21(s) = P(s) / (eps E(s)),

F (degree N) holds the reflection zeros, P (degree nfz) the transmission zeros and E (degree N,
Hurwitz) the poles. The generalised Chebyshev filtering function with prescribed zeros
``Omega_n`` is built by Cameron's recursion (ch. 6.3, eqs. 6.19-6.22; Cameron, IEEE MTT 47(4),
1999, p. 434)::

    C_N(Omega) = cosh( sum_n arccosh x_n ),   x_n = (Omega - 1/Omega_n) / (1 - Omega/Omega_n),

which is equiripple in ``|Omega| <= 1`` (``|C_N| <= 1``) and has ``N - nfz`` zeros at infinity.
Its numerator follows from the recursion ``U_n = U_{n-1}(Omega - 1/Omega_n) + c_n (Omega^2 - 1)
v_{n-1}``, ``v_n = v_{n-1}(Omega - 1/Omega_n) + c_n U_{n-1}`` with ``c_n = sqrt(1 - 1/Omega_n^2)``
(the book's ``V_n = sqrt(Omega^2 - 1) v_n``), started from ``U_0 = 1, v_0 = 0``.

E follows from the Feldtkeller equation ``E E* = F F*/eps_R^2 + P P*/eps^2`` on the jOmega
axis: the roots of ``F(Omega)/eps_R - j P(Omega)/eps`` (degree N) reflected into the upper half
of the Omega plane (the left half of the s plane). Cameron's convention of multiplying P(s) by j
when ``N - nfz`` is even makes S11, S21 and S22 unitary together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import Polynomial


def chebyshev_g(n: int, ripple_db: float) -> np.ndarray:
    """Low-pass prototype values ``g0 .. g_{n+1}`` of an n-pole Chebyshev response.

    Args:
        n: Number of resonators (>= 1).
        ripple_db: Passband ripple in dB (> 0).

    Returns:
        ``n + 2`` values (Matthaei, Young and Jones, "Microwave Filters, Impedance-Matching
        Networks, and Coupling Structures", McGraw-Hill 1964, eq. 4.05-2; table 4.05-2).
    """
    beta = np.log(1.0 / np.tanh(ripple_db * np.log(10) / 40))
    gam = np.sinh(beta / (2 * n))
    k = np.arange(1, n + 1)
    a = np.sin((2 * k - 1) * np.pi / (2 * n))
    b = gam**2 + np.sin(k * np.pi / n) ** 2
    g = np.empty(n + 2)
    g[0] = 1.0
    g[1] = 2 * a[0] / gam
    for i in range(2, n + 1):
        g[i] = 4 * a[i - 2] * a[i - 1] / (b[i - 2] * g[i - 1])
    g[n + 1] = 1.0 if n % 2 else 1.0 / np.tanh(beta / 4) ** 2
    return g


def ripple_from_return_loss(return_loss_db: float) -> float:
    """Passband ripple (insertion-loss variation, dB) of an equiripple return loss ``RL`` dB."""
    return float(-10.0 * np.log10(1.0 - 10.0 ** (-return_loss_db / 10.0)))


def return_loss_from_ripple(ripple_db: float) -> float:
    """Return loss (dB) of an equiripple passband with insertion-loss ripple ``ripple_db``."""
    return float(-10.0 * np.log10(1.0 - 10.0 ** (-ripple_db / 10.0)))


def chebyshev_numerator(order: int, zeros: tuple[float, ...] = ()) -> Polynomial:
    """The monic numerator F(Omega) of the generalised Chebyshev function (Cameron eq. 6.22).

    Args:
        order: Degree N.
        zeros: Finite transmission zeros in normalised Omega (real, ``|Omega_n| > 1``).

    Returns:
        F(Omega) with real coefficients, monic; its N roots are the reflection zeros.
    """
    # plain coefficient arrays (lowest power first): Polynomial objects cost 10x more here
    w2m1 = np.array([-1.0, 0.0, 1.0])
    u, v = np.array([1.0]), np.array([0.0])
    for z in list(zeros) + [np.inf] * (order - len(zeros)):
        a = np.array([0.0, 1.0]) if np.isinf(z) else np.array([-1.0 / z, 1.0])
        c = 1.0 if np.isinf(z) else np.sqrt(1.0 - 1.0 / z**2)
        u_new = np.convolve(u, a)
        cv = c * np.convolve(w2m1, v)
        u_new = _add(u_new, cv)
        v = _add(np.convolve(v, a), c * u)
        u = u_new
    u = np.trim_zeros(u, "b")
    return Polynomial(u / u[-1])


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of two coefficient arrays of different lengths."""
    out = np.zeros(max(len(a), len(b)), np.result_type(a, b))
    out[: len(a)] += a
    out[: len(b)] += b
    return out


def chebyshev_magnitudes(
    order: int, return_loss_db: float, zeros: tuple[float, ...], omega: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """|S11| and |S21| of :meth:`FilteringFunction.chebyshev` at ``omega`` (complex allowed).

    The same response as the polynomial form, evaluated from the roots in the Omega plane
    (``|S21| = |P(Omega)| / (eps |E(Omega)|)``, ``|S11| = |F(Omega)| / |E(Omega)|``); several
    times cheaper, for searches that evaluate thousands of responses. No argument checks.
    """
    f_w = chebyshev_numerator(order, zeros).coef
    z = np.asarray(zeros, float)
    p1 = np.prod(1.0 - z) if z.size else 1.0
    eps = abs(p1 / np.polynomial.polynomial.polyval(1.0, f_w)) / np.sqrt(
        10.0 ** (return_loss_db / 10.0) - 1.0
    )
    if z.size == order and eps <= 1.0:
        raise ValueError("zeros: fully canonical response with eps <= 1 is not realisable")
    eps_r = eps / np.sqrt(eps**2 - 1.0) if z.size == order else 1.0
    p_w = np.polynomial.polynomial.polyfromroots(z) if z.size else np.array([1.0])
    q = f_w.astype(complex) / eps_r
    q[: len(p_w)] -= 1j * p_w / eps
    e_roots = np.roots(q[::-1])
    e_roots = np.where(e_roots.imag < 0, e_roots.conj(), e_roots)
    f_roots = np.roots(f_w[::-1])
    w = np.asarray(omega)[..., None]
    e_abs = np.abs(np.prod(w - e_roots, axis=-1))
    e_abs = e_abs * np.abs(q[-1])  # 1 by the choice of eps_r; kept exact
    s11 = np.abs(np.prod(w - f_roots, axis=-1)) / (eps_r * e_abs)
    s21 = (np.abs(np.prod(w - z, axis=-1)) if z.size else 1.0) / (eps * e_abs)
    return s11, s21


def _from_roots(roots: np.ndarray) -> Polynomial:
    """The monic polynomial with these (complex) roots."""
    return (
        Polynomial(np.polynomial.polynomial.polyfromroots(roots))
        if len(roots)
        else Polynomial([1.0])
    )


@dataclass(frozen=True)
class FilteringFunction:
    """A generalised Chebyshev filtering function and its polynomials in ``s = j Omega``.

    Build with :meth:`chebyshev`. Polynomials are numpy ``Polynomial`` objects in ``s`` with
    complex coefficients, lowest power first; E and F are monic.

    Attributes:
        order: Degree N (number of resonators).
        return_loss_db: Equiripple return loss in the passband ``|Omega| <= 1`` (dB).
        zeros: Finite transmission zeros, normalised Omega (real, sorted).
        eps: The constant of S21 (Cameron eq. 6.28).
        eps_r: The constant of S11: 1, or ``eps / sqrt(eps^2 - 1)`` for a fully canonical
            response (``nfz = N``; Cameron et al. 2007, sec. 6.3), whose S21 does not vanish at
            infinity (a source-load coupling realises it).
        e: E(s), the Hurwitz pole polynomial.
        f: F(s), the reflection zeros.
        p: P(s), the transmission zeros, times j when ``N - nfz`` is even.
    """

    order: int
    return_loss_db: float
    zeros: tuple[float, ...]
    eps: float
    eps_r: float
    e: Polynomial = field(repr=False)
    f: Polynomial = field(repr=False)
    p: Polynomial = field(repr=False)

    @classmethod
    def chebyshev(
        cls, order: int, return_loss_db: float, zeros: tuple[float, ...] | list[float] = ()
    ) -> FilteringFunction:
        """The equiripple response of degree ``order`` with the given finite zeros.

        Args:
            order: Degree N >= 1.
            return_loss_db: Passband return loss in dB (> 0).
            zeros: Up to ``N`` finite transmission zeros in normalised Omega, each real with
                ``|Omega_n| > 1`` (outside the passband); ``N - 1`` need a resonator-load and
                ``N`` a source-load coupling.

        Returns:
            The filtering function.

        Raises:
            ValueError: On a degree below 1, a return loss <= 0, too many zeros, or a zero
                inside the passband.
        """
        zs = tuple(sorted(float(z) for z in zeros))
        if order < 1:
            raise ValueError(f"order: must be >= 1, got {order}")
        if not return_loss_db > 0:
            raise ValueError(f"return_loss_db: must be > 0 dB, got {return_loss_db}")
        if len(zs) > order:
            raise ValueError(
                f"zeros: at most N = {order} finite transmission zeros for N = {order}, got "
                f"{len(zs)}"
            )
        if any(abs(z) <= 1.0 for z in zs):
            raise ValueError(f"zeros: each must lie outside the passband |Omega| > 1, got {zs}")
        nfz = len(zs)
        f_w = chebyshev_numerator(order, zs)  # F(Omega), monic, real
        p_w = _from_roots(np.array(zs))  # P(Omega), monic, real
        eps = float(abs(p_w(1.0) / f_w(1.0)) / np.sqrt(10.0 ** (return_loss_db / 10.0) - 1.0))
        eps_r = 1.0
        if nfz == order:
            if eps <= 1.0:
                raise ValueError(
                    f"zeros: this fully canonical response is not realisable (eps = {eps:.4g} "
                    "<= 1): place the zeros further out or lower the return loss"
                )
            eps_r = eps / np.sqrt(eps**2 - 1.0)
        # E: roots of F(Omega)/eps_r - j P(Omega)/eps, reflected to Im(Omega) > 0 (LHP in s)
        q = f_w / eps_r - 1j * p_w / eps
        w_roots = q.roots()
        w_roots = np.where(w_roots.imag < 0, w_roots.conj(), w_roots)
        e = _from_roots(1j * w_roots)  # monic: |lead(q)| = 1 by the choice of eps_r
        f = _from_roots(1j * f_w.roots())
        p = _from_roots(1j * np.array(zs, complex))
        if (order - nfz) % 2 == 0:
            p = p * 1j
        return cls(order, float(return_loss_db), zs, eps, eps_r, e, f, p)

    @property
    def reflection_zeros(self) -> np.ndarray:
        """The N reflection zeros in normalised Omega (real, sorted)."""
        return np.sort((self.f.roots() / 1j).real)

    @property
    def poles(self) -> np.ndarray:
        """The N poles in s (left half plane)."""
        return self.e.roots()

    def s_params(self, omega: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """S11, S21 and S22 at normalised frequencies ``omega`` (complex allowed: losses).

        ``S22 = (-1)^N F*(s) / (eps_R E(s))`` (Cameron eq. 6.8), with ``F*`` the para-conjugate.

        Args:
            omega: Normalised low-pass frequencies, any shape; a complex ``omega`` evaluates the
                analytic continuation (e.g. ``Omega - j d`` for uniformly lossy resonators).

        Returns:
            ``(s11, s21, s22)``, complex arrays of the shape of ``omega``.
        """
        s = 1j * np.asarray(omega, complex)
        e = self.e(s)
        fstar = Polynomial(np.conj(self.f.coef) * (-1.0) ** np.arange(len(self.f.coef)))
        s11 = self.f(s) / (self.eps_r * e)
        s21 = self.p(s) / (self.eps * e)
        s22 = (-1.0) ** self.order * fstar(s) / (self.eps_r * e)
        return s11, s21, s22
