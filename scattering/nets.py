"""Image-to-image networks of the inverse-scattering module: U-Net, PatchGAN, training loop.

* :class:`UNet`: encoder-decoder with skip connections (Ronneberger, Fischer and Brox,
  MICCAI 2015), the network of the BPS scheme (Wei and Chen, IEEE TGRS 57(4), 2019) and the
  generator of the conditional GAN.
* :class:`PatchCritic`: the PatchGAN discriminator of pix2pix (Isola et al., CVPR 2017): it
  scores overlapping patches of (condition, image) pairs as real or generated.
* :func:`fit`: one training loop for plain regression (``critic=None``) and for the
  conditional GAN (pix2pix objective: ``adv_weight * BCE(D(x, G(x)), 1) + loss(G(x), y)``).

Shapes: images are ``B x C x n x n`` float32 tensors on the CPU; ``n`` divisible by
``2^depth``. torch is imported by this module, so import it only where networks are used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net mapping ``B x in_ch x n x n`` to ``B x out_ch x n x n``.

    Args:
        in_ch: Input channels.
        out_ch: Output channels.
        width: Channels of the first level (doubled at each of the ``depth`` levels).
        depth: Down-sampling steps.
    """

    def __init__(self, in_ch: int, out_ch: int, width: int = 16, depth: int = 3) -> None:
        super().__init__()
        chans = [width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList([_block(in_ch, chans[0])])
        self.down.extend(_block(chans[i], chans[i + 1]) for i in range(depth))
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in reversed(range(depth))
        )
        self.merge = nn.ModuleList(_block(2 * chans[i], chans[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(chans[0], out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B x in_ch x n x n`` -> ``B x out_ch x n x n``."""
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else nn.functional.max_pool2d(x, 2))
            skips.append(x)
        skips.pop()
        for up, merge in zip(self.up, self.merge, strict=True):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


class PatchCritic(nn.Module):
    """PatchGAN discriminator: ``(condition, image)`` -> logits per patch ``B x 1 x m x m``.

    Args:
        in_ch: Channels of condition and image together.
        width: Channels of the first layer (doubled per layer).
        layers: Stride-2 layers (receptive field 4 * 2^layers cells roughly).
    """

    def __init__(self, in_ch: int, width: int = 32, layers: int = 3) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        c = in_ch
        for i in range(layers):
            out = width * 2**i
            mods += [nn.Conv2d(c, out, 4, stride=2, padding=1)]
            if i:
                mods += [nn.BatchNorm2d(out)]
            mods += [nn.LeakyReLU(0.2, inplace=True)]
            c = out
        mods += [nn.Conv2d(c, 1, 3, padding=1)]
        self.net = nn.Sequential(*mods)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """Patch logits of the pair (channels concatenated)."""
        return self.net(torch.cat([condition, image], dim=1))


@dataclass
class FitHistory:
    """Per-epoch losses of :func:`fit`: training loss, validation loss, critic loss, seconds."""

    train: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    critic: list[float] = field(default_factory=list)
    seconds: float = 0.0


def fit(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    epochs: int,
    batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    augment: Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple] | None = None,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    critic: nn.Module | None = None,
    adv_weight: float = 0.01,
    log: Callable[[str], None] | None = None,
) -> FitHistory:
    """Train ``model`` on ``(x, y)`` (numpy ``N x C x n x n``), Adam with cosine decay.

    Args:
        model: The network (generator).
        x: Inputs.
        y: Targets.
        loss_fn: ``(prediction, target, input) -> scalar`` (the supervised term).
        epochs: Passes over the data.
        batch: Mini-batch size.
        lr: Initial learning rate.
        seed: Seeds torch and the shuffling.
        augment: ``(x_batch, y_batch, rng) -> (x_batch, y_batch)`` applied per batch.
        val: Validation pair, scored with ``loss_fn`` after each epoch.
        critic: A :class:`PatchCritic` to train adversarially (conditional GAN), or None.
        adv_weight: Weight of the adversarial term in the generator's loss.
        log: Called with one line per epoch.

    Returns:
        The :class:`FitHistory`; the model ends in eval mode.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(
        model.parameters(), lr=lr, betas=(0.5, 0.999) if critic else (0.9, 0.999)
    )
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(epochs, 1))
    if critic is not None:
        opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.999))
        bce = nn.BCEWithLogitsLoss()
    hist = FitHistory()
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(x))
        total, total_c, count = 0.0, 0.0, 0
        for start in range(0, len(x) - batch + 1, batch):
            idx = np.sort(order[start : start + batch])
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb, yb = augment(xb, yb, rng)
            xb = torch.from_numpy(np.ascontiguousarray(xb, np.float32))
            yb = torch.from_numpy(np.ascontiguousarray(yb, np.float32))
            pred = model(xb)
            loss = loss_fn(pred, yb, xb)
            if critic is not None:
                critic.train()
                opt_c.zero_grad()
                real = critic(xb, yb)
                fake = critic(xb, pred.detach())
                loss_c = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
                loss_c.backward()
                opt_c.step()
                total_c += float(loss_c.detach()) * len(idx)
                fooled = critic(xb, pred)
                gen_loss = loss + adv_weight * bce(fooled, torch.ones_like(fooled))
            else:
                gen_loss = loss
            opt.zero_grad()
            gen_loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        sched.step()
        hist.train.append(total / max(count, 1))
        if critic is not None:
            hist.critic.append(total_c / max(count, 1))
        if val is not None:
            hist.val.append(evaluate(model, val[0], val[1], loss_fn))
        if log:
            v = f" val {hist.val[-1]:.4g}" if val is not None else ""
            c = f" critic {hist.critic[-1]:.3f}" if critic is not None else ""
            log(
                f"epoch {epoch + 1}/{epochs}: train {hist.train[-1]:.4g}{v}{c} "
                f"({time.perf_counter() - t0:.0f} s)"
            )
    model.eval()
    hist.seconds = time.perf_counter() - t0
    return hist


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, loss_fn, batch: int = 32) -> float:
    """Mean of ``loss_fn`` over ``(x, y)`` in eval mode (no gradients)."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for s in range(0, len(x), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[s : s + batch], np.float32))
            yb = torch.from_numpy(np.ascontiguousarray(y[s : s + batch], np.float32))
            total += float(loss_fn(model(xb), yb, xb)) * len(xb)
    return total / len(x)


def predict(model: nn.Module, x: np.ndarray, batch: int = 32) -> np.ndarray:
    """``model(x)`` in eval mode, numpy in and out."""
    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(x), batch):
            outs.append(model(torch.from_numpy(np.ascontiguousarray(x[s : s + batch], np.float32))))
    return torch.cat(outs).numpy()
