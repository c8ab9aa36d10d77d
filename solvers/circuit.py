"""Coarse model: a planar lumped-element (TLM-like) network of the pixel grid over ground.

Every cell is cut into sub-cells no larger than a fraction of the guided wavelength; each metal
sub-cell is a node. All line quantities come from scikit-rf's microstrip model
(:class:`skrf.media.MLine`: Hammerstad-Jensen Z0 and eps_eff, Kirschning-Jansen dispersion,
Wheeler/Hammerstad conductor loss, dielectric loss), so a straight strip of any width built
from pixels reproduces that strip's Z0 and eps_eff:

* **Series branches.** Neighbouring metal sub-cells are joined by the impedance of the strip
  between their centres, ``(R' + j w L') W * length / width``, with ``L' = Z0 sqrt(eps_eff)/c0``
  and ``R' = 2 Z0 alpha_c`` of a strip of width ``W``: the run of metal across the current.
  Across a cell boundary, ``W`` is the opening the two cells share.
* **Shunt branches.** A node's admittance to ground is the parallel-plate part
  ``w eps0 eps_r (tan d + j) / h`` per area plus, per exposed edge, the edge fringing
  ``(Y'(W) - Y_pp(W)) / 2`` per length with ``Y' = 2 alpha_d / Z0 + j w sqrt(eps_eff)/(c0 Z0)``
  (``C' = C_p + 2 C_f``: Garg, Bahl and Bozzi, *Microstrip Lines and Slotlines*, 3rd ed.,
  2013, ch. 2); ``W`` is the metal depth behind the edge. Convex corners of narrow strip ends
  carry the rest of the Kirschning-Jansen-Koster open-end capacitance.
* **Junctions.** Where a branch leaves a through line (a T), it starts at Hammerstad's
  reference plane and is tied to the whole cross-section of the through line.
* **Gaps.** Edges facing across a gap couple through a mutual capacitance (Garg-Bahl coupled
  lines blended with the Kirschning-Jansen-Koster end gap) and lose part of their fringing.
* **Ports.** A 50-ohm port at each patch edge drives the sub-cells the feed touches; S is
  referred to 50 ohm at ``x = 0`` and ``x = width`` (the feeds themselves are not in S).

The nodal matrix is complex symmetric with a positive semi-definite real part (all losses
>= 0), so every result is reciprocal and passive by construction. It is solved for all
frequencies at once with batched dense LU (a few dozen to ~130 nodes for the paper's grid).
Formulas are in :mod:`rfdesign.solvers.microstrip_formulas`.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rfdesign.core.constants import C0, EPS0
from rfdesign.layouts.feeds import microstrip_line
from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout
from rfdesign.solvers.base import Z0_REFERENCE_OHM, Solver, frequency_ghz, register_solver
from rfdesign.solvers.microstrip_formulas import (
    gap_coupling_tables,
    open_end_extension,
    t_junction_shift,
)

MODEL_VERSION = "1"
"""Bump when the physics changes: it is part of every cache key."""
_MIN_KEEP = 0.1
"""A T-junction shift leaves at least this fraction of each link it shortens (no shorts)."""


@dataclass(frozen=True)
class CircuitSettings:
    """Settings of the coarse circuit model.

    Attributes:
        max_cell_wavelengths: Largest sub-cell edge as a fraction of the guided wavelength at
            the highest frequency of the widest strip the grid can hold (the shortest guided
            wavelength). 1/12 keeps sub-cells well below lambda_g / 10.
        include_losses: Conductor (skin effect, strip and ground) and dielectric losses.
        dispersion: Kirschning-Jansen dispersion of Z0 and eps_eff; ``False`` uses the
            quasi-static Hammerstad-Jensen values.
        gap_coupling_max_h: Facing metal edges closer than this many substrate heights couple
            through gap capacitance.
        corner_capacitance: Add the corner part of the open-end capacitance at convex corners
            of narrow strip ends.
        junctions: Apply Hammerstad's T-junction reference plane to side arms.
    """

    max_cell_wavelengths: float = 1.0 / 12.0
    include_losses: bool = True
    dispersion: bool = True
    gap_coupling_max_h: float = 3.0
    corner_capacitance: bool = True
    junctions: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.max_cell_wavelengths <= 0.25:
            raise ValueError("max_cell_wavelengths: must be in (0, 0.25]")
        if self.gap_coupling_max_h < 0.0:
            raise ValueError("gap_coupling_max_h: must be >= 0")


@contextlib.contextmanager
def _single_thread_blas() -> Iterator[None]:
    """Run BLAS/LAPACK on one thread: threading a 70-node LU costs far more than it saves."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _subdivision(sizes_mm: np.ndarray, max_mm: float) -> np.ndarray:
    return np.maximum(1, np.ceil(sizes_mm / max_mm - 1e-9)).astype(int)


def _range_sums(sizes: np.ndarray) -> np.ndarray:
    """``out[i, j]`` = sum of ``sizes[i..j]`` (inclusive), for ``i <= j``."""
    c = np.concatenate([[0.0], np.cumsum(sizes)])
    return c[None, 1:] - c[:-1, None]


def _run_bounds(m: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last index of the run of True values through each cell along ``axis``."""
    m = np.moveaxis(m, axis, 0)
    n = m.shape[0]
    start = np.zeros(m.shape, dtype=int)
    end = np.full(m.shape, n - 1, dtype=int)
    for i in range(1, n):
        start[i] = np.where(m[i] & m[i - 1], start[i - 1], i)
    for i in range(n - 2, -1, -1):
        end[i] = np.where(m[i] & m[i + 1], end[i + 1], i)
    return np.moveaxis(start, 0, axis), np.moveaxis(end, 0, axis)


class _GridModel:
    """The bit-independent part of the network: sub-cells, candidate branches, tables.

    Args:
        grid: The design space.
        f_ghz: Frequencies in GHz (``F`` values).
        settings: Model settings.
    """

    def __init__(self, grid: PixelGrid, f_ghz: np.ndarray, settings: CircuitSettings) -> None:
        self.grid, self.f_ghz, self.settings = grid, f_ghz, settings
        self.h = grid.substrate.height_mm * 1e-3
        self.omega = 2 * np.pi * f_ghz * 1e9
        rows, cols = grid.row_heights, grid.full_column_widths_mm
        self.R, self.C = rows.size, cols.size
        self._tables(rows, cols)
        lam_mm = C0 / (f_ghz.max() * 1e9 * math.sqrt(float(self.eps_eff[-1].max()))) * 1e3
        s_max = settings.max_cell_wavelengths * lam_mm
        ny, nx = _subdivision(rows, s_max), _subdivision(cols, s_max)
        self.row_of, self.col_of = (
            np.repeat(np.arange(self.R), ny),
            np.repeat(np.arange(self.C), nx),
        )
        self.hs, self.ws = np.repeat(rows / ny, ny) * 1e-3, np.repeat(cols / nx, nx) * 1e-3
        self.SR, self.SC = self.hs.size, self.ws.size
        self.idx = np.arange(self.SR * self.SC).reshape(self.SR, self.SC)
        self.sub_row, self.sub_col = np.divmod(self.idx.ravel(), self.SC)
        self.sub_cell = self.row_of[self.sub_row] * self.C + self.col_of[self.sub_col]
        self.area = self.hs[self.sub_row] * self.ws[self.sub_col]
        ye = np.concatenate([[0.0], np.cumsum(self.hs)])
        y0, y1 = (v * 1e-3 for v in grid.feed_span_mm)
        self.overlap = np.clip(np.minimum(ye[1:], y1) - np.maximum(ye[:-1], y0), 0.0, None)
        self._links()
        self._sides()
        self._gap_pairs(rows, cols)

    # ----- per-width tables ------------------------------------------------------------------
    def _tables(self, rows: np.ndarray, cols: np.ndarray) -> None:
        sub, st, f, w = self.grid.substrate, self.settings, self.f_ghz, self.omega
        rs, cs = _range_sums(rows), _range_sums(cols)
        iu_r, iu_c = np.triu_indices(rows.size), np.triu_indices(cols.size)
        feed = np.round([self.grid.feed_width_mm], 9)
        widths = np.unique(
            np.concatenate([np.round(np.concatenate([rs[iu_r], cs[iu_c]]), 9), feed])
        )
        self.widths_mm = widths  # runs of whole cells and the feed; index order = width order
        self.k_feed = int(np.searchsorted(widths, feed[0]))
        self.rowrun_k = np.zeros(rs.shape, dtype=int)
        self.rowrun_k[iu_r] = np.searchsorted(widths, np.round(rs[iu_r], 9))
        self.colrun_k = np.zeros(cs.shape, dtype=int)
        self.colrun_k[iu_c] = np.searchsorted(widths, np.round(cs[iu_c], 9))
        z0, ee, ac, ad = (np.empty((widths.size, f.size)) for _ in range(4))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for i, wmm in enumerate(widths):
                ml = microstrip_line(sub, float(wmm), f)
                if st.dispersion:
                    z0[i], ee[i] = np.real(ml.z0_characteristic), np.real(ml.ep_reff_f)
                else:
                    z0[i] = np.real(np.broadcast_to(ml.zl_eff, f.shape))
                    ee[i] = np.real(np.broadcast_to(ml.ep_reff, f.shape))
                ac[i], ad[i] = ml.alpha_conductor, ml.alpha_dielectric
        self.eps_eff = ee
        wm = widths[:, None] * 1e-3
        lp, cp = z0 * np.sqrt(ee) / C0, np.sqrt(ee) / (C0 * z0)  # H/m, F/m
        rp = 2.0 * z0 * ac if st.include_losses else 0.0  # ohm/m (strip and ground)
        gp = 2.0 * ad / z0 if st.include_losses else 0.0  # S/m
        tand = sub.tan_delta if st.include_losses else 0.0
        self.zsq = (rp + 1j * w * lp) * wm  # series impedance per square, ohm
        self.y_area = w * EPS0 * sub.eps_r * (tand + 1j) / self.h  # S/m^2
        y_edge = 0.5 * ((gp + 1j * w * cp) - self.y_area * wm)  # S/m of exposed edge
        self.y_edge = np.maximum(y_edge.real, 0.0) + 1j * np.maximum(y_edge.imag, 0.0)
        if st.corner_capacitance:  # corner share of the open end (F) left by the end edge
            dl = open_end_extension(wm / self.h, ee, sub.eps_r) * self.h
            self.c_corner = 0.5 * np.maximum(cp * dl - self.y_edge[-1].imag / w * wm, 0.0)
        else:
            self.c_corner = np.zeros_like(z0)
        self.shift = t_junction_shift(z0, ee, wm[:, 0], self.h, f * 1e9)

    # ----- candidate series links (x links, then y links) ------------------------------------
    def _links(self) -> None:
        idx, hs, ws, C = self.idx, self.hs, self.ws, self.C
        ax, bx = idx[:, :-1].ravel(), idx[:, 1:].ravel()
        ay, by = idx[:-1, :].ravel(), idx[1:, :].ravel()
        self.la, self.lb = np.concatenate([ax, ay]), np.concatenate([bx, by])
        self.n_x = ax.size
        sr, sc = self.sub_row, self.sub_col
        self.lw = np.concatenate([hs[sr[ax]], ws[sc[ay]]])  # link width, m
        self.ga = np.concatenate([ws[sc[ax]], hs[sr[ay]]]) / 2 / self.lw  # half length / width
        self.gb = np.concatenate([ws[sc[bx]], hs[sr[by]]]) / 2 / self.lw
        cell_a, cell_b = self.sub_cell[self.la], self.sub_cell[self.lb]
        self.l_cross = cell_a != cell_b
        ra, ca = np.divmod(cell_a, C)  # boundary index: x: r (C-1) + c, y: r C + c
        self.l_bound = np.where(np.arange(self.la.size) < self.n_x, ra * (C - 1) + ca, ra * C + ca)
        # T-junctions. tie: the sub-cells of each end's cell on the line through the link;
        # chain: the links inside that cell along the line, going away from the boundary
        n_tie = int(max(np.bincount(self.row_of).max(), np.bincount(self.col_of).max()))
        self.tie = np.full((2, self.la.size, n_tie), -1)
        self.chain = np.full((2, self.la.size, n_tie), -1)
        SC = self.SC
        for end, sub_end in enumerate((self.la, self.lb)):
            for i in np.nonzero(self.l_cross)[0]:
                s0 = int(sub_end[i])
                r, c = divmod(int(self.sub_cell[s0]), C)
                if i < self.n_x:
                    q = idx[sr[s0], self.col_of == c]
                    links = sr[s0] * (SC - 1) + np.arange(q[0] % SC, q[-1] % SC)
                else:
                    q = idx[self.row_of == r, sc[s0]]
                    links = self.n_x + np.arange(q[0] // SC, q[-1] // SC) * SC + sc[s0]
                self.tie[end, i, : q.size] = q
                links = links if end == 1 else links[::-1]  # b's cell lies beyond the boundary
                self.chain[end, i, : links.size] = links
        # ports: sub-cells of the first / last sub-column that the feed overlaps
        rows_p = np.nonzero(self.overlap > 0)[0]
        self.p_sub = np.concatenate([idx[rows_p, 0], idx[rows_p, -1]])
        self.p_port = np.repeat([0, 1], rows_p.size)
        ov = np.tile(self.overlap[rows_p], 2)
        self.p_g = (
            np.concatenate([np.full(rows_p.size, ws[0]), np.full(rows_p.size, ws[-1])]) / 2 / ov
        )

    # ----- the four sides (left, right, bottom, top) of every sub-cell -----------------------
    def _sides(self) -> None:
        SC, sr, sc = self.SC, self.sub_row, self.sub_col
        s = self.idx.ravel()
        self.side_nbr = np.stack(
            [
                np.where(sc > 0, s - 1, -1),
                np.where(sc < SC - 1, s + 1, -1),
                np.where(sr > 0, s - SC, -1),
                np.where(sr < self.SR - 1, s + SC, -1),
            ],
            axis=1,
        )
        length = np.stack([self.hs[sr], self.hs[sr], self.ws[sc], self.ws[sc]], axis=1)
        covered = np.zeros_like(length)  # edge length under the feeds
        covered[:, 0] = np.where(sc == 0, self.overlap[sr], 0.0)
        covered[:, 1] = np.where(sc == SC - 1, self.overlap[sr], 0.0)
        self.side_len = length - covered
        self.side_full = covered == 0.0

    # ----- candidate gap pairs: cells in a row/column with only empty cells between ----------
    def _gap_pairs(self, rows: np.ndarray, cols: np.ndarray) -> None:
        R, C, SC = self.R, self.C, self.SC
        gmax = self.settings.gap_coupling_max_h * self.h * (1 + 1e-9)
        subrows = [np.nonzero(self.row_of == r)[0] for r in range(R)]
        subcols = [np.nonzero(self.col_of == c)[0] for c in range(C)]
        xe, ye = np.concatenate([[0.0], np.cumsum(cols)]), np.concatenate([[0.0], np.cumsum(rows)])
        pairs = []  # (cell a, cell b, cells between, gap in m, 0: along a row / 1: a column)
        for r in range(R):
            for c1 in range(C):
                for c2 in range(c1 + 2, C):
                    s = (xe[c2] - xe[c1 + 1]) * 1e-3
                    if s <= gmax:
                        pairs.append(
                            (r * C + c1, r * C + c2, [r * C + c for c in range(c1 + 1, c2)], s, 0)
                        )
        for c in range(C):
            for r1 in range(R):
                for r2 in range(r1 + 2, R):
                    s = (ye[r2] - ye[r1 + 1]) * 1e-3
                    if s <= gmax:
                        pairs.append(
                            (r1 * C + c, r2 * C + c, [r * C + c for r in range(r1 + 1, r2)], s, 1)
                        )
        self.gp_a = np.array([p[0] for p in pairs], dtype=int)
        self.gp_b = np.array([p[1] for p in pairs], dtype=int)
        self.gp_dir = np.array([p[4] for p in pairs], dtype=int)
        self.gp_between = np.zeros((len(pairs), R * C), dtype=bool)
        for i, p in enumerate(pairs):
            self.gp_between[i, p[2]] = True
        self.gap_s, self.gp_s = np.unique(np.round([p[3] for p in pairs], 12), return_inverse=True)
        facing_all = []  # facing sub-cell pairs: (sub-cell a, sub-cell b, edge length, pair)
        for i, (ca, cb, _, _, d) in enumerate(pairs):
            (ra, cca), (rb, ccb) = divmod(ca, C), divmod(cb, C)
            facing = (
                [
                    (q * SC + subcols[cca][-1], q * SC + subcols[ccb][0], self.hs[q])
                    for q in subrows[ra]
                ]
                if d == 0
                else [
                    (subrows[ra][-1] * SC + q, subrows[rb][0] * SC + q, self.ws[q])
                    for q in subcols[cca]
                ]
            )
            facing_all += [(a, b, length, i) for a, b, length in facing]
        cols4 = np.array(facing_all, dtype=float).reshape(-1, 4).T
        self.gs_a, self.gs_b, self.gs_pair = (cols4[k].astype(int) for k in (0, 1, 3))
        self.gs_len = cols4[2]
        horizontal = self.gp_dir[self.gs_pair] == 0
        self.gs_side_a, self.gs_side_b = np.where(horizontal, 1, 3), np.where(horizontal, 0, 2)
        self.gap_cm, self.gap_ratio = gap_coupling_tables(
            self.gap_s, self.widths_mm * 1e-3, self.h, self.grid.substrate
        )

    # ----- one layout ------------------------------------------------------------------------
    def solve(self, mask: np.ndarray) -> tuple[np.ndarray, int]:
        """S-parameters of one full mask (``n_rows x n_cols_full`` bool, row 0 at the bottom).

        Returns:
            ``(S, n_nodes)``: S of shape ``F x 2 x 2`` (50 ohm, reference planes at the patch
            edges) and the number of circuit nodes (metal sub-cells plus the two ports).
        """
        m = np.asarray(mask, dtype=bool)
        mf = m.ravel()
        cells = _CellWidths(self, m)
        S = mf[self.sub_cell]
        metal = np.nonzero(S)[0]
        n, F = metal.size, self.f_ghz.size
        nid = np.full(S.size, -1)
        nid[metal] = np.arange(n)
        kx, ky = cells.kx[self.sub_cell], cells.ky[self.sub_cell]
        la, lb, y_link = self._series(S, kx, ky, cells)
        pact = np.nonzero(S[self.p_sub])[0]
        ps = self.p_sub[pact]
        # the port current enters through the feed width: the opening of the port link
        y_port = 1.0 / (self.zsq[np.minimum(kx[ps], self.k_feed)] * self.p_g[pact, None])
        ratio = np.ones((S.size, 4))
        ga, gb, y_gap = self._gaps(mf, cells, ratio)
        y_sh = self._shunt(S, metal, kx, ky, ratio)
        # nodal matrix; the ports are nodes n and n + 1, terminated in 50 ohm
        N = n + 2
        i = np.concatenate([nid[la], n + self.p_port[pact], nid[ga]])
        j = np.concatenate([nid[lb], nid[ps], nid[gb]])
        yb = np.concatenate([y_link, y_port, y_gap])
        diag = np.zeros((N, F), dtype=complex)
        diag[:n] = y_sh
        diag[n:] = 1.0 / Z0_REFERENCE_OHM
        np.add.at(diag, i, yb)
        np.add.at(diag, j, yb)
        mat = np.zeros((F, N, N), dtype=complex)
        mat[:, i, j] = -yb.T
        mat[:, j, i] = -yb.T
        mat[:, np.arange(N), np.arange(N)] = diag.T
        rhs = np.zeros((F, N, 2), dtype=complex)
        rhs[:, n, 0] = rhs[:, n + 1, 1] = 1.0
        # S = 2 Y0 (Y_ports + Y0)^-1 - 1, and (Y_ports + Y0)^-1 is the port block of mat^-1
        z = np.linalg.solve(mat, rhs)[:, n:, :]
        return 2.0 / Z0_REFERENCE_OHM * z - np.eye(2), N

    def _series(
        self, S: np.ndarray, kx: np.ndarray, ky: np.ndarray, cells: _CellWidths
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Active series links: end sub-cells and admittances (``n_links x F``)."""
        act = np.nonzero(S[self.la] & S[self.lb])[0]
        la, lb = self.la[act], self.lb[act]
        is_x = act < self.n_x
        ka, kb = np.where(is_x, kx[la], ky[la]), np.where(is_x, kx[lb], ky[lb])
        k_open = np.full(act.size, -1)  # width index of the opening of boundary-crossing links
        ja = np.zeros(act.size, dtype=bool)  # a: through line of a T, b: its side arm
        jb = np.zeros(act.size, dtype=bool)
        k_thru = np.zeros(act.size, dtype=int)
        for sel, opening, through, thr in (
            (self.l_cross[act] & is_x, cells.ox, cells.x_through, cells.x_thru_k),
            (self.l_cross[act] & ~is_x, cells.oy, cells.y_through, cells.y_thru_k),
        ):
            if sel.any():
                bnd = self.l_bound[act[sel]]
                k_open[sel] = opening[bnd]
                if self.settings.junctions:
                    ja[sel], jb[sel] = through[0, bnd], through[1, bnd]
                    k_thru[sel] = np.where(through[0, bnd], thr[0, bnd], thr[1, bnd])
        has = k_open >= 0
        ka, kb = (
            np.where(has, np.minimum(ka, k_open), ka),
            np.where(has, np.minimum(kb, k_open), kb),
        )
        za = self.zsq[ka] * self.ga[act, None]
        zb = self.zsq[kb] * self.gb[act, None]
        if ja.any() or jb.any():
            self._junctions(act, ja, jb, k_thru, k_open, za, zb)
        z = za + zb
        y = 1.0 / np.where(np.abs(z) < 1e-9, 1e-9, z)
        if not (ja.any() or jb.any()):
            return la, lb, y
        # a side arm is tied to every sub-cell across its through line, sharing its admittance
        keep = ~(ja | jb)
        out_a, out_b, out_y = [la[keep]], [lb[keep]], [y[keep]]
        for j, end, other in ((ja, 0, lb), (jb, 1, la)):
            if j.any():
                ties = self.tie[end, act[j]]
                r, c = np.nonzero(ties >= 0)
                n_t = (ties >= 0).sum(axis=1)
                out_a.append(ties[r, c])
                out_b.append(other[j][r])
                out_y.append(y[j][r] / n_t[r, None])
        return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_y)

    def _junctions(
        self,
        act: np.ndarray,
        ja: np.ndarray,
        jb: np.ndarray,
        k_thru: np.ndarray,
        k_open: np.ndarray,
        za: np.ndarray,
        zb: np.ndarray,
    ) -> None:
        """Start each T-junction side arm at Hammerstad's reference plane (edits za, zb).

        The through-line half of the link is dropped (the junction is the through line's
        cross-section) and the side arm's series impedance is removed over the reference-plane
        shift, from the boundary outwards along the arm's cell (each link keeps at least
        ``_MIN_KEEP`` of its length, so no node is shorted to the junction).
        """
        pos = np.full(self.la.size, -1)
        pos[act] = np.arange(act.size)
        for j, end, z_thru, z_arm, g_arm in ((ja, 1, za, zb, self.gb), (jb, 0, zb, za, self.ga)):
            if not j.any():
                continue
            z_thru[j] = 0.0
            w = self.lw[act[j], None]
            rem = np.maximum(self.shift[k_thru[j], k_open[j]], 0.0)  # m, per frequency
            length = g_arm[act[j], None] * w
            z_arm[j] *= np.maximum(length - rem, _MIN_KEEP * length) / length
            rem = np.maximum(rem - length, 0.0)
            for link in self.chain[end, act[j]].T:  # next links of the arm, one step at a time
                p = np.where(link >= 0, pos[np.maximum(link, 0)], -1)
                ok = p >= 0
                if not ok.any():
                    break
                full = ((self.ga + self.gb)[link[ok]] * self.lw[link[ok]])[:, None]
                keep = np.maximum(full - rem[ok], _MIN_KEEP * full) / full
                za[p[ok]] *= keep
                zb[p[ok]] *= keep
                rem[ok] = np.maximum(rem[ok] - full, 0.0)

    def _gaps(
        self, mf: np.ndarray, cells: _CellWidths, ratio: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Active gap couplings; lowers the fringing factor ``ratio`` of facing edges in place."""
        empty = np.zeros(0, dtype=int)
        if self.gp_a.size == 0:
            return empty, empty, np.zeros((0, self.f_ghz.size), dtype=complex)
        act = mf[self.gp_a] & mf[self.gp_b] & ~(self.gp_between & mf).any(axis=1)
        if not act.any():
            return empty, empty, np.zeros((0, self.f_ghz.size), dtype=complex)
        horizontal = self.gp_dir == 0
        ka, kb = cells.kx[self.gp_a], cells.kx[self.gp_b]
        ha, hb = cells.ky[self.gp_a], cells.ky[self.gp_b]
        k_depth = np.where(horizontal, np.minimum(ha, hb), np.minimum(ka, kb))
        k_window = np.where(horizontal, np.minimum(ka, kb), np.minimum(ha, hb))
        cm = self.gap_cm[self.gp_s, k_depth, k_window]
        rt = self.gap_ratio[self.gp_s, k_depth, k_window]
        g = np.nonzero(act[self.gs_pair])[0]
        pair, sa, sb = self.gs_pair[g], self.gs_a[g], self.gs_b[g]
        ratio[sa, self.gs_side_a[g]] = rt[pair]
        ratio[sb, self.gs_side_b[g]] = rt[pair]
        return sa, sb, 1j * self.omega[None, :] * (cm[pair] * self.gs_len[g])[:, None]

    def _shunt(
        self, S: np.ndarray, metal: np.ndarray, kx: np.ndarray, ky: np.ndarray, ratio: np.ndarray
    ) -> np.ndarray:
        """Admittance to ground of the metal sub-cells, ``n x F``."""
        nbr = self.side_nbr[metal]
        exposed = ~np.where(nbr >= 0, S[np.maximum(nbr, 0)], False)
        km, kym = kx[metal], ky[metal]
        k_side = np.stack([kym, kym, km, km], axis=1)  # depth behind each edge
        weight = exposed * self.side_len[metal] * ratio[metal]
        y = self.area[metal, None] * self.y_area[None, :]
        y = y + np.einsum("ns,nsf->nf", weight, self.y_edge[k_side])
        full = exposed & self.side_full[metal]
        corners = (full[:, 0].astype(int) + full[:, 1]) * (full[:, 2].astype(int) + full[:, 3])
        if corners.any():
            y = y + 1j * self.omega * self.c_corner[np.minimum(km, kym)] * corners[:, None]
        return y


class _CellWidths:
    """Width-table indices of the strips through every cell and cell boundary of a mask."""

    def __init__(self, model: _GridModel, m: np.ndarray) -> None:
        R, C = model.R, model.C
        v0, v1 = _run_bounds(m, 0)  # vertical run: the width seen by x-directed current
        h0, h1 = _run_bounds(m, 1)  # horizontal run: the width seen by y-directed current
        self.kx = model.rowrun_k[v0, v1].ravel()
        self.ky = model.colrun_k[h0, h1].ravel()
        xo0, xo1 = _run_bounds(m[:, :-1] & m[:, 1:], 0)  # openings of x / y boundaries
        yo0, yo1 = _run_bounds(m[:-1, :] & m[1:, :], 1)
        self.ox = model.rowrun_k[xo0, xo1].ravel()
        self.oy = model.colrun_k[yo0, yo1].ravel()
        v0, v1, h0, h1 = v0.ravel(), v1.ravel(), h0.ravel(), h1.ravel()
        xo0, xo1, yo0, yo1 = xo0.ravel(), xo1.ravel(), yo0.ravel(), yo1.ravel()
        # T-junctions: one cell's run passes the opening on both sides (the through line),
        # the other cell's run is exactly the opening (the side arm)
        bx = (np.arange(R)[:, None] * C + np.arange(C - 1)[None, :]).ravel()
        by = np.arange((R - 1) * C)
        self.x_through = _through(v0, v1, xo0, xo1, bx, bx + 1)
        self.y_through = _through(h0, h1, yo0, yo1, by, by + C)
        # width of the through line: the narrower of its openings on either side of the cell
        kx_, ky_ = self.ox, self.oy
        r, c = np.divmod(np.stack([by, by + C]), C)  # through cells of y boundaries (x line)
        left, right = r * (C - 1) + np.maximum(c - 1, 0), r * (C - 1) + np.minimum(c, C - 2)
        self.y_thru_k = np.minimum(kx_[left], kx_[right]) if kx_.size else np.zeros_like(r)
        r, c = np.divmod(np.stack([bx, bx + 1]), C)  # through cells of x boundaries (y line)
        below, above = np.maximum(r - 1, 0) * C + c, np.minimum(r, R - 2) * C + c
        self.x_thru_k = np.minimum(ky_[below], ky_[above]) if ky_.size else np.zeros_like(r)


def _through(
    r0: np.ndarray, r1: np.ndarray, o0: np.ndarray, o1: np.ndarray, ca: np.ndarray, cb: np.ndarray
) -> np.ndarray:
    """``[a is through & b is side arm, b is through & a is side arm]`` per boundary."""
    a_thru = (r0[ca] < o0) & (r1[ca] > o1)
    b_thru = (r0[cb] < o0) & (r1[cb] > o1)
    a_arm = (r0[ca] == o0) & (r1[ca] == o1)
    b_arm = (r0[cb] == o0) & (r1[cb] == o1)
    return np.stack([a_thru & b_arm, b_thru & a_arm])


@register_solver("circuit")
class CircuitSolver(Solver):
    """The coarse planar circuit model (fidelity ``circuit``): milliseconds per layout.

    Args:
        settings: :class:`CircuitSettings`; defaults to ``CircuitSettings()``.
        cache: Optional :class:`~rfdesign.solvers.base.ResultCache`.
    """

    fidelity = "circuit"
    settings_type = CircuitSettings

    def __init__(self, settings: CircuitSettings | None = None, cache: Any | None = None) -> None:
        super().__init__(settings, cache)
        self._models: dict[tuple[str, bytes], _GridModel] = {}

    @property
    def version(self) -> str:
        """Model version plus the scikit-rf version the line formulas come from."""
        import skrf

        return f"circuit-{MODEL_VERSION}/skrf-{skrf.__version__}"

    def model(self, grid: PixelGrid, f_ghz: np.ndarray) -> _GridModel:
        """The cached, bit-independent part of the network of ``grid`` at ``f_ghz`` (GHz)."""
        f = np.asarray(f_ghz, dtype=float)
        key = (grid.key(), f.tobytes())
        if key not in self._models:
            if len(self._models) >= 8:
                self._models.pop(next(iter(self._models)))
            self._models[key] = _GridModel(grid, f, self.settings)
        return self._models[key]

    def _simulate(self, layout: Layout, f_ghz: np.ndarray) -> tuple[np.ndarray, dict]:
        model = self.model(layout.grid, f_ghz)
        with _single_thread_blas():
            s, n_nodes = model.solve(layout.mask())
        return s, {"n_nodes": n_nodes, "sub_cells": [model.SR, model.SC]}

    def simulate_bits(
        self,
        grid: PixelGrid,
        bits: np.ndarray | Sequence[Sequence[int]],
        frequency: Any,
        n_threads: int = 1,
    ) -> np.ndarray:
        """S-parameters of many layouts of one grid, without building :class:`Layout` objects.

        No result cache is consulted. Each thread solves a share of the layouts with
        single-threaded BLAS (numpy's solver releases the GIL).

        Args:
            grid: The design space.
            bits: Free bits, shape ``N x n_bits`` (0/1 or bool), in the grid's bit order.
            frequency: skrf.Frequency or frequencies in GHz (``F`` values).
            n_threads: Number of threads.

        Returns:
            Complex S, shape ``N x F x 2 x 2`` (50 ohm, reference planes at the patch edges).
        """
        f = frequency_ghz(frequency)
        masks = grid.masks(np.asarray(bits))
        model = self.model(grid, f)
        out = np.empty((masks.shape[0], f.size, 2, 2), dtype=complex)

        def run(chunk: np.ndarray) -> None:
            for k in chunk:
                out[k] = model.solve(masks[k])[0]

        chunks = np.array_split(np.arange(masks.shape[0]), max(1, n_threads))
        with _single_thread_blas():
            if n_threads <= 1:
                run(chunks[0])
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(n_threads) as ex:
                    list(ex.map(run, chunks))
        return out


def simulate_bits(
    grid: PixelGrid,
    bits: np.ndarray | Sequence[Sequence[int]],
    f_ghz: Any,
    settings: CircuitSettings | None = None,
    n_threads: int = 1,
) -> np.ndarray:
    """Batch circuit model: complex S of shape ``N x F x 2 x 2`` for ``bits`` (``N x n_bits``).

    See :meth:`CircuitSolver.simulate_bits`.
    """
    return CircuitSolver(settings).simulate_bits(grid, bits, f_ghz, n_threads=n_threads)
