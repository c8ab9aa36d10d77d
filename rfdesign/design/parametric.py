"""The result of a parametric design (comb, stepped line): one record for every method.

A parametric method sizes a layout itself and verifies it on the spec's solver; what it
hands back is always the same :class:`~rfdesign.design.result.DesignResult` with its own
search record, its coarse model's prediction and how many solver runs it took.
"""

from __future__ import annotations

from typing import Any

from rfdesign.evaluation import evaluate_network
from rfdesign.layouts.layout import Layout
from rfdesign.spec import FilterSpec


def parametric_result(
    spec: FilterSpec,
    *,
    layout: Layout,
    predicted: Any,
    verified: Any,
    verified_by: str | None,
    solver: Any,
    verify: str,
    search: dict,
    model: str,
    design_runs: int,
    wall_s: float,
    solver_s: float,
) -> Any:
    """The :class:`~rfdesign.design.result.DesignResult` of a parametric design.

    Args:
        spec: The spec.
        layout: The designed layout.
        predicted: The coarse model's network of it.
        verified: The verifying solver's network.
        verified_by: Its description.
        solver: The verifying solver (for its settings).
        verify: Its registry name.
        search: The method's record (algorithm, history, its own keys, tolerance...).
        model: What ``predicted`` is, for the report.
        design_runs: Solver runs the design itself took (cache hits included).
        wall_s: Wall time of the design.
        solver_s: Solver seconds of the design's runs as first computed.
    """
    from rfdesign.core.version import __version__
    from rfdesign.design import sensitivity
    from rfdesign.design.result import DesignResult
    from rfdesign.design.verify import run_record
    from rfdesign.solvers.base import get_solver_class

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
