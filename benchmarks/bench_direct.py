"""What the model-driven tuning saves: plain Nelder-Mead on openEMS with the same budget.

For a design of ``make bench BENCH=comb`` (its report in benchmarks/results/comb_design/),
the same start the tool had (the comb read off the design curves; the stepped line's cascade
optimum) is handed to scipy's Nelder-Mead directly on openEMS, on the mesh the tool tuned
on first, with as many full-wave runs as the tool spent tuning (curves not counted: the start
is given). Each evaluation is one openEMS run (cached, in the same result cache as the
designs); the objective is minus the worst mask margin. The table gives the best worst margin
after the budget for both, and the direct search's margin after each run::

    .venv/bin/python benchmarks/bench_direct.py [SPEC ...]   # writes results/direct.md
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT / "benchmarks" / "results" / "comb_design"
SPECS = ("lowpass_6ghz_stepped", "ka_highpass_comb")


def _problem(name: str):
    """``(spec, mesh, x0, layout_of(x), tool's margins per run there, budget)`` of a design."""
    from rfdesign.layouts.comb import Comb
    from rfdesign.layouts.feeds import microstrip_width_mm
    from rfdesign.layouts.stepped import SteppedLine
    from rfdesign.spec import load_spec

    spec = load_spec(ROOT / "examples" / f"{name}.yaml")
    search = json.loads((DESIGNS / name / "report.json").read_text())["search"]
    sub = spec.substrate.to_substrate()
    if "stepped" in search:
        st = search["stepped"]
        start = SteppedLine.from_dict(st["coarse_line"])
        fc = max(b.f_max_ghz for b in spec.bands if b.kind == "pass")
        feed = microstrip_width_mm(sub, 50.0, fc)
        x0 = np.array(start.lengths_mm)

        def layout_of(x):
            return SteppedLine(tuple(round(float(v), 4) for v in x), start.widths_mm).layout(
                sub, feed, f"{name}-direct"
            )

        tool = [h["worst_margin_db"] for h in st["fine_history"]]
        return spec, spec.solver.preset, x0, layout_of, tool, len(tool)
    tuning = search["tuning"]
    first = tuning[0]
    comb = Comb(**{k: tuple(v) if isinstance(v, list) else v for k, v in first["comb"].items()})
    centre = (spec.sweep.start_ghz + spec.sweep.stop_ghz) / 2  # as rfdesign.design.comb
    feed = microstrip_width_mm(sub, 50.0, centre)
    x0 = np.array([*comb.lengths_mm, *comb.gaps_mm, comb.tap_mm])
    nl, ng = len(comb.lengths_mm), len(comb.gaps_mm)

    def layout_of(x):
        c = Comb(
            comb.n,
            tuple(round(float(v), 4) for v in x[:nl]),
            comb.widths_mm,
            tuple(round(float(max(v, spec.design.min_gap_mm)), 4) for v in x[nl : nl + ng]),
            round(float(x[-1]), 4),
            comb.inset_mm,
        )
        return c.layout(sub, feed, f"{name}-direct")

    on_first_mesh = [r["worst_margin_db"] for r in tuning if r["mesh"] == first["mesh"]]
    # the budget: every run the tool spent before it met on this mesh, the curves included
    return (
        spec,
        first["mesh"],
        x0,
        layout_of,
        on_first_mesh,
        search["curves"]["runs"] + len(on_first_mesh),
    )


def direct(name: str) -> dict:
    """Nelder-Mead on openEMS from the tool's start with the tool's tuning budget."""
    from scipy.optimize import minimize

    from rfdesign.design.verify import verification_settings
    from rfdesign.evaluation import evaluate_network
    from rfdesign.solvers.base import ResultCache
    from rfdesign.solvers.openems import OpenEMSSolver

    spec, mesh, x0, layout_of, tool, budget = _problem(name)
    settings = verification_settings(spec, "openems", preset=mesh)
    import dataclasses

    solver = OpenEMSSolver(
        dataclasses.replace(settings, error_estimate=False), cache=ResultCache(DESIGNS / "cache")
    )
    margins: list[float] = []
    t0 = time.perf_counter()

    def cost(x: np.ndarray) -> float:
        net = solver.simulate(layout_of(x), spec.frequencies_ghz())
        m = evaluate_network(spec, net).worst_margin_db
        margins.append(m)
        print(f"  {name}: direct run {len(margins)}: {m:+.2f} dB", flush=True)
        return -m

    # the initial simplex: 5 % on each size (the tool's first steps are of that order)
    simplex = np.vstack([x0, *(x0 + np.diag(0.05 * x0)[i] for i in range(x0.size))])
    minimize(cost, x0, method="Nelder-Mead", options={"maxfev": budget, "initial_simplex": simplex})
    return {
        "spec": name,
        "mesh": mesh,
        "variables": int(x0.size),
        "budget": budget,
        "tool": tool,
        "direct": margins,
        "wall_s": time.perf_counter() - t0,
    }


def run(names: list[str] | None = None) -> str:
    """The comparison table."""
    rows = [direct(n) for n in names or SPECS]
    lines = [
        "Same start, same mesh, same number of openEMS runs (the comb's include its design-curve "
        "runs); the tool's runs are its tuning runs on that mesh (the comb: extraction-driven; the stepped line: implicit space "
        "mapping on the microstrip cascade); direct: scipy Nelder-Mead on openEMS, initial "
        "simplex 5 % on each size.",
        "",
        "| spec | mesh | sizes | runs | tool: best worst margin (dB) | Nelder-Mead: best "
        "(dB) | tool per run (dB) | Nelder-Mead per run (dB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['spec']} | {r['mesh']} | {r['variables']} | {r['budget']} | "
            f"{max(r['tool']):+.2f} | {max(r['direct']):+.2f} | "
            f"{', '.join(f'{m:+.2f}' for m in r['tool'])} | "
            f"{', '.join(f'{m:+.2f}' for m in r['direct'])} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    from run import RESULTS, machine

    md = run(sys.argv[1:] or None)
    text = f"# benchmark: direct\n\nMachine: {machine()}\n\n{md}\n"
    (RESULTS / "direct.md").write_text(text)
    print(text)
