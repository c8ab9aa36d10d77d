"""pymoo problems for pixel filters: a spec's masks plus an evaluator, nothing about algorithms.

An *evaluator* maps free bits ``N x d`` to |S11| and |S21| in dB (``N x F`` each); it may be a
surrogate (:func:`surrogate_evaluator`) or a solver (:func:`network_evaluator`). Problems are
evaluated in vectorised batches (pymoo's ``Problem``, not ``ElementwiseProblem``), so a
generation of a GA is one surrogate call.

* :class:`PixelFilterProblem`: minimise K of eq. 4 (Huawei Research 2024) subject to the
  passband insertion-loss masks and, unless allowed, no corner-only metal contacts.
* :class:`PixelTradeoffProblem`: NSGA-II's view: minimise the negated worst margins of the
  return-loss, rejection and insertion-loss masks, and the metal area (mm^2).

pymoo's convention: constraints ``G <= 0`` are satisfied.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pymoo.core.problem import Problem

from rfdesign.layouts.grid import PixelGrid, corner_contact_counts
from rfdesign.optimizers.masks import MaskSet

Evaluator = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""bits ``N x d`` (uint8) -> (|S11| dB ``N x F``, |S21| dB ``N x F``)."""


def surrogate_evaluator(model) -> Evaluator:
    """An evaluator from a fitted CNN surrogate (``predict_db``)."""

    def evaluate(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        db = np.asarray(model.predict_db(bits), float)
        return db[..., 0], db[..., 1]

    return evaluate


def network_evaluator(simulate: Callable[[np.ndarray], np.ndarray]) -> Evaluator:
    """An evaluator from any ``bits -> S (N x F x 2 x 2)`` callable (a solver batch)."""

    def evaluate(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(simulate(bits))
        with np.errstate(divide="ignore"):
            db = 20 * np.log10(np.abs(s))
        db = np.maximum(db, -300.0)
        return db[:, :, 0, 0], db[:, :, 1, 0]

    return evaluate


class _PixelProblem(Problem):
    n_objectives: int = 1
    """Objectives of the subclass."""

    def __init__(
        self,
        grid: PixelGrid,
        masks: MaskSet,
        evaluator: Evaluator,
        allow_corner_contacts: bool = False,
    ) -> None:
        self.grid = grid
        self.masks = masks
        self.evaluator = evaluator
        self.allow_corner_contacts = allow_corner_contacts
        self.evaluations = 0
        n_constr = 1 + (0 if allow_corner_contacts else 1)
        super().__init__(
            n_var=grid.n_bits,
            n_obj=self.n_objectives,
            n_ieq_constr=n_constr,
            xl=0,
            xu=1,
            vtype=bool,
        )

    def margins(self, bits: np.ndarray) -> np.ndarray:
        """Margins of every mask, dB, ``N x n_masks`` (one evaluator call)."""
        bits = np.asarray(bits).astype(np.uint8)
        s11, s21 = self.evaluator(bits)
        self.evaluations += len(bits)
        return self.masks.margins(s11, s21)

    def _constraints(self, bits: np.ndarray, margins: np.ndarray) -> np.ndarray:
        g = [-np.minimum(self.masks.insertion_loss_margin(margins), 1e6)]
        if not self.allow_corner_contacts:
            g.append(corner_contact_counts(self.grid.masks(bits)).astype(float))
        return np.column_stack(g)


class PixelFilterProblem(_PixelProblem):
    """Single objective K with insertion-loss and corner-contact constraints.

    K is in dB, lower is better, with floor ``masks.k_floor`` when all K masks are met;
    constraints: insertion-loss margin >= 0, corner-only contacts == 0.

    Args:
        grid: The design space (``n_bits`` binary variables).
        masks: The spec's masks on the evaluator's frequency grid.
        evaluator: bits -> (|S11| dB, |S21| dB).
        allow_corner_contacts: Drop the corner-contact constraint.
    """

    def _evaluate(self, x, out, *args, **kwargs) -> None:
        bits = np.asarray(x).astype(np.uint8)
        m = self.margins(bits)
        out["F"] = self.masks.objective(m)[:, None]
        out["G"] = self._constraints(bits, m)


class PixelTradeoffProblem(_PixelProblem):
    """Four objectives for NSGA-II: three negated worst margins and the metal area.

    Objectives: -(worst return-loss margin), -(worst rejection margin), -(worst
    insertion-loss margin), all dB, and the metal area in mm^2 (less gold, less loss).
    Constraints: corner-only contacts == 0 (unless allowed); insertion loss is an objective,
    so its constraint is relaxed to a 10 dB violation.
    """

    n_objectives = 4

    def __init__(
        self,
        grid: PixelGrid,
        masks: MaskSet,
        evaluator: Evaluator,
        allow_corner_contacts: bool = False,
    ) -> None:
        super().__init__(grid, masks, evaluator, allow_corner_contacts)
        self._terms = {
            t: [j for j, mk in enumerate(masks.masks) if mk.in_k == t] for t in ("rl", "il", None)
        }
        self._areas = grid.cell_areas_mm2

    def _worst(self, m: np.ndarray, term: str | None) -> np.ndarray:
        cols = self._terms[term]
        return m[:, cols].min(axis=1) if cols else np.zeros(len(m))

    def _evaluate(self, x, out, *args, **kwargs) -> None:
        bits = np.asarray(x).astype(np.uint8)
        m = self.margins(bits)
        area = (self.grid.masks(bits) * self._areas[None]).sum(axis=(1, 2))
        out["F"] = np.column_stack(
            [-self._worst(m, "rl"), -self._worst(m, "il"), -self._worst(m, None), area]
        )
        g = self._constraints(bits, m)
        g[:, 0] -= 10.0
        out["G"] = g
