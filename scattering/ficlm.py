"""FICLM: a network that learns the induced contrast current, as a fast 2-D forward solver.

After Ma, Wei, Chen et al. ("Learning-based fast electromagnetic scattering solver through
generative adversarial network", IEEE TAP 69(4), 2021; the "fast induced current learning
method"): a U-Net generator maps (contrast, incident fields) to the induced current, a PatchGAN
critic sharpens it, and the scattered field follows from the known Green's function,
``E_s = G_S J``. Here the generator predicts the envelope of the total field in the cells,
``R = E / E_inc - 1``, for all transmitters at once (inputs: the contrast and the real and
imaginary parts of the incident fields, ``1 + 2T`` channels; outputs ``2T`` channels), and
``J = chi E_inc (1 + R)``. Dividing out the incident wave removes its oscillation across the
domain (24 cells per wavelength on the benchmark grid), so the network learns a slowly varying
modulation instead of a carrier (version 1 predicted ``E - E_inc``; on the benchmark its loss
was 0.107 / 0.062 after 3 / 11 epochs against 0.056 / 0.037 for the envelope). The supervised loss is the relative error of ``J`` plus the relative
error of the scattered field at the receivers, so the network is trained on what it is judged
by.

Training pairs come from the MoM (total fields on the network's grid). The measurement setup is
symmetric under the eight rotations and reflections of the square, which map transmitters onto
each other, so a pair is augmented by a dihedral map of every image plus the matching
permutation of the transmitter channels (found from the incident fields themselves).

Shapes: contrast ``B x n x n``; incident fields ``T x n x n`` complex; ``g_s`` ``R x n^2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

KIND = "ficlm"
MODEL_VERSION = 2
CONTRAST_SCALE = 0.5


def dihedral(a: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """One of the eight symmetries of the square on the last two axes of ``a``."""
    a = np.rot90(a, k, axes=(-2, -1))
    return a[..., ::-1, :] if flip else a


def transmitter_permutations(e_inc: np.ndarray) -> dict[tuple[int, bool], np.ndarray]:
    """For each dihedral map, ``perm`` with ``map(E_inc[perm[t]]) == E_inc[t]``.

    Raises:
        ValueError: If the transmitters are not symmetric under a map.
    """
    out = {}
    scale = np.abs(e_inc).max()
    for k in range(4):
        for flip in (False, True):
            mapped = dihedral(e_inc, k, flip)
            err = np.abs(e_inc[:, None] - mapped[None]).max(axis=(-2, -1)) / scale  # t x p
            perm = np.argmin(err, axis=1)
            if err[np.arange(len(perm)), perm].max() > 1e-6 or len(set(perm)) != len(perm):
                raise ValueError(
                    "e_inc: the transmitters are not symmetric under the square's "
                    "rotations and reflections; train without augmentation"
                )
            out[(k, flip)] = perm
    return out


@dataclass
class FICLM:
    """Induced-current network for one measurement setup.

    Attributes:
        e_inc: Incident fields in the cells, ``T x n x n`` complex.
        g_s: Receiver operator ``R x n^2`` complex.
        width: U-Net width.
        depth: U-Net depth.
        model: The trained generator (None before :meth:`fit`).
        meta: Training settings and figures.
    """

    e_inc: np.ndarray
    g_s: np.ndarray
    width: int = 32
    depth: int = 3
    model: object = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.e_inc = np.asarray(self.e_inc, complex)
        self.g_s = np.asarray(self.g_s, complex)
        self.field_scale = float(1 / np.sqrt(np.mean(np.abs(self.e_inc) ** 2)))
        inc = self.e_inc * self.field_scale
        self._inc_channels = np.concatenate([inc.real, inc.imag]).astype(np.float32)
        # single precision for the fast path (FICLM's error is far above 1e-7)
        self._e_inc_flat = self.e_inc.reshape(len(self.e_inc), -1).astype(np.complex64)
        self._g_s_t = np.ascontiguousarray(self.g_s.T.astype(np.complex64))  # N x R

    @property
    def transmitters(self) -> int:
        """Number of transmitters ``T``."""
        return len(self.e_inc)

    def _inputs(self, eps: np.ndarray) -> np.ndarray:
        chi = ((np.asarray(eps).real - 1) / CONTRAST_SCALE)[:, None].astype(np.float32)
        inc = np.broadcast_to(self._inc_channels, (len(chi), *self._inc_channels.shape))
        return np.concatenate([chi, inc], axis=1)

    def _build(self):
        from rfdesign.scattering.nets import UNet

        t = self.transmitters
        return UNet(1 + 2 * t, 2 * t, self.width, self.depth)

    def _loss(self):
        import torch

        t = self.transmitters
        g_s = torch.from_numpy(self.g_s.T.astype(np.complex64))  # N x R

        def loss(pred, target, x):
            chi = x[:, :1] * CONTRAST_SCALE
            inc = torch.complex(x[:, 1 : 1 + t], x[:, 1 + t :])
            j_true = (chi * inc * (1 + torch.complex(target[:, :t], target[:, t:]))).flatten(2)
            j_pred = (chi * inc * (1 + torch.complex(pred[:, :t], pred[:, t:]))).flatten(2)
            dj = j_pred - j_true
            rel_j = dj.abs().square().sum((1, 2)) / j_true.abs().square().sum((1, 2))
            es_true, des = j_true @ g_s, dj @ g_s
            rel_s = des.abs().square().sum((1, 2)) / es_true.abs().square().sum((1, 2))
            return torch.mean(rel_j + rel_s)

        return loss

    def fit(
        self,
        eps: np.ndarray,
        total: np.ndarray,
        epochs: int = 20,
        seed: int = 0,
        critic: bool = True,
        adv_weight: float = 1e-3,
        val: tuple[np.ndarray, np.ndarray] | None = None,
        log=None,
        resume: bool = False,
        lr: float = 1e-3,
    ) -> FICLM:
        """Train the generator (and critic) on MoM solutions of the same grid.

        Args:
            eps: Permittivity maps ``N x n x n``.
            total: MoM total fields ``N x T x n x n`` for the setup's incident fields.
            epochs: Training epochs.
            seed: Seed of initialisation, shuffling and augmentation.
            critic: Train adversarially with a PatchGAN critic on (inputs, fields).
            adv_weight: Weight of the adversarial term.
            val: Validation pair ``(eps, total)``.
            log: Called with one line per epoch.
            resume: Continue training the current (e.g. loaded) generator instead of a new one;
                the epochs add up in :attr:`meta` (the critic starts afresh).
            lr: Initial learning rate (cosine decay over ``epochs``).

        Returns:
            self, trained.
        """
        import torch

        from rfdesign.scattering.nets import PatchCritic, fit

        perms = transmitter_permutations(self.e_inc)
        t = self.transmitters

        def targets(tot):
            r = np.asarray(tot) / self.e_inc[None] - 1
            return np.concatenate([r.real, r.imag], axis=1).astype(np.float32)

        def augment(xb, yb, rng):
            k, flip = int(rng.integers(4)), bool(rng.integers(2))
            perm = perms[(k, flip)]
            idx = np.concatenate([perm, perm + t])
            xb, yb = dihedral(xb, k, flip), dihedral(yb, k, flip)
            return np.concatenate([xb[:, :1], xb[:, 1:][:, idx]], axis=1), yb[:, idx]

        torch.manual_seed(seed)
        before = self.meta.get("epochs", 0) if resume and self.model is not None else 0
        if not before:
            self.model = self._build()
        vxy = None if val is None else (self._inputs(val[0]), targets(val[1]))
        hist = fit(
            self.model,
            self._inputs(eps),
            targets(total),
            self._loss(),
            epochs,
            seed=seed,
            augment=augment,
            val=vxy,
            log=log,
            critic=PatchCritic(1 + 4 * t) if critic else None,
            adv_weight=adv_weight,
            lr=lr,
        )
        self.meta = {
            "epochs": before + epochs,
            "seed": seed,
            "samples": len(eps),
            "critic": critic,
            "adv_weight": adv_weight if critic else None,
            "train_loss": hist.train[-1],
            "val_loss": hist.val[-1] if hist.val else None,
            "train_seconds": hist.seconds,
            "torch": str(torch.__version__),
        }
        return self

    def _envelope(self, eps: np.ndarray) -> np.ndarray:
        """The network's ``R = E / E_inc - 1``, ``B x 2T x N`` (real parts, then imaginary)."""
        from rfdesign.scattering.nets import predict

        if self.model is None:
            raise RuntimeError("FICLM: not trained; call fit() or load()")
        return predict(self.model, self._inputs(eps)).reshape(len(eps), 2 * self.transmitters, -1)

    def currents(self, eps: np.ndarray) -> np.ndarray:
        """Predicted contrast currents ``B x T x n x n`` for maps ``eps`` (``B x n x n``)."""
        eps = np.asarray(eps)
        t = self.transmitters
        out = self._envelope(eps).reshape(len(eps), 2 * t, *eps.shape[1:])
        return (eps - 1)[:, None] * self.e_inc[None] * (1 + out[:, :t] + 1j * out[:, t:])

    def scattered(self, eps: np.ndarray) -> np.ndarray:
        """Scattered fields at the receivers ``B x T x R`` for maps ``eps`` (``B x n x n``).

        Only cells with contrast carry current, so only they enter ``G_S`` (complex64).
        """
        eps = np.asarray(eps)
        t, b = self.transmitters, len(eps)
        chi = (eps - 1).reshape(b, 1, -1)
        cells = np.flatnonzero(np.any(chi[:, 0] != 0, axis=0))
        out = self._envelope(eps)[..., cells]
        j = chi[..., cells] * self._e_inc_flat[:, cells] * (1 + out[:, :t] + 1j * out[:, t:])
        return (j.astype(np.complex64) @ self._g_s_t[cells]).astype(complex)

    def save(self, directory: str | Path) -> Path:
        """Checkpoint folder (weights + ``model.yaml``; the setup is stored for the check)."""
        from rfdesign.surrogates.checkpoint import save_net

        setup = {"e_inc_re": self.e_inc.real, "e_inc_im": self.e_inc.imag}
        setup |= {"g_s_re": self.g_s.real, "g_s_im": self.g_s.imag}
        sidecar = {"kind": KIND, "model_version": MODEL_VERSION, "width": self.width}
        return save_net(
            directory, self.model, {**sidecar, "depth": self.depth, **self.meta}, setup, "net."
        )

    @classmethod
    def load(cls, directory: str | Path) -> FICLM:
        """Read a checkpoint written by :meth:`save`."""
        from rfdesign.scattering.nets import UNet
        from rfdesign.surrogates.checkpoint import load_net

        def build(meta, tensors):
            t = len(tensors["e_inc_re"])
            return UNet(1 + 2 * t, 2 * t, meta["width"], meta["depth"])

        model, tensors, meta = load_net(directory, KIND, MODEL_VERSION, build, "net.")
        e_inc = tensors["e_inc_re"] + 1j * tensors["e_inc_im"]
        g_s = tensors["g_s_re"] + 1j * tensors["g_s_im"]
        return cls(e_inc, g_s, meta["width"], meta["depth"], model, meta)
