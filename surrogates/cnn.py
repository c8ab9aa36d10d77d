"""A convolutional surrogate of pixel layouts: metal mask in, complex S11 and S21 out.

The paper's EM-CNN (Huawei Research, "AI-Driven Innovations in RF and Antenna Design", 2024,
pixelated Ka-band filters) took the 15 bits plus one frequency and returned Re/Im of S11
and S21 at that frequency. This network differs where the physics allows it to learn from
fewer full-wave runs:

* **Input is the layout as an image**: channel 0 is the full metal mask (both mirrored
  halves, fixed cells included), channels 1 and 2 are each cell's width and height in units
  of :data:`SIZE_REF_MM`. Convolutions see which cells touch, at sides or corners.
* **Output is the whole sweep at once** (``F`` frequencies), so one forward pass gives a
  curve and batched inference is cheap.
* **Symmetry is built in**: a mirror-symmetric reciprocal two-port has S22 = S11 and
  S12 = S21, so only S11 and S21 are predicted. When the feeds sit on the patch's
  horizontal centre line, flipping the layout upside down leaves the response unchanged;
  every mask is replaced by the lexicographically smaller of itself and its flip before it
  reaches the network (:func:`canonical_flip`), so that invariance holds exactly and costs
  nothing at inference.
* **Outputs are passive**: per frequency the head gives three logits whose softmax is the
  split of incident power into |S11|^2, |S21|^2 and the power lost (radiated or absorbed),
  plus two unit phasors. |S11|^2 + |S21|^2 <= 1 for every input, and |S|_dB is
  ``10 log10`` of a softmax, which stays accurate at -40 dB and below.

Shapes: input ``N x 3 x R x C`` float32; :meth:`PixelCNN.forward` returns ``N x F x 7`` raw
values, :func:`raw_to_response` turns them into log power fractions ``N x F x 3`` and complex
S ``N x F x 2`` (S11, S21). :func:`full_s` expands to ``N x F x 2 x 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from rfdesign.layouts.grid import PixelGrid
from rfdesign.surrogates.checkpoint import ConfigRecord

SIZE_REF_MM = 0.3
"""Cell sizes are fed to the network in units of this length (mm)."""

MODEL_VERSION = 1
"""Version of the architecture and input encoding; checkpoints record it."""

DB_PER_NEPER_POWER = 10.0 / math.log(10.0)
"""``10 log10(p) = DB_PER_NEPER_POWER * ln(p)``."""


@dataclass(frozen=True)
class CNNConfig(ConfigRecord):
    """Architecture of :class:`PixelCNN`.

    The defaults are small on purpose: on the 300 openEMS training layouts a 24-trial Optuna
    search found no better architecture (16-32, 32-32, 16-32-32 channels, 64-256 hidden
    all within 0.06 dB of CV score), and (16, 16) x 128 runs a 5-member ensemble at > 10,000
    layouts/s on 2 cores (``benchmarks/results/surrogates.md``).

    Attributes:
        channels: Output channels of the 3x3 convolutions (padding 1, GELU after each).
        hidden: Width of the fully connected layer between convolutions and head.
        dropout: Dropout before the head (0 disables it).
        flip_invariant: Canonicalise masks under the upside-down flip (only valid when the
            feeds lie on the patch's horizontal centre line; :func:`flip_allowed` checks).
    """

    channels: tuple[int, ...] = (16, 16)
    hidden: int = 128
    dropout: float = 0.25
    flip_invariant: bool = True

    label: ClassVar[str] = "cnn config"


def flip_allowed(grid: PixelGrid, tol_mm: float = 1e-9) -> bool:
    """Whether the response is invariant under an upside-down flip of the mask.

    True when the feeds are centred on the patch and the row heights are palindromic.
    """
    rows = grid.row_heights
    centred = abs(grid.feed_center_y_mm - grid.height_mm / 2) < tol_mm
    return bool(centred and np.allclose(rows, rows[::-1], atol=tol_mm))


def canonical_flip(masks: np.ndarray) -> np.ndarray:
    """Each mask or its upside-down flip, whichever is lexicographically smaller (row-major).

    Args:
        masks: ``N x R x C`` (bool or 0/1).

    Returns:
        Bool masks of the same shape; a mask and its flip map to the same array.
    """
    m = np.asarray(masks).astype(bool)
    f = m[:, ::-1, :]
    a, b = m.reshape(len(m), -1), f.reshape(len(m), -1)
    differ = a != b
    first = differ.argmax(axis=1)
    rows = np.arange(len(m))
    use_flip = differ[rows, first] & a[rows, first] & ~b[rows, first]
    return np.where(use_flip[:, None, None], f, m)


def encode_masks(grid: PixelGrid, masks: np.ndarray, flip_invariant: bool = False) -> np.ndarray:
    """Network input for full metal masks.

    Args:
        grid: The pixel grid the masks belong to (supplies the cell sizes).
        masks: Metal masks, shape ``N x R x C`` (bool or 0/1), ``R x C`` = the full grid.
        flip_invariant: Replace each mask by :func:`canonical_flip` of it first.

    Returns:
        float32 array ``N x 3 x R x C``: mask, cell width / SIZE_REF_MM, cell height /
        SIZE_REF_MM.
    """
    masks = np.asarray(masks)
    shape = (grid.n_rows, grid.n_cols_full)
    if masks.ndim != 3 or masks.shape[1:] != shape:
        raise ValueError(f"masks: expected shape N x {shape[0]} x {shape[1]}, got {masks.shape}")
    if flip_invariant:
        masks = canonical_flip(masks)
    n = masks.shape[0]
    x = np.empty((n, 3, *shape), np.float32)
    x[:, 0] = masks
    x[:, 1] = (grid.full_column_widths_mm / SIZE_REF_MM)[None, None, :]
    x[:, 2] = (grid.row_heights / SIZE_REF_MM)[None, :, None]
    return x


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a hard dependency
        raise ImportError("the CNN surrogate needs torch: pip install torch==2.13.0") from exc
    return torch


def build_model(config: CNNConfig, n_rows: int, n_cols: int, n_freq: int):
    """A :class:`PixelCNN` (a ``torch.nn.Module``) for an ``n_rows x n_cols`` grid, F points."""
    torch = _torch()
    nn = torch.nn

    class PixelCNN(nn.Module):
        """Mask image ``N x 3 x R x C`` -> raw head ``N x F x 7`` (see module docstring)."""

        def __init__(self) -> None:
            super().__init__()
            layers: list = []
            c_in = 3
            for c_out in config.channels:
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.GELU()]
                c_in = c_out
            self.features = nn.Sequential(*layers)
            self.head = nn.Sequential(
                nn.Flatten(),
                nn.Linear(c_in * n_rows * n_cols, config.hidden),
                nn.GELU(),
                nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity(),
                nn.Linear(config.hidden, n_freq * 7),
            )
            self.n_freq = n_freq

        def forward(self, x):
            return self.head(self.features(x)).view(x.shape[0], self.n_freq, 7)

    return PixelCNN()


def build_stacked(config: CNNConfig, states: list[dict], n_freq: int):
    """All members of an ensemble fused into one module for fast inference.

    Convolutions become grouped convolutions (one group per member) and the dense layers
    batched matrix products, so one call evaluates every member with large kernels; the
    result equals running the members one by one.

    Args:
        config: The members' common architecture.
        states: Member weights as :func:`build_model`'s ``state_dict`` (numpy or torch).
        n_freq: Frequency points ``F``.

    Returns:
        A callable ``x (N x 3 x R x C) -> raw (M x N x F x 7)``.
    """
    torch = _torch()
    fn = torch.nn.functional
    m = len(states)
    t = [{k: torch.as_tensor(np.asarray(v)) for k, v in st.items()} for st in states]
    n_conv = len(config.channels)
    conv_w = [torch.cat([s[f"features.{2 * i}.weight"] for s in t]) for i in range(n_conv)]
    conv_b = [torch.cat([s[f"features.{2 * i}.bias"] for s in t]) for i in range(n_conv)]
    w1 = torch.stack([s["head.1.weight"].T for s in t])
    b1 = torch.stack([s["head.1.bias"] for s in t])[:, None, :]
    w2 = torch.stack([s["head.4.weight"].T for s in t])
    b2 = torch.stack([s["head.4.bias"] for s in t])[:, None, :]

    def forward(x):
        h = x.repeat(1, m, 1, 1)
        for w, b in zip(conv_w, conv_b, strict=True):
            h = fn.gelu(fn.conv2d(h, w, b, padding=1, groups=m))
        h = h.reshape(x.shape[0], m, -1).transpose(0, 1)
        h = fn.gelu(torch.baddbmm(b1, h, w1))
        return torch.baddbmm(b2, h, w2).view(m, x.shape[0], n_freq, 7)

    return forward


def raw_to_response(raw):
    """Passive response from the network's raw head output.

    Args:
        raw: Tensor ``N x F x 7``: three power logits (S11, S21, lost), then Re/Im of the S11
            phasor and Re/Im of the S21 phasor.

    Returns:
        ``(log_p, s)``: natural-log power fractions ``N x F x 3`` (they sum to 1 in linear
        scale) and complex S ``N x F x 2`` (S11, S21) with ``|S11|^2 + |S21|^2 <= 1``.
    """
    torch = _torch()
    log_p = torch.log_softmax(raw[..., :3], dim=-1)
    ph = raw[..., 3:].reshape(*raw.shape[:-1], 2, 2)
    ph = ph / torch.linalg.vector_norm(ph, dim=-1, keepdim=True).clamp_min(1e-6)
    mag = torch.exp(0.5 * log_p[..., :2])
    s = torch.complex(mag * ph[..., 0], mag * ph[..., 1])
    return log_p, s


def full_s(s: np.ndarray) -> np.ndarray:
    """``N x F x 2`` (S11, S21) -> ``N x F x 2 x 2`` of a symmetric reciprocal two-port."""
    out = np.empty((*s.shape[:-1], 2, 2), complex)
    out[..., 0, 0] = out[..., 1, 1] = s[..., 0]
    out[..., 1, 0] = out[..., 0, 1] = s[..., 1]
    return out
