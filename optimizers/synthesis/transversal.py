"""The N+2 transversal coupling matrix of a filtering function (Cameron 2003, book ch. 8.3).

The short-circuit admittances of the lossless two-port follow from E and F (Cameron, "Advanced
coupling matrix synthesis techniques for microwave filters", IEEE MTT 51(1), 2003, eqs. 6-9;
Cameron, Kudsia and Mansour 2007, sec. 8.3)::

    m1(s) = Re(e0 + f0) + j Im(e1 + f1) s + Re(e2 + f2) s^2 + ...
    n1(s) = j Im(e0 + f0) + Re(e1 + f1) s + j Im(e2 + f2) s^2 + ...
    N even: y21 = (P/eps) / m1,  y22 = n1 / m1;   N odd: y21 = (P/eps) / n1,  y22 = m1 / n1

with ``e_i``, ``f_i`` the coefficients of E(s) and F(s)/eps_R. Their partial fractions over the
common poles ``s = j lambda_k`` give residues ``r21k`` and ``r22k``, and the transversal matrix
has ``M_kk = -lambda_k``, ``M_Lk = sqrt(r22k)``, ``M_Sk = r21k / sqrt(r22k)``: N resonators each
coupled to source and load and to nothing else. A fully canonical response (N finite zeros)
leaves a constant in ``y21``, realised as the direct source-load coupling ``M_SL`` (Cameron 2003,
eq. 10).
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import Polynomial

from rfdesign.optimizers.synthesis.polynomials import FilteringFunction

RESIDUE_TOL = 1e-8
"""Largest imaginary part (relative) a residue may have before the synthesis is refused."""


def transversal_matrix(ff: FilteringFunction) -> np.ndarray:
    """The real symmetric N+2 transversal coupling matrix realising ``ff``.

    Rows and columns: source, resonators 1..N (sorted by eigenvalue), load.

    Raises:
        ValueError: If the admittance residues are not real and positive (a defective
            filtering function).
    """
    n = ff.order
    e = np.asarray(ff.e.coef, complex)
    f = np.asarray(ff.f.coef, complex) / ff.eps_r
    ef = np.zeros(n + 1, complex)
    ef[: len(e)] += e
    ef[: len(f)] += f
    i = np.arange(n + 1)
    m1 = Polynomial(np.where(i % 2 == 0, ef.real, 1j * ef.imag))
    n1 = Polynomial(np.where(i % 2 == 0, 1j * ef.imag, ef.real))
    yd, y22n = (m1, n1) if n % 2 == 0 else (n1, m1)
    y21n = ff.p / ff.eps
    poles = yd.roots()
    lam = (poles / 1j).real
    order = np.argsort(lam)
    poles, lam = poles[order], lam[order]
    dyd = yd.deriv()
    r21 = y21n(poles) / dyd(poles)
    r22 = y22n(poles) / dyd(poles)
    scale = max(np.abs(r22).max(), 1e-300)
    if np.abs(r22.imag).max() > RESIDUE_TOL * scale or np.abs(r21.imag).max() > RESIDUE_TOL * scale:
        raise ValueError("transversal synthesis: complex residues (filtering function defective)")
    if np.any(r22.real <= 0):
        raise ValueError("transversal synthesis: non-positive y22 residue (not realisable)")
    m = np.zeros((n + 2, n + 2))
    ml = np.sqrt(r22.real)
    ms = r21.real / ml
    k = np.arange(1, n + 1)
    m[k, k] = -lam
    m[0, k] = m[k, 0] = ms
    m[n + 1, k] = m[k, n + 1] = ml
    if len(ff.zeros) == n:  # y21 -> j M_SL at infinity
        k_inf = y21n.coef[-1] / yd.coef[-1]
        m[0, n + 1] = m[n + 1, 0] = k_inf.imag
    return m
