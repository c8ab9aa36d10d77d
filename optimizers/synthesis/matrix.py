"""The coupling matrix of a filter of coupled resonators: the common language of the design.

An N+2 matrix ``M`` (source, resonators 1..N, load) with the frequency map of its filter class
and the unloaded Q of its resonators describes the whole filter (Cameron, Kudsia and Mansour,
"Microwave Filters for Communication Systems", Wiley 2007, ch. 8). With the prototype frequency
``Omega`` of :mod:`~rfdesign.optimizers.synthesis.mapping` and ``A = Omega W - j R + M``
(``W`` = 1 on the resonators, ``R`` = 1 on source and load)::

    S11 = 1 + 2j [A^-1]_00,   S22 = 1 + 2j [A^-1]_{N+1,N+1},   S21 = -2j [A^-1]_{N+1,0}.

In physical terms (band-pass): resonator ``k`` resonates where ``Omega = -M_kk``; the coupling
coefficient of resonators ``i, j`` is ``k_ij = FBW M_ij``; the external quality factors are
``Qe = 1 / (FBW M_S1^2)`` and ``1 / (FBW M_NL^2)`` (Hong and Lancaster, "Microstrip Filters for
RF/Microwave Applications", Wiley 2001, sec. 8.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rfdesign.optimizers.synthesis.mapping import FrequencyMap


def _labels(n: int) -> list[str]:
    return ["S", *[str(k) for k in range(1, n + 1)], "L"]


@dataclass(frozen=True)
class CouplingMatrix:
    """An N+2 coupling matrix with its frequency map and resonator Q.

    Attributes:
        m: Real symmetric ``(N + 2) x (N + 2)`` matrix, normalised (source first, load last).
        fmap: Band -> prototype frequency map (class, ``f0``, ``FBW``).
        qu: Unloaded Q of every resonator (``inf``: lossless), one value or one per resonator.
    """

    m: np.ndarray = field(repr=False)
    fmap: FrequencyMap = field(default_factory=FrequencyMap)
    qu: float | tuple[float, ...] = np.inf

    def __post_init__(self) -> None:
        m = np.array(self.m, float)
        if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 3:
            raise ValueError(f"m: expected a square N+2 matrix with N >= 1, got shape {m.shape}")
        if not np.allclose(m, m.T, atol=1e-12 * max(1.0, np.abs(m).max())):
            raise ValueError("m: a coupling matrix must be symmetric")
        m = 0.5 * (m + m.T)
        m.setflags(write=False)
        object.__setattr__(self, "m", m)
        q = np.asarray(self.qu, float)
        if q.ndim and q.shape != (self.order,):
            raise ValueError(f"qu: one value or one per resonator ({self.order}), got {q.shape}")
        if np.any(q <= 0):
            raise ValueError(f"qu: must be > 0, got {self.qu}")
        object.__setattr__(self, "qu", tuple(float(x) for x in q) if q.ndim else float(q))

    # -- structure ------------------------------------------------------------------------
    @property
    def order(self) -> int:
        """Number of resonators N."""
        return len(self.m) - 2

    @property
    def f0_ghz(self) -> float:
        """Centre frequency (cut-off for low/high-pass) in GHz."""
        return self.fmap.f0_ghz

    @property
    def fbw(self) -> float:
        """Fractional bandwidth of the normalisation."""
        return self.fmap.fbw

    def topology(self, tol: float = 0.0) -> list[tuple[int, int]]:
        """Non-zero couplings ``(i, j)``, ``i < j`` (0 = source, N+1 = load), diagonal excluded."""
        iu, ju = np.triu_indices(len(self.m), 1)
        keep = np.abs(self.m[iu, ju]) > tol
        return [(int(i), int(j)) for i, j in zip(iu[keep], ju[keep], strict=True)]

    def cross_couplings(self, tol: float = 0.0) -> list[tuple[int, int]]:
        """Non-zero couplings that are not on the main line ``k - k+1``."""
        return [(i, j) for i, j in self.topology(tol) if j - i > 1]

    def resonant_frequencies_ghz(self) -> np.ndarray:
        """Where each resonator alone resonates (``Omega = -M_kk``), GHz."""
        return self.fmap.frequency(-np.diag(self.m)[1:-1])

    def detuning_percent(self) -> np.ndarray:
        """Each resonator's resonance relative to ``f0``, percent (+: tuned high)."""
        return 100.0 * (self.resonant_frequencies_ghz() / self.f0_ghz - 1.0)

    def external_q(self) -> tuple[float, float]:
        """Input and output external Q (band-pass: ``1 / (FBW M^2)`` of the port couplings)."""
        n = self.order
        ms = np.sqrt(np.sum(self.m[0, 1 : n + 1] ** 2))
        ml = np.sqrt(np.sum(self.m[n + 1, 1 : n + 1] ** 2))
        return float(1.0 / (self.fbw * ms**2)), float(1.0 / (self.fbw * ml**2))

    def coupling_coefficients(self) -> np.ndarray:
        """``k_ij = FBW M_ij`` between resonators (N x N, zero diagonal)."""
        k = self.fbw * self.m[1:-1, 1:-1].copy()
        np.fill_diagonal(k, 0.0)
        return k

    def with_positive_main_line(self) -> CouplingMatrix:
        """The same filter with every main-line coupling ``M_i,i+1`` made positive.

        A resonator's (or port's) sign is a free choice: the similarity transform ``D M D``
        with ``D`` diagonal of +-1 changes the signs of all couplings to the nodes it flips and
        leaves ``|S11|``, ``|S21|`` and ``|S22|`` unchanged (S21 may change sign). Syntheses
        through rotations return either sign; a fit that ties an entry to its mirror image
        needs one convention. A zero main-line coupling keeps the sign of the node before it.
        """
        n2 = self.order + 2
        d = np.ones(n2)
        for i in range(n2 - 1):
            d[i + 1] = d[i] * (-1.0 if self.m[i, i + 1] < 0 else 1.0)
        return CouplingMatrix(self.m * np.outer(d, d), self.fmap, self.qu)

    def with_qu(self, qu: float | tuple[float, ...]) -> CouplingMatrix:
        """The same matrix with other resonator losses."""
        return CouplingMatrix(self.m, self.fmap, qu)

    # -- response -------------------------------------------------------------------------
    def s_params(self, f_ghz: np.ndarray) -> np.ndarray:
        """S-parameters at ``f_ghz`` (GHz), shape ``F x 2 x 2``, complex."""
        f = np.atleast_1d(np.asarray(f_ghz, float))
        n = self.order
        n2 = n + 2
        w = self.fmap.lossy_omega(f, np.asarray(self.qu))
        w = np.broadcast_to(w if np.ndim(w) == 2 else w[:, None], (f.size, n))
        a = np.broadcast_to(self.m.astype(complex), (f.size, n2, n2)).copy()
        k = np.arange(1, n + 1)
        a[:, k, k] += w
        a[:, 0, 0] -= 1j
        a[:, -1, -1] -= 1j
        rhs = np.zeros((f.size, n2, 2), complex)
        rhs[:, 0, 0] = 1.0
        rhs[:, -1, 1] = 1.0
        x = np.linalg.solve(a, rhs)
        s = np.empty((f.size, 2, 2), complex)
        s[:, 0, 0] = 1 + 2j * x[:, 0, 0]
        s[:, 1, 1] = 1 + 2j * x[:, -1, 1]
        s[:, 1, 0] = -2j * x[:, -1, 0]
        s[:, 0, 1] = -2j * x[:, 0, 1]
        return s

    def response(self, f_ghz: np.ndarray, name: str = "coupling_matrix"):
        """The response as an ``skrf.Network`` (50 ohm ports, frequencies in GHz)."""
        from rfdesign.solvers.base import make_network

        f = np.atleast_1d(np.asarray(f_ghz, float))
        return make_network(f, self.s_params(f), name=name)

    def write_touchstone(self, path: str | Path, f_ghz: np.ndarray) -> Path:
        """Write the response at ``f_ghz`` as a ``.s2p`` whose header states the matrix."""
        path = Path(path)
        net = self.response(f_ghz, name=path.stem)
        header = ["rfdesign coupling-matrix response (ideal resonators and inverters)"]
        header += self.to_text().splitlines()
        net.comments = "\n".join(header)
        net.write_touchstone(str(path.with_suffix("")))
        return path.with_suffix(".s2p")

    # -- text and storage -----------------------------------------------------------------
    def to_text(self, digits: int = 4) -> str:
        """A readable table: class, f0, FBW, Qu, then the matrix with S, 1..N, L labels."""
        n = self.order
        q = self.qu if isinstance(self.qu, float) else list(self.qu)
        head = (
            f"{self.fmap.kind}, N = {n}, f0 = {self.f0_ghz:.6g} GHz, FBW = {self.fbw:.6g}, Qu = {q}"
        )
        labels = _labels(n)
        width = digits + 4
        lines = [head, " " * 3 + "".join(f"{lab:>{width}}" for lab in labels)]
        for i, lab in enumerate(labels):
            cells = "".join(
                f"{self.m[i, j]:>{width}.{digits}f}" if self.m[i, j] != 0 else f"{'.':>{width}}"
                for j in range(n + 2)
            )
            lines.append(f"{lab:>3}{cells}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict:
        """Plain-Python form (JSON-ready)."""
        q = self.qu if isinstance(self.qu, float) else list(self.qu)
        return {
            "m": self.m.tolist(),
            "map": self.fmap.to_dict(),
            "qu": None if q == np.inf else q,
        }

    @classmethod
    def from_dict(cls, d: dict) -> CouplingMatrix:
        """Inverse of :meth:`to_dict`."""
        q = d.get("qu")
        return cls(np.array(d["m"], float), FrequencyMap(**d["map"]), np.inf if q is None else q)
