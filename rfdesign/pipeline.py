"""Design a filter from a spec, end to end: surrogate -> search -> full-wave verification.

``design_filter(spec)`` is what ``rfdesign design SPEC`` runs:

1. the evaluator: the shipped CNN of the spec's grid (``surrogate="auto"``), a checkpoint
   folder, the circuit model (``"circuit"``; also the fallback when no CNN exists), or the
   verifying solver itself (``"solver"``: every search evaluation is a cached full-wave run,
   for small grids or when no surrogate of the grid is good enough);
2. the search on it (:mod:`rfdesign.optimizers.ga`): exhaustive when the grid has at most
   2^20 layouts (``search.algorithm: auto``; on the solver only when the space fits in the
   GA's budget of population x generations), else the GA; corner-only contacts forbidden
   unless the spec allows them;
3. the top-k distinct candidates simulated full-wave (openEMS standard by default), every
   result stored in the result cache as it arrives, so an interrupted run keeps them;
4. the best verified candidate (passing first, then lowest K);
5. optionally (``refine="space-mapping"``) its column widths and row heights refined by space
   mapping with a few more full-wave runs (:mod:`rfdesign.refine`);
6. its reports, the surrogate's sensitivity map and the provenance -> :class:`DesignResult`.

A spec no layout can meet ends with the best margins found, never with an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.evaluation import evaluate_network, spec_mask_set
from rfdesign.layouts.grid import corner_contact_counts
from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.ga import EXHAUSTIVE_LIMIT_BITS, exhaustive, random_search, run_ga
from rfdesign.optimizers.problems import (
    PixelFilterProblem,
    PixelTradeoffProblem,
    SolverEvaluator,
    network_evaluator,
    surrogate_evaluator,
)
from rfdesign.results import DesignResult
from rfdesign.spec import FilterSpec

VERIFIERS = ("openems", "meep", "circuit", "none")
REFINERS = ("none", "space-mapping")
SEEDERS = ("none", "gan")


def housing_options(spec: FilterSpec, verify: str) -> dict:
    """Solver options that model the spec's housing (``solver.housing``) for ``verify``.

    A channel housing becomes PEC side walls and lid in openEMS; Meep has no such model, so
    verifying a channel-housed design with it is refused (its open boundaries would add the
    radiation the housing removes). The circuit model has no housing either way.
    """
    s = spec.solver
    if s.housing == "open":
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


def verification_settings(spec: FilterSpec, verify: str):
    """Settings of solver ``verify`` as ``spec`` asks for them.

    Preset, threads, time-out and housing; options the solver does not have are left out, and
    a preset it does not know is rejected by its settings (Meep has no 'reference' mesh).
    """
    from rfdesign.solvers.base import get_solver_class, settings_from_options

    return settings_from_options(
        get_solver_class(verify),
        preset=spec.solver.preset,
        threads=spec.solver.threads,
        timeout_s=spec.solver.timeout_s,
        **housing_options(spec, verify),
    )


def default_cache_dir() -> Path:
    """Full-wave result cache shared by design runs (``$RFDESIGN_CACHE/results``)."""
    from rfdesign.paths import cache_base

    return cache_base() / "results"


def search_evaluator(
    spec: FilterSpec, grid, surrogate: str | Path, solver=None, executor=None, say=None
):
    """The search's evaluator and the complex model behind it.

    ``solver`` (the verifying solver, ``None`` without verification) and ``executor`` serve
    ``surrogate="solver"``, which searches on the solver itself.

    Returns:
        ``(evaluator, predict_s, f_ghz, description, full-wave training runs)``; ``predict_s``
        maps bits ``N x d`` to complex S ``N x F x 2 x 2`` at ``f_ghz``.
    """
    from rfdesign.solvers.circuit import simulate_bits
    from rfdesign.surrogates.base import load_shipped, load_surrogate, shipped_names

    model = None
    if surrogate == "solver":
        if solver is None:
            raise ValueError(
                "surrogate: 'solver' searches on the verifying solver; choose --verify "
                "openems, meep or circuit, not none"
            )
        f = np.asarray(spec.frequencies_ghz(), float)
        budget = spec.search.population * spec.search.generations
        evaluator = SolverEvaluator(
            solver,
            grid,
            f,
            executor=executor,
            skip_corner_contacts=not spec.search.allow_corner_contacts,
            on_batch=(lambda n, new: say("search", n, budget)) if say else None,
        )
        return evaluator, evaluator.s, f, f"{solver.name} itself (no surrogate)", 0
    if surrogate == "auto":
        surrogate = "circuit"
        if grid.name in shipped_names():
            shipped = load_shipped(grid.name)
            if shipped.grid.key() == grid.key():  # not the same name on another substrate
                model, surrogate = shipped, grid.name
    if surrogate == "circuit":
        f = np.asarray(spec.frequencies_ghz(), float)

        def simulate(bits: np.ndarray) -> np.ndarray:
            return simulate_bits(grid, bits, f, n_threads=2)

        return network_evaluator(simulate), simulate, f, "circuit model", 0
    if isinstance(surrogate, str) and surrogate in shipped_names():
        model, desc = model or load_shipped(surrogate), f"shipped CNN {surrogate}"
    else:
        model, desc = load_surrogate(surrogate), f"checkpoint {surrogate}"
    if getattr(model, "grid", None) is None or model.grid.key() != grid.key():
        raise ValueError(f"surrogate: {desc} was not trained for the spec's grid {grid.name!r}")
    runs = int(model.record.get("provenance", {}).get("samples", 0))
    return surrogate_evaluator(model), model.predict, np.asarray(model.f_ghz), desc, runs


def _nsga2(problem: PixelFilterProblem, search, seed: int):
    """NSGA-II on the four trade-off objectives; the Pareto set ranked by K for verification.

    Returns:
        ``(SearchResult, pareto)`` where ``pareto`` lists every non-dominated layout with its
        objectives (-RL margin, -rejection margin, -IL margin in dB, metal area in mm^2).
    """
    from rfdesign.optimizers.ga import SearchResult

    trade = PixelTradeoffProblem(
        problem.grid, problem.masks, problem.evaluator, problem.allow_corner_contacts
    )
    front = run_ga(
        trade,
        pop_size=search.population,
        generations=search.generations,
        seed=seed,
        multi_objective=True,
    )
    out = problem.evaluate(front.bits, return_as_dictionary=True)
    cv = np.maximum(np.atleast_2d(out["G"]), 0).sum(axis=1)
    order = np.lexsort((out["F"][:, 0], cv > 0))[: search.top_k]
    found = SearchResult(
        algorithm="nsga2",
        bits=front.bits[order],
        objective=out["F"][order, 0],
        feasible=cv[order] <= 0,
        evaluations=front.evaluations,
        history=front.history,
        seed=seed,
    )
    pareto = [
        {"bits": "".join(map(str, b)), "objectives": [float(v) for v in f]}
        for b, f in zip(front.bits, np.atleast_2d(front.objective), strict=True)
    ]
    return found, pareto


def sensitivity_map(problem: PixelFilterProblem, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Worst-margin change (dB) per flipped free cell, and which flips add corner contacts.

    Returns:
        ``(delta, corner)``, each ``n_rows x n_cols`` of the designed half; fixed cells NaN.
    """
    grid = problem.grid
    flips = np.repeat(bits[None].astype(np.uint8), grid.n_bits + 1, axis=0)
    idx = np.arange(grid.n_bits)
    flips[idx + 1, idx] ^= 1
    worst = problem.margins(flips).min(axis=1)
    corners = corner_contact_counts(grid.masks(flips))
    delta = np.full((grid.n_rows, grid.n_cols), np.nan)
    corner = np.zeros((grid.n_rows, grid.n_cols), bool)
    for k, (r, c) in enumerate(grid.free_cells):
        delta[r, c] = worst[k + 1] - worst[0]
        corner[r, c] = corners[k + 1] > corners[0]
    return delta, corner


def design_filter(
    spec: FilterSpec,
    *,
    surrogate: str | Path = "auto",
    verify: str | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    refine: str = "none",
    refine_budget: int = 3,
    seed_from: str = "none",
    gan: Any = None,
) -> DesignResult:
    """Design a layout for ``spec`` and verify it.

    Args:
        spec: The validated filter spec.
        surrogate: ``"auto"`` (shipped CNN of the grid, else circuit), ``"circuit"``, a
            shipped grid name, a checkpoint folder, or ``"solver"`` (search on the verifying
            solver itself; its runs are counted as full-wave search runs).
        verify: ``"openems"``, ``"meep"``, ``"circuit"`` or ``"none"``; default: the spec's
            solver.
        out: Write the result files here.
        seed: Overrides ``spec.search.seed``.
        executor: Runs the verification simulations (``concurrent.futures`` interface).
        cache_dir: Full-wave result cache (default :func:`default_cache_dir`).
        progress: Called as (stage, done, total).
        refine: ``"none"`` or ``"space-mapping"``: refine the winner's column widths and row
            heights with the circuit model (coarse) and the verifying solver (fine), see
            :mod:`rfdesign.refine`; kept only if the solver says it is better.
        refine_budget: Fine runs the refinement may spend.
        seed_from: ``"none"`` or ``"gan"``: put layouts proposed by the grid's layout GAN
            for the spec (:func:`rfdesign.inverse_design.propose_for_spec`, up to half the
            population) into the GA's first population, after ``search.initial``. Ignored
            by exhaustive search (recorded in the provenance).
        gan: The GAN for ``seed_from="gan"``: a ``LayoutGAN``, a folder, or ``None`` for
            the grid's default folder (``$RFDESIGN_CACHE/gan``).

    Returns:
        The :class:`DesignResult` (also saved to ``out`` when given).
    """
    from rfdesign import __version__
    from rfdesign.solvers.base import (
        ResultCache,
        get_solver_class,
        make_network,
    )

    t0 = time.perf_counter()
    verify = verify or spec.solver.name
    if verify not in VERIFIERS:
        raise ValueError(f"verify: {verify!r} is not one of {', '.join(VERIFIERS)}")
    if refine not in REFINERS:
        raise ValueError(f"refine: {refine!r} is not one of {', '.join(REFINERS)}")
    if seed_from not in SEEDERS:
        raise ValueError(f"seed_from: {seed_from!r} is not one of {', '.join(SEEDERS)}")
    if refine != "none" and verify == "none":
        raise ValueError("refine: space mapping needs a fine model; choose --verify, not none")
    say = progress or (lambda *a: None)
    grid = spec.pixel_grid()
    search = spec.search
    seed = search.seed if seed is None else seed
    solver, verified_by = None, None
    if verify != "none":
        settings = verification_settings(spec, verify)
        solver = get_solver_class(verify)(
            settings, cache=ResultCache(cache_dir or default_cache_dir())
        )
        housing = ", channel housing" if spec.solver.housing == "channel" else ""
        verified_by = f"{verify} ({getattr(settings, 'preset', 'default')}{housing})"
    evaluator, predict_s, f_model, surrogate_desc, training_runs = search_evaluator(
        spec, grid, surrogate, solver, executor, say
    )
    on_solver = isinstance(evaluator, SolverEvaluator)
    masks = spec_mask_set(spec, f_model)
    problem = PixelFilterProblem(grid, masks, evaluator, search.allow_corner_contacts)

    algorithm = search.algorithm
    budget = search.population * search.generations
    if algorithm == "auto":
        limit = EXHAUSTIVE_LIMIT_BITS
        if on_solver:
            limit = min(limit, int(np.log2(budget)))
        algorithm = "exhaustive" if grid.n_bits <= limit else "ga"
    seeding = None
    if seed_from == "gan":
        seeding = {"from": "gan", "proposals": 0, "used": algorithm == "ga"}
    initial = np.array([list(map(int, b)) for b in search.initial], np.uint8)
    initial = initial.reshape(len(initial), grid.n_bits)
    if seeding is not None and seeding["used"]:
        from rfdesign.inverse_design import propose_for_spec

        room = max(1, search.population // 2)
        proposals = propose_for_spec(spec, room, gan, seed)
        seeding["proposals"] = len(proposals)
        initial = np.concatenate([initial, proposals])[: search.population]
    say("search", 0, budget if on_solver else 1)
    if algorithm == "exhaustive":
        found = exhaustive(problem, top_k=search.top_k)
    elif algorithm == "nsga2":
        found, pareto = _nsga2(problem, search, seed)
    elif algorithm == "random":
        found = random_search(problem, budget, seed=seed, top_k=search.top_k)
    else:
        found = run_ga(
            problem,
            pop_size=search.population,
            generations=search.generations,
            seed=seed,
            top_k=search.top_k,
            initial=initial if len(initial) else None,
            multi_objective=False,
        )
    if not on_solver:
        say("search", 1, 1)
    if algorithm != "nsga2":
        pareto = None

    cand_bits = found.bits
    predicted = [make_network(f_model, s, name="surrogate") for s in predict_s(cand_bits)]
    layouts = [Layout.from_bits(grid, b) for b in cand_bits]
    reports_pred = [evaluate_network(spec, n) for n in predicted]

    verified: list[Any] = [None] * len(layouts)
    cached = 0
    if solver is not None:
        done = [0]

        def on_result(i: int, net: Any) -> None:
            done[0] += 1
            say("verify", done[0], len(layouts))

        say("verify", 0, len(layouts))
        verified = solver.simulate_batch(
            layouts, spec.frequencies_ghz(), executor=executor, on_result=on_result
        )
        cached = sum(bool(getattr(n, "rfdesign_info", {}).get("cache_hit")) for n in verified)
    reports_ver = [evaluate_network(spec, n) if n is not None else None for n in verified]

    candidates = []
    for i, b in enumerate(cand_bits):
        rv = reports_ver[i]
        candidates.append(
            {
                "bits": "".join(map(str, b)),
                "K_predicted": reports_pred[i].K,
                "worst_margin_predicted_db": reports_pred[i].worst_margin_db,
                "K_verified": rv.K if rv else None,
                "worst_margin_verified_db": rv.worst_margin_db if rv else None,
                "passed": rv.passed if rv else reports_pred[i].passed,
            }
        )
    final = [r or p for r, p in zip(reports_ver, reports_pred, strict=True)]
    best = min(range(len(final)), key=lambda i: (not final[i].passed, final[i].K))
    if on_solver and grid.n_bits + 1 > budget:
        # One full-wave run per free cell would cost more than the whole search: skip it.
        delta = np.full((grid.n_rows, grid.n_cols), np.nan)
        corner = np.zeros((grid.n_rows, grid.n_cols), bool)
    else:
        delta, corner = sensitivity_map(problem, cand_bits[best])
    layout, verified_net, report_ver = layouts[best], verified[best], reports_ver[best]
    refined = None
    if refine != "none" and solver is not None:
        from rfdesign.refine import refine_sizes

        say("refine", 0, refine_budget)
        refined = refine_sizes(spec, layout, solver, verified_net, budget=refine_budget)
        say("refine", refined.fine_runs, refine_budget)
        if refined.improved:
            layout, verified_net = refined.layout, refined.network
            report_ver = evaluate_network(spec, verified_net)
    n_search = evaluator.new_runs if on_solver else 0
    search_failed = evaluator.failed if on_solver else []
    # on the solver, the candidates were simulated by the search: verifying them costs nothing
    n_ver = 0 if verify == "none" or on_solver else len(layouts)
    provenance = {
        "rfdesign": __version__,
        "surrogate": surrogate_desc,
        "verify": verify,
        "solver_settings": None if verify == "none" else solver.settings_dict(),
        "spec_hash": spec.content_hash(),
        "seed": seed,
        "seeded": seeding,
        "fullwave_runs": {
            "training": training_runs,
            "search": n_search,
            "verification": n_ver,
            "verification_cached": cached,
            "refine": refined.fine_runs if refined else 0,
            "total": training_runs + n_search + n_ver + (refined.fine_runs if refined else 0),
        },
        "search_failed_runs": [{"bits": b, "error": e} for b, e in search_failed],
        "wall_s": time.perf_counter() - t0,
    }
    result = DesignResult(
        spec=spec,
        layout=layout,
        predicted=predicted[best],
        verified=verified_net,
        report_predicted=reports_pred[best],
        report_verified=report_ver,
        verified_by=verified_by,
        candidates=candidates,
        search={
            "algorithm": found.algorithm,
            "evaluations": found.evaluations,
            "seed": found.seed,
            "history": [[int(a), float(b)] for a, b in found.history],
            "pareto": pareto,
            "refine": None
            if refined is None
            else {
                "method": refined.method,
                "improved": refined.improved,
                "worst_margin_before_db": refined.worst_margin_before_db,
                "worst_margin_after_db": refined.worst_margin_after_db,
                "fine_runs": refined.fine_runs,
                "column_widths_mm": list(refined.layout.grid.column_widths_mm),
                "row_heights_mm": list(refined.layout.grid.row_heights_mm),
                "history": refined.history,
                "mapping": refined.mapping,
            },
        },
        sensitivity_db=delta,
        sensitivity_corner=corner,
        provenance=provenance,
    )
    if out is not None:
        result.save(out)
    return result
