"""`rfdesign design` on dimension-free specs: runs, wall time, margins, how it got there.

For each spec in :data:`SPECS` (masks, substrate and housing only): with ``design.method:
comb``, ``design_filter`` synthesises the matrix, measures the design curves, reads the
initial comb off them and tunes it on openEMS up to the spec's verification mesh
(:mod:`rfdesign.design.comb`); with ``design.method: stepped`` it sizes a stepped-impedance
low-pass on the microstrip cascade and space-maps it onto openEMS
(:mod:`rfdesign.design.stepped`). Every openEMS run is in the result cache
``benchmarks/results/comb_design/cache`` (not committed: large), so an interrupted bench
resumes; each design's report, layout and tuning table are written to
``benchmarks/results/comb_design/<spec>/`` as it ends, and the summary table to
``benchmarks/results/comb.md`` (what ``make bench BENCH=comb`` writes)::

    make bench BENCH=comb           # or: .venv/bin/python benchmarks/bench_comb.py [SPEC ...]
    .venv/bin/python benchmarks/bench_comb.py --suite   # the synthesis issue's specs (SUITE)
    .venv/bin/python benchmarks/bench_comb.py --table   # the table from the stored rows

The suite's specs hold masks and substrate only and are designed with ``design.method:
auto``: a spec whose class has no topology (a band-stop) or that its topology refuses before
any run gets a "not designed" row with the reason, never a traceback.

Two times: the solver time of every run the design used, as each was first computed (what
the design costs on this machine from an empty cache, runs one after another), and the wall
time of this bench run (a resumed bench reads earlier runs from the cache).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "comb_design"
SPECS = ("ka_bandpass_comb", "ka_highpass_comb", "lowpass_6ghz_stepped")
SUITE = tuple(
    f"synthesis/{n}"
    for n in (
        "bandstop_38ghz",
        "lowpass_8ghz",
        "ku_bandpass_20pc",
        "ka_bandpass_asymmetric",
        "q_bandpass_8pc",
        "x_bandpass_5pc",
        "k_bandpass_2pc",
    )
)
"""The synthesis issue's specs (masks and substrate only), designed with ``design.method:
auto`` (``--suite``): the tool picks the topology or says why there is none."""


def not_designed(
    name: str, method: str, reason: str, t0: float, runs: int = 0, solver_s: float = 0.0
) -> dict:
    """The row of a spec the tool did not design.

    No topology, refused before any run, or out of its topology's reach after ``runs``
    full-wave runs (the comb's design curves).
    """
    return {
        "spec": name,
        "method": method,
        "passed": False,
        "designed": False,
        "reason": reason,
        "fullwave_runs": runs,
        "solver_s": solver_s,
        "wall_s": time.perf_counter() - t0,
    }


def design_one(name: str) -> dict:
    """Design one spec and return its summary row (also written as JSON beside the report)."""
    from rfdesign.design import design_filter
    from rfdesign.spec import load_spec

    spec = load_spec(ROOT / "examples" / f"{name}.yaml")
    if spec.design.method == "pixel":  # a suite spec: masks and substrate only
        spec = spec.model_copy(update={"design": spec.design.model_copy(update={"method": "auto"})})
    out = OUT / name
    t0 = time.perf_counter()

    def say(stage: str, done: int, total: int) -> None:
        print(f"  {name}: {stage} {done}/{total} ({time.perf_counter() - t0:.0f} s)", flush=True)

    try:
        res = design_filter(spec, out=out, cache_dir=OUT / "cache", progress=say)
    except ValueError as exc:  # no topology, refused before any run, or out of reach
        runs = getattr(exc, "fullwave_runs", None) or 0
        solver_s = getattr(exc, "solver_s", 0.0)
        row = not_designed(name, spec.design.method, str(exc), t0, runs, solver_s)
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench_row.json").write_text(json.dumps(row, indent=1))
        return row
    s = res.summary()
    if "comb" in res.search:  # design.method comb
        tuning = res.search["tuning"]
        size = f"{res.search['comb']['n']} strips"
        curve_runs, tuning_runs = res.search["curves"]["runs"], len(tuning)
    else:  # design.method stepped: no curves, the space-mapping runs tune
        size = f"{res.search['stepped']['order']} sections"
        curve_runs, tuning_runs = 0, len(res.search["stepped"]["fine_history"])
    row = {
        "spec": name,
        "method": spec.design.method,
        "passed": s["passed"],
        "certified": s["certified"],
        "worst_margin_db": s["worst_margin_db"],
        "uncertainty_db": ((s["verified_run"] or {}).get("uncertainty") or {}).get(
            "uncertainty_db"
        ),
        "flags": s["flags"],
        "verified_by": s["verified_by"],
        "size": size,
        "curve_runs": curve_runs,
        "tuning_runs": tuning_runs,
        "fullwave_runs": s["fullwave_runs"],
        "solver_s": res.provenance.get("solver_s"),
        "yield": (res.search.get("tolerance") or {}).get("yield_fraction"),
        "tolerance_um": spec.design.tolerance_um,
        # the margin with the metal's loss: the loss check's, or the verification's own where
        # it ran with the lossy conductor
        "lossy_margin_db": res.loss_checks[0].report.worst_margin_db
        if res.loss_checks
        else (
            s["worst_margin_db"] if (s["verified_run"] or {}).get("conductor") == "sheet" else None
        ),
        "wall_s": time.perf_counter() - t0,
        "reason": res.search["reason"],
    }
    (out / "bench_row.json").write_text(json.dumps(row, indent=1))
    return row


def stored_rows() -> tuple[list[dict], list[str]]:
    """The stored bench rows, and the names of the specs with none (not run yet).

    Every spec of :data:`SPECS` and :data:`SUITE` that has a ``bench_row.json``, in order.
    """
    names = (*SPECS, *SUITE)
    done = [n for n in names if (OUT / n / "bench_row.json").exists()]
    rows = [json.loads((OUT / n / "bench_row.json").read_text()) for n in done]
    return rows, [n for n in names if n not in done]


def run(names: list[str] | None = None) -> str:
    """Design every spec (or ``names``) and return the table of every stored row."""
    for name in names or SPECS:
        design_one(name)
    return table(stored_rows()[0])


def table(rows: list[dict]) -> str:
    """The Markdown table of the rows (also from the ``bench_row.json`` files: ``--table``)."""
    from rfdesign.solvers.openems import openems_version

    lines = [
        f"openEMS {openems_version()}, 2 threads per run; specs hold no dimensions; comb: "
        "curves on draft, tuning on standard and fine; stepped: space mapping on the spec's "
        "mesh; verification on the spec's mesh with its mesh-error estimate. Reports: "
        "benchmarks/results/comb_design/.",
        "",
        "| spec | method | verdict | worst margin (dB) | +- mesh error (dB) | with gold loss "
        "(dB) | yield, edges +-5 um | flags | size | curve runs "
        "| tuning runs | full-wave runs | solver time from an empty cache (min) | wall of this "
        "bench run (s) | ended |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if not r.get("designed", True):
            lines.append(
                f"| {r['spec']} | {r['method']} | not designed | - | - | - | - | - | - "
                f"| {r['fullwave_runs']} | 0 | {r['fullwave_runs']} "
                f"| {r.get('solver_s', 0.0) / 60:.1f} | {r['wall_s']:.0f} | {r['reason']} |"
            )
            continue
        verdict = "MEETS" if r["passed"] else "does not meet"
        unc = "-" if r["uncertainty_db"] is None else f"{r['uncertainty_db']:.2f}"
        gold = "-" if r["lossy_margin_db"] is None else f"{r['lossy_margin_db']:+.2f}"
        yld = "-" if r["yield"] is None else f"{100 * r['yield']:.1f} %"
        lines.append(
            f"| {r['spec']} | {r['method']} | {verdict} ({r['verified_by']}) "
            f"| {r['worst_margin_db']:+.2f} | {unc} | {gold} | {yld} "
            f"| {', '.join(r['flags']) or '-'} | {r['size']} | {r['curve_runs']} "
            f"| {r['tuning_runs']} | {r['fullwave_runs']} | {r['solver_s'] / 60:.1f} "
            f"| {r['wall_s']:.0f} | {r['reason']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import logging

    from run import RESULTS, machine

    # each tuning run's worst margin and next step as it happens (stderr)
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", level=logging.WARNING)
    for name in ("rfdesign.design.comb", "rfdesign.design.stepped"):
        logging.getLogger(name).setLevel(logging.INFO)

    if sys.argv[1:] == ["--table"]:  # the table again from the stored rows, no design run
        md = table(stored_rows()[0])
    else:
        md = run(list(SUITE) if sys.argv[1:] == ["--suite"] else sys.argv[1:] or None)
    text = f"# benchmark: filters designed from the masks\n\nMachine: {machine()}\n\n{md}\n"
    (RESULTS / "comb.md").write_text(text)
    print(text)
