"""The result of a parametric design (comb, stepped line): one record for every method.

A parametric method sizes a layout itself and verifies it on the spec's solver; what it
hands back is always the same :class:`~rfdesign.design.result.DesignResult` with its own
search record, its coarse model's prediction and how many solver runs it took.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rfdesign.evaluation import evaluate_network
from rfdesign.layouts.layout import Layout
from rfdesign.spec import FilterSpec


def parametric_result(
    spec: FilterSpec,
    *,
    layout: Layout,
    predicted: Any,
    verify: str,
    cache_dir: str | Path | None,
    progress: Callable[[str, int, int], None],
    tolerance: Callable[[Any], Any],
    search: dict,
    model: str,
    design_runs: int,
    wall_s: float,
    solver_s: float,
) -> Any:
    """Verify a parametric design, judge its tolerance and return its ``DesignResult``.

    The layout is run on the spec's solver and mesh (with its mesh-error estimate where the
    solver has one); ``design.tolerance_um > 0`` adds the Monte Carlo yield
    (:mod:`rfdesign.design.tolerance`) to the search record.

    Args:
        spec: The spec.
        layout: The designed layout.
        predicted: The coarse model's network of it.
        verify: The verifying solver's registry name.
        cache_dir: The result cache (default: the shared one).
        progress: ``(stage, done, total)`` callback.
        tolerance: ``verified network -> ToleranceResult`` of the method's tuned model.
        search: The method's record (algorithm, history, its own keys...).
        model: What ``predicted`` is, for the report.
        design_runs: Solver runs the design itself took (cache hits included).
        wall_s: Wall time of the design.
        solver_s: Solver seconds of the design's runs as first computed.
    """
    from rfdesign.core.version import __version__
    from rfdesign.design import sensitivity
    from rfdesign.design.result import DesignResult
    from rfdesign.design.verify import make_verifier, run_record
    from rfdesign.solvers.base import get_solver_class

    solver, verified_by = make_verifier(spec, verify, cache_dir)
    progress("verify", 0, 1)
    verified = solver.simulate(layout, spec.frequencies_ghz())
    progress("verify", 1, 1)
    if spec.design.tolerance_um > 0:
        progress("tolerance", 0, 1)
        search = {**search, "tolerance": tolerance(verified).to_dict()}
        progress("tolerance", 1, 1)
    else:
        search = {**search, "tolerance": None}
    sens, corner = sensitivity.not_computed(layout.grid)
    info = verified.rfdesign_info or {}
    # the spec's mesh is the design's last run (from the cache); a mesh-error estimate adds
    # its coarser mesh, one run of its own
    runs = design_runs + (0 if info.get("cache_hit") and "mesh_error" not in info else 1)
    return DesignResult(
        spec=spec,
        layout=layout,
        predicted=predicted,
        verified=verified,
        report_predicted=evaluate_network(spec, predicted),
        report_verified=evaluate_network(spec, verified),
        verified_by=verified_by,
        candidates=[],
        search=search,
        sensitivity_db=sens,
        sensitivity_corner=corner,
        provenance={
            "rfdesign": __version__,
            "surrogate": model,
            "surrogate_training": None,
            "verify": verify,
            "solver_settings": solver.settings_dict(),
            "spec_hash": spec.content_hash(),
            "seed": None,
            "solver_runs": {
                "solver": verify,
                "fullwave": get_solver_class(verify).fidelity == "fullwave",
                "search": design_runs,
                "search_cached": 0,
                "verification": runs - design_runs,
                "verification_cached": 0,
                "refine": 0,
                "total": runs,
            },
            "fullwave_runs": runs,
            "wall_s": wall_s,
            # what the design costs from an empty cache: every run's solver time as computed
            "solver_s": solver_s + float(info.get("wall_s", 0.0)),
        },
        verified_run=run_record(verified, spec),
    )
