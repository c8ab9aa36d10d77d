"""What the real metal gives: the verified layout again with openEMS's lossy conductor.

Designs are tuned and verified with zero-thickness perfect conductors (``conductor: pec``,
the cheaper and better converged model). The loss check runs the verified layout once more
on the same engine, mesh and housing with openEMS's conducting-sheet model (the substrate's
conductivity and metal thickness: gold by default) and judges it against the same masks, so
the report says what gold, not PEC, gives; a design that meets the masks only with PEC is
flagged ``fails-with-conductor-loss``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rfdesign.design.verify import design_solver, make_verifier, run_record
from rfdesign.evaluation import evaluate_network
from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.masks import SpecReport
from rfdesign.spec import FilterSpec

LOSSY = "sheet"
"""The conductor model of the check (openEMS's conducting sheet)."""


@dataclass(frozen=True)
class LossCheck:
    """The verified layout with lossy metal.

    Attributes:
        by: Solver, mesh and conductor, e.g. ``"openems (fine, channel housing), gold sheet"``.
        conductor: The conductor model (``"sheet"``).
        report: Its spec report.
        network: Its network.
        run: :func:`rfdesign.design.verify.run_record` of the run.
        lossless_passed: Whether the PEC verification passed (for the flag).
    """

    by: str
    conductor: str
    report: SpecReport
    network: Any
    run: dict
    lossless_passed: bool

    @property
    def flags(self) -> list[str]:
        """``fails-with-conductor-loss`` where PEC passes and the lossy metal does not."""
        return (
            ["fails-with-conductor-loss"] if self.lossless_passed and not self.report.passed else []
        )

    @property
    def file_name(self) -> str:
        """Its Touchstone file in the result folder."""
        return f"design_{self.conductor}.s2p"

    def to_dict(self) -> dict:
        """JSON-ready record (the network lives in :attr:`file_name`)."""
        return {
            "by": self.by,
            "conductor": self.conductor,
            "report": self.report.to_dict(),
            "run": self.run,
            "lossless_passed": self.lossless_passed,
            "flags": self.flags,
            "file": self.file_name,
        }

    @classmethod
    def from_dict(cls, d: dict, network: Any) -> LossCheck:
        """Inverse of :meth:`to_dict` with the network read back."""
        return cls(
            d["by"],
            d["conductor"],
            SpecReport.from_dict(d["report"]),
            network,
            d["run"],
            d["lossless_passed"],
        )


def applies(spec: FilterSpec, verify: str, verified_run: dict | None) -> bool:
    """Whether a loss check is wanted.

    ``design.loss_check`` (default: on for the parametric methods) and a verification by a
    solver with a lossy conductor model (openEMS) that used PEC.
    """
    wanted = spec.design.loss_check
    if wanted is None:
        wanted = spec.design.method != "pixel"
    return bool(
        wanted
        and verify == "openems"
        and verified_run is not None
        and verified_run.get("conductor") == "pec"
    )


def loss_check(
    spec: FilterSpec,
    layout: Layout,
    verify: str,
    lossless_passed: bool,
    cache_dir: str | Path | None = None,
) -> LossCheck:
    """Run ``layout`` with lossy metal on the verifying engine, mesh and housing.

    The mesh-error estimate is not repeated (the mesh is the verification's).
    """
    _, by = make_verifier(spec, verify, cache_dir)
    solver = design_solver(spec, verify, cache_dir, conductor=LOSSY)
    net = solver.simulate(layout, spec.frequencies_ghz())
    s = spec.substrate
    metal = f"{s.metal_thickness_um:g} um, {s.conductivity_s_per_m:.3g} S/m" + (
        " (gold)" if abs(s.conductivity_s_per_m - 4.1e7) < 1e6 else ""
    )
    return LossCheck(
        f"{by}, conducting sheet {metal}",
        LOSSY,
        evaluate_network(spec, net),
        net,
        run_record(net, spec),
        lossless_passed,
    )
