"""The CNN surrogate: a deep ensemble of :mod:`~rfdesign.surrogates.cnn` networks.

Deep ensembles (Lakshminarayanan, Pritzel and Blundell, "Simple and scalable predictive
uncertainty estimation using deep ensembles", NeurIPS 2017): members differ in their random
initialisation, batch order and, here, in which fold of the data they hold out for early
stopping, so together they see all of it. The mean is the prediction; the spread between
members is the uncertainty that active learning queries.

Multi-fidelity by transfer learning: :meth:`CNNSurrogate.fit` takes ``init``, an ensemble
pre-trained on the coarse circuit model, and fine-tunes member ``i`` from member ``i`` of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import ClassVar

import numpy as np

from rfdesign.layouts.grid import PixelGrid
from rfdesign.surrogates.base import register_surrogate
from rfdesign.surrogates.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from rfdesign.surrogates.cnn import (
    DB_PER_NEPER_POWER,
    MODEL_VERSION,
    CNNConfig,
    build_model,
    build_stacked,
    canonical_flip,
    encode_masks,
    flip_allowed,
    full_s,
    raw_to_response,
)
from rfdesign.surrogates.metrics import FLOOR_DB
from rfdesign.surrogates.training import MemberResult, TrainConfig, kfold_indices, train_member


def _check_s(s: np.ndarray, n: int, n_freq: int) -> np.ndarray:
    s = np.asarray(s)
    if s.ndim == 4 and s.shape[2:] == (2, 2):
        s = np.stack([s[..., 0, 0], s[..., 1, 0]], axis=-1)
    if s.shape != (n, n_freq, 2):
        raise ValueError(f"s: expected shape {n} x {n_freq} x 2 x 2, got {np.shape(s)}")
    if not np.all(np.isfinite(s)):
        raise ValueError("s: contains NaN or infinite values")
    return s.astype(complex)


@register_surrogate("cnn")
class CNNSurrogate:
    """Pixel layout -> S-parameters over a fixed frequency grid, with an ensemble spread.

    Args:
        grid: The pixel grid of every layout this model sees.
        f_ghz: Frequencies of the outputs, GHz (``F``).
        config: Architecture of each member (``flip_invariant`` is switched off for grids
            whose feeds are not centred).
        train_config: Optimiser settings of each member.
        n_members: Ensemble size (>= 1; 5 is the default of Lakshminarayanan et al.).
        seed: Seeds folds, initialisations and batch orders.
    """

    kind: ClassVar[str] = "cnn"

    def __init__(
        self,
        grid: PixelGrid,
        f_ghz: np.ndarray,
        config: CNNConfig | None = None,
        train_config: TrainConfig | None = None,
        n_members: int = 5,
        seed: int = 0,
    ) -> None:
        if n_members < 1:
            raise ValueError(f"n_members: must be >= 1, got {n_members}")
        config = config or CNNConfig()
        if config.flip_invariant and not flip_allowed(grid):
            config = dataclasses.replace(config, flip_invariant=False)
        self.grid = grid
        self.f_ghz = np.asarray(f_ghz, float)
        self.config = config
        self.train_config = train_config or TrainConfig()
        self.n_members = n_members
        self.seed = seed
        self.states: list[dict[str, np.ndarray]] = []
        self.record: dict = {}
        self.metrics: dict = {}
        self._models: list | None = None

    # ----- fitting -------------------------------------------------------------------------
    def fit(
        self,
        bits: np.ndarray,
        s: np.ndarray,
        *,
        executor: Executor | None = None,
        init: CNNSurrogate | None = None,
        progress: Callable[[int, int, float], None] | None = None,
        provenance: dict | None = None,
    ) -> CNNSurrogate:
        """Train the ensemble on layouts and their reference S-parameters.

        Args:
            bits: Free bits, ``N x n_bits``.
            s: Reference S, ``N x F x 2 x 2`` (or ``N x F x 2`` as S11, S21), complex.
            executor: Runs the members in parallel (``concurrent.futures`` interface, e.g. a
                Dask client); ``None`` trains them one after the other here.
            init: A fitted surrogate of the same grid, frequencies and architecture to
                fine-tune from (multi-fidelity transfer).
            progress: Called as (members done, members total, last validation loss).
            provenance: Recorded in the checkpoint (dataset hash, solver, ...).

        Returns:
            ``self``.
        """
        bits = np.asarray(bits)
        if bits.ndim != 2 or bits.shape[1] != self.grid.n_bits:
            raise ValueError(f"bits: expected shape N x {self.grid.n_bits}, got {bits.shape}")
        s2 = _check_s(s, bits.shape[0], self.f_ghz.size)
        if init is not None:
            self._check_compatible(init)
        x = encode_masks(self.grid, self.grid.masks(bits), self.config.flip_invariant)
        folds = kfold_indices(len(x), self.n_members, self.seed)
        jobs = []
        for i in range(self.n_members):
            tr, va = folds[i % len(folds)]
            init_state = init.states[i % len(init.states)] if init is not None else None
            args = (x, s2, tr, va, self.config, self.train_config, self.seed * 1000 + i, init_state)
            jobs.append(executor.submit(train_member, *args) if executor else args)
        results: list[MemberResult] = []
        for i, job in enumerate(jobs):
            res = job.result() if executor else train_member(*job)
            results.append(res)
            if progress is not None:
                progress(i + 1, self.n_members, res.best_val_loss)
        self.states = [r.state for r in results]
        self._models = None
        self.record = {
            "n_train": len(x),
            "members": [
                {
                    "best_epoch": r.best_epoch,
                    "epochs_run": r.epochs_run,
                    "best_val_loss": r.best_val_loss,
                    "wall_s": round(r.wall_s, 2),
                }
                for r in results
            ],
            "fine_tuned_from": init.record.get("provenance") if init is not None else None,
            "provenance": provenance or {},
        }
        return self

    def _check_compatible(self, other: CNNSurrogate) -> None:
        if other.grid.key() != self.grid.key():
            raise ValueError("init: was trained for a different grid")
        if other.f_ghz.shape != self.f_ghz.shape or not np.allclose(other.f_ghz, self.f_ghz):
            raise ValueError("init: was trained for different frequencies")
        if other.config != self.config:
            raise ValueError(f"init: architecture {other.config} differs from {self.config}")
        if not other.states:
            raise ValueError("init: is not fitted")

    # ----- prediction ----------------------------------------------------------------------
    def _stacked(self):
        if not self.states:
            raise RuntimeError("CNNSurrogate: not fitted (call fit or load)")
        if self._models is None:
            self._models = build_stacked(self.config, self.states, self.f_ghz.size)
        return self._models

    def _encode(self, bits: np.ndarray | None, masks: np.ndarray | None) -> np.ndarray:
        if (bits is None) == (masks is None):
            raise ValueError("give exactly one of bits or masks")
        if masks is None:
            bits = np.asarray(bits)
            if bits.ndim == 1:
                bits = bits[None]
            masks = self.grid.masks(bits)
        return encode_masks(self.grid, masks, self.config.flip_invariant)

    def _ensemble_stats(
        self, x: np.ndarray, batch_size: int, with_std: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Mean |S| in dB, mean phase (rad) and optional dB spread, each ``N x F x 2``.

        The statistics are reduced over members inside torch, batch by batch, so memory
        stays ``O(batch)`` and no per-member arrays reach numpy.
        """
        import torch

        forward = self._stacked()
        n, nf = len(x), self.f_ghz.size
        mean_db = np.empty((n, nf, 2), np.float32)
        phase = np.empty((n, nf, 2), np.float32)
        std_db = np.empty((n, nf, 2), np.float32) if with_std else None
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                log_p, s = raw_to_response(forward(torch.as_tensor(x[start:stop])))
                db = DB_PER_NEPER_POWER * log_p[..., :2]  # M x n x F x 2
                mean_db[start:stop] = db.mean(0).numpy()
                phase[start:stop] = torch.angle(s.mean(0)).numpy()
                if with_std:
                    std_db[start:stop] = db.clamp_min(FLOOR_DB).std(0, unbiased=False).numpy()
        return mean_db, phase, std_db

    def predict(
        self,
        bits: np.ndarray | None = None,
        *,
        masks: np.ndarray | None = None,
        batch_size: int = 2048,
    ) -> np.ndarray:
        """Ensemble-mean S-parameters, ``N x F x 2 x 2`` complex (S22 = S11, S12 = S21).

        The mean magnitude is the geometric mean over members (the mean in dB), the phase
        that of the members' mean phasor; the result stays passive.
        """
        mean_db, phase, _ = self._ensemble_stats(self._encode(bits, masks), batch_size, False)
        return full_s(10 ** (mean_db / 20.0) * np.exp(1j * phase))

    def predict_with_uncertainty(
        self,
        bits: np.ndarray | None = None,
        *,
        masks: np.ndarray | None = None,
        batch_size: int = 2048,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean (as :meth:`predict`) and spread.

        Returns:
            ``(s, std_db)``: S ``N x F x 2 x 2`` complex, and the standard deviation across
            members of |S11| and |S21| in dB (floored at -40 dB), ``N x F x 2``
            (zero for a single member).
        """
        mean_db, phase, std = self._ensemble_stats(self._encode(bits, masks), batch_size, True)
        return full_s(10 ** (mean_db / 20.0) * np.exp(1j * phase)), std.astype(float)

    def predict_db(
        self,
        bits: np.ndarray | None = None,
        *,
        masks: np.ndarray | None = None,
        batch_size: int = 2048,
    ) -> np.ndarray:
        """Ensemble-mean |S11| and |S21| in dB, ``N x F x 2`` float32 (not floored).

        The cheapest call: what a search on |S| masks needs.
        """
        return self._ensemble_stats(self._encode(bits, masks), batch_size, False)[0]

    def db_torch(self, masks):
        """Differentiable ensemble-mean |S11| and |S21| in dB of full masks (torch).

        For a differentiable critic of generated layouts (:mod:`rfdesign.surrogates.gan`):
        the masks may be relaxed (values in [0, 1], e.g. straight-through binarised); the
        upside-down flip of :func:`canonical_flip` is decided on their rounded values.

        Args:
            masks: torch tensor ``N x R x C`` (float), ``R x C`` the full grid.

        Returns:
            torch tensor ``N x F x 2`` (|S11|, |S21| dB), differentiable in ``masks``.
        """
        import torch

        shape = (self.grid.n_rows, self.grid.n_cols_full)
        if masks.ndim != 3 or tuple(masks.shape[1:]) != shape:
            raise ValueError(
                f"masks: expected N x {shape[0]} x {shape[1]}, got {tuple(masks.shape)}"
            )
        if self.config.flip_invariant:
            hard = masks.detach().round().bool().numpy()
            use = (canonical_flip(hard) != hard).reshape(len(hard), -1).any(axis=1)
            masks = torch.where(torch.as_tensor(use)[:, None, None], masks.flip(1), masks)
        sizes = torch.as_tensor(encode_masks(self.grid, np.zeros((1, *shape)))[:, 1:])
        x = torch.cat([masks[:, None].float(), sizes.expand(len(masks), -1, -1, -1)], dim=1)
        log_p, _ = raw_to_response(self._stacked()(x))
        return (DB_PER_NEPER_POWER * log_p[..., :2]).mean(0)

    # ----- persistence ---------------------------------------------------------------------
    def save(self, directory: str | Path, metrics: dict | None = None) -> Path:
        """Write ``weights.safetensors`` and ``model.yaml`` into ``directory``."""
        if not self.states:
            raise RuntimeError("CNNSurrogate: not fitted, nothing to save")
        tensors = {f"member{i}.{k}": v for i, st in enumerate(self.states) for k, v in st.items()}
        sidecar = {
            "kind": self.kind,
            "model_version": MODEL_VERSION,
            "n_members": self.n_members,
            "seed": self.seed,
            "config": self.config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "grid": self.grid.to_dict(),
            "grid_key": self.grid.key(),
            "frequency_ghz": [float(f) for f in self.f_ghz],
            "normalisation": {
                "input": "channel 0 metal mask (0/1); channels 1, 2 cell width, height / 0.3 mm",
                "output": "softmax power split (S11, S21, lost) + unit phasors",
                "floor_db": FLOOR_DB,
            },
            "training": self.record,
            "metrics": metrics or {},
        }
        return save_checkpoint(directory, tensors, sidecar)

    @classmethod
    def load(cls, directory: str | Path, grid: PixelGrid | None = None) -> CNNSurrogate:
        """Load a checkpoint; with ``grid``, refuse one trained for another grid."""
        tensors, meta = load_checkpoint(directory, cls.kind, MODEL_VERSION)
        side = Path(directory) / "model.yaml"
        try:
            saved_grid = PixelGrid.from_dict(meta["grid"])
            config = CNNConfig.from_dict(meta["config"])
            train_config = TrainConfig.from_dict(meta["train_config"])
            n_members = int(meta["n_members"])
            f_ghz = np.asarray(meta["frequency_ghz"], float)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{side}: incomplete or invalid sidecar ({exc})") from exc
        if saved_grid.key() != meta.get("grid_key"):
            raise CheckpointError(f"{side}: grid does not match its recorded grid_key")
        if grid is not None and grid.key() != saved_grid.key():
            raise CheckpointError(
                f"{side}: trained for grid {saved_grid.name!r} ({saved_grid.n_rows} x "
                f"{saved_grid.n_cols_full} cells, key {saved_grid.key()[:12]}), not for "
                f"{grid.name!r} (key {grid.key()[:12]})"
            )
        model = cls(saved_grid, f_ghz, config, train_config, n_members, int(meta.get("seed", 0)))
        states = [
            {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith(f"member{i}.")}
            for i in range(n_members)
        ]
        reference = build_model(config, saved_grid.n_rows, saved_grid.n_cols_full, f_ghz.size)
        expected = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
        for i, st in enumerate(states):
            got = {k: tuple(v.shape) for k, v in st.items()}
            if got != expected:
                raise CheckpointError(
                    f"{Path(directory) / 'weights.safetensors'}: member {i} does not fit the "
                    "architecture in the sidecar"
                )
        model.states = states
        model.record = meta.get("training", {})
        model.metrics = meta.get("metrics", {})
        return model
