"""Inversion of 2-D scattering data: the measurement setup, the BP baseline, metrics, registry.

* :class:`ScatterSetup`: the inversion grid's MoM operator, the incident fields in its cells and
  the receiver operator ``G_S`` (computed once; every method shares them).
* :func:`back_propagation`: the back-propagation (BP) scheme (Belkebir, Chaumet and Sentenac,
  JOSA A 22(9), 2005; X. Chen, "Computational Methods for Electromagnetic Inverse Scattering",
  Wiley 2018, sec. 4.3): for each incidence the contrast current is taken proportional to the
  back-propagated data, ``J = gamma G_S^H E_s`` with the gamma that best fits the data, the
  total field follows from ``E = E_inc + G_D J``, and the contrast of each cell is the
  least-squares fit of ``J = chi E`` over all incidences.
* :func:`rrmse`: relative root-mean-square error of a permittivity map; :func:`ssim`: the
  structural similarity of scikit-image (Wang et al., IEEE TIP 13(4), 2004).
* :data:`METHODS`: name -> inversion function ``(setup, e_scat) -> eps_r``; learned methods
  register themselves with :func:`register_method` (one API for every method).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rfdesign.core.registry import Registry


@dataclass
class ScatterSetup:
    """A measurement configuration on an inversion grid.

    Attributes:
        mom: :class:`rfdesign.scattering.mom2d.MoM2D` on the inversion grid (``n x n`` cells).
        transmitters: Line-source positions ``T x 2`` (m).
        receivers: Receiver positions ``R x 2`` (m).
        e_inc: Incident fields in the cells, ``T x n x n`` (complex).
        g_s: Receiver operator, ``R x N`` with ``N = n^2`` (complex).
    """

    mom: object
    transmitters: np.ndarray
    receivers: np.ndarray
    e_inc: np.ndarray = field(init=False, repr=False)
    g_s: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.transmitters = np.atleast_2d(np.asarray(self.transmitters, float))
        self.receivers = np.atleast_2d(np.asarray(self.receivers, float))
        self.e_inc = self.mom.line_sources(self.transmitters)
        self.g_s = self.mom.receiver_matrix(self.receivers)

    @property
    def n(self) -> int:
        """Cells per side of the inversion grid."""
        return self.mom.grid.n

    def check_data(self, e_scat: np.ndarray) -> np.ndarray:
        """``e_scat`` as a complex ``T x R`` array, or a ValueError naming the shapes."""
        e_scat = np.asarray(e_scat, complex)
        expected = (len(self.transmitters), len(self.receivers))
        if e_scat.shape != expected:
            raise ValueError(
                f"e_scat: expected transmitters x receivers = {expected}, got {e_scat.shape}"
            )
        return e_scat


def back_propagation(setup: ScatterSetup, e_scat: np.ndarray) -> np.ndarray:
    """Relative permittivity estimated by back-propagation.

    Args:
        setup: The measurement configuration.
        e_scat: Measured scattered fields ``T x R``.

    Returns:
        ``eps_r`` estimate, ``n x n`` (real part; the imaginary part is dropped for lossless
        objects).
    """
    e_scat = setup.check_data(e_scat)
    current = bp_currents(setup, e_scat)
    total = setup.e_inc + setup.mom.apply_g(current)
    chi = np.sum(current * np.conj(total), axis=0) / np.sum(np.abs(total) ** 2, axis=0)
    return 1 + chi.real


def bp_currents(setup: ScatterSetup, e_scat: np.ndarray) -> np.ndarray:
    """BP contrast currents ``gamma G_S^H E_s`` per incidence, ``T x n x n``."""
    n, g_s = setup.n, setup.g_s
    bp = np.conj(g_s.T) @ e_scat.T  # N x T
    fwd = g_s @ bp  # R x T
    gamma = np.sum(np.conj(fwd) * e_scat.T, axis=0) / np.sum(np.abs(fwd) ** 2, axis=0)
    return (bp * gamma).T.reshape(-1, n, n)


def rrmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Relative RMSE of ``eps_r``: ``||est - true|| / ||true||`` (Wei and Chen 2019)."""
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


def ssim(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Structural similarity of ``estimate`` to ``truth`` (scikit-image), data range of truth."""
    from skimage.metrics import structural_similarity

    rng = float(np.ptp(truth)) or 1.0
    return float(structural_similarity(truth, estimate, data_range=rng))


InversionMethod = Callable[[ScatterSetup, np.ndarray], np.ndarray]
METHODS: Registry[InversionMethod] = Registry(
    "inversion method", lazy={"csi": "rfdesign.scattering.csi"}
)
"""Inversion method name -> function; ``csi`` registers itself when first asked for."""


def register_method(name: str, method: InversionMethod) -> None:
    """Add an inversion method to :data:`METHODS` (duplicate names are an error)."""
    METHODS.add(name, method)


def get_method(name: str) -> InversionMethod:
    """The registered method ``name``, or a KeyError that lists the known ones."""
    return METHODS.get(name)


register_method("bp", back_propagation)
