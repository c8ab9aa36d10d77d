"""GAN inverse design for a spec: train the layout GAN of a grid, propose layouts for a spec.

``train_layout_gan(grid, f_ghz, out)`` builds everything a grid needs, each step resumable:

1. the training layouts, simulated by the circuit model (:mod:`rfdesign.datasets.inverse`,
   ``out/data``);
2. the differentiable response critic: the grid's shipped CNN when it has one for these
   frequencies, else a one-member CNN trained on the circuit data (``out/response``);
3. the GAN (:class:`rfdesign.surrogates.gan.LayoutGAN`, ``out/generator``).

``propose_for_spec(spec, n)`` renders the spec's masks and returns distinct proposals
(:func:`rfdesign.optimizers.inverse.propose`); the design pipeline puts them into the GA's
first population with ``seed_from="gan"``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from rfdesign.core.paths import repo_data
from rfdesign.layouts.grid import PixelGrid

COMMITTED = repo_data() / "gan"
"""GANs that come with the repository, one folder per grid preset (``data/gan/README.md``)."""

RESPONSE_FLOOR_DB = -60.0
"""|S| below this is clipped (dB) before it becomes a training condition."""


def default_gan_dir(grid: PixelGrid) -> Path:
    """Where a grid's GAN lives by default: ``$RFDESIGN_CACHE/gan/<grid>-<key>``."""
    from rfdesign.core.paths import cache_base

    return cache_base() / "gan" / f"{grid.name}-{grid.key()[:12]}"


def _s_db(s: np.ndarray) -> np.ndarray:
    """|S11|, |S21| in dB (``N x F x 2`` float32, floored) of ``N x F x 2 x 2`` S."""
    from rfdesign.core.db import s_db

    return s_db(s[:, :, :, 0], RESPONSE_FLOOR_DB).astype(np.float32)


def response_critic(
    grid: PixelGrid,
    f_ghz: np.ndarray,
    bits: np.ndarray,
    s: np.ndarray,
    directory: Path,
    seed: int = 0,
    max_epochs: int = 100,
):
    """The grid's shipped CNN if it fits ``f_ghz``, else a CNN trained (once) on the data.

    Returns:
        ``(CNNSurrogate, description)``.
    """
    from rfdesign.surrogates.base import load_shipped, shipped_names
    from rfdesign.surrogates.ensemble import CNNSurrogate
    from rfdesign.surrogates.training import TrainConfig

    f = np.asarray(f_ghz, float)
    if grid.name in shipped_names():
        shipped = load_shipped(grid.name)
        if shipped.grid.key() == grid.key() and np.allclose(shipped.f_ghz, f):
            return shipped, f"shipped CNN {grid.name}"
    if (directory / "model.yaml").exists():
        return CNNSurrogate.load(directory, grid=grid), f"CNN {directory} (circuit data)"
    tc = TrainConfig(max_epochs=max_epochs, batch_size=256, patience=15, threads=2)
    model = CNNSurrogate(grid, f, train_config=tc, n_members=1, seed=seed)
    model.fit(bits, s, provenance={"solver": "circuit", "samples": 0, "n_train": len(bits)})
    model.save(directory)
    return model, f"CNN {directory} (circuit data)"


def train_layout_gan(
    grid: PixelGrid,
    f_ghz: np.ndarray,
    out: str | Path,
    n_samples: int = 40_000,
    seed: int = 0,
    config=None,
    use_response: bool = True,
    executor: Executor | None = None,
    say: Callable[[str], None] | None = None,
):
    """Data, response critic and GAN of one grid (each step skipped when already done).

    Args:
        grid: The design space.
        f_ghz: Frequencies of the conditions, GHz.
        out: Folder for ``data/``, ``response/`` and ``generator/``.
        n_samples: Circuit-model training layouts.
        seed: Seeds data, critic and GAN.
        config: :class:`rfdesign.surrogates.gan.GANConfig` (default settings if ``None``).
        use_response: Train with the differentiable response critic.
        executor: Runs the circuit simulations.
        say: Progress messages.

    Returns:
        The trained :class:`~rfdesign.surrogates.gan.LayoutGAN`.
    """
    from rfdesign.datasets.inverse import circuit_dataset
    from rfdesign.surrogates.gan import LayoutGAN

    say = say or (lambda msg: None)
    out = Path(out)
    if (out / "generator" / "model.yaml").exists():
        return LayoutGAN.load(out / "generator", grid=grid)
    say(f"circuit data: {n_samples} layouts")
    bits, s = circuit_dataset(grid, f_ghz, n_samples, out / "data", seed, executor)
    response, desc = None, "none"
    if use_response:
        say("response critic")
        response, desc = response_critic(grid, f_ghz, bits, s, out / "response", seed)
    gan = LayoutGAN(grid, f_ghz, config, seed)
    gan.fit(
        bits,
        _s_db(s),
        response,
        progress=lambda e, fig: say(f"GAN epoch {e}: {fig}"),
        provenance={"data": str(out / "data"), "solver": "circuit", "response": desc},
    )
    gan.save(out / "generator")
    return gan


def load_gan(grid: PixelGrid, path: str | Path | None = None):
    """The GAN at ``path`` (a ``generator`` folder or its parent), default for ``grid``.

    Without ``path``: the grid's folder in the cache, else the repository's committed GAN of
    the grid preset (``data/gan/<grid>``; its grid key is checked on load).

    Raises:
        FileNotFoundError: When there is none, with the command that trains one.
    """
    from rfdesign.surrogates.gan import LayoutGAN

    root = Path(path) if path is not None else default_gan_dir(grid)
    roots = [root] if path is not None else [root, COMMITTED / grid.name]
    for folder in [f for r in roots for f in (r, r / "generator")]:
        if (folder / "model.yaml").exists():
            return LayoutGAN.load(folder, grid=grid)
    raise FileNotFoundError(
        f"gan: no trained layout GAN in {root}; train one with "
        f"`rfdesign gan train --grid {grid.name}`"
    )


def propose_for_spec(spec, n: int, gan=None, seed: int | None = None) -> np.ndarray:
    """Distinct GAN proposals for a :class:`~rfdesign.spec.FilterSpec`, ``m x d`` (m <= n).

    Args:
        spec: The spec (its grid must be the GAN's).
        n: Layouts wanted.
        gan: A :class:`~rfdesign.surrogates.gan.LayoutGAN`, a folder, or ``None`` (the
            grid's default folder).
        seed: Seeds the draws (default: the spec's search seed).
    """
    from rfdesign.evaluation import spec_masks
    from rfdesign.optimizers.inverse import propose
    from rfdesign.surrogates.gan import LayoutGAN

    grid = spec.pixel_grid()
    if not isinstance(gan, LayoutGAN):
        gan = load_gan(grid, gan)
    elif gan.grid.key() != grid.key():
        raise ValueError(f"gan: trained for grid {gan.grid.name!r}, the spec uses {grid.name!r}")
    seed = spec.search.seed if seed is None else seed
    return propose(gan, spec_masks(spec), n, seed, spec.search.allow_corner_contacts)
