"""Search algorithms on the shipped surrogate: evaluations to reach the proven optimum.

For each example spec on ka_pixel_4x5 (15 bits): the exhaustive optimum (32,768 evaluations)
and, over 10 seeds, how many surrogate evaluations the GA (population 64) and random search
need to first reach it (or the best they reach within the budget). Also the full-wave runs a
design costs with this workflow against the paper's 32,768.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

SPECS = ("ka_bandpass", "ka_highpass", "ka_dualband")
SEEDS = range(10)
BUDGET_GENERATIONS = 200


def _first_hit(history: list[tuple[int, float]], target: float) -> int | None:
    for n, best in history:
        if best <= target + 1e-9:
            return int(n)
    return None


def run() -> str:
    """The Markdown table."""
    from rfdesign.evaluation import spec_mask_set
    from rfdesign.optimizers.ga import exhaustive, random_search, run_ga
    from rfdesign.optimizers.problems import PixelFilterProblem, surrogate_evaluator
    from rfdesign.spec import load_spec
    from rfdesign.surrogates.base import load_shipped

    root = Path(__file__).resolve().parents[1]
    model = load_shipped("ka_pixel_4x5")
    lines = [
        "| spec | exhaustive K* (dB) | exhaustive s | algorithm | reached K* (of 10 seeds) | "
        "median evaluations to K* | best K if missed (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in SPECS:
        spec = load_spec(root / "examples" / f"{name}.yaml")
        problem = PixelFilterProblem(
            spec.pixel_grid(), spec_mask_set(spec), surrogate_evaluator(model)
        )
        t0 = time.perf_counter()
        opt = exhaustive(problem, top_k=1)
        t_ex = time.perf_counter() - t0
        k_star = float(opt.objective[0])
        for algo in ("ga", "random"):
            hits, misses = [], []
            for seed in SEEDS:
                if algo == "ga":
                    res = run_ga(problem, pop_size=64, generations=BUDGET_GENERATIONS, seed=seed)
                else:
                    res = random_search(problem, n=64 * BUDGET_GENERATIONS, seed=seed, batch=64)
                hit = _first_hit(res.history, k_star)
                (hits.append(hit) if hit is not None else misses.append(float(res.objective[0])))
            lines.append(
                f"| {name} | {k_star:.2f} | {t_ex:.1f} | {algo} | {len(hits)} | "
                f"{int(np.median(hits)) if hits else '-'} | "
                f"{np.median(misses):.2f} |"
                if misses
                else f"| {name} | {k_star:.2f} | {t_ex:.1f} | {algo} | {len(hits)} | "
                f"{int(np.median(hits)) if hits else '-'} | - |"
            )
    lines += [
        "",
        f"Budget per run: {BUDGET_GENERATIONS} generations x 64 (GA; duplicates eliminated, so"
        " evaluations <= 12,800) or 12,800 distinct random layouts. Exhaustive = 32,768.",
        "",
        "Full-wave runs per design with the shipped surrogate: 300 (training, once per grid) + 5"
        " (verification of the top-5) = 305, against the paper's 32,768 (1 %); a second spec on"
        " the same grid costs 5 more.",
    ]
    return "\n".join(lines)
