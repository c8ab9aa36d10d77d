"""Stage 3, verification: the verifying solver as the spec asks for it, candidates judged.

The top-k distinct candidates of the search are simulated full-wave (openEMS standard by
default), every result stored in the result cache as it arrives, so an interrupted run keeps
them. Each candidate is judged twice against the spec: on the search model's prediction and
on the solver's network (:class:`Candidates`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.evaluation import evaluate_network
from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.masks import SpecReport
from rfdesign.solvers.base import solver_names
from rfdesign.spec import FilterSpec

NO_VERIFICATION = "none"


def verifiers() -> list[str]:
    """What ``verify`` may name: every registered solver, or ``"none"``."""
    return [*solver_names(), NO_VERIFICATION]


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
    from rfdesign.core.paths import cache_base

    return cache_base() / "results"


def make_verifier(
    spec: FilterSpec, verify: str, cache_dir: str | Path | None = None
) -> tuple[Any, str | None]:
    """The verifying solver and its description for reports (``(None, None)`` for none).

    The description names the solver, its mesh preset and a channel housing, e.g.
    ``"openems (standard)"``.
    """
    from rfdesign.solvers.base import ResultCache, get_solver_class

    if verify == NO_VERIFICATION:
        return None, None
    settings = verification_settings(spec, verify)
    solver = get_solver_class(verify)(settings, cache=ResultCache(cache_dir or default_cache_dir()))
    housing = ", channel housing" if spec.solver.housing == "channel" else ""
    return solver, f"{verify} ({getattr(settings, 'preset', 'default')}{housing})"


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
    """

    layouts: list[Layout]
    predicted: list[Any]
    verified: list[Any]
    reports_predicted: list[SpecReport]
    reports_verified: list[SpecReport | None]
    cached: int = 0

    def final_report(self, i: int) -> SpecReport:
        """Candidate ``i``'s verified report, else its predicted one."""
        return self.reports_verified[i] or self.reports_predicted[i]

    def best(self) -> int:
        """Index of the best candidate: passing first, then lowest K (verified if there)."""
        return min(
            range(len(self.layouts)),
            key=lambda i: (not self.final_report(i).passed, self.final_report(i).K),
        )

    def records(self) -> list[dict]:
        """One JSON-ready row per candidate for the design report."""
        rows = []
        for lay, rp, rv in zip(
            self.layouts, self.reports_predicted, self.reports_verified, strict=True
        ):
            rows.append(
                {
                    "bits": lay.bit_string,
                    "K_predicted": rp.K,
                    "worst_margin_predicted_db": rp.worst_margin_db,
                    "K_verified": rv.K if rv else None,
                    "worst_margin_verified_db": rv.worst_margin_db if rv else None,
                    "passed": rv.passed if rv else rp.passed,
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
    return Candidates(
        layouts=layouts,
        predicted=predicted,
        verified=verified,
        reports_predicted=[evaluate_network(spec, n) for n in predicted],
        reports_verified=[evaluate_network(spec, n) if n is not None else None for n in verified],
        cached=cached,
    )
