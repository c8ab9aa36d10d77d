"""Training of one CNN member: seeded, early-stopped, with a loss that matches the metrics.

The loss is the mean absolute error of |S11| and |S21| in dB, both clipped at the floor of
:mod:`rfdesign.surrogates.metrics` (what a designer reads off a plot), plus a weighted mean
squared complex error, which teaches the phases and keeps the curves smooth where |S| is
small. Training stops when the validation loss has not improved for ``patience`` epochs and
returns the best weights (Prechelt, "Early stopping - but when?", 1998).

Members are trained by :func:`train_member`, a pure function of arrays and seeds that
returns numpy weights, so it can run in a process pool or on a Dask worker unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from rfdesign.core.db import s_db
from rfdesign.surrogates.checkpoint import ConfigRecord
from rfdesign.surrogates.cnn import DB_PER_NEPER_POWER, CNNConfig, build_model, raw_to_response
from rfdesign.surrogates.metrics import FLOOR_DB


@dataclass(frozen=True)
class TrainConfig(ConfigRecord):
    """Optimiser settings of one member (AdamW at a constant rate, early stopping).

    Defaults come from a 24-trial Optuna search (3-fold CV on the 300 openEMS training
    layouts, ``benchmarks/results/surrogates.md``); the spread between good configurations was
    small (4.67-4.73 dB CV score), so data, not hyper-parameters, limits the accuracy.

    Attributes:
        max_epochs: Upper bound on passes over the training part.
        batch_size: Layouts per step.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        patience: Epochs without a validation improvement before stopping.
        complex_weight: Weight of the mean squared complex error (|S| is <= 1) against the
            dB error.
        floor_db: dB floor of the loss (and of the reported metrics).
        threads: torch CPU threads while training (explicit: never "all cores").
    """

    max_epochs: int = 600
    batch_size: int = 32
    lr: float = 4e-3
    weight_decay: float = 1e-3
    patience: int = 60
    complex_weight: float = 12.0
    floor_db: float = FLOOR_DB
    threads: int = 1

    label: ClassVar[str] = "train config"


@dataclass
class MemberResult:
    """What :func:`train_member` returns (picklable: numpy only)."""

    state: dict[str, np.ndarray]
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    wall_s: float
    history: list[tuple[float, float]] = field(default_factory=list)


def _loss(raw, s_true, db_true, complex_weight: float, floor_db: float):
    import torch

    log_p, s = raw_to_response(raw)
    db = torch.clamp(DB_PER_NEPER_POWER * log_p[..., :2], min=floor_db)
    l_db = torch.mean(torch.abs(db - db_true))
    l_c = torch.mean(torch.abs(s - s_true) ** 2)
    return l_db + complex_weight * l_c


def _targets(s: np.ndarray, floor_db: float):
    import torch

    db = s_db(s, floor_db)
    return torch.as_tensor(s, dtype=torch.complex64), torch.as_tensor(db, dtype=torch.float32)


def train_member(
    x: np.ndarray,
    s: np.ndarray,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    model_config: CNNConfig,
    train_config: TrainConfig,
    seed: int,
    init_state: dict[str, np.ndarray] | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> MemberResult:
    """Train one network.

    Args:
        x: Encoded layouts ``N x 3 x R x C`` (float32, see :func:`encode_masks`).
        s: Reference S11 and S21, ``N x F x 2`` complex.
        train_idx: Rows of ``x`` to fit.
        val_idx: Rows for early stopping (must not overlap ``train_idx``; may be empty, then
            the training loss is monitored).
        model_config: Architecture.
        train_config: Optimiser and stopping settings.
        seed: Seeds weight initialisation and batch order.
        init_state: Start from these weights (fine-tuning) instead of a random init.
        progress: Called after every epoch with (epoch, train loss, validation loss).

    Returns:
        The best weights (numpy) and the training record.
    """
    import torch

    t0 = time.perf_counter()
    if np.intersect1d(train_idx, val_idx).size:
        raise ValueError("val_idx: overlaps train_idx")
    if len(train_idx) == 0:
        raise ValueError("train_idx: no training samples")
    torch.set_num_threads(train_config.threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    _, _, rows, cols = x.shape
    model = build_model(model_config, rows, cols, s.shape[1])
    if init_state is not None:
        model.load_state_dict({k: torch.as_tensor(v) for k, v in init_state.items()})
    opt = torch.optim.AdamW(
        model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
    )
    xt = torch.as_tensor(x, dtype=torch.float32)
    st, dbt = _targets(s, train_config.floor_db)
    monitor = val_idx if len(val_idx) else train_idx
    xv, sv, dbv = xt[monitor], st[monitor], dbt[monitor]
    best = (float("inf"), 0, None)
    history = []
    epoch = 0
    for epoch in range(1, train_config.max_epochs + 1):
        model.train()
        order = rng.permutation(train_idx)
        total = 0.0
        for start in range(0, len(order), train_config.batch_size):
            b = torch.as_tensor(order[start : start + train_config.batch_size])
            loss = _loss(
                model(xt[b]), st[b], dbt[b], train_config.complex_weight, train_config.floor_db
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        model.eval()
        with torch.no_grad():
            val = float(
                _loss(model(xv), sv, dbv, train_config.complex_weight, train_config.floor_db)
            )
        history.append((total / len(order), val))
        if progress is not None:
            progress(epoch, total / len(order), val)
        if val < best[0]:
            best = (val, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= train_config.patience:
            break
    state = {k: v.numpy() for k, v in best[2].items()}
    return MemberResult(
        state=state,
        best_epoch=best[1],
        best_val_loss=best[0],
        epochs_run=epoch,
        wall_s=time.perf_counter() - t0,
        history=history,
    )


def kfold_indices(n: int, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded k-fold (train, validation) index pairs over ``range(n)``; ``k = 1`` holds out 20 %."""
    if n < 2:
        raise ValueError(f"n: need at least 2 samples to train with validation, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    if k <= 1:
        n_val = max(1, round(0.2 * n))
        return [(np.sort(perm[n_val:]), np.sort(perm[:n_val]))]
    folds = np.array_split(perm, k)
    return [
        (np.sort(np.concatenate([f for j, f in enumerate(folds) if j != i])), np.sort(folds[i]))
        for i in range(k)
    ]
