"""pymoo problems for pixel filters: a spec's masks plus an evaluator, nothing about algorithms.

An *evaluator* maps free bits ``N x d`` to |S11| and |S21| in dB (``N x F`` each); it may be a
surrogate (:func:`surrogate_evaluator`) or a solver (:func:`network_evaluator`). Problems are
evaluated in vectorised batches (pymoo's ``Problem``, not ``ElementwiseProblem``), so a
generation of a GA is one surrogate call.

* :class:`PixelFilterProblem`: minimise K of eq. 4 (Huawei Research 2024) subject to the
  passband insertion-loss masks and, unless allowed, no corner-only metal contacts.
* :class:`SolverEvaluator`: a full-wave solver as the evaluator (the search *is* the
  simulation budget; every run lands in the solver's result cache, so a stopped search
  resumes without repeating one).
* :class:`PixelTradeoffProblem`: NSGA-II's view: minimise the negated worst margins of the
  return-loss, rejection and insertion-loss masks, and the metal area (mm^2).

pymoo's convention: constraints ``G <= 0`` are satisfied.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pymoo.core.problem import Problem

from rfdesign.core.db import s_db
from rfdesign.layouts.grid import PixelGrid, corner_contact_counts
from rfdesign.optimizers.masks import DB_FLOOR, MaskSet

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
        db = s_db(simulate(bits), DB_FLOOR)
        return db[:, :, 0, 0], db[:, :, 1, 0]

    return evaluate


class SolverEvaluator:
    """A solver (openEMS, Meep, the circuit model) used directly as the search's evaluator.

    Each call simulates the distinct layouts of the batch on ``executor`` (in parallel) and
    remembers every network, so a layout is never simulated twice in one search; with the
    solver's result cache nothing is simulated twice across searches either. Layouts with
    corner-only contacts are not simulated when ``skip_corner_contacts`` (the problem rejects
    them anyway): they get total reflection (|S11| = 1, |S21| = 0).

    Args:
        solver: A :class:`rfdesign.solvers.base.Solver`.
        grid: The design space.
        f_ghz: Frequencies in GHz, shape ``F``.
        executor: Runs the simulations (``concurrent.futures`` interface); ``None`` = here.
        skip_corner_contacts: Do not simulate layouts with corner-only contacts.
        on_batch: Called as ``on_batch(simulated so far, new runs so far)`` after each batch.

    A run that fails (a timeout, a solver error) does not stop the search: the layout is
    scored as total reflection and listed in ``failed``.

    Attributes:
        simulated: Distinct layouts simulated or read from the cache.
        new_runs: Simulations actually run (not cache hits).
        failed: ``(bit string, first line of the error)`` of each failed run.
    """

    def __init__(
        self,
        solver,
        grid: PixelGrid,
        f_ghz: np.ndarray,
        executor=None,
        skip_corner_contacts: bool = True,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self.solver = solver
        self.grid = grid
        self.f_ghz = np.asarray(f_ghz, float)
        self.executor = executor
        self.skip_corner_contacts = skip_corner_contacts
        self.on_batch = on_batch
        self.networks: dict[bytes, object] = {}
        self.simulated = 0
        self.new_runs = 0
        self.failed: list[tuple[str, str]] = []

    def s(self, bits: np.ndarray) -> np.ndarray:
        """Complex S of each layout, ``N x F x 2 x 2`` (simulating the ones not seen yet)."""
        from rfdesign.layouts.layout import Layout

        bits = np.atleast_2d(np.asarray(bits)).astype(np.uint8)
        skip = np.zeros(len(bits), bool)
        if self.skip_corner_contacts:
            skip = corner_contact_counts(self.grid.masks(bits)) > 0
        todo = {
            b.tobytes(): b
            for b, sk in zip(bits, skip, strict=True)
            if not sk and b.tobytes() not in self.networks
        }
        if todo:
            layouts = [Layout.from_bits(self.grid, b) for b in todo.values()]
            if self.executor is None:
                nets = [simulate_or_error(self.solver, lay, self.f_ghz) for lay in layouts]
            else:
                futures = [
                    self.executor.submit(simulate_or_error, self.solver, lay, self.f_ghz)
                    for lay in layouts
                ]
                nets = [fut.result() for fut in futures]
            for key, lay, net in zip(todo, layouts, nets, strict=True):
                self.simulated += 1
                if isinstance(net, Exception):
                    self.failed.append((lay.bit_string, str(net).splitlines()[0]))
                    self.networks[key] = None
                    continue
                self.networks[key] = net
                self.new_runs += not net.rfdesign_info.get("cache_hit", False)
            if self.on_batch:
                self.on_batch(self.simulated, self.new_runs)
        out = np.zeros((len(bits), self.f_ghz.size, 2, 2), complex)
        out[:, :, 0, 0] = out[:, :, 1, 1] = 1.0
        for i, (b, sk) in enumerate(zip(bits, skip, strict=True)):
            net = None if sk else self.networks[b.tobytes()]
            if net is not None:
                out[i] = net.s
        return out

    def __call__(self, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """bits ``N x d`` -> (|S11| dB, |S21| dB), each ``N x F``."""
        return network_evaluator(self.s)(bits)


def simulate_or_error(solver, layout, f_ghz: np.ndarray):
    """``solver.simulate``, returning a :class:`SolverError` instead of raising it."""
    from rfdesign.solvers.base import SolverError

    try:
        return solver.simulate(layout, f_ghz)
    except SolverError as exc:
        return exc


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
