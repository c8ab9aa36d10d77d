"""Stage 3, verification: the verifying solver as the spec asks for it, candidates judged.

The top-k distinct candidates of the search are simulated full-wave (openEMS standard by
default), every result stored in the result cache as it arrives, so an interrupted run keeps
them. A run that fails (time-out, solver error) is recorded with its error and does not stop
the others. Each candidate is judged twice against the spec: on the search model's prediction
and on the solver's network (:class:`Candidates`), and each solver run is described by
:func:`run_record`: which solver, mesh and conductor model produced it, whether it came from
the cache, its flags (truncated time stepping, non-passive S) and, where the solver estimated
its mesh error, the range of the worst margin that error allows (:func:`margin_uncertainty`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.evaluation import evaluate_network, evaluate_response
from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.masks import SpecReport
from rfdesign.solvers.base import SolverError, solver_names
from rfdesign.spec import FilterSpec

NO_VERIFICATION = "none"

PASSIVITY_TOL = 1e-3
"""A network is flagged non-passive when the largest eigenvalue of S^H S exceeds 1 + this.

A lossless, converged run gives at most 1 up to round-off; openEMS runs cut off before the
field has decayed give more (a truncated run shows up as |S11|^2 + |S21|^2 > 1.01, ENV.md).
0.1 % is far above round-off and far below what changes a verdict."""


def max_power_gain(s: np.ndarray) -> float:
    """Largest eigenvalue of S^H S over frequency (> 1: the network creates power).

    Args:
        s: Complex S, ``F x n x n``.
    """
    s = np.asarray(s, complex)
    return float(np.linalg.eigvalsh(np.conj(np.swapaxes(s, -1, -2)) @ s).max())


def shifted_margin(spec: FilterSpec, net: Any, relative: float) -> float:
    """Worst margin (dB) of ``net``'s response moved up in frequency by ``relative``.

    The moved response at ``f`` is the simulated one at ``f / (1 + relative)`` (|S|
    interpolated linearly; beyond the sweep the end values hold).
    """
    f = net.frequency.f / 1e9
    g = f / (1 + relative)
    s11 = np.interp(g, f, np.abs(net.s[:, 0, 0]))
    s21 = np.interp(g, f, np.abs(net.s[:, 1, 0]))
    return evaluate_response(spec, f, s11, s21).worst_margin_db


def margin_uncertainty(spec: FilterSpec, net: Any) -> dict | None:
    """What the run's own mesh-error estimate allows for the worst margin, or ``None``.

    With a relative resonance error ``e`` (Richardson, ``mesh_error`` in the run
    information), the response is moved by ``-e`` and ``+e`` in frequency and judged again;
    the worst margin lies between the lowest and the highest of the three. Where no resonance
    could be matched between the two meshes, the largest |S| difference between them (in dB,
    scaled like the Richardson error) widens the margin instead.

    Returns:
        ``relative_error``, ``uncertainty_db`` (largest distance of a moved margin from the
        run's), ``worst_margin_range_db`` ``[low, high]``, ``basis`` (what the estimate came
        from) and ``coarser`` (the second mesh).
    """
    info = getattr(net, "rfdesign_info", None) or {}
    est = info.get("mesh_error")
    if not est:
        return None
    m = evaluate_network(spec, net).worst_margin_db
    rel = est.get("relative")
    if rel is not None:
        moved = [shifted_margin(spec, net, -rel), shifted_margin(spec, net, rel)]
        u = max(abs(x - m) for x in moved)
        low, high = min(m, *moved), max(m, *moved)
        basis = f"resonances +-{100 * rel:.2f} % (Richardson, {est['preset']} vs {est['coarser']})"
    else:
        u = est["max_delta_db"] / (est["ratio"] ** est["order"] - 1)
        low, high = m - u, m + u
        basis = f"no resonance matched; |S| difference {est['preset']} vs {est['coarser']}"
    return {
        "relative_error": rel,
        "uncertainty_db": float(u),
        "worst_margin_range_db": [float(low), float(high)],
        "basis": basis,
        "coarser": est["coarser"],
    }


def run_record(net: Any, spec: FilterSpec | None = None) -> dict:
    """What produced ``net`` and what is wrong with it, JSON-ready.

    Keys: ``solver``, ``preset`` (mesh), ``conductor``, ``housing`` (side boundary),
    ``cells``, ``timesteps``, ``cache_hit``, ``max_power_gain``, ``truncated`` (the solver
    stopped at its time-step limit or the run gains power by more than 1 %), ``passive``
    (``max_power_gain <= 1 + PASSIVITY_TOL``), ``uncertainty`` (:func:`margin_uncertainty`
    against ``spec``, ``None`` without an estimate) and ``flags``, the list of what applies
    (``"truncated"``, ``"non-passive"``, ``"within-mesh-error"``: the verdict would change
    somewhere inside the estimated mesh error).
    """
    info = dict(getattr(net, "rfdesign_info", None) or {})
    settings = info.get("settings") or {}
    gain = max_power_gain(net.s)
    passive = gain <= 1 + PASSIVITY_TOL
    truncated = bool(info.get("truncated", False))
    unc = margin_uncertainty(spec, net) if spec is not None else None
    undecided = bool(unc) and unc["worst_margin_range_db"][0] <= 0 < unc["worst_margin_range_db"][1]
    flags = (
        ("truncated", truncated),
        ("non-passive", not passive),
        ("within-mesh-error", undecided),
    )
    return {
        "solver": info.get("solver"),
        "preset": settings.get("preset", info.get("preset")),
        "conductor": settings.get("conductor"),
        "housing": settings.get("side_boundary"),
        "cells": info.get("cells"),
        "timesteps": info.get("timesteps"),
        "cache_hit": bool(info.get("cache_hit", False)),
        "max_power_gain": gain,
        "truncated": truncated,
        "passive": passive,
        "uncertainty": unc,
        "flags": [f for f, on in flags if on],
    }


def verifiers() -> list[str]:
    """What ``verify`` may name: every registered solver, or ``"none"``."""
    return [*solver_names(), NO_VERIFICATION]


def housing_options(spec: FilterSpec, verify: str) -> dict:
    """Solver options that model the spec's housing (``solver.housing``) for ``verify``.

    A channel housing becomes PEC side walls and lid in openEMS and Palace; Meep has no such
    model, so verifying a channel-housed design with it is refused (its open boundaries would
    add the radiation the housing removes). An open design in Palace gets absorbing walls and
    lid at openEMS's distances (its open model's side margin and air height), so that both
    engines model the same domain. The circuit model has no housing either way.
    """
    s = spec.solver
    if s.housing == "open":
        if verify == "palace":
            from rfdesign.solvers.openems import OpenEMSSettings

            domain = OpenEMSSettings()
            return {
                "side_boundary": "absorbing",
                "side_margin_mm": domain.side_margin_mm,
                "air_height_mm": domain.air_height_mm,
            }
        return {}
    if verify == "meep":
        raise ValueError(
            "verify: meep cannot model solver.housing 'channel' (its boundaries are open); "
            "verify with openems"
        )
    return {
        "side_boundary": "PEC",
        "side_margin_mm": s.wall_gap_mm,
        "air_height_mm": s.lid_height_mm,
    }


def verification_settings(
    spec: FilterSpec, verify: str, preset: str | None = None, timeout_s: float | None = None
):
    """Settings of solver ``verify`` as ``spec`` asks for them.

    Preset, threads, time-out and housing; options the solver does not have are left out, and
    a preset it does not know is rejected by its settings (Meep has no 'reference' mesh).
    openEMS merges near metal edges in a spec's runs (``merge_near_edges``: a tuned comb's
    micron cells otherwise set the time step; docs/solvers.md).
    The spec's ``solver.timeout_s`` is a limit for the spec's own solver: another engine
    (a cross-check) keeps its own default limit unless ``timeout_s`` is given (Palace on a
    fine mesh runs an hour where openEMS runs minutes).

    Args:
        spec: The filter spec.
        verify: A registered solver name.
        preset: Mesh preset instead of the spec's ``solver.preset``.
        timeout_s: Wall-time limit per run instead of the one described above.
    """
    from rfdesign.solvers.base import get_solver_class, settings_from_options

    preset = preset or spec.solver.preset
    options = {}
    cls = get_solver_class(verify)
    coarser_preset = getattr(cls, "coarser_preset", None)  # solvers with an error estimate
    if coarser_preset is not None:
        coarser = coarser_preset(preset)
        options["error_estimate"] = spec.solver.error_estimate and coarser is not None
    if timeout_s is not None:
        options["timeout_s"] = timeout_s
    elif verify == spec.solver.name:
        options["timeout_s"] = spec.solver.timeout_s
    fields = {f.name for f in dataclasses.fields(cls.settings_type)}
    if spec.solver.feed_length_mm is not None and "feed_length_mm" in fields:
        options["feed_length_mm"] = spec.solver.feed_length_mm
    if "merge_near_edges" in fields:  # a spec's design and verification runs (time step)
        options["merge_near_edges"] = True
    if spec.solver.conductor != "pec":
        if "conductor" not in fields:
            raise ValueError(
                f"solver.conductor: {verify} has no {spec.solver.conductor!r} conductor model "
                "(only openems models the metal's loss)"
            )
        options["conductor"] = spec.solver.conductor
    return settings_from_options(
        cls,
        preset=preset,
        threads=spec.solver.threads,
        **options,
        **housing_options(spec, verify),
    )


def default_cache_dir() -> Path:
    """Full-wave result cache shared by design runs (``$RFDESIGN_CACHE/results``)."""
    from rfdesign.core.paths import cache_base

    return cache_base() / "results"


def make_verifier(
    spec: FilterSpec,
    verify: str,
    cache_dir: str | Path | None = None,
    *,
    preset: str | None = None,
    timeout_s: float | None = None,
) -> tuple[Any, str | None]:
    """The verifying solver and its description for reports (``(None, None)`` for none).

    The description names the solver, its mesh preset and a channel housing, e.g.
    ``"openems (standard)"``. ``preset`` and ``timeout_s`` as for
    :func:`verification_settings`.
    """
    from rfdesign.solvers.base import ResultCache, get_solver_class

    if verify == NO_VERIFICATION:
        return None, None
    settings = verification_settings(spec, verify, preset, timeout_s)
    solver = get_solver_class(verify)(settings, cache=ResultCache(cache_dir or default_cache_dir()))
    housing = ", channel housing" if spec.solver.housing == "channel" else ""
    return solver, f"{verify} ({getattr(settings, 'preset', 'default')}{housing})"


def design_solver(
    spec: FilterSpec,
    verify: str,
    cache_dir: str | Path | None = None,
    *,
    preset: str | None = None,
    **overrides: Any,
) -> Any:
    """The spec's solver for runs inside a design: as it verifies, without a mesh-error run.

    A design's own runs (tuning, space mapping, a loss check on the verified mesh) want one
    run each; the verification adds the estimate. ``overrides`` replace settings (e.g.
    ``conductor="sheet"``).
    """
    from rfdesign.solvers.base import ResultCache, get_solver_class

    settings = verification_settings(spec, verify, preset=preset)
    if hasattr(settings, "error_estimate"):
        overrides = {"error_estimate": False, **overrides}
    settings = dataclasses.replace(settings, **overrides)
    return get_solver_class(verify)(settings, cache=ResultCache(cache_dir or default_cache_dir()))


@dataclass(frozen=True)
class Candidates:
    """The search's candidates, predicted and (where a solver verifies) simulated.

    Attributes:
        layouts: The candidate layouts, best predicted first.
        predicted: The search model's networks (``skrf.Network``).
        verified: The verifying solver's networks, ``None`` each without verification.
        reports_predicted: Spec reports of :attr:`predicted`.
        reports_verified: Spec reports of :attr:`verified` (``None`` where not verified).
        cached: Verification runs read from the result cache.
        errors: The first line of the solver's error for each candidate whose run failed,
            else ``None``.
        runs: :func:`run_record` of each verified network (``None`` where not verified).
    """

    layouts: list[Layout]
    predicted: list[Any]
    verified: list[Any]
    reports_predicted: list[SpecReport]
    reports_verified: list[SpecReport | None]
    cached: int = 0
    errors: list[str | None] | None = None
    runs: list[dict | None] | None = None

    def final_report(self, i: int) -> SpecReport:
        """Candidate ``i``'s verified report, else its predicted one."""
        return self.reports_verified[i] or self.reports_predicted[i]

    @property
    def new_runs(self) -> int:
        """Verification runs this call actually ran (not cache hits, not failures)."""
        return sum(1 for r in self.runs or [] if r is not None and not r["cache_hit"])

    @property
    def failed(self) -> int:
        """Verification runs that failed."""
        return sum(e is not None for e in self.errors or [])

    def best(self) -> int:
        """Index of the best candidate, judged as the report judges.

        Verified candidates before unverified ones (a failed run is not judged on its
        prediction while others were verified), then passing first, then the largest worst
        margin, then the lowest K.
        """
        any_verified = any(r is not None for r in self.reports_verified)

        def rank(i: int) -> tuple:
            rep = self.final_report(i)
            unverified = any_verified and self.reports_verified[i] is None
            return (unverified, not rep.passed, -rep.worst_margin_db, rep.K)

        return min(range(len(self.layouts)), key=rank)

    def records(self) -> list[dict]:
        """One JSON-ready row per candidate for the design report."""
        rows = []
        errors = self.errors or [None] * len(self.layouts)
        runs = self.runs or [None] * len(self.layouts)
        for lay, rp, rv, err, run in zip(
            self.layouts, self.reports_predicted, self.reports_verified, errors, runs, strict=True
        ):
            rows.append(
                {
                    "bits": lay.bit_string,
                    "K_predicted": rp.K,
                    "worst_margin_predicted_db": rp.worst_margin_db,
                    "K_verified": rv.K if rv else None,
                    "worst_margin_verified_db": rv.worst_margin_db if rv else None,
                    "passed": rv.passed if rv else (None if err else rp.passed),
                    "corner_contacts": len(lay.connectivity.corner_contacts),
                    "run": run,
                    "error": err,
                }
            )
        return rows


def verify_candidates(
    spec: FilterSpec,
    bits: np.ndarray,
    grid,
    f_model: np.ndarray,
    predict_s: Callable[[np.ndarray], np.ndarray],
    solver=None,
    executor: Executor | None = None,
    say: Callable[[str, int, int], None] = lambda *a: None,
) -> Candidates:
    """Predict, simulate (if ``solver``) and judge the candidate layouts ``bits`` (``k x d``)."""
    from rfdesign.solvers.base import make_network

    predicted = [make_network(f_model, s, name="surrogate") for s in predict_s(bits)]
    layouts = [Layout.from_bits(grid, b) for b in bits]
    verified: list[Any] = [None] * len(layouts)
    errors: list[str | None] = [None] * len(layouts)
    if solver is not None:
        say("verify", 0, len(layouts))
        results = simulate_each(solver, layouts, spec.frequencies_ghz(), executor, say)
        for i, res in enumerate(results):
            if isinstance(res, SolverError):
                errors[i] = str(res).splitlines()[0]
            else:
                verified[i] = res
    runs = [run_record(n, spec) if n is not None else None for n in verified]
    return Candidates(
        layouts=layouts,
        predicted=predicted,
        verified=verified,
        reports_predicted=[evaluate_network(spec, n) for n in predicted],
        reports_verified=[evaluate_network(spec, n) if n is not None else None for n in verified],
        cached=sum(1 for r in runs if r is not None and r["cache_hit"]),
        errors=errors,
        runs=runs,
    )


def simulate_each(
    solver,
    layouts: list[Layout],
    f_ghz: np.ndarray,
    executor: Executor | None = None,
    say: Callable[[str, int, int], None] = lambda *a: None,
) -> list[Any]:
    """Simulate every layout; a failed run gives its :class:`SolverError`, not an exception.

    Each result is in the solver's cache as soon as it arrives, and progress is reported
    per finished run as ``say("verify", done, total)``.
    """
    from concurrent.futures import as_completed

    from rfdesign.optimizers.problems import simulate_or_error

    out: list[Any] = [None] * len(layouts)
    if executor is None:
        for i, lay in enumerate(layouts):
            out[i] = simulate_or_error(solver, lay, f_ghz)
            say("verify", i + 1, len(layouts))
        return out
    futures = {
        executor.submit(simulate_or_error, solver, lay, f_ghz): i for i, lay in enumerate(layouts)
    }
    for n, fut in enumerate(as_completed(futures), 1):
        out[futures[fut]] = fut.result()
        say("verify", n, len(layouts))
    return out
