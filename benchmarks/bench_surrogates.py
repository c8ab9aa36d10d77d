"""CNN surrogate: learning curves against openEMS, and batched inference speed.

Learning curve on the 30 committed openEMS test layouts (standard preset), as a function of
the number of openEMS training layouts n = 50, 100, 200, 300 (nested random subsets of the
committed 300-layout training set):

(a) openEMS only: a 5-member ensemble trained from scratch on the n layouts;
(b) multi-fidelity: the ensemble pre-trained on all 32,768 circuit-model layouts, then
    fine-tuned on the n layouts;
(c) active learning on top of (b): start from 50 random layouts, then query the 25 the
    ensemble disagrees about most, refit, repeat. The pool is the 300 simulated training
    layouts (pool-based evaluation: a query "simulates" by revealing a stored openEMS result),
    so at n = 300 (c) has seen exactly the data of (a) and (b).

The circuit dataset and the pre-trained ensemble are cached in ``RFDESIGN_CACHE``
(default ``~/.cache/rfdesign``); the first run builds them (~2 min + ~10 min on 2 cores).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from rfdesign.core.paths import cache_base

SIZES = (50, 100, 200, 300)
CACHE = cache_base()
TRAIN = "openems_ka_pixel_4x5_standard_train"
TEST = "openems_ka_pixel_4x5_standard_test"
PRETRAIN_EPOCHS = 25
PRETRAIN_BATCH = 256


def circuit_dataset(f_ghz: np.ndarray):
    """All 32,768 ka_pixel_4x5 layouts through the circuit model (cached)."""
    from rfdesign.cluster import executor_for
    from rfdesign.datasets.generate import generate, sample_bits
    from rfdesign.datasets.store import Dataset
    from rfdesign.layouts import get_grid
    from rfdesign.solvers.base import get_solver

    path = CACHE / "circuit_ka_pixel_4x5_all"
    grid = get_grid("ka_pixel_4x5")
    solver = get_solver("circuit")
    ds = Dataset.open_or_create(
        path, grid, "circuit", solver.settings_dict(results_only=True), f_ghz
    )
    if len(ds) < grid.n_layouts:
        with executor_for("local", 2) as ex:
            generate(ds, solver, grid, sample_bits(grid, "all"), executor=ex, chunk_size=1024)
    return Dataset.open(path)


def pretrained(f_ghz: np.ndarray) -> Path:
    """Path of the 5-member ensemble pre-trained on the circuit dataset (cached)."""
    from rfdesign.cluster import executor_for
    from rfdesign.fitting import train_surrogate
    from rfdesign.surrogates.training import TrainConfig

    out = CACHE / "cnn_ka_pixel_4x5_circuit_pretrained"
    if not (out / "model.yaml").exists():
        ds = circuit_dataset(f_ghz)
        with executor_for("local", 2) as ex:
            train_surrogate(
                ds,
                out,
                holdout=0.05,
                seed=0,
                executor=ex,
                train_config=TrainConfig(max_epochs=PRETRAIN_EPOCHS, batch_size=PRETRAIN_BATCH),
            )
    return out


def learning_curves(seed: int = 0) -> list[dict]:
    """Rows (method, n, metrics...) of the three learning curves."""
    from rfdesign.cluster import executor_for
    from rfdesign.datasets.store import load_reference
    from rfdesign.layouts import get_grid
    from rfdesign.surrogates.active import active_learning
    from rfdesign.surrogates.ensemble import CNNSurrogate
    from rfdesign.surrogates.metrics import response_metrics

    grid = get_grid("ka_pixel_4x5")
    train, test = load_reference(TRAIN), load_reference(TEST)
    bt, st = train.arrays()
    be, se = test.arrays()
    f = train.f_ghz
    pre = CNNSurrogate.load(pretrained(f), grid=grid)
    order = np.random.default_rng(seed).permutation(len(bt))
    rows = []

    def record(method: str, n: int, model: CNNSurrogate, wall: float) -> None:
        m = response_metrics(model.predict(be), se)
        rows.append({"method": method, "n_openems": n, "seed": seed, "fit_s": round(wall, 1)} | m)
        print(method, n, {k: round(v, 2) for k, v in m.items()}, flush=True)

    with executor_for("local", 2) as ex:
        for n in SIZES:
            idx = order[:n]
            for method, init in (("openems only", None), ("circuit pre-train + fine-tune", pre)):
                t0 = time.perf_counter()
                model = CNNSurrogate(grid, f, pre.config, seed=seed)
                model.fit(bt[idx], st[idx], executor=ex, init=init)
                record(method, n, model, time.perf_counter() - t0)

        lookup = {b.tobytes(): i for i, b in enumerate(bt.astype(np.uint8))}
        t0 = time.perf_counter()
        res = active_learning(
            lambda: CNNSurrogate(grid, f, pre.config, seed=seed),
            lambda q: st[[lookup[b.tobytes()] for b in q.astype(np.uint8)]],
            bt,
            initial=SIZES[0],
            batch=25,
            budget=SIZES[-1],
            seed=seed,
            evaluate=lambda model: response_metrics(model.predict(be), se),
            fit_kwargs={"executor": ex, "init": pre},
        )
    wall = time.perf_counter() - t0
    for h in res.history:
        if h["n_labelled"] in SIZES:
            m = {k: v for k, v in h.items() if k not in ("n_labelled", "queried", "mean_std_db")}
            rows.append(
                {
                    "method": "pre-train + active learning",
                    "n_openems": h["n_labelled"],
                    "seed": seed,
                    "fit_s": round(wall, 1),
                }
                | m
            )
    return rows


def inference_speed(model_dir: Path, n: int = 32768) -> tuple[float, float]:
    """(layouts per second, seconds) for the ensemble's batched prediction on ``n`` layouts."""
    import torch

    from rfdesign.surrogates.ensemble import CNNSurrogate

    torch.set_num_threads(2)
    model = CNNSurrogate.load(model_dir)
    bits = np.random.default_rng(0).integers(0, 2, (n, model.grid.n_bits))
    model.predict(bits[:100])  # warm-up
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        model.predict(bits)
        best = min(best, time.perf_counter() - t0)
    return n / best, best


def run(results: Path, seeds: tuple[int, ...] = (0,)) -> str:
    """Run everything; write ``surrogates_runs.csv`` and return the Markdown table."""
    from rfdesign.datasets.store import load_reference

    rows = [r for s in seeds for r in learning_curves(s)]
    results.mkdir(parents=True, exist_ok=True)
    with open(results / "surrogates_runs.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        "Learning curves on the 30 openEMS test layouts (standard preset, 51 points 34-46 GHz;",
        "|S| in dB floored at -40 dB; 'median' = median over layouts of each layout's MAE).",
        "",
        "| method | openEMS runs | median MAE S21 (dB) | median MAE S11 (dB) | mean MAE S21 | mean MAE S11 | complex RMSE | R^2 (dB) | fit s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['n_openems']} | {r['median_mae_s21_db']:.2f} | "
            f"{r['median_mae_s11_db']:.2f} | {r['mae_s21_db']:.2f} | {r['mae_s11_db']:.2f} | "
            f"{r['rmse_complex']:.3f} | {r['r2_db']:.2f} | {r['fit_s']} |"
        )
    f = load_reference(TRAIN).f_ghz
    rate, secs = inference_speed(pretrained(f))
    lines += [
        "",
        "Goal of issue 6: median MAE of |S21| and |S11| <= 0.75 dB with <= 300 openEMS runs.",
        "",
        f"Batched inference, 5-member ensemble, 32,768 layouts, 2 torch threads: "
        f"{secs:.2f} s = **{rate:,.0f} layouts/s** (best of 3).",
        "",
        f"Pre-training: {PRETRAIN_EPOCHS} epochs max, batch {PRETRAIN_BATCH}, on 95 % of the "
        "32,768 circuit-model layouts; fits of (a) and (b) on 2 Dask workers.",
    ]
    return "\n".join(lines)
