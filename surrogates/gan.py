"""A conditional GAN that proposes pixel layouts for a target response (inverse design).

Condition: band masks rendered on the frequency grid (:mod:`~rfdesign.surrogates.
response_masks`, ``8 x F``); output: the grid's free bits, so mirror symmetry and the fixed
cells hold by construction. The setting is the conditional GAN of Mirza and Osindero
("Conditional generative adversarial nets", 2014) with a matching-aware critic (real layouts
paired with the wrong condition count as fake; Reed et al., "Generative adversarial text to
image synthesis", ICML 2016), applied to inverse design as in So and Rho ("Designing
nanophotonic structures using conditional deep convolutional generative adversarial
networks", Nanophotonics 8(7), 2019).

Three things make it work on binary layouts and on specs no training layout meets:

* **Straight-through binarisation** (Bengio, Leonard and Courville, 2013) with logistic noise
  (a binary Gumbel-softmax, Jang et al., ICLR 2017): the generator emits hard 0/1 cells, the
  gradient passes through the sigmoid.
* **A differentiable response critic** (the tandem network of Liu et al., "Training deep
  neural networks for the inverse design of nanophotonic structures", ACS Photonics 5(4),
  2018): a CNN surrogate predicts the generated layout's |S11| and |S21|, and their
  violation of the condition is a generator loss. Conditions are also *stretched* (limits
  tightened by up to ``stretch_db``) for this loss only, which teaches the generator to ask
  for more than its training layouts deliver -- as a spec does.
* **A manufacturability penalty**: corner-only contacts (relaxed product form) cost loss.

Shapes: bits ``N x d`` (d = free bits), conditions ``N x 8 x F`` float32, noise ``N x z``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from rfdesign.layouts.grid import PixelGrid
from rfdesign.surrogates.checkpoint import ConfigRecord
from rfdesign.surrogates.response_masks import (
    DB_SCALE,
    KINDS,
    N_ROWS,
    conditions_from_responses,
    violation,
)

KIND = "layout_gan"
MODEL_VERSION = 1


@dataclass(frozen=True)
class GANConfig(ConfigRecord):
    """Architecture and training settings of :class:`LayoutGAN`.

    Attributes:
        z_dim: Noise dimension.
        hidden: Width of the generator's and critic's two hidden layers.
        epochs: Passes over the training layouts (fresh random conditions every epoch).
        batch_size: Layouts per step.
        lr: Adam learning rate (betas 0.5, 0.999; Radford et al. 2016).
        adversarial_weight: Weight of the generator's adversarial loss.
        response_weight: Weight of the response critic's violation (per 10 dB).
        corner_weight: Weight of the corner-contact penalty (per contact).
        diversity_weight: Weight of the mode-seeking term (Mao et al., "Mode seeking
            generative adversarial networks for diverse image synthesis", CVPR 2019): the
            inverse of how far two noise vectors move the cell probabilities apart, on the
            stretched conditions, where the response loss alone would collapse the generator
            onto one layout per condition.
        slack_db: Slack range of the training conditions, dB.
        stretch_db: Largest tightening of the stretched conditions, dB.
        max_bands: Most bands per training condition.
        threads: torch CPU threads.
    """

    z_dim: int = 16
    hidden: int = 256
    epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    adversarial_weight: float = 0.2
    response_weight: float = 1.0
    corner_weight: float = 1.0
    diversity_weight: float = 0.1
    slack_db: tuple[float, float] = (0.0, 3.0)
    stretch_db: float = 10.0
    max_bands: int = 3
    threads: int = 2

    label: ClassVar[str] = "gan config"


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, n_out),
    )


class Generator(nn.Module):
    """(noise ``N x z``, condition ``N x 8 x F``) -> logits of the free bits ``N x d``."""

    def __init__(self, n_bits: int, n_freq: int, z_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = _mlp(z_dim + N_ROWS * n_freq, hidden, n_bits)

    def forward(self, z: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """Logits ``N x d``."""
        return self.net(torch.cat([z, condition.flatten(1)], dim=1))


class Critic(nn.Module):
    """(bits ``N x d``, condition ``N x 8 x F``) -> realness logit ``N``."""

    def __init__(self, n_bits: int, n_freq: int, hidden: int) -> None:
        super().__init__()
        self.net = _mlp(n_bits + N_ROWS * n_freq, hidden, 1)

    def forward(self, bits: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """Logits ``N``."""
        return self.net(torch.cat([bits, condition.flatten(1)], dim=1))[:, 0]


def binarise(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Hard 0/1 samples of Bernoulli(sigmoid(logits)) with a straight-through gradient."""
    u = torch.rand(logits.shape, generator=generator).clamp(1e-6, 1 - 1e-6)
    soft = torch.sigmoid(logits + torch.log(u) - torch.log1p(-u))
    hard = (soft > 0.5).to(soft.dtype)
    return hard + soft - soft.detach()


class BitsToMask(nn.Module):
    """Free bits ``N x d`` -> full metal masks ``N x R x C``, differentiably.

    A fixed linear map (mirror image, fixed cells), so gradients reach the bits.
    """

    def __init__(self, grid: PixelGrid) -> None:
        super().__init__()
        self.shape = (grid.n_rows, grid.n_cols_full)
        eye = np.eye(grid.n_bits, dtype=np.uint8)
        base = grid.masks(np.zeros((1, grid.n_bits), np.uint8))[0]
        cols = grid.masks(eye).astype(np.float32) - base[None]
        self.register_buffer("weight", torch.as_tensor(cols.reshape(grid.n_bits, -1)))
        self.register_buffer("base", torch.as_tensor(base.reshape(-1).astype(np.float32)))

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        """Masks ``N x R x C``."""
        return (bits @ self.weight + self.base).view(-1, *self.shape)


def corner_penalty(masks: torch.Tensor) -> torch.Tensor:
    """Relaxed count of corner-only contacts per mask ``N`` (exact for 0/1 masks)."""
    a, b = masks[:, :-1, :-1], masks[:, :-1, 1:]
    d, e = masks[:, 1:, :-1], masks[:, 1:, 1:]
    diag = a * e * (1 - b) * (1 - d)
    anti = b * d * (1 - a) * (1 - e)
    return (diag + anti).sum(dim=(1, 2))


def stretch(condition: torch.Tensor, max_db: float, generator: torch.Generator) -> torch.Tensor:
    """Tighten every limit of each condition by one random amount in [0, max_db] dB."""
    k = len(KINDS)
    shift = torch.rand((len(condition), 1), generator=generator) * (max_db / DB_SCALE)
    sign = torch.tensor([-1.0 if bound == "max" else 1.0 for _, bound in KINDS])[None, :, None]
    lim = condition[:, :k] + sign * shift[:, :, None] * condition[:, k:]
    lim = lim.clamp(-60.0 / DB_SCALE, 0.0)
    return torch.cat([lim, condition[:, k:]], dim=1)


class LayoutGAN:
    """The inverse-design GAN of one grid and frequency grid.

    Args:
        grid: The design space (the generator emits its free bits).
        f_ghz: Frequencies of the conditions, GHz (``F``).
        config: Architecture and training settings.
        seed: Seeds initialisation, batch order, conditions and noise.
    """

    def __init__(
        self, grid: PixelGrid, f_ghz: np.ndarray, config: GANConfig | None = None, seed: int = 0
    ) -> None:
        self.grid = grid
        self.f_ghz = np.asarray(f_ghz, float)
        self.config = config or GANConfig()
        self.seed = seed
        torch.manual_seed(seed)
        c = self.config
        self.generator = Generator(grid.n_bits, self.f_ghz.size, c.z_dim, c.hidden)
        self.record: dict = {}

    def fit(
        self,
        bits: np.ndarray,
        s_db: np.ndarray,
        response=None,
        progress: Callable[[int, dict], None] | None = None,
        provenance: dict | None = None,
    ) -> LayoutGAN:
        """Train on layouts and their responses.

        Args:
            bits: Training layouts, ``N x d``.
            s_db: Their |S11| and |S21| in dB, ``N x F x 2``.
            response: A differentiable critic of the response, e.g. a
                :class:`~rfdesign.surrogates.ensemble.CNNSurrogate` of the same grid (its
                ``db_torch``); ``None`` trains the adversarial game alone.
            progress: Called after each epoch as ``progress(epoch, figures)``.
            provenance: Recorded in the checkpoint (dataset, response model).

        Returns:
            ``self``.
        """
        c = self.config
        bits = np.asarray(bits, np.float32)
        s_db = np.asarray(s_db, np.float32)
        n, nf = len(bits), self.f_ghz.size
        if bits.ndim != 2 or bits.shape[1] != self.grid.n_bits:
            raise ValueError(f"bits: expected N x {self.grid.n_bits}, got {bits.shape}")
        if s_db.shape != (n, nf, 2):
            raise ValueError(f"s_db: expected {n} x {nf} x 2, got {s_db.shape}")
        if response is not None and response.grid.key() != self.grid.key():
            raise ValueError("response: was trained for another grid")
        if response is not None and not np.allclose(response.f_ghz, self.f_ghz):
            raise ValueError("response: predicts other frequencies than the GAN's")
        torch.set_num_threads(c.threads)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        critic = Critic(self.grid.n_bits, nf, c.hidden)
        to_mask = BitsToMask(self.grid)
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=c.lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(critic.parameters(), lr=c.lr, betas=(0.5, 0.999))
        bce = nn.functional.binary_cross_entropy_with_logits
        real_all = torch.as_tensor(bits)
        history = []
        t0 = time.perf_counter()
        for epoch in range(1, c.epochs + 1):
            cond_all = torch.as_tensor(
                conditions_from_responses(s_db[..., 0], s_db[..., 1], rng, c.max_bands, c.slack_db)
            )
            keys = ("critic", "adversarial", "violation_db", "stretched_db", "corner", "diversity")
            sums = dict.fromkeys(keys, 0.0)
            perm = torch.as_tensor(rng.permutation(n))
            for start in range(0, n, c.batch_size):
                idx = perm[start : start + c.batch_size]
                real, cond = real_all[idx], cond_all[idx]
                m = len(idx)
                z = torch.randn((m, c.z_dim), generator=gen)
                fake = binarise(self.generator(z, cond), gen)
                ones, zeros = torch.ones(m), torch.zeros(m)
                wrong = cond[torch.roll(torch.arange(m), 1)]
                loss_d = (
                    bce(critic(real, cond), ones)
                    + 0.5 * bce(critic(fake.detach(), cond), zeros)
                    + 0.5 * bce(critic(real, wrong), zeros)
                )
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()

                adv = bce(critic(fake, cond), ones)
                loss_g = c.adversarial_weight * adv
                z2 = torch.randn((m, c.z_dim), generator=gen)
                cond2 = stretch(cond, c.stretch_db, gen)
                logits2 = self.generator(z2, cond2)
                fake2 = binarise(logits2, gen)
                z3 = torch.randn((m, c.z_dim), generator=gen)
                p2, p3 = torch.sigmoid(logits2), torch.sigmoid(self.generator(z3, cond2))
                ratio = (p2 - p3).abs().mean(1) / (z2 - z3).abs().mean(1)
                diversity = 1.0 / (ratio.mean() + 1e-5)
                masks, masks2 = to_mask(fake), to_mask(fake2)
                corner = corner_penalty(masks).mean() + corner_penalty(masks2).mean()
                loss_g = loss_g + c.corner_weight * corner + c.diversity_weight * diversity
                v1 = v2 = torch.zeros(())
                if response is not None:
                    db = response.db_torch(torch.cat([masks, masks2]))
                    v = violation(db[..., 0], db[..., 1], torch.cat([cond, cond2]))
                    v1, v2 = v[:m].mean(), v[m:].mean()
                    loss_g = loss_g + c.response_weight * (v1 + v2) / 10.0
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
                steps = m / n
                sums["critic"] += float(loss_d.detach()) * steps
                sums["adversarial"] += float(adv.detach()) * steps
                sums["violation_db"] += float(v1.detach()) * steps
                sums["stretched_db"] += float(v2.detach()) * steps
                sums["corner"] += float(corner.detach()) * steps / 2
                sums["diversity"] += float(ratio.mean().detach()) * steps
            figures = {k: round(v, 4) for k, v in sums.items()}
            figures["wall_s"] = round(time.perf_counter() - t0, 1)
            history.append(figures)
            if progress is not None:
                progress(epoch, figures)
        self.generator.eval()
        self.record = {
            "n_train": n,
            "history": history,
            "response_critic": response is not None,
            "provenance": provenance or {},
        }
        return self

    def sample(
        self, condition: np.ndarray, n: int, seed: int = 0, temperature: float = 1.0
    ) -> np.ndarray:
        """``n`` layouts (free bits, ``n x d`` uint8; may repeat) for one condition ``8 x F``.

        ``temperature`` > 1 flattens the cell probabilities (logits divided by it): more
        distinct layouts from a generator that is sure of itself.
        """
        condition = np.asarray(condition, np.float32)
        if condition.shape != (N_ROWS, self.f_ghz.size):
            raise ValueError(
                f"condition: expected {N_ROWS} x {self.f_ghz.size} (render_masks on the GAN's "
                f"{self.f_ghz.size} frequencies), got {condition.shape}"
            )
        if n < 1:
            raise ValueError(f"n: must be >= 1, got {n}")
        if temperature <= 0:
            raise ValueError(f"temperature: must be > 0, got {temperature}")
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            z = torch.randn((n, self.config.z_dim), generator=gen)
            cond = torch.as_tensor(condition)[None].expand(n, -1, -1)
            bits = binarise(self.generator(z, cond) / temperature, gen)
        return bits.numpy().round().astype(np.uint8)

    # ----- persistence ---------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the generator (safetensors) and its sidecar into ``directory``."""
        from rfdesign.surrogates.checkpoint import save_net

        sidecar = {
            "kind": KIND,
            "model_version": MODEL_VERSION,
            "config": self.config.to_dict(),
            "seed": self.seed,
            "grid": self.grid.to_dict(),
            "grid_key": self.grid.key(),
            "frequency_ghz": [float(f) for f in self.f_ghz],
            "training": self.record,
        }
        return save_net(directory, self.generator, sidecar, prefix="generator.")

    @classmethod
    def load(cls, directory: str | Path, grid: PixelGrid | None = None) -> LayoutGAN:
        """Load a checkpoint; with ``grid``, refuse one trained for another grid."""
        from rfdesign.surrogates.checkpoint import CheckpointError, load_net

        made: dict = {}

        def build(meta: dict, _tensors) -> nn.Module:
            try:
                saved = PixelGrid.from_dict(meta["grid"])
                model = cls(
                    saved,
                    np.asarray(meta["frequency_ghz"], float),
                    GANConfig.from_dict(meta["config"]),
                    int(meta.get("seed", 0)),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise CheckpointError(f"{directory}: invalid layout-GAN sidecar ({exc})") from exc
            made["model"] = model
            return model.generator

        _, _, meta = load_net(directory, KIND, MODEL_VERSION, build, prefix="generator.")
        model = made["model"]
        if model.grid.key() != meta.get("grid_key"):
            raise CheckpointError(f"{directory}: grid does not match its recorded grid_key")
        if grid is not None and grid.key() != model.grid.key():
            raise CheckpointError(
                f"{directory}: trained for grid {model.grid.name!r}, not for {grid.name!r}"
            )
        model.record = meta.get("training", {})
        return model
