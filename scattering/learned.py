"""Learned inversion on the back-propagation image: BPS (U-Net) and the conditional GAN.

Both map the BP image of the data to the relative permittivity (Wei and Chen, "Deep-learning
schemes for full-wave nonlinear inverse scattering problems", IEEE TGRS 57(4), 2019: the
"back-propagation scheme", BPS). ``bps`` trains the U-Net with a mean-squared error;
``cgan`` trains the same U-Net as the generator of a conditional GAN with a PatchGAN critic and
an L1 term (pix2pix, Isola et al., CVPR 2017), starting from the BPS weights when given.

The benchmark setup is symmetric under the eight rotations and reflections of the square (16
transmitters and 32 receivers evenly spaced from angle 0 on a circle around the centred grid),
and BP commutes with them, so training pairs are augmented by those eight maps.

A :class:`LearnedInversion` is called like every registered method: ``(setup, e_scat) ->
eps_r``; it is saved as a checkpoint (safetensors + YAML sidecar).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rfdesign.scattering.ficlm import dihedral
from rfdesign.scattering.inversion import ScatterSetup, back_propagation

KIND = "scatter_unet"
MODEL_VERSION = 1
CONTRAST_SCALE = 0.5
"""Contrasts are divided by this before entering a network (eps_r 1.5 -> 1)."""


def augment_pairs(x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """The same random dihedral map applied to a batch of inputs and targets."""
    k, flip = int(rng.integers(4)), bool(rng.integers(2))
    return dihedral(x, k, flip), dihedral(y, k, flip)


@dataclass
class LearnedInversion:
    """A trained U-Net on the BP image.

    Attributes:
        model: The :class:`rfdesign.scattering.nets.UNet` (eval mode).
        method: ``bps`` or ``cgan``.
        n: Cells per side it was trained for.
        meta: Training settings and figures (stored in the sidecar).
    """

    model: object
    method: str
    n: int
    meta: dict

    def __call__(self, setup: ScatterSetup, e_scat: np.ndarray) -> np.ndarray:
        """``eps_r`` (``n x n``) from the data: BP, then the network."""
        if setup.n != self.n:
            raise ValueError(
                f"setup: the {self.method} network works on {self.n} x {self.n} "
                f"cells, the setup has {setup.n} x {setup.n}"
            )
        return self.from_bp(back_propagation(setup, e_scat)[None])[0]

    def from_bp(self, bp: np.ndarray) -> np.ndarray:
        """``eps_r`` maps from BP images ``B x n x n`` (contrast clipped at 0)."""
        from rfdesign.scattering.nets import predict

        out = predict(self.model, ((bp - 1) / CONTRAST_SCALE)[:, None])[:, 0]
        return 1 + np.clip(out * CONTRAST_SCALE, 0, None)

    def save(self, directory: str | Path) -> Path:
        """Checkpoint folder: weights + ``model.yaml``."""
        from rfdesign.surrogates.checkpoint import save_net

        sidecar = {"kind": KIND, "model_version": MODEL_VERSION, "method": self.method}
        return save_net(directory, self.model, {**sidecar, "n": self.n, **self.meta})

    @classmethod
    def load(cls, directory: str | Path) -> LearnedInversion:
        """Read a checkpoint written by :meth:`save` (kind, version and hash checked)."""
        from rfdesign.scattering.nets import UNet
        from rfdesign.surrogates.checkpoint import load_net

        def build(meta, _tensors):
            return UNet(1, 1, width=meta["width"], depth=meta["depth"])

        model, _, meta = load_net(directory, KIND, MODEL_VERSION, build)
        return cls(model, meta.pop("method"), meta.pop("n"), meta)


def train_inversion(
    bp: np.ndarray,
    eps: np.ndarray,
    method: str = "bps",
    epochs: int = 20,
    width: int = 16,
    depth: int = 3,
    seed: int = 0,
    init: LearnedInversion | None = None,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    adv_weight: float = 0.01,
    log=None,
) -> LearnedInversion:
    """Train BPS or the conditional GAN on BP images ``bp`` and true maps ``eps`` (``N x n x n``).

    Args:
        bp: BP images (eps_r).
        eps: True permittivity maps.
        method: ``bps`` (MSE) or ``cgan`` (PatchGAN critic + L1, pix2pix).
        epochs: Training epochs.
        width: U-Net width.
        depth: U-Net depth.
        seed: Seed of initialisation, shuffling and augmentation.
        init: A trained network whose weights start the training (e.g. BPS for the cGAN).
        val: Validation pair ``(bp, eps)``.
        adv_weight: Weight of the adversarial term (cGAN).
        log: Called with one line per epoch.

    Returns:
        The trained :class:`LearnedInversion`.
    """
    import copy

    import torch

    from rfdesign.scattering.nets import PatchCritic, UNet, fit

    if method not in ("bps", "cgan"):
        raise ValueError(f"method: {method!r} is not 'bps' or 'cgan'")
    torch.manual_seed(seed)
    model = copy.deepcopy(init.model) if init is not None else UNet(1, 1, width, depth)
    if init is not None:
        width, depth = init.meta["width"], init.meta["depth"]
    x = ((bp - 1) / CONTRAST_SCALE)[:, None]
    y = ((eps - 1) / CONTRAST_SCALE)[:, None]
    vxy = (
        None
        if val is None
        else (((val[0] - 1) / CONTRAST_SCALE)[:, None], ((val[1] - 1) / CONTRAST_SCALE)[:, None])
    )
    if method == "bps":

        def loss(p, t, _x):
            return torch.mean((p - t) ** 2)

        critic = None
    else:

        def loss(p, t, _x):
            return torch.mean(torch.abs(p - t))

        critic = PatchCritic(2)
    hist = fit(
        model,
        x,
        y,
        loss,
        epochs,
        lr=1e-3 if init is None else 3e-4,
        seed=seed,
        augment=augment_pairs,
        val=vxy,
        critic=critic,
        adv_weight=adv_weight,
        log=log,
    )
    meta = {
        "width": width,
        "depth": depth,
        "epochs": epochs,
        "seed": seed,
        "samples": len(bp),
        "train_loss": hist.train[-1],
        "val_loss": hist.val[-1] if hist.val else None,
        "train_seconds": hist.seconds,
        "adv_weight": adv_weight if critic else None,
        "started_from": init.method if init is not None else None,
        "torch": str(torch.__version__),
    }
    return LearnedInversion(model, method, bp.shape[-1], meta)
