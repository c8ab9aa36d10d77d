"""Inverse design: distinct candidate layouts for a set of band masks, from a trained GAN.

:func:`propose` renders the masks on the GAN's frequency grid
(:func:`rfdesign.surrogates.response_masks.render_masks`), draws layouts from the generator,
closes corner-only contacts (:func:`rfdesign.layouts.grid.repair_corner_contacts`) unless
they are allowed, and keeps the first ``n`` distinct ones. Nothing is evaluated here: the
proposals go to the search (the GA's first population, ``--seed-from gan``) or to the
surrogate, which judges them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rfdesign.layouts.grid import repair_corner_contacts
from rfdesign.surrogates.response_masks import render_masks


def propose(
    gan,
    masks: Sequence,
    n: int,
    seed: int = 0,
    allow_corner_contacts: bool = False,
    max_draws: int | None = None,
    temperatures: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0),
) -> np.ndarray:
    """Up to ``n`` distinct layouts the GAN proposes for ``masks``.

    Args:
        gan: A trained :class:`rfdesign.surrogates.gan.LayoutGAN`.
        masks: :class:`rfdesign.optimizers.masks.Mask` objects (a spec's masks:
            ``rfdesign.evaluation.spec_masks(spec)``).
        n: Layouts wanted.
        seed: Seeds the generator's noise.
        allow_corner_contacts: Keep corner-only contacts instead of repairing them.
        max_draws: Stop drawing after this many samples (default ``50 * n``); a generator
            that has collapsed onto few layouts then returns fewer than ``n``.
        temperatures: Sampling temperatures tried in turn (the next one when a batch adds
            fewer than a quarter of its size in new layouts): the generator's own
            distribution first, flatter ones only when it repeats itself.

    Returns:
        Free bits ``m x d`` uint8, ``m <= n``, in the order drawn.

    Raises:
        ValueError: For ``n < 1`` or masks outside the GAN's frequency grid.
    """
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    condition = render_masks(masks, gan.f_ghz)
    max_draws = 50 * n if max_draws is None else max_draws
    out: dict[bytes, np.ndarray] = {}
    drawn, batch, level = 0, max(2 * n, 64), 0
    while len(out) < n and drawn < max_draws:
        t = temperatures[min(level, len(temperatures) - 1)]
        size = min(batch, max_draws - drawn)
        bits = gan.sample(condition, size, seed=seed * 7919 + drawn, temperature=t)
        drawn += size
        before = len(out)
        if not allow_corner_contacts:
            bits = repair_corner_contacts(gan.grid, bits)
        for b in bits:
            out.setdefault(b.tobytes(), b)
            if len(out) == n:
                break
        if len(out) - before < size // 4:
            level += 1
    if not out:
        return np.zeros((0, gan.grid.n_bits), np.uint8)
    return np.array(list(out.values()), np.uint8)
