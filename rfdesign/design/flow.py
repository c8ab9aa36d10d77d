"""Design a filter from a spec, end to end, as a short list of named stages.

``design_filter(spec)`` is what ``rfdesign design SPEC`` runs. Each stage has a typed result
and lives in its own module:

1. **evaluator** (:mod:`~rfdesign.design.evaluator`) -> :class:`SearchModel`: the shipped CNN,
   a checkpoint, the circuit model or the verifying solver itself;
2. **search** (:mod:`~rfdesign.design.search`) -> :class:`SearchOutcome`: the method the
   spec names, from the registry of search methods (``auto``: exhaustive up to 2^20 layouts,
   else the GA), its first population seeded by ``search.initial`` and, with
   ``seed_from="gan"``, by the grid's layout GAN (:mod:`~rfdesign.design.inverse`);
3. **verify** (:mod:`~rfdesign.design.verify`) -> :class:`Candidates`: the top-k distinct
   candidates simulated full-wave (each result cached as it arrives) and judged; the best
   verified candidate wins (passing first, then lowest K);
4. **refine** (:mod:`~rfdesign.design.refine`) -> :class:`RefineResult`: optionally, the
   winner's column widths and row heights by space mapping, kept only if the solver says so;
5. **report** (:mod:`~rfdesign.design.result`) -> :class:`DesignResult`: both reports, the
   sensitivity map (:mod:`~rfdesign.design.sensitivity`) and the provenance;
6. **cross-check** (:mod:`~rfdesign.design.crosscheck`) -> :class:`CrossCheck`: optionally,
   the chosen layout on a second engine, its verdict and the spread between the engines.

A spec no layout can meet ends with the best margins found, never with an exception; a
solver run that fails in any stage (search, verify, refine) is recorded and the design goes
on with what was computed. Progress goes to the ``progress`` callback and, one line per stage
step, to the ``rfdesign.design`` logger (INFO), so a non-interactive run shows it in its log.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.core.paths import check_writable_dir
from rfdesign.core.progress import TenthSteps
from rfdesign.core.threads import one_blas_thread
from rfdesign.core.version import __version__
from rfdesign.design import loss, sensitivity
from rfdesign.design.choose import (
    DesignNotPossible,
    DesignStopped,
    OutOfReach,
    resolved,
    write_not_designed,
    write_not_possible,
)
from rfdesign.design.evaluator import SearchModel, search_model
from rfdesign.design.refine import RefineResult
from rfdesign.design.result import DesignResult
from rfdesign.design.search import SearchContext, choose_algorithm, run_search
from rfdesign.design.verify import (
    Candidates,
    default_cache_dir,
    make_verifier,
    run_record,
    verifiers,
    verify_candidates,
)
from rfdesign.evaluation import evaluate_network, spec_mask_set
from rfdesign.optimizers.problems import PixelFilterProblem
from rfdesign.solvers.base import SolverError
from rfdesign.spec import FilterSpec

log = logging.getLogger(__name__)

REFINERS = ("none", "space-mapping")
SEEDERS = ("none", "gan")


@dataclass(frozen=True)
class DesignOptions:
    """How :func:`design_filter` runs (checked on construction, before any work).

    Attributes:
        surrogate: ``"auto"`` (shipped CNN of the grid, else circuit), ``"circuit"``, a
            shipped grid name, a checkpoint folder, or ``"solver"`` (search on the verifying
            solver itself; its runs are counted as full-wave search runs).
        verify: A registered solver (``"openems"``, ``"meep"``, ``"circuit"``) or ``"none"``;
            ``None``: the spec's solver.
        seed: Overrides ``spec.search.seed``.
        cache_dir: Full-wave result cache (default ``$RFDESIGN_CACHE/results``).
        refine: ``"none"`` or ``"space-mapping"``: refine the winner's column widths and row
            heights with the circuit model (coarse) and the verifying solver (fine).
        refine_budget: Fine runs the refinement may spend.
        seed_from: ``"none"`` or ``"gan"``: put layouts proposed by the grid's layout GAN for
            the spec (up to half the population) into the GA's first population, after
            ``search.initial``. Ignored by exhaustive search (recorded in the provenance).
        gan: The GAN for ``seed_from="gan"``: a ``LayoutGAN``, a folder, or ``None`` for the
            grid's default folder (``$RFDESIGN_CACHE/gan``).
        crosscheck: ``"none"`` or a second engine (``"palace"``) that simulates the chosen
            layout after verification (:mod:`rfdesign.design.crosscheck`).
        crosscheck_preset: The second engine's mesh preset (default: the spec's).
    """

    surrogate: str | Path = "auto"
    verify: str | None = None
    seed: int | None = None
    cache_dir: str | Path | None = None
    refine: str = "none"
    refine_budget: int = 3
    seed_from: str = "none"
    gan: Any = None
    crosscheck: str = "none"
    crosscheck_preset: str | None = None

    def __post_init__(self) -> None:
        if self.verify is not None and self.verify not in verifiers():
            raise ValueError(f"verify: {self.verify!r} is not one of {', '.join(verifiers())}")
        if self.refine not in REFINERS:
            raise ValueError(f"refine: {self.refine!r} is not one of {', '.join(REFINERS)}")
        if self.seed_from not in SEEDERS:
            raise ValueError(f"seed_from: {self.seed_from!r} is not one of {', '.join(SEEDERS)}")
        if self.refine != "none" and self.verify == "none":
            raise ValueError("refine: space mapping needs a fine model; choose --verify, not none")
        if self.crosscheck != "none":
            if self.crosscheck not in verifiers():
                raise ValueError(
                    f"crosscheck: {self.crosscheck!r} is not one of {', '.join(verifiers())}"
                )
            if self.verify == "none":
                raise ValueError("crosscheck: needs a verified design; choose --verify, not none")
            if self.crosscheck == self.verify:
                raise ValueError(f"crosscheck: {self.crosscheck} verifies already; name another")


@one_blas_thread
def design_filter(
    spec: FilterSpec,
    *,
    out: str | Path | None = None,
    executor: Executor | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    **options: Any,
) -> DesignResult:
    """Design a layout for ``spec`` and verify it.

    Args:
        spec: The validated filter spec.
        out: Write the result files here.
        executor: Runs the full-wave simulations (``concurrent.futures`` interface).
        progress: Called as (stage, done, total).
        **options: The fields of :class:`DesignOptions` (``surrogate``, ``verify``, ``seed``,
            ``cache_dir``, ``refine``, ``refine_budget``, ``seed_from``, ``gan``,
            ``crosscheck``, ``crosscheck_preset``).

    Returns:
        The :class:`DesignResult` (also saved to ``out`` when given).

    Raises:
        ValueError: A bad option, an output or cache folder that cannot be written, or a
            spec too large for this machine's memory, named, before any work starts.
    """
    t0 = time.perf_counter()
    opts = DesignOptions(**options)
    # what would fail after the work fails before it: memory, output folders
    spec.check_resources()
    if out is not None:
        check_writable_dir(out, "out")
    check_writable_dir(opts.cache_dir or default_cache_dir(), "cache_dir")
    verify = opts.verify or spec.solver.name
    say = _progress_with_log(progress)
    try:
        spec = resolved(spec)  # design.method auto -> the topology for the masks' class
    except DesignNotPossible as exc:  # a report that says why, then the one-line error
        if out is not None:
            write_not_possible(spec, exc.choice, out)
        raise
    if spec.design.method in ("comb", "stepped"):
        if spec.design.method == "comb":
            from rfdesign.design.comb import design_comb_filter as parametric
        else:
            from rfdesign.design.stepped import design_stepped_filter as parametric

        try:
            result = parametric(spec, verify=verify, cache_dir=opts.cache_dir, progress=say)
        except (SolverError, OutOfReach) as exc:  # a report that names the stage, then why
            if isinstance(exc, SolverError):  # a stage's run failed; runs before it unknown
                why, runs, solver_s = (
                    f"a full-wave run failed: {str(exc).splitlines()[0]}",
                    None,
                    0.0,
                )
            else:  # measured: the topology cannot realise the masks
                why, runs, solver_s = str(exc), exc.fullwave_runs, exc.solver_s
            reason = f"design.method {spec.design.method}: {why}"
            if out is not None:
                write_not_designed(
                    spec, f"The design stopped: {reason}.", reason, out, fullwave_runs=runs
                )
            raise DesignStopped(reason, runs, solver_s) from exc
        if loss.applies(spec, verify, result.verified_run):
            say("loss check", 0, 1)
            result = result.with_loss_check(
                loss.loss_check(spec, result.layout, verify, result.report.passed, opts.cache_dir)
            )
            say("loss check", 1, 1)
        if opts.crosscheck != "none":
            result = _crosscheck(result, opts, say)
        if out is not None:
            result.save(out)
        return result
    grid = spec.pixel_grid()
    seed = spec.search.seed if opts.seed is None else opts.seed
    solver, verified_by = make_verifier(spec, verify, opts.cache_dir)
    if opts.crosscheck != "none":
        if opts.crosscheck == verify:
            raise ValueError(f"crosscheck: {verify} verifies already; name another engine")
        # the second engine's settings are checked now (housing, preset), not after the work
        make_verifier(spec, opts.crosscheck, opts.cache_dir, preset=opts.crosscheck_preset)

    model = search_model(spec, grid, opts.surrogate, solver, executor, say)
    problem = PixelFilterProblem(
        grid, spec_mask_set(spec, model.f_ghz), model.evaluator, spec.search.allow_corner_contacts
    )
    algorithm = choose_algorithm(spec.search, grid.n_bits, model.on_solver is not None)
    context, seeding = _search_context(spec, opts, grid, seed, algorithm)
    context = dataclasses.replace(context, progress=lambda done, total: say("search", done, total))
    log.info("search: %s on the %s (%d free cells)", algorithm, model.description, grid.n_bits)
    searched = run_search(problem, algorithm, context)
    search_runs = model.on_solver.new_runs if model.on_solver else 0

    candidates = verify_candidates(
        spec, searched.found.bits, grid, model.f_ghz, model.predict_s, solver, executor, say
    )
    best = candidates.best()
    if model.on_solver and grid.n_bits + 1 > spec.search.budget:
        # One full-wave run per free cell would cost more than the whole search: skip it.
        sens = sensitivity.not_computed(grid)
    else:
        sens = sensitivity.sensitivity_map(problem, searched.found.bits[best])
    sens_runs = (model.on_solver.new_runs - search_runs) if model.on_solver else 0

    layout, verified = candidates.layouts[best], candidates.verified[best]
    report_verified = candidates.reports_verified[best]
    refined = None
    if opts.refine != "none" and solver is not None and verified is not None:
        from rfdesign.design.refine import refine_sizes

        say("refine", 0, opts.refine_budget)
        refined = refine_sizes(
            spec, layout, solver, verified, budget=opts.refine_budget, masks=spec_mask_set(spec)
        )
        say("refine", min(refined.fine_runs, opts.refine_budget), opts.refine_budget)
        if refined.improved:
            layout, verified = refined.layout, refined.network
            report_verified = evaluate_network(spec, verified)

    result = DesignResult(
        spec=spec,
        layout=layout,
        predicted=candidates.predicted[best],
        verified=verified,
        report_predicted=candidates.reports_predicted[best],
        report_verified=report_verified,
        verified_by=verified_by,
        candidates=candidates.records(),
        search={
            **searched.record(),
            "on_solver": model.on_solver is not None,
            "refine": refined.record() if refined else None,
        },
        sensitivity_db=sens[0],
        sensitivity_corner=sens[1],
        provenance=_provenance(
            spec,
            opts,
            verify,
            solver,
            seed,
            seeding,
            model,
            candidates,
            refined,
            t0,
            (search_runs, sens_runs),
        ),
        verified_run=run_record(verified, spec) if verified is not None else None,
    )
    if opts.crosscheck != "none" and verified is not None:
        result = _crosscheck(result, opts, say)
    if out is not None:
        result.save(out)
    return result


def _crosscheck(result: DesignResult, opts: DesignOptions, say) -> DesignResult:
    """``result`` with the second engine's cross-check, or with its failure in the provenance."""
    from rfdesign.design.crosscheck import crosscheck
    from rfdesign.solvers.base import SolverError

    say("crosscheck", 0, 1)
    try:
        check = crosscheck(
            result.spec,
            result.layout,
            result.verified,
            opts.crosscheck,
            preset=opts.crosscheck_preset,
            cache_dir=opts.cache_dir,
        )
    except SolverError as exc:
        log.warning("crosscheck: %s failed: %s", opts.crosscheck, str(exc).splitlines()[0])
        failed = {"engine": opts.crosscheck, "error": str(exc).splitlines()[0]}
        return dataclasses.replace(
            result, provenance={**result.provenance, "crosscheck_failed": failed}
        )
    say("crosscheck", 1, 1)
    return result.with_crosscheck(check)


def _search_context(
    spec: FilterSpec, opts: DesignOptions, grid, seed: int, algorithm: str
) -> tuple[SearchContext, dict | None]:
    """The search's context: ``search.initial`` plus GAN proposals; the seeding record."""
    search = spec.search
    seeding = None
    if opts.seed_from == "gan":
        seeding = {"from": "gan", "proposals": 0, "used": algorithm == "ga"}
    initial = np.array([list(map(int, b)) for b in search.initial], np.uint8)
    initial = initial.reshape(len(initial), grid.n_bits)
    if seeding is not None and seeding["used"]:
        from rfdesign.design.inverse import propose_for_spec

        room = max(1, search.population // 2)
        proposals = propose_for_spec(spec, room, opts.gan, seed)
        seeding["proposals"] = len(proposals)
        initial = np.concatenate([initial, proposals])[: search.population]
    return SearchContext(search, seed, initial), seeding


def _provenance(
    spec: FilterSpec,
    opts: DesignOptions,
    verify: str,
    solver,
    seed: int,
    seeding: dict | None,
    model: SearchModel,
    candidates: Candidates,
    refined: RefineResult | None,
    t0: float,
    on_solver_runs: tuple[int, int],
) -> dict:
    """Versions, settings and the solver runs each stage of *this* run spent.

    ``solver_runs`` counts the runs of the verifying solver that this design ran (cache hits
    listed apart, failures apart); ``fullwave_runs`` is their total when that solver is
    full-wave, else 0 (circuit-model runs are not full-wave). The runs that trained a
    surrogate earlier are listed under ``surrogate_training``, not counted.
    """
    on_solver = model.on_solver
    n_search, n_sens = on_solver_runs
    n_ver = candidates.new_runs
    n_refine = refined.fine_runs if refined else 0
    fullwave = solver is not None and getattr(solver, "fidelity", "") == "fullwave"
    total = n_search + n_sens + n_ver + n_refine
    return {
        "rfdesign": __version__,
        "surrogate": model.description,
        "surrogate_training": {"runs": model.training_runs, "solver": model.training_solver}
        if model.training_runs
        else None,
        "verify": verify,
        "solver_settings": None if verify == "none" else solver.settings_dict(),
        "spec_hash": spec.content_hash(),
        "seed": seed,
        "seeded": seeding,
        "solver_runs": {
            "solver": None if solver is None else solver.name,
            "fullwave": fullwave,
            "search": n_search,
            "search_cached": (on_solver.simulated - on_solver.new_runs) if on_solver else 0,
            "search_failed": len(on_solver.failed) if on_solver else 0,
            "sensitivity": n_sens,
            "verification": n_ver,
            "verification_cached": candidates.cached,
            "verification_failed": candidates.failed,
            "refine": n_refine,
            "total": total,
        },
        "fullwave_runs": total if fullwave else 0,
        "search_failed_runs": [
            {"bits": b, "error": e} for b, e in (on_solver.failed if on_solver else [])
        ],
        "wall_s": time.perf_counter() - t0,
    }


def _progress_with_log(
    progress: Callable[[str, int, int], None] | None,
) -> Callable[[str, int, int], None]:
    """``progress`` plus an INFO log line at the start, each tenth and the end of a stage."""
    steps = TenthSteps()

    def say(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)
        if steps.due(stage, done, total):
            log.info("%s: %d/%d", stage, done, total)

    return say
