"""A CNN ensemble for pixel antennas: metal mask in, |S11| in dB over the sweep out.

The pixel antennas' surrogate (SEED-NOTES section 4: Sengupta's and Khankhoje's groups search
pixel patches with a CNN and a GA). One forward pass gives the whole sweep: two 3x3
convolutions see which cells touch, a dense layer maps them to ``F`` values of |S11| in dB
(floored at :data:`FLOOR_DB`: below it a match is a match, and a deep null would otherwise
dominate the loss). Deep ensembles (Lakshminarayanan et al., NeurIPS 2017): members differ in
their initial weights and batch order; their spread is the uncertainty the search's
optimistic picks use.

Multi-fidelity by transfer: :meth:`AntennaCNN.fit` on many cheap runs (a coarse openEMS
mesh) pre-trains the members, a second :meth:`AntennaCNN.fit` with ``warm=True`` fine-tunes
them on the fewer search-mesh runs, starting from the pre-trained weights.

Shapes: masks ``N x R x C`` (bool or 0/1), responses ``N x F`` (dB).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

FLOOR_DB = -30.0
"""|S11| below this (dB) is trained and predicted as this."""
SCALE_DB = 10.0
"""Targets are dB / SCALE_DB (unit-order numbers for the optimiser)."""


@dataclass(frozen=True)
class AntennaCNNConfig:
    """Architecture and training of :class:`AntennaCNN`.

    Attributes:
        channels: Output channels of the two 3x3 convolutions (padding 1, GELU).
        hidden: Width of the dense layer.
        members: Ensemble members.
        epochs: Training epochs of a cold fit.
        warm_epochs: Epochs of a fine-tuning fit.
        lr: Adam's step of a cold fit (fine-tuning uses a third of it).
        weight_decay: AdamW's weight decay.
        batch: Mini-batch size.
    """

    channels: tuple[int, int] = (16, 32)
    hidden: int = 128
    members: int = 5
    epochs: int = 300
    warm_epochs: int = 200
    lr: float = 3e-3
    weight_decay: float = 1e-4
    batch: int = 32


@contextmanager
def _one_thread():
    """Run torch on one thread inside the block (restored after).

    The nets are small enough that a second thread gains little, and beside openEMS runs on
    a 2-core machine torch's parallel kernels wait on a descheduled thread: measured here, a
    fine-tuning fit took minutes with two threads beside one openEMS run.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _build(config: AntennaCNNConfig, n_rows: int, n_cols: int, n_freq: int):
    import torch.nn as nn

    c1, c2 = config.channels
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),
        nn.GELU(),
        nn.Conv2d(c1, c2, 3, padding=1),
        nn.GELU(),
        nn.Flatten(),
        nn.Linear(c2 * n_rows * n_cols, config.hidden),
        nn.GELU(),
        nn.Linear(config.hidden, n_freq),
    )


class AntennaCNN:
    """An ensemble of small CNNs from pixel masks to |S11| (dB) over a fixed sweep.

    Args:
        shape: The masks' ``(rows, columns)``.
        n_freq: Frequencies of the sweep.
        config: Architecture and training.
        seed: Seeds every member's weights and batch order.
    """

    def __init__(
        self,
        shape: tuple[int, int],
        n_freq: int,
        config: AntennaCNNConfig | None = None,
        seed: int = 0,
    ) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.n_freq = int(n_freq)
        self.config = config or AntennaCNNConfig()
        self.seed = int(seed)
        self.members: list = []
        self.fits: list[dict] = []

    def _x(self, masks: np.ndarray):
        import torch

        m = np.asarray(masks, np.float32)
        if m.ndim != 3 or m.shape[1:] != self.shape:
            raise ValueError(
                f"masks: expected N x {self.shape[0]} x {self.shape[1]}, got {m.shape}"
            )
        return torch.from_numpy(m[:, None])

    def fit(
        self, masks: np.ndarray, s11_db: np.ndarray, warm: bool = False, label: str = ""
    ) -> dict:
        """Train every member on ``masks`` -> ``s11_db``.

        Args:
            masks: ``N x R x C`` metal masks.
            s11_db: ``N x F`` |S11| in dB (floored at :data:`FLOOR_DB` here).
            warm: Start from the current weights (fine-tuning: fewer epochs, a third of the
                step); otherwise start from fresh weights.
            label: Name of this fit in :attr:`fits` (e.g. ``"pre-train, cheap mesh"``).

        Returns:
            The fit's record: samples, epochs, final training RMSE (dB).
        """
        with _one_thread():
            return self._fit(masks, s11_db, warm, label)

    def _fit(self, masks: np.ndarray, s11_db: np.ndarray, warm: bool, label: str) -> dict:
        import torch

        y_db = np.asarray(s11_db, np.float32)
        if y_db.shape != (len(masks), self.n_freq):
            raise ValueError(f"s11_db: expected {len(masks)} x {self.n_freq}, got {y_db.shape}")
        if warm and not self.members:
            raise ValueError("warm: no trained members to fine-tune")
        c = self.config
        x = self._x(masks)
        y = torch.from_numpy(np.maximum(y_db, FLOOR_DB) / SCALE_DB)
        epochs = c.warm_epochs if warm else c.epochs
        lr = c.lr / 3 if warm else c.lr
        n = len(x)
        rmse = []
        members = []
        for k in range(c.members):
            gen = torch.Generator().manual_seed(self.seed * 1000 + k + 17 * len(self.fits))
            if warm:
                net = self.members[k]
            else:
                torch.manual_seed(self.seed * 1000 + k)
                net = _build(c, *self.shape, self.n_freq)
            opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=c.weight_decay)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
            net.train()
            for _ in range(epochs):
                perm = torch.randperm(n, generator=gen)
                for i in range(0, n, c.batch):
                    idx = perm[i : i + c.batch]
                    opt.zero_grad()
                    loss = torch.mean((net(x[idx]) - y[idx]) ** 2)
                    loss.backward()
                    opt.step()
                sched.step()
            net.eval()
            with torch.no_grad():
                rmse.append(float(torch.sqrt(torch.mean((net(x) - y) ** 2))) * SCALE_DB)
            members.append(net)
        self.members = members
        record = {
            "label": label,
            "samples": n,
            "warm": warm,
            "epochs": epochs,
            "train_rmse_db": float(np.mean(rmse)),
        }
        self.fits.append(record)
        return record

    def predict_members(self, masks: np.ndarray) -> np.ndarray:
        """Every member's |S11| (dB), ``M x N x F``."""
        import torch

        if not self.members:
            raise RuntimeError("AntennaCNN: not trained")
        x = self._x(masks)
        with torch.no_grad(), _one_thread():
            out = [
                np.concatenate([net(x[i : i + 4096]).numpy() for i in range(0, len(x), 4096)])
                for net in self.members
            ]
        return np.stack(out) * SCALE_DB

    def predict(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation of |S11| (dB), each ``N x F``."""
        p = self.predict_members(masks)
        return p.mean(axis=0), p.std(axis=0)
