"""Benchmark of the gpytorch GP surrogate against scikit-learn on sized ka_pixel_4x5 designs.

Data: :func:`rfdesign.datasets.sizes.pixel_size_dataset` (one fixed layout, three cell
sizes in mm, |S11| and |S21| in dB at 51 frequencies from 34 to 46 GHz, circuit model). The
training sets are the first 25, 50, 100 and 200 designs of one Sobol sequence (seed 1), the
test set 200 designs of another (seed 2). Everything runs on one thread.

Run alone with ``python benchmarks/bench_gp.py``; ``benchmarks/run.py gp`` (``make bench
BENCH=gp``) writes the table to ``benchmarks/results/gp.md``.
"""

from __future__ import annotations

import csv
import time
import warnings
from pathlib import Path

import numpy as np

TRAIN_SIZES = (25, 50, 100, 200)
N_TEST = 200
N_PREDICT = 1000
F_POINTS = 51


def _sklearn_gp(n_dims: int, seed: int):
    """scikit-learn's multi-output GP: C * Matern 5/2 (ARD) + white noise, normalize_y."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=np.full(n_dims, 0.3), length_scale_bounds=(1e-3, 1e3), nu=2.5
    ) + WhiteKernel(1e-2, (1e-8, 1e1))
    return GaussianProcessRegressor(
        kernel, normalize_y=True, n_restarts_optimizer=2, random_state=seed
    )


class _SklearnAdapter:
    """scikit-learn's GP behind the :class:`GPSurrogate` calls, on unit-box inputs."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray, bounds: np.ndarray) -> _SklearnAdapter:
        self.lo, self.width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
        self.gp = _sklearn_gp(x.shape[1], self.seed).fit((x - self.lo) / self.width, y)
        return self

    def predict_with_uncertainty(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.gp.predict((x - self.lo) / self.width, return_std=True)


def _best_of(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(out_dir: str | Path) -> str:
    """Fit every model at every training size; return a Markdown table.

    Args:
        out_dir: Folder for ``gp_runs.csv`` (the table's figures, one row per model and size).

    Returns:
        The Markdown table: MAE of |S11| and |S21| in dB, coverage of the 95 % intervals,
        fit time in s and time in ms to predict mean and std at 1,000 designs.
    """
    import torch
    from scipy.stats import qmc
    from threadpoolctl import threadpool_limits

    from rfdesign.datasets.sizes import pixel_size_dataset
    from rfdesign.surrogates.gp import GPSurrogate

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    x_pool, y_pool, names, bounds = pixel_size_dataset(max(TRAIN_SIZES), seed=1)
    x_test, y_test, _, _ = pixel_size_dataset(N_TEST, seed=2)
    t_data = time.perf_counter() - t0
    with warnings.catch_warnings():  # 1,000 is not a power of two: fine for timing
        warnings.simplefilter("ignore", UserWarning)
        unit = qmc.Sobol(3, seed=3).random(N_PREDICT)
    x_many = qmc.scale(unit, bounds[:, 0], bounds[:, 1])

    models = {
        "GPSurrogate (default: 2 own GPs + 1 shared, LOO-calibrated)": lambda: GPSurrogate(seed=0),
        "GPSurrogate, all components in one shared GP (max_components=0)": lambda: GPSurrogate(
            seed=0, max_components=0
        ),
        "GPSurrogate, 8 independent PCA GPs, rest as noise, no LOO": lambda: GPSurrogate(
            seed=0, max_components=8, shared_residual=False, loo_calibration=False
        ),
        "scikit-learn GaussianProcessRegressor": lambda: _SklearnAdapter(seed=0),
    }
    rows = []
    with threadpool_limits(limits=1):
        for n in TRAIN_SIZES:
            x, y = x_pool[:n], y_pool[:n]
            base = np.abs(y.mean(axis=0) - y_test)
            rows.append(("training mean (no model)", n, base, None, None, None))
            for name, make in models.items():
                t0 = time.perf_counter()
                model = make().fit(x, y, bounds=bounds)
                t_fit = time.perf_counter() - t0
                mean, std = model.predict_with_uncertainty(x_test)
                t_pred = _best_of(lambda m=model: m.predict_with_uncertainty(x_many))
                err = np.abs(mean - y_test)
                cov = float(np.mean(err <= 1.96 * std))
                rows.append((name, n, err, cov, t_fit, t_pred))

    records = [
        {
            "model": name,
            "n_train": n,
            "mae_s11_db": float(err[:, :F_POINTS].mean()),
            "mae_s21_db": float(err[:, F_POINTS:].mean()),
            "coverage_95": cov,
            "fit_s": t_fit,
            "predict_1000_ms": None if t_pred is None else 1e3 * t_pred,
        }
        for name, n, err, cov, t_fit, t_pred in rows
    ]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "gp_runs.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)

    def num(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    lines = [
        f"ka_pixel_4x5 with fixed layout, sizes varied ({', '.join(names)}; bounds in mm "
        f"{bounds.tolist()}), circuit model, |S11| and |S21| in dB (floor -40 dB) at 51 "
        f"frequencies 34-46 GHz; training: first n designs of a Sobol sequence (seed 1), test: "
        f"{N_TEST} designs (Sobol seed 2); data generation {t_data:.1f} s. One thread for "
        "torch and BLAS. scikit-learn: C * Matern 5/2 (ARD) + WhiteKernel, normalize_y=True, "
        "n_restarts_optimizer=2, inputs scaled to the unit box like GPSurrogate's. Coverage: "
        "share of test values inside mean +- 1.96 std (target 0.95).",
        "",
        "| model | n train | MAE \\|S11\\| dB | MAE \\|S21\\| dB | 95 % coverage | fit s | "
        f"predict {N_PREDICT} ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['model']} | {r['n_train']} | {r['mae_s11_db']:.3f} | {r['mae_s21_db']:.3f} | "
            f"{num(r['coverage_95'], '.3f')} | {num(r['fit_s'], '.2f')} | "
            f"{num(r['predict_1000_ms'], '.0f')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(Path(__file__).resolve().parent / "results"))
