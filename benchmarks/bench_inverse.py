"""GAN inverse design on ka_pixel_8x8 (62 free bits, beyond exhaustive reach).

The three example specs moved onto the 8 x 8 grid; the evaluator is the design pipeline's
default for that grid, the circuit model. The layout GAN is trained (or loaded) from
``$RFDESIGN_CACHE/gan/ka_pixel_8x8-*`` (``rfdesign gan train``).

1. Proposals: 256 GAN proposals per spec against 256 uniformly random layouts (what a GA
   starts from) and 256 random *designs* (the GAN's own training distribution: varied metal
   density, corner contacts closed). Fraction meeting the spec, fraction without corner
   contacts, median and best K.
2. Seeding: the GA (population 64, 60 generations) with and without 32 GAN proposals in its
   first population, 10 seeds per spec: evaluations until the best-so-far K reaches the
   unseeded runs' median final K, and the final K.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

SPECS = ("ka_bandpass", "ka_highpass", "ka_dualband")
GRID = "ka_pixel_8x8"
N_PROPOSALS = 256
SEEDS = range(10)
POPULATION = 64
GENERATIONS = 60
N_SEEDED = 32
ROOT = Path(__file__).resolve().parents[1]


def _first_hit(history, target: float) -> int | None:
    for n, best in history:
        if best <= target + 1e-9:
            return int(n)
    return None


def _judge(problem, bits: np.ndarray) -> dict:
    """Spec figures of a set of layouts on the problem's evaluator."""
    out = problem.evaluate(bits, return_as_dictionary=True)
    k, g = out["F"][:, 0], out["G"]
    feasible = (g <= 0).all(axis=1)
    met = feasible & (k <= problem.masks.k_floor + 1e-9)
    no_corner = g[:, 1] <= 0 if g.shape[1] > 1 else np.ones(len(k), bool)
    return {
        "n": len(bits),
        "met": float(met.mean()),
        "no_corner_contacts": float(no_corner.mean()),
        "feasible": float(feasible.mean()),
        "median_K": float(np.median(k)),
        "best_K": float(k.min()),
        "best_feasible_K": float(k[feasible].min()) if feasible.any() else None,
    }


def _problem(spec):
    """The pipeline's problem for ``spec`` on its grid's default evaluator (circuit model)."""
    from rfdesign.design.evaluator import search_model
    from rfdesign.evaluation import spec_mask_set
    from rfdesign.optimizers.problems import PixelFilterProblem

    grid = spec.pixel_grid()
    model = search_model(spec, grid, "auto")
    evaluator, f = model.evaluator, model.f_ghz
    return PixelFilterProblem(grid, spec_mask_set(spec, f), evaluator)


def run(results: Path | None = None) -> str:
    """The Markdown tables (and ``inverse.json``, ``docs/images/gan_seeding.png``)."""
    import torch

    from rfdesign.datasets.inverse import sample_design_bits
    from rfdesign.design.inverse import default_gan_dir, propose_for_spec, train_layout_gan
    from rfdesign.layouts.presets import get_grid
    from rfdesign.optimizers.ga import run_ga
    from rfdesign.spec import load_spec

    torch.set_num_threads(1)  # sampling is light; the circuit model gets the cores
    grid = get_grid(GRID)
    specs = {
        name: load_spec(ROOT / "examples" / f"{name}.yaml").model_copy(update={"grid": GRID})
        for name in SPECS
    }
    f = np.asarray(specs[SPECS[0]].frequencies_ghz(), float)
    t0 = time.perf_counter()
    gan = train_layout_gan(grid, f, default_gan_dir(grid), say=print)
    t_train = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    data: dict = {"gan": gan.record.get("provenance", {}), "proposals": {}, "seeding": {}}
    data["gan"]["history_last"] = gan.record.get("history", [{}])[-1]
    lines = [
        "Proposals (256 each) judged by the circuit model; K floor -35 dB for every spec.",
        "",
        "| spec | source | meets spec | no corner contacts | median K (dB) | best K (dB) | "
        "best feasible K (dB) | ms per proposal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, spec in specs.items():
        problem = _problem(spec)
        t1 = time.perf_counter()
        proposals = propose_for_spec(spec, N_PROPOSALS, gan, seed=0)
        t_prop = (time.perf_counter() - t1) / max(len(proposals), 1)
        sources = {
            "GAN": proposals,
            "random bits": rng.integers(0, 2, (N_PROPOSALS, grid.n_bits)).astype(np.uint8),
            "random designs": sample_design_bits(grid, N_PROPOSALS, seed=1),
        }
        data["proposals"][name] = {}
        for source, bits in sources.items():
            r = _judge(problem, bits)
            data["proposals"][name][source] = r
            bf = "-" if r["best_feasible_K"] is None else f"{r['best_feasible_K']:.2f}"
            ms = f"{t_prop * 1e3:.2f}" if source == "GAN" else "-"
            lines.append(
                f"| {name} | {source} ({r['n']}) | {r['met']:.0%} | {r['no_corner_contacts']:.0%} "
                f"| {r['median_K']:.2f} | {r['best_K']:.2f} | {bf} | {ms} |"
            )
    lines += [
        "",
        f"GA seeded with {N_SEEDED} GAN proposals vs unseeded (population {POPULATION}, "
        f"{GENERATIONS} generations, circuit model, 10 seeds). Target = the unseeded runs' "
        "median final K.",
        "",
        "| spec | GA | reached target (of 10) | median evaluations to target | median final K "
        "(dB) | best final K (dB) |",
        "|---|---|---|---|---|---|",
    ]
    curves: dict = {}
    for name, spec in specs.items():
        problem = _problem(spec)
        runs: dict = {"unseeded": [], "seeded": []}
        for seed in SEEDS:
            init = propose_for_spec(spec, N_SEEDED, gan, seed=seed)
            for label, initial in (("unseeded", None), ("seeded", init)):
                res = run_ga(
                    problem,
                    pop_size=POPULATION,
                    generations=GENERATIONS,
                    seed=seed,
                    initial=initial,
                )
                runs[label].append(res.history)
        target = float(np.median([h[-1][1] for h in runs["unseeded"]]))
        data["seeding"][name] = {"target_K": target}
        curves[name] = runs
        for label, histories in runs.items():
            hits = [_first_hit(h, target) for h in histories]
            reached = [h for h in hits if h is not None]
            final = [h[-1][1] for h in histories]
            data["seeding"][name][label] = {
                "evaluations_to_target": hits,
                "final_K": final,
            }
            med = int(np.median(reached)) if reached else "-"
            lines.append(
                f"| {name} | {label} | {len(reached)} | {med} | {np.median(final):.2f} | "
                f"{min(final):.2f} |"
            )
    lines += [
        "",
        f"GAN: {gan.record.get('n_train')} circuit-model layouts, response critic "
        f"{gan.record.get('provenance', {}).get('response')}, "
        f"{len(gan.record.get('history', []))} epochs; this run's train-or-load time "
        f"{t_train:.0f} s.",
    ]
    if results is not None:
        (results / "inverse.json").write_text(json.dumps(data, indent=1))
        _plot(curves, ROOT / "docs" / "images" / "gan_seeding.png")
    return "\n".join(lines)


def _plot(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.2), sharey=False)
    for ax, (name, runs) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        for label, color in (("unseeded", "tab:gray"), ("seeded", "tab:red")):
            grid_n = np.array([n for n, _ in runs[label][0]])
            ks = np.array([[k for _, k in h][: len(grid_n)] for h in runs[label]])
            ax.plot(grid_n, np.median(ks, axis=0), color=color, label=f"GA {label} (median)")
            ax.fill_between(grid_n, ks.min(0), ks.max(0), color=color, alpha=0.2)
        ax.set_title(f"{name} on {GRID}")
        ax.set_xlabel("circuit-model evaluations")
        ax.set_ylabel("best feasible K (dB)")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
