"""Spec feasibility: can N coupled resonators of quality Qu meet the paper's specs at all?

For the band-pass and high-pass specs, the best worst margin that any N-resonator
coupling matrix reaches (every coupling free: all topologies, cross couplings and source-load
coupling included), for N = 3..5 and a range of resonator unloaded Q, with
:func:`rfdesign.optimizers.synthesis.bound.best_margin` (seeded differential evolution from
Chebyshev starts, then Nelder-Mead). A numerical search: a negative margin is strong evidence,
not a proof, that no such filter exists. The measured Q of the resonators this project's
pixel grids can draw (openEMS) is in docs/design_space.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

CASES = {
    # spec: (f0 GHz, FBW) used only to normalise the couplings
    "ka_bandpass": (np.sqrt(41 * 43), 2 / 42),
    "ka_highpass": (np.sqrt(42 * 47), 5 / 44.4),
}
ORDERS = (3, 4, 5)
QUS = (100.0, 200.0, 400.0, 1000.0, np.inf)


def run(maxiter: int = 100, popsize: int = 10) -> str:
    """The Markdown table."""
    from rfdesign.evaluation import spec_mask_set
    from rfdesign.optimizers.synthesis.bound import best_margin
    from rfdesign.spec import load_spec

    root = Path(__file__).resolve().parents[1]
    lines = [
        "Best worst margin (dB; >= 0 means every mask of the spec is met) of any N-resonator",
        "coupling-matrix filter whose resonators have unloaded quality Qu. Search: "
        f"differential evolution (maxiter {maxiter}, popsize {popsize}, seed 0) + Nelder-Mead.",
        "",
        "| spec | N | " + " | ".join(f"Qu {q:g}" for q in QUS) + " | s |",
        "|---|---|" + "---|" * len(QUS) + "---|",
    ]
    for name, (f0, fbw) in CASES.items():
        spec = load_spec(root / "examples" / f"{name}.yaml")
        masks = spec_mask_set(spec)
        for n in ORDERS:
            t0 = time.perf_counter()
            cells = []
            for qu in QUS:
                res = best_margin(masks, n, qu, f0, fbw, seed=0, maxiter=maxiter, popsize=popsize)
                cells.append(f"{res.worst_margin_db:+.2f}")
            lines.append(
                f"| {name} | {n} | " + " | ".join(cells) + f" | {time.perf_counter() - t0:.0f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
