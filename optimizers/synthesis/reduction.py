"""Similarity transforms of an N+2 coupling matrix to realisable topologies.

A rotation ``M' = R M R^T`` in the plane of two resonators ``(i, j)`` leaves the response
unchanged (Cameron, Kudsia and Mansour, "Microwave Filters for Communication Systems", Wiley
2007, sec. 8.2; Cameron, IEEE MTT 47(4), 1999). A sequence of such rotations, each chosen to
annihilate one element, takes the transversal matrix to

* the **folded** canonical form (:func:`fold`; book sec. 8.4, Cameron 2003 sec. III): source
  and load couple only to resonators 1 and N; besides the main line, resonator ``i`` couples
  only to ``N + 1 - i`` (the anti-diagonal) and ``N + 2 - i``. The annihilation runs
  alternately along rows from the top (right to left, pivots ``(k - 1, k)``) and columns from
  the right (top to bottom, pivots ``(k, k + 1)``), ``N (N - 1) / 2`` rotations in all; for an
  all-pole response every cross coupling vanishes and the folded matrix is the plain inline
  (Chebyshev ladder) matrix.
* any other topology with as many free couplings (**inline with cascaded triplets or
  quadruplets**, book ch. 9-10) by :func:`to_topology`: the rotation angles that annihilate the
  forbidden couplings are solved for by least squares (a numerical route to the same
  similarity transform; Amari, IEEE MTT 48(9), 2000, uses the same idea with an analytic
  gradient), started from the folded matrix and restarted when a start ends in a local minimum.
"""

from __future__ import annotations

import numpy as np

ZERO_TOL = 1e-9
"""Couplings below this (normalised) after a reduction are set to exactly zero."""


def rotate(m: np.ndarray, i: int, j: int, theta: float) -> np.ndarray:
    """``R M R^T`` for the plane rotation by ``theta`` in the ``(i, j)`` plane."""
    r = np.eye(len(m))
    c, s = np.cos(theta), np.sin(theta)
    r[i, i] = r[j, j] = c
    r[i, j], r[j, i] = -s, s
    return r @ m @ r.T


def _zero_second(m: np.ndarray, row: int, i: int, j: int) -> np.ndarray:
    """Rotate in ``(i, j)`` so that ``M[row, j]`` vanishes (mass moves to ``M[row, i]``)."""
    return rotate(m, i, j, np.arctan2(-m[row, j], m[row, i]))


def _zero_first(m: np.ndarray, col: int, i: int, j: int) -> np.ndarray:
    """Rotate in ``(i, j)`` so that ``M[i, col]`` vanishes (mass moves to ``M[j, col]``)."""
    return rotate(m, i, j, np.arctan2(m[i, col], m[j, col]))


def folded_pattern(n: int) -> np.ndarray:
    """Which entries of an N+2 folded matrix may be non-zero (boolean, symmetric)."""
    allowed = np.zeros((n + 2, n + 2), bool)
    idx = np.arange(n + 2)
    i, j = np.meshgrid(idx, idx, indexing="ij")
    res = (i >= 1) & (i <= n) & (j >= 1) & (j <= n)
    allowed |= np.abs(i - j) == 1
    allowed |= res & (i == j)
    allowed |= res & ((i + j == n + 1) | (i + j == n + 2))
    allowed[1, n + 1] = allowed[n + 1, 1] = True  # resonator 1 - load: N - 1 or N zeros
    allowed[0, n + 1] = allowed[n + 1, 0] = True  # source - load: N zeros (fully canonical)
    return allowed


def _clean(m: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Set forbidden entries (which must be round-off) and tiny couplings to exact zero."""
    out = np.where(allowed, m, 0.0)
    out[np.abs(out) < ZERO_TOL] = 0.0
    return positive_main_line(0.5 * (out + out.T))


def positive_main_line(m: np.ndarray) -> np.ndarray:
    """Resonator signs flipped so that the main line ``M_S1, M_12, ..., M_N-1,N`` is positive.

    ``D M D`` with ``D = diag(+-1)`` on the resonators is a similarity transform that leaves S
    unchanged; positive main-line couplings are the convention of Cameron et al.'s printed
    matrices. Stops at the first zero main-line entry.
    """
    m = np.array(m, float)
    n = len(m) - 2
    d = np.ones(n + 2)
    for k in range(n):
        if m[k, k + 1] == 0:
            break
        d[k + 1] = d[k] * np.sign(m[k, k + 1])
    return m * np.outer(d, d)


def fold(m: np.ndarray) -> np.ndarray:
    """The folded canonical form of an N+2 coupling matrix (e.g. the transversal one).

    Args:
        m: Real symmetric N+2 matrix (source first, load last); a source-load coupling is
            kept as it is (no rotation touches source or load).

    Returns:
        The folded matrix; same response to round-off.

    Raises:
        ValueError: If a forbidden element survives the rotations (a matrix that is not a
            filter's).
    """
    m = np.array(m, float)
    n = len(m) - 2
    big = max(np.abs(m).max(), 1.0)
    for k in range(n, 1, -1):  # row S: M_S,N .. M_S,2
        m = _zero_second(m, 0, k - 1, k)
    for k in range(2, n):  # column L: M_2,L .. M_N-1,L
        m = _zero_first(m, n + 1, k, k + 1)
    for r in range(1, n):
        for k in range(n - r, r + 1, -1):  # row r: push towards the main line
            m = _zero_second(m, r, k - 1, k)
        c = n + 1 - r
        for k in range(r + 2, c - 1):  # column N+1-r: push down to the main line
            m = _zero_first(m, c, k, k + 1)
    allowed = folded_pattern(n)
    leak = np.abs(np.where(allowed, 0.0, m)).max() if n > 1 else 0.0
    if leak > 1e-7 * big:
        raise ValueError(f"fold: an element that must vanish is {leak:.3g} (not a filter matrix?)")
    return _clean(m, allowed)


def inline_pattern(n: int, cross: list[tuple[int, int]] | tuple = ()) -> np.ndarray:
    """An inline (main line) topology with extra cross couplings ``(i, j)`` (resonator index)."""
    allowed = np.zeros((n + 2, n + 2), bool)
    for k in range(n + 1):
        allowed[k, k + 1] = allowed[k + 1, k] = True
    for k in range(1, n + 1):
        allowed[k, k] = True
    for i, j in cross:
        allowed[i, j] = allowed[j, i] = True
    return allowed


def triplet_pattern(n: int, starts: list[int]) -> np.ndarray:
    """Inline with a triplet (cross coupling ``i - i+2``) starting at each resonator in ``starts``.

    One triplet realises one transmission zero (Cameron et al. 2007, sec. 9.3).
    """
    return inline_pattern(n, [(i, i + 2) for i in starts])


def quadruplet_pattern(n: int, starts: list[int]) -> np.ndarray:
    """Inline with a cascaded quadruplet (cross coupling ``i - i+3``) at each start.

    One quadruplet realises a symmetric pair of zeros (Cameron et al. 2007, sec. 10.2).
    """
    return inline_pattern(n, [(i, i + 3) for i in starts])


def _skew(x: np.ndarray, n: int) -> np.ndarray:
    """Skew-symmetric generator on the resonators (indices 1..N) from its upper entries."""
    a = np.zeros((n + 2, n + 2))
    iu = np.triu_indices(n, 1)
    a[iu[0] + 1, iu[1] + 1] = x
    return a - a.T


def to_topology(
    m: np.ndarray, allowed: np.ndarray, seed: int = 0, restarts: int = 30, tol: float = 1e-11
) -> np.ndarray:
    """A matrix with the response of ``m`` and non-zeros only where ``allowed`` says.

    Solves for an orthogonal transform ``Q = expm(A)`` of the resonators (``A`` skew) that
    annihilates every forbidden element (least squares, scipy), from the identity first and
    then from seeded random rotations.

    Args:
        m: Real symmetric N+2 matrix (e.g. :func:`fold`'s).
        allowed: Boolean N+2 pattern of the target topology.
        seed: Seed of the random restarts.
        restarts: Random starts after the first.
        tol: Largest forbidden element accepted, relative to the largest coupling.

    Returns:
        The transformed matrix, forbidden entries exactly zero.

    Raises:
        ValueError: If no start reaches ``tol`` (the topology cannot realise this response,
            e.g. too few cross couplings for the zeros, or triplets in the wrong places).
    """
    from scipy.linalg import expm
    from scipy.optimize import least_squares

    m = np.asarray(m, float)
    n = len(m) - 2
    forbid = np.triu(~allowed)
    big = max(np.abs(m).max(), 1.0)
    rng = np.random.default_rng(seed)

    def transform(x: np.ndarray) -> np.ndarray:
        q = expm(_skew(x, n))
        return q @ m @ q.T

    def resid(x: np.ndarray) -> np.ndarray:
        return transform(x)[forbid] / big

    best, best_cost = None, np.inf
    n_par = n * (n - 1) // 2
    for attempt in range(restarts + 1):
        x0 = np.zeros(n_par) if attempt == 0 else rng.uniform(-np.pi, np.pi, n_par)
        sol = least_squares(resid, x0, xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=4000)
        cost = np.abs(resid(sol.x)).max() if forbid.any() else 0.0
        if cost < best_cost:
            best, best_cost = sol.x, cost
        if cost < tol:
            break
    if best_cost >= tol:
        raise ValueError(
            f"to_topology: no similarity transform reaches this topology (largest forbidden "
            f"coupling {best_cost * big:.3g} after {restarts + 1} starts)"
        )
    out = transform(best)
    out = np.where(allowed, out, 0.0)
    return positive_main_line(0.5 * (out + out.T))
