"""Canonical checks of both full-wave engines (rfdesign.solvers.canonical) on their presets.

Every check of :mod:`rfdesign.solvers.canonical` (a 0.05 mm strip's impedance, a half-wave
end-coupled resonator's frequency and unloaded Q, two side-by-side resonators' coupling
coefficient) on openEMS's draft, standard and fine meshes and on Palace's draft and standard
meshes, 121 points over 34-46 GHz, PEC housing. One row per engine, preset and quantity:
measured, reference, deviation, tolerance, cost. Results are cached
(``$RFDESIGN_CACHE/results``)::

    make bench BENCH=canonical     # or: .venv/bin/python benchmarks/bench_canonical.py
"""

from __future__ import annotations

import sys

RUNS = (
    ("openems", "draft"),
    ("openems", "standard"),
    ("openems", "fine"),
    ("palace", "draft"),
    ("palace", "standard"),
)


def run(runs: tuple[tuple[str, str], ...] = RUNS, threads: int = 2) -> str:
    """Run every check on every (engine, preset) of ``runs``; the Markdown table."""
    from rfdesign.design.verify import default_cache_dir
    from rfdesign.solvers.base import ResultCache, get_solver_class
    from rfdesign.solvers.canonical import CHECKS, canonical_settings

    cache = ResultCache(default_cache_dir())
    rows = []
    for engine, preset in runs:
        settings = canonical_settings(engine, preset, threads=threads if engine == "openems" else 1)
        solver = get_solver_class(engine)(settings, cache=cache)
        for check in CHECKS.values():
            sizes, walls = [], []

            def simulate(layout, f, _sizes=sizes, _walls=walls, _solver=solver):
                net = _solver.simulate(layout, f)
                info = net.rfdesign_info  # a cached result keeps the wall time of its run
                _sizes.append(info.get("cells") or info.get("unknowns") or 0)
                _walls.append(info["wall_s"])
                return net

            for r in check(simulate):
                rows.append(
                    f"| {engine} | {preset} | {r.check} | {r.quantity} | {r.measured:.4g} | "
                    f"{r.reference:.4g} | {100 * r.deviation:+.2f} % | {100 * r.tolerance:.1f} % "
                    f"| {'pass' if r.passed else 'FAIL'} | {max(sizes):,} | {sum(walls):.0f} |"
                )
            print(rows[-1], flush=True)
    head = [
        "PEC housing (walls 1 mm beside, lid 1 mm above), 0.127 mm alumina with tan delta 0.02, "
        "121 points 34-46 GHz; wall s: the structure's run on this machine (openEMS 2 threads, "
        "Palace one core; read back from the result cache where it answered); "
        "references and tolerances: rfdesign/solvers/canonical.py.",
        "",
        "| engine | preset | check | quantity | measured | reference | deviation | tolerance | "
        "result | cells / unknowns | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(head + rows)


if __name__ == "__main__":
    # bench_canonical.py [ENGINE:PRESET ...]: a partial table, written like make bench
    from run import RESULTS, machine

    picked = tuple(tuple(a.split(":")) for a in sys.argv[1:]) or RUNS
    text = f"# benchmark: canonical\n\nMachine: {machine()}\n\n{run(picked)}\n"
    (RESULTS / "canonical.md").write_text(text)
    print(text)
