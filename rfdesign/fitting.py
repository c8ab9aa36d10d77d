"""Train and evaluate surrogates on stored datasets (``rfdesign train``, ``rfdesign evaluate``).

The engines in :mod:`rfdesign.surrogates` work on arrays; this module connects them to
:class:`~rfdesign.datasets.store.Dataset` folders: the seeded split, the dataset's content hash in
the checkpoint, the metrics on the held-out part, and a ``training.json`` record with every
tuning trial.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.datasets.store import Dataset
from rfdesign.layouts.grid import PixelGrid
from rfdesign.surrogates.metrics import FLOOR_DB, response_metrics
from rfdesign.surrogates.training import TrainConfig

MODEL_KINDS = ("cnn", "gp")


def dataset_grid(ds: Dataset) -> PixelGrid:
    """The pixel grid a dataset was made on."""
    return PixelGrid.from_dict(ds.attrs["grid"])


def _provenance(ds: Dataset) -> dict:
    return {
        "dataset": str(ds.path),
        "dataset_hash": ds.content_hash(),
        "solver": ds.attrs["solver"],
        "settings": ds.attrs["settings"],
        "samples": len(ds),
    }


def gp_targets(s: np.ndarray, floor_db: float = FLOOR_DB) -> np.ndarray:
    """GP outputs for pixel data: |S11| and |S21| in dB (floored), ``N x 2F``."""
    return np.concatenate([s_db(s[..., 0, 0], floor_db), s_db(s[..., 1, 0], floor_db)], axis=1)


def gp_response(y: np.ndarray) -> np.ndarray:
    """GP outputs ``N x 2F`` back to S ``N x F x 2 x 2`` (magnitudes only, zero phase)."""
    f = y.shape[1] // 2
    s11, s21 = 10 ** (y[:, :f] / 20), 10 ** (y[:, f:] / 20)
    out = np.empty((len(y), f, 2, 2), complex)
    out[..., 0, 0] = out[..., 1, 1] = s11
    out[..., 1, 0] = out[..., 0, 1] = s21
    return out


def predict_response(model, bits: np.ndarray) -> np.ndarray:
    """S ``N x F x 2 x 2`` from any surrogate kind for pixel layouts."""
    if getattr(model, "kind", None) == "gp":
        return gp_response(model.predict(np.asarray(bits, float)))
    return model.predict(bits)


def train_surrogate(
    dataset: str | Path | Dataset,
    out: str | Path,
    *,
    model: str = "cnn",
    holdout: float = 0.2,
    seed: int = 0,
    members: int = 5,
    pretrained: str | Path | None = None,
    executor: Executor | None = None,
    tune_trials: int = 0,
    folds: int = 3,
    max_epochs: int | None = None,
    threads: int = 1,
    train_config: TrainConfig | None = None,
    test_dataset: str | Path | Dataset | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Train a surrogate on a dataset folder and save it as a checkpoint.

    Args:
        dataset: Dataset folder (or an open :class:`Dataset`).
        out: Checkpoint folder to write.
        model: ``"cnn"`` (deep ensemble) or ``"gp"`` (bits as GP inputs; for continuous
            parameters use :class:`~rfdesign.surrogates.gp.GPSurrogate` directly).
        holdout: Fraction held out for the reported metrics (0 trains on everything).
        seed: Seeds the split, the folds and the networks.
        members: Ensemble size of the CNN.
        pretrained: CNN checkpoint to fine-tune from (multi-fidelity); same grid, frequencies
            and architecture.
        executor: Runs ensemble members and tuning folds (Dask client or ``None``).
        tune_trials: Optuna trials before the final fit (0: default configuration).
        folds: Cross-validation folds per tuning trial.
        max_epochs: Override the training epochs (short runs in tests).
        threads: torch threads per training task.
        train_config: Optimiser settings (default: :class:`TrainConfig` with ``threads``).
        test_dataset: An independent dataset (same grid and frequencies) whose metrics are
            reported and stored in the checkpoint as ``metrics_test``.
        progress: Called as (stage, done, total).

    Returns:
        The report written to ``out/training.json``: metrics on the held-out and training
        parts, split sizes, configuration, tuning trials, wall time.
    """
    from rfdesign.surrogates.cnn import CNNConfig

    t0 = time.perf_counter()
    if model not in MODEL_KINDS:
        raise ValueError(f"model: {model!r} is not one of {MODEL_KINDS}")
    if not 0 <= holdout < 1:
        raise ValueError(f"holdout: must be in [0, 1), got {holdout}")
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    grid = dataset_grid(ds)
    bits, s = ds.arrays()
    if len(bits) < 10:
        raise ValueError(f"dataset: {ds.path} holds {len(bits)} samples; need at least 10")
    if holdout > 0:
        train_idx, test_idx = ds.split(holdout, seed)
    else:
        train_idx, test_idx = np.arange(len(bits)), np.zeros(0, int)
    report: dict = {
        "model": model,
        "seed": seed,
        "holdout": holdout,
        "n_train": len(train_idx),
        "n_holdout": len(test_idx),
        "provenance": _provenance(ds),
        "tuning": None,
    }
    say = progress or (lambda *a: None)
    if model == "gp":
        from rfdesign.surrogates.gp import GPSurrogate

        sur = GPSurrogate(seed=seed)
        sur.fit(bits[train_idx].astype(float), gp_targets(s[train_idx]))
        say("fit", 1, 1)
    else:
        config = CNNConfig()
        train = train_config or TrainConfig(threads=threads)
        if max_epochs is not None:
            train = replace(train, max_epochs=max_epochs, patience=min(train.patience, max_epochs))
        init = None
        if pretrained is not None:
            from rfdesign.surrogates.ensemble import CNNSurrogate

            init = CNNSurrogate.load(pretrained, grid=grid)
            config = init.config
            report["pretrained"] = str(pretrained)
        if tune_trials > 0:
            if init is not None:
                raise ValueError("tune_trials: tuning with a pretrained model is not supported")
            from rfdesign.surrogates.tuning import tune

            res = tune(
                grid,
                ds.f_ghz,
                bits[train_idx],
                s[train_idx],
                n_trials=tune_trials,
                folds=folds,
                seed=seed,
                executor=executor,
                base_train=train,
                progress=lambda d, n, best: say("tune", d, n),
            )
            config, train = res.best_config, res.best_train_config
            report["tuning"] = {
                "best_score_db": res.best_score_db,
                "best_config": config.to_dict(),
                "best_train_config": train.to_dict(),
                "trials": res.trials,
            }
        from rfdesign.surrogates.ensemble import CNNSurrogate

        sur = CNNSurrogate(grid, ds.f_ghz, config, train, n_members=members, seed=seed)
        sur.fit(
            bits[train_idx],
            s[train_idx],
            executor=executor,
            init=init,
            progress=lambda d, n, loss: say("members", d, n),
            provenance=report["provenance"],
        )
    report["metrics_train"] = response_metrics(predict_response(sur, bits[train_idx]), s[train_idx])
    report["metrics_holdout"] = (
        response_metrics(predict_response(sur, bits[test_idx]), s[test_idx])
        if len(test_idx)
        else None
    )
    report["metrics_test"] = None
    if test_dataset is not None:
        tds = test_dataset if isinstance(test_dataset, Dataset) else Dataset.open(test_dataset)
        _check_same_space(tds, grid, ds.f_ghz)
        tb, ts = tds.arrays()
        report["metrics_test"] = response_metrics(predict_response(sur, tb), ts) | {
            "dataset": str(tds.path),
            "dataset_hash": tds.content_hash(),
        }
    report["wall_s"] = time.perf_counter() - t0
    out = Path(out)
    metrics = {"holdout": report["metrics_holdout"], "test": report["metrics_test"]}
    if model == "gp":
        sur.save(out)
    else:
        sur.save(out, metrics=metrics)
    (out / "training.json").write_text(json.dumps(report, indent=2, default=float))
    return report


def _check_same_space(ds: Dataset, grid: PixelGrid, f_ghz: np.ndarray) -> None:
    other = dataset_grid(ds)
    if other.key() != grid.key():
        raise ValueError(f"dataset: {ds.path} uses grid {other.name!r}, expected {grid.name!r}")
    f = ds.f_ghz
    if len(f) != len(f_ghz) or not np.allclose(f, f_ghz):
        raise ValueError(
            f"dataset: {ds.path} frequencies ({len(f)} points, {f[0]}-{f[-1]} GHz) differ from "
            f"the model's ({len(f_ghz)} points, {f_ghz[0]}-{f_ghz[-1]} GHz)"
        )


def evaluate_checkpoint(model_dir: str | Path, dataset: str | Path | Dataset) -> dict:
    """Metrics of a checkpoint on every successful sample of a dataset.

    Raises:
        ValueError: The dataset's grid or frequencies differ from the checkpoint's.
    """
    from rfdesign.surrogates.base import load_surrogate

    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    sur = load_surrogate(model_dir)
    if getattr(sur, "grid", None) is not None:
        _check_same_space(ds, sur.grid, sur.f_ghz)
    bits, s = ds.arrays()
    metrics = response_metrics(predict_response(sur, bits), s)
    metrics["dataset"] = str(ds.path)
    metrics["model"] = str(model_dir)
    return metrics
