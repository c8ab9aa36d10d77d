"""Non-iterative and iterative inversion of 2-D scattering data (the baselines).

* :func:`back_propagation`: the back-propagation (BP) scheme (Belkebir, Chaumet and Sentenac,
  JOSA A 22(9), 2005; X. Chen, "Computational Methods for Electromagnetic Inverse Scattering",
  Wiley 2018, sec. 4.3): for each incidence the contrast current is taken proportional to the
  back-propagated data, ``J = gamma G_S^H E_s`` with the gamma that best fits the data, the
  total field follows from ``E = E_inc + G_D J``, and the contrast of each cell is the
  least-squares fit of ``J = chi E`` over all incidences.
* :func:`rrmse`: relative root-mean-square error of a permittivity map; :func:`ssim`: the
  structural similarity of scikit-image (Wang et al., IEEE TIP 13(4), 2004).
"""

from __future__ import annotations

import numpy as np


def receiver_operator(mom, receivers: np.ndarray) -> np.ndarray:
    """``G_S``: contrast currents in the cells -> scattered field at receivers, ``R x N``."""
    eye = np.eye(mom.grid.n**2).reshape(-1, mom.grid.n, mom.grid.n)
    return mom.scattered_field(eye, receivers).T


def back_propagation(
    mom, e_scat: np.ndarray, e_inc: np.ndarray, receivers: np.ndarray
) -> np.ndarray:
    """Relative permittivity estimated by back-propagation.

    Args:
        mom: A :class:`rfdesign.solvers.mom2d.MoM2D` on the inversion grid.
        e_scat: Measured scattered fields ``T x R``.
        e_inc: Incident fields in the cells, ``T x n x n``.
        receivers: Receiver positions ``R x 2``, m.

    Returns:
        ``eps_r`` estimate, ``n x n`` (real part; the imaginary part is dropped for lossless
        objects).
    """
    n = mom.grid.n
    g_s = receiver_operator(mom, receivers)
    bp = np.conj(g_s.T) @ np.asarray(e_scat).T  # N x T
    fwd = g_s @ bp  # R x T
    gamma = np.sum(np.conj(fwd) * np.asarray(e_scat).T, axis=0) / np.sum(np.abs(fwd) ** 2, axis=0)
    current = (bp * gamma).T.reshape(-1, n, n)
    total = np.asarray(e_inc) + mom.apply_g(current)
    chi = np.sum(current * np.conj(total), axis=0) / np.sum(np.abs(total) ** 2, axis=0)
    return 1 + chi.real


def rrmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Relative RMSE of ``eps_r``: ``||est - true|| / ||true||`` (Wei and Chen 2019)."""
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


def ssim(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Structural similarity of ``estimate`` to ``truth`` (scikit-image), data range of truth."""
    from skimage.metrics import structural_similarity

    rng = float(np.ptp(truth)) or 1.0
    return float(structural_similarity(truth, estimate, data_range=rng))
