"""Hyper-parameter search for the CNN: Optuna TPE, k-fold cross-validation, tasks on an executor.

Every (trial, fold) pair is an independent task.

Optuna (Akiba et al., KDD 2019) proposes configurations through its ask/tell interface; the
folds of each wave of trials are submitted together to a ``concurrent.futures``-style
executor (a Dask client on a cluster, a process pool, or ``None`` to run here), so the same
call runs on a laptop and on SLURM. The score is the mean over folds of the validation MAE of
|S11| and |S21| in dB (floored at -40 dB), the metric the design uses.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from rfdesign.layouts.grid import PixelGrid
from rfdesign.surrogates.cnn import CNNConfig
from rfdesign.surrogates.ensemble import CNNSurrogate
from rfdesign.surrogates.metrics import response_metrics
from rfdesign.surrogates.training import TrainConfig, kfold_indices, train_member

ARCHITECTURES = {"16-32": (16, 32), "32-32": (32, 32), "16-32-32": (16, 32, 32)}


@dataclass
class TuningResult:
    """Outcome of :func:`tune`: best configuration, its score, and every trial's record."""

    best_config: CNNConfig
    best_train_config: TrainConfig
    best_score_db: float
    trials: list[dict] = field(default_factory=list)


def suggest(
    trial, base_config: CNNConfig, base_train: TrainConfig
) -> tuple[CNNConfig, TrainConfig]:
    """Draw a configuration from the search space (architecture, regularisation, optimiser)."""
    arch = trial.suggest_categorical("channels", list(ARCHITECTURES))
    config = dataclasses.replace(
        base_config,
        channels=ARCHITECTURES[arch],
        hidden=trial.suggest_categorical("hidden", [64, 128, 256]),
        dropout=trial.suggest_float("dropout", 0.0, 0.3),
    )
    train = dataclasses.replace(
        base_train,
        lr=trial.suggest_float("lr", 3e-4, 5e-3, log=True),
        weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        batch_size=trial.suggest_categorical("batch_size", [16, 32, 64]),
        complex_weight=trial.suggest_float("complex_weight", 1.0, 50.0, log=True),
    )
    return config, train


def cv_fold_score(
    grid: PixelGrid,
    f_ghz: np.ndarray,
    bits: np.ndarray,
    s: np.ndarray,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    config: CNNConfig,
    train_config: TrainConfig,
    seed: int,
) -> dict:
    """Train one member on ``train_idx`` and return its validation metrics (a task)."""
    sur = CNNSurrogate(grid, f_ghz, config, train_config, n_members=1, seed=seed)
    t0 = time.perf_counter()
    # Early stopping inside the fold: hold out 20 % of the fold's training part.
    inner = kfold_indices(len(train_idx), 1, seed)[0]
    from rfdesign.surrogates.cnn import encode_masks

    x = encode_masks(grid, grid.masks(bits[train_idx]), sur.config.flip_invariant)
    s2 = np.stack([s[train_idx][..., 0, 0], s[train_idx][..., 1, 0]], axis=-1)
    res = train_member(x, s2, inner[0], inner[1], sur.config, train_config, seed)
    sur.states = [res.state]
    metrics = response_metrics(sur.predict(bits[val_idx]), s[val_idx])
    metrics["wall_s"] = time.perf_counter() - t0
    metrics["best_epoch"] = res.best_epoch
    return metrics


def tune(
    grid: PixelGrid,
    f_ghz: np.ndarray,
    bits: np.ndarray,
    s: np.ndarray,
    *,
    n_trials: int = 20,
    folds: int = 3,
    parallel: int = 2,
    seed: int = 0,
    executor: Executor | None = None,
    base_config: CNNConfig | None = None,
    base_train: TrainConfig | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> TuningResult:
    """Search CNN hyper-parameters by k-fold cross-validation.

    Args:
        grid: Grid of the layouts.
        f_ghz: Frequencies of ``s`` (GHz).
        bits: Layouts, ``N x d``.
        s: Reference S, ``N x F x 2 x 2``.
        n_trials: Configurations to try.
        folds: Cross-validation folds per configuration (>= 2).
        parallel: Trials asked from Optuna per wave (their folds run concurrently).
        seed: Seeds the sampler, the folds and the networks.
        executor: Runs the (trial, fold) tasks; ``None`` runs them here.
        base_config: Values of the architecture not searched.
        base_train: Values of the optimiser settings not searched.
        progress: Called as (trials done, n_trials, best score so far).

    Returns:
        The best configuration, its cross-validated score and every trial's metrics.
    """
    import optuna

    if folds < 2:
        raise ValueError(f"folds: need >= 2 for cross-validation, got {folds}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base_config = base_config or CNNConfig()
    base_train = base_train or TrainConfig()
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    splits = kfold_indices(len(bits), folds, seed)
    records: list[dict] = []
    done = 0
    while done < n_trials:
        wave = []
        for _ in range(min(parallel, n_trials - done)):
            trial = study.ask()
            config, train = suggest(trial, base_config, base_train)
            jobs = []
            for k, (tr, va) in enumerate(splits):
                args = (grid, f_ghz, bits, s, tr, va, config, train, seed * 100 + k)
                jobs.append(executor.submit(cv_fold_score, *args) if executor else args)
            wave.append((trial, jobs))
        for trial, jobs in wave:
            fold_metrics = [j.result() if executor else cv_fold_score(*j) for j in jobs]
            score = float(
                np.mean([0.5 * (m["mae_s11_db"] + m["mae_s21_db"]) for m in fold_metrics])
            )
            study.tell(trial, score)
            records.append(
                {
                    "trial": trial.number,
                    "params": trial.params,
                    "score_db": score,
                    "mae_s11_db": float(np.mean([m["mae_s11_db"] for m in fold_metrics])),
                    "mae_s21_db": float(np.mean([m["mae_s21_db"] for m in fold_metrics])),
                    "wall_s": float(sum(m["wall_s"] for m in fold_metrics)),
                }
            )
            done += 1
            if progress is not None:
                progress(done, n_trials, study.best_value)
    best = study.best_trial
    best_config, best_train = suggest(optuna.trial.FixedTrial(best.params), base_config, base_train)
    return TuningResult(best_config, best_train, float(best.value), records)
