"""Filter synthesis on the paper's specs and on specs of other bands, classes and bandwidths.

Table 1: for every spec in examples/ka_*.yaml and examples/synthesis/*.yaml, what
``rfdesign synthesize`` finds with lossless resonators (class, order, zeros, design return
loss, worst margin, minimum Qu, the first buildable technology of the verdict) and the wall time
of the whole synthesis (order search, matrices, minimum Qu; best of 3).

Table 2: docs/design_space.md sec. 4 redone: for the paper's band-pass and high-pass specs the
best worst margin of a generalised Chebyshev response of N resonators of quality Qu (zeros and
return loss optimised), next to the best margin of *any* N-resonator matrix found by the
differential-evolution search of benchmarks/results/feasibility.md.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUS = (100.0, 200.0, 400.0, 1000.0, np.inf)


def _specs() -> list[Path]:
    return sorted((ROOT / "examples").glob("ka_*.yaml")) + sorted(
        (ROOT / "examples" / "synthesis").glob("*.yaml")
    )


def table_specs() -> str:
    """Table 1."""
    from rfdesign.evaluation import spec_masks
    from rfdesign.optimizers.synthesis import analyse_masks, synthesize, technologies
    from rfdesign.spec import load_spec

    lines = [
        "| spec | class | f0 (GHz) | FBW | N | finite zeros (GHz) | RL (dB) | worst margin (dB) "
        "| min Qu | buildable technology | time (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    seen = set()
    for path in _specs():
        spec = load_spec(path)
        if spec.content_hash() in seen:  # examples that differ only in grid or solver
            continue
        seen.add(spec.content_hash())
        masks = spec_masks(spec)
        fmap = analyse_masks(masks).fmap
        f0 = fmap.f0_ghz if fmap else spec.sweep.start_ghz
        techs = technologies(spec.substrate.to_substrate(), f0)
        best, syn = np.inf, None
        for _ in range(3):
            t0 = time.perf_counter()
            syn = synthesize(masks, technologies=techs)
            best = min(best, time.perf_counter() - t0)
        name = path.relative_to(ROOT / "examples").with_suffix("")
        c = syn.chosen
        if c is None:
            lines.append(
                f"| {name} | {syn.analysis.filter_class} | - | - | - | - | - | - | - | "
                f"{syn.verdict} | {best:.3f} |"
            )
            continue
        zs = ", ".join(
            f"{f:.2f}"
            for z in c.zeros
            if (f := float(syn.analysis.fmap.frequency(np.array(z)))) > 0
        )
        tech = syn.technology.name if syn.technology else "none (PEC model only)"
        fbw = f"{100 * fmap.fbw:.1f} %" if fmap.kind in ("bandpass", "bandstop") else "-"
        lines.append(
            f"| {name} | {syn.analysis.filter_class} | {fmap.f0_ghz:.2f} | {fbw} | {c.order} | "
            f"{zs or '-'} | {c.return_loss_db:.1f} | {c.worst_margin_db:+.2f} | "
            f"{syn.min_qu:.0f} | {tech} | {best:.3f} |"
        )
    return "\n".join(lines)


def _de_reference() -> dict[tuple[str, int], list[str]]:
    """The committed differential-evolution table (benchmarks/results/feasibility.md)."""
    ref: dict[tuple[str, int], list[str]] = {}
    path = ROOT / "benchmarks" / "results" / "feasibility.md"
    for line in path.read_text().splitlines():
        m = re.match(r"\| (ka_\w+) \| (\d+) \| (.+) \|", line)
        if m:
            cells = [c.strip() for c in m.group(3).split("|")]
            ref[(m.group(1), int(m.group(2)))] = cells[: len(QUS)]
    return ref


def table_feasibility() -> str:
    """Table 2."""
    from rfdesign.evaluation import spec_masks
    from rfdesign.optimizers.synthesis.analysis import analyse_masks
    from rfdesign.optimizers.synthesis.order import MarginJudge, _zero_splits, best_candidate
    from rfdesign.spec import load_spec

    ref = _de_reference()
    head = " | ".join(f"Qu {q:g}" for q in QUS)
    lines = [
        f"| spec | N | {head} |",
        "|---|---|" + "---|" * len(QUS),
    ]
    for name in ("ka_bandpass", "ka_highpass"):
        masks = spec_masks(load_spec(ROOT / "examples" / f"{name}.yaml"))
        analysis = analyse_masks(masks)
        judge = MarginJudge(analysis, masks)
        for n in (3, 4, 5):
            cells = []
            for k, qu in enumerate(QUS):
                best = -np.inf
                for nfz in range(0, n + 1):
                    for lo, hi in _zero_splits(analysis, nfz):
                        c = best_candidate(judge, analysis, n, lo, hi, qu)
                        best = max(best, c.worst_margin_db)
                de = ref.get((name, n), ["?"] * len(QUS))[k]
                cells.append(f"{best:+.2f} ({de})")
            lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run() -> str:
    """Both tables, with their captions."""
    return "\n".join(
        [
            "Synthesis of every example spec, lossless resonators, wanted margin 0.5 dB (at "
            "most half the passband's insertion-loss allowance); min Qu: the smallest unloaded "
            "Q at which the chosen response still meets every mask; technology: the first "
            "buildable one whose estimated Q exceeds 1.2 x min Qu on the spec's substrate and "
            "metal (optimizers/synthesis/feasibility.py). Time: whole synthesis, best of 3.",
            "",
            table_specs(),
            "",
            "Best worst margin (dB) of a generalised Chebyshev response (zeros and return loss "
            "optimised, 0..N zeros) with resonators of quality Qu; in brackets the best "
            "margin of any N-resonator matrix from benchmarks/results/feasibility.md "
            "(differential evolution over every coupling).",
            "",
            table_feasibility(),
            "",
            "## Designed from the masks",
            "",
            designs_table(),
        ]
    )


def designs_table() -> str:
    """The stored rows of ``make bench BENCH=comb`` (``bench_comb.py``).

    What ``rfdesign design`` made of the dimension-free specs and of the suite above
    (``--suite``); not re-run here (an hour of openEMS per band-pass).
    """
    from bench_comb import stored_rows, table

    rows, missing = stored_rows()
    note = f"\n\nNot run yet: {', '.join(missing)}." if missing else ""
    return table(rows) + note


if __name__ == "__main__":
    print(run())
