"""Fault injection in the design flow: a solver failure in any stage leaves a report.

The failing solver is the real circuit model with a fault injector in front of it: after a
given number of successful runs every further run raises :class:`SolverError`, as an openEMS
run does when it hits ``timeout_s`` (the failure seen in a 19-minute space-mapping refine).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from rfdesign.design import design_filter
from rfdesign.layouts import Layout
from rfdesign.solvers.base import SOLVERS, SolverError, register_solver
from rfdesign.solvers.circuit import CircuitSolver
from rfdesign.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class FailAfter:
    """How many runs succeed before every run fails (shared by all instances)."""

    ok_runs = 10**9
    calls = 0


if "circuit-failing" not in SOLVERS.names():

    @register_solver("circuit-failing")
    class FailingCircuit(CircuitSolver):
        """The circuit model, failing like a timed-out openEMS run after ``ok_runs`` runs."""

        def _simulate(self, layout, f_ghz):
            FailAfter.calls += 1
            if FailAfter.calls > FailAfter.ok_runs:
                raise SolverError("circuit-failing: run exceeded timeout_s=600 s", "(log)")
            return super()._simulate(layout, f_ghz)


@pytest.fixture
def fail_after():
    def set_(n: int) -> None:
        FailAfter.ok_runs, FailAfter.calls = n, 0

    yield set_
    FailAfter.ok_runs, FailAfter.calls = 10**9, 0


def spec_with(name="ka_bandpass.yaml", **search):
    spec = load_spec(EXAMPLES / name)
    return spec.model_copy(update={"search": spec.search.model_copy(update=search)})


def test_a_failed_verification_run_is_reported_and_the_others_judged(tmp_path, fail_after):
    fail_after(2)  # of 3 candidates, the third run fails
    res = design_filter(
        spec_with(top_k=3), verify="circuit-failing", out=tmp_path, cache_dir=tmp_path / "c"
    )
    rep = json.loads((tmp_path / "report.json").read_text())
    errors = [c["error"] for c in rep["candidates"]]
    assert sum(e is not None for e in errors) == 1 and "timeout_s" in next(e for e in errors if e)
    assert rep["solver_runs"]["verification"] == 2
    assert rep["solver_runs"]["verification_failed"] == 1
    # the winner is a verified candidate, never the one whose run failed
    failed_bits = next(c["bits"] for c in rep["candidates"] if c["error"])
    assert res.verified is not None and rep["bits"] != failed_bits
    assert "run failed" in (tmp_path / "report.md").read_text()


def test_a_refine_run_that_fails_keeps_the_design_and_says_why(tmp_path, fail_after):
    # 1 verification run succeeds, then space mapping's first fine run times out
    fail_after(1)
    res = design_filter(
        spec_with(top_k=1),
        verify="circuit-failing",
        refine="space-mapping",
        refine_budget=3,
        out=tmp_path,
        cache_dir=tmp_path / "c",
    )
    ref = res.search["refine"]
    assert ref["error"] and "timeout_s" in ref["error"] and ref["improved"] is False
    assert res.verified is not None and not res.layout.grid.name.endswith("-refined")
    for name in ("report.md", "report.json", "design.s2p", "layout.gds"):
        assert (tmp_path / name).exists(), name


def test_a_search_on_the_solver_with_failures_ends_with_a_report(tmp_path, fail_after):
    fail_after(5)
    spec = spec_with(population=6, generations=2, top_k=2)
    res = design_filter(
        spec, surrogate="solver", verify="circuit-failing", out=tmp_path, cache_dir=tmp_path / "c"
    )
    runs = res.provenance["solver_runs"]
    assert runs["search_failed"] > 0 and len(res.provenance["search_failed_runs"]) > 0
    assert (tmp_path / "report.md").exists()


def test_search_on_a_channel_grid_evaluates_admissible_layouts(tmp_path):
    # without search.initial, 96-99 % of random layouts of this 41-bit grid have corner-only
    # contacts; the repair operator closes them, so the search simulates real layouts
    spec = spec_with("ka_bandpass_channel.yaml", initial=[], population=8, generations=2, top_k=2)
    res = design_filter(spec, surrogate="solver", verify="circuit", cache_dir=tmp_path / "c")
    runs = res.provenance["solver_runs"]
    assert res.search["feasible_evaluated"] > 0 and res.search["repaired"] > 0
    assert runs["search"] > 0
    for c in res.candidates:
        assert Layout.from_bits(res.layout.grid, c["bits"]).connectivity.corner_contacts == ()
    history = [k for _, k in res.search["history"]]
    assert history[-1] is not None and np.isfinite(history[-1])
    assert "no admissible layout" not in res.to_markdown()
