"""Contrast-source inversion (CSI) and its multiplicatively regularised form (MR-CSI).

The unknowns are the contrast sources ``w_j = chi E_j`` of every incidence ``j`` and the
contrast ``chi = eps_r - 1``. CSI (P. M. van den Berg and R. E. Kleinman, "A contrast source
inversion method", Inverse Problems 13(6), 1997) minimises, alternately in ``w`` and ``chi``,

    F(w, chi) = sum_j ||f_j - G_S w_j||^2 / sum_j ||f_j||^2
              + sum_j ||chi E_j - w_j||^2 / sum_j ||chi E_inc_j||^2,   E_j = E_inc_j + G_D w_j,

the data misfit ``F_S`` plus the misfit of the object equation ``F_D``, so no forward problem
is ever solved. Each iteration takes one Polak-Ribiere conjugate-gradient step in ``w`` (exact
complex step length), then one preconditioned CG step in ``chi`` (preconditioner
``1 / sum_j |E_j|^2``). MR-CSI (P. M. van den Berg, A. Abubakar and J. T. Fokkema,
"Multiplicative regularization for contrast profile inversion", Radio Science 38(2), 2003;
A. Abubakar, P. M. van den Berg and J. J. Mallorqui, IEEE Trans. MTT 50(7), 2002) minimises
``F(w_n, chi) * F_R(chi)`` in the contrast step instead, with the weighted-L2 total-variation
factor

    F_R(chi) = mean over cells of (|grad chi|^2 + delta^2) / (|grad chi_{n-1}|^2 + delta^2),

``delta^2 = F_D(w_n, chi_{n-1}) / d^2`` (``d`` the cell side), equal to 1 at ``chi_{n-1}``: the
regularisation needs no weight parameter, is strong while ``F`` is large and fades as the
misfit drops. Its step length is the minimiser of a quartic (roots of a cubic).

Conventions of :mod:`rfdesign.scattering.mom2d`: ``G_D`` is complex symmetric, so its adjoint is
``conj(G_D conj(x))`` (one more FFT convolution; each iteration costs two).
"""

from __future__ import annotations

import numpy as np

from rfdesign.scattering.inversion import ScatterSetup, bp_currents, register_method


def _grad(chi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences along x and y (zero across the outer edge), in units of cells."""
    gx, gy = np.zeros_like(chi), np.zeros_like(chi)
    gx[:, :-1] = np.diff(chi, axis=1)
    gy[:-1] = np.diff(chi, axis=0)
    return gx, gy


def _grad_adjoint(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Adjoint of :func:`_grad` (minus the divergence)."""
    out = -px - py
    out[:, 1:] += px[:, :-1]
    out[1:] += py[:-1]
    return out


def _constrain(chi: np.ndarray, positive: bool, real: bool) -> np.ndarray:
    if real:
        chi = chi.real
    if positive:
        chi = np.maximum(chi.real, 0.0) + (0 if real else 1j * chi.imag)
    return chi


def contrast_source_inversion(
    setup: ScatterSetup,
    e_scat: np.ndarray,
    iterations: int = 300,
    regularised: bool = True,
    positive: bool = True,
    real: bool = True,
    tol: float = 0.0,
    history: list | None = None,
) -> np.ndarray:
    """Relative permittivity by (MR-)CSI, started from back-propagation.

    Following van den Berg and Kleinman (1997), ``w`` starts from the back-propagated currents
    (:func:`rfdesign.scattering.inversion.bp_currents`) and ``chi`` from their
    least-squares fit ``chi = sum_j w_j conj(E_j) / sum_j |E_j|^2``, i.e. the BP image.

    Args:
        setup: The measurement configuration (inversion grid, incident fields, ``G_S``).
        e_scat: Measured scattered fields ``T x R``.
        iterations: CSI iterations (each: two ``G_D`` convolutions of ``T x n x n`` arrays).
        regularised: Use the multiplicative TV regularisation (MR-CSI) in the contrast step.
        positive: Enforce ``chi >= 0`` (``eps_r >= 1``) after every contrast step.
        real: Keep the contrast real (lossless objects).
        tol: Stop once the normalised data misfit ``F_S`` falls below ``tol`` (e.g. the
            squared relative noise level, the discrepancy principle); 0 runs all iterations.
        history: If given, one dict per iteration is appended: ``data_misfit`` (``F_S``) and
            ``object_misfit`` (``F_D``), both at the start of the iteration.

    Returns:
        ``eps_r`` estimate ``n x n``; real if ``real`` (complex otherwise).
    """
    e_scat = setup.check_data(e_scat)
    mom, e_inc, t, n = setup.mom, setup.e_inc, len(setup.transmitters), setup.n
    g_s, g_s_h = setup.g_s, np.conj(setup.g_s).T

    def data_op(x: np.ndarray) -> np.ndarray:  # T x n x n -> T x R
        return (g_s @ x.reshape(t, -1).T).T

    def data_adj(x: np.ndarray) -> np.ndarray:  # T x R -> T x n x n
        return (g_s_h @ x.T).T.reshape(t, n, n)

    def g_adj(x: np.ndarray) -> np.ndarray:
        return np.conj(mom.apply_g(np.conj(x)))

    def dot(a: np.ndarray, b: np.ndarray) -> complex:
        return complex(np.vdot(a, b))

    eta_s = 1.0 / np.sum(np.abs(e_scat) ** 2)
    w = bp_currents(setup, e_scat)
    gw = mom.apply_g(w)
    field = e_inc + gw
    inc_power = np.sum(np.abs(e_inc) ** 2, axis=0)
    chi = np.sum(w * np.conj(field), axis=0) / np.sum(np.abs(field) ** 2, axis=0)
    chi = _constrain(chi, positive, real)
    rho = e_scat - data_op(w)
    g_prev = d_w = d_chi = gc_prev = None
    for _ in range(iterations):
        # ---- contrast sources: one Polak-Ribiere CG step, exact complex step length
        eta_d = 1.0 / max(np.sum(np.abs(chi) ** 2 * inc_power), 1e-30)
        r = chi * field - w
        f_s, f_d = eta_s * np.sum(np.abs(rho) ** 2), eta_d * np.sum(np.abs(r) ** 2)
        if history is not None:
            history.append({"data_misfit": float(f_s), "object_misfit": float(f_d)})
        if f_s < tol:
            break
        g = -eta_s * data_adj(rho) - eta_d * (r - g_adj(np.conj(chi) * r))
        if d_w is None:
            d_w = -g
        else:
            beta = dot(g, g - g_prev).real / np.sum(np.abs(g_prev) ** 2)
            d_w = -g + max(beta, 0.0) * d_w
        g_prev = g
        gd = mom.apply_g(d_w)
        a, b = data_op(d_w), chi * gd - d_w
        alpha = (eta_s * dot(a, rho) - eta_d * dot(b, r)) / (
            eta_s * np.sum(np.abs(a) ** 2) + eta_d * np.sum(np.abs(b) ** 2)
        )
        w, gw, rho = w + alpha * d_w, gw + alpha * gd, rho - alpha * a
        field = e_inc + gw
        # ---- contrast: one preconditioned CG step on F (times F_R for MR-CSI)
        r = chi * field - w
        power = np.sum(np.abs(field) ** 2, axis=0)
        grad_f = eta_d * np.sum(np.conj(field) * r, axis=0)
        f_total = eta_s * np.sum(np.abs(rho) ** 2) + eta_d * np.sum(np.abs(r) ** 2)
        if regularised:
            dx, dy = _grad(chi)
            b2 = 1.0 / (np.abs(dx) ** 2 + np.abs(dy) ** 2 + eta_d * np.sum(np.abs(r) ** 2))
            grad_f = grad_f + f_total * _grad_adjoint(b2 * dx, b2 * dy) / chi.size
        if real:
            grad_f = grad_f.real
        pre = grad_f / power
        if d_chi is None:
            d_chi = -pre
        else:
            beta = dot(grad_f, pre - gc_prev[1]).real / dot(gc_prev[0], gc_prev[1]).real
            d_chi = -pre + max(beta, 0.0) * d_chi
        gc_prev = (grad_f, pre)
        de = d_chi * field
        # F(alpha) = a0 + a1 alpha + a2 alpha^2 along chi + alpha d_chi (alpha real)
        quad_f = np.array([eta_d * np.sum(np.abs(de) ** 2), 2 * eta_d * dot(de, r).real, f_total])
        if regularised:
            ex, ey = _grad(d_chi)
            c1 = 2 * np.mean(b2 * (np.conj(dx) * ex + np.conj(dy) * ey).real)
            quad_r = np.array([np.mean(b2 * (np.abs(ex) ** 2 + np.abs(ey) ** 2)), c1, 1.0])
            cost = np.polymul(quad_f, quad_r)
            roots = np.roots(np.polyder(cost)).real  # the real root(s) of the cubic
            step = roots[np.argmin(np.polyval(cost, roots))]
        else:
            step = -quad_f[1] / (2 * quad_f[0])
        chi = _constrain(chi + step * d_chi, positive, real)
    return 1 + chi


register_method("csi", contrast_source_inversion)
