"""Datasets of the 2-D inverse-scattering benchmark: objects, MoM data, noise, BP images.

One sample is an object (relative permittivity on the inversion grid), its scattered field at
the receivers for every transmitter (computed by the MoM on a grid ``data_factor`` times finer
than the inversion grid, or on the inversion grid itself for training sets), the same data with
complex Gaussian noise, the back-propagation image of the noisy data, and (for training the
forward-solver network) the total fields in the cells of the inversion grid.

Sample ``i`` of a dataset depends only on ``(seed, i)``, so a set is generated in chunks
written atomically to ``directory/chunk_XXXX.npz``: a killed run loses at most the chunk in
flight and a rerun continues where it stopped. A ``dataset.json`` states the settings; a rerun
with other settings into the same folder is refused.

Object families (Wei and Chen, IEEE TGRS 57(4), 2019, and the BPS benchmark code):

* ``circles``: 1-3 random cylinders, radius 0.15-0.4 m, eps_r 1.001-1.5;
* ``digits``: scikit-learn's 8 x 8 digits, upsampled, random peak eps_r 1.1-1.5, size
  1.2-1.6 m and offset +-0.1 m; training sets draw from images 0-1499, test sets from
  1500-1796 (never seen in training);
* ``austria``: the fixed Austria profile (test only).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rfdesign.scattering import profiles
from rfdesign.scattering.mom2d import Grid2D, MoM2D

FAMILIES = ("circles", "digits", "austria")
TRAIN_DIGITS = range(0, 1500)
TEST_DIGITS = range(1500, 1797)
CHUNK = 25


@dataclass(frozen=True)
class ScatterDataSpec:
    """Settings of one dataset.

    Attributes:
        family: ``circles``, ``digits`` or ``austria``.
        count: Number of samples.
        n: Cells per side of the inversion grid.
        data_factor: The MoM data grid has ``n * data_factor`` cells per side (1 = the
            inversion grid itself, for training sets only).
        noise: Noise level relative to the RMS of the data (0.05 = 5 %).
        seed: Seed of objects and noise.
        split: ``train`` or ``test`` (selects the digit images).
        rtol: GMRES relative tolerance of the MoM.
        fields: Store the total fields on the inversion grid (needs ``data_factor == 1``).
    """

    family: str
    count: int
    n: int = 64
    data_factor: int = 2
    noise: float = 0.05
    seed: int = 0
    split: str = "test"
    rtol: float = 1e-6
    fields: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family: {self.family!r} is not one of {', '.join(FAMILIES)}")
        if self.split not in ("train", "test"):
            raise ValueError(f"split: {self.split!r} is not 'train' or 'test'")
        if self.count < 1 or self.n < 4 or self.data_factor < 1 or self.noise < 0:
            raise ValueError(
                f"count, n, data_factor must be positive and noise >= 0 (got {self.count}, "
                f"{self.n}, {self.data_factor}, {self.noise})"
            )
        if self.fields and self.data_factor != 1:
            raise ValueError("fields: total fields are stored only for data_factor 1")


def make_object(spec: ScatterDataSpec, grid: Grid2D, index: int) -> np.ndarray:
    """Object ``index`` of the dataset on ``grid`` (identical object on any grid)."""
    rng = np.random.default_rng([spec.seed, index, 1])
    if spec.family == "circles":
        return profiles.circles(grid, rng)
    if spec.family == "austria":
        return profiles.austria(grid)
    pool = TRAIN_DIGITS if spec.split == "train" else TEST_DIGITS
    image = int(rng.choice(np.asarray(pool)))
    if spec.split == "test":
        return profiles.digit(grid, image, eps_r=1.5)
    eps = rng.uniform(1.1, 1.5)
    size = rng.uniform(1.2, 1.6)
    shift = rng.uniform(-0.1, 0.1, size=2)
    return profiles.digit(grid, image, eps_r=eps, size_m=size, offset_m=tuple(shift))


def add_noise(e_scat: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Complex Gaussian noise of RMS ``level`` times the data's RMS (Chen 2018, sec. 4.2)."""
    scale = level * np.sqrt(np.mean(np.abs(e_scat) ** 2) / 2)
    return e_scat + scale * (rng.normal(size=e_scat.shape) + 1j * rng.normal(size=e_scat.shape))


def _sample(spec: ScatterDataSpec, index: int) -> dict[str, np.ndarray]:
    """Everything stored for one sample."""
    from rfdesign.scattering.inversion import back_propagation

    setup = inversion_setup(spec.n)
    data = inversion_setup(spec.n * spec.data_factor)
    result = data.mom.solve(
        make_object(spec, data.mom.grid, index), data.e_inc, data.receivers, rtol=spec.rtol
    )
    noisy = add_noise(result.scattered, spec.noise, np.random.default_rng([spec.seed, index, 2]))
    out = {
        "eps": make_object(spec, setup.mom.grid, index),
        "e_scat": result.scattered,
        "e_noisy": noisy,
        "bp": back_propagation(setup, noisy),
    }
    if spec.fields:
        out["total"] = result.total.astype(np.complex64)
    return out


@lru_cache(maxsize=4)
def inversion_setup(n: int):
    """The benchmark setup on ``n x n`` cells of [-1, 1]^2 m (one per process and grid).

    Returns:
        A :class:`rfdesign.scattering.inversion.ScatterSetup` (MoM operator, incident
        fields and receiver operator built once; do not modify it).
    """
    from rfdesign.scattering.inversion import ScatterSetup

    k0, tx, rx = profiles.benchmark_setup()
    return ScatterSetup(MoM2D(Grid2D(n, 1.0), k0), tx, rx)


def _chunk(spec: ScatterDataSpec, start: int, stop: int) -> dict[str, np.ndarray]:
    samples = [_sample(spec, i) for i in range(start, stop)]
    return {k: np.stack([s[k] for s in samples]) for k in samples[0]}


def generate(
    spec: ScatterDataSpec,
    directory: str | Path,
    executor=None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Generate (or finish) the dataset in ``directory`` and return it.

    Args:
        spec: The dataset settings.
        directory: Folder of the chunks (created).
        executor: Optional ``concurrent.futures`` executor: chunks run on it in parallel.
        progress: Called with ``(samples done, count)`` after each chunk.

    Returns:
        Arrays ``eps`` (N x n x n), ``e_scat`` and ``e_noisy`` (N x T x R complex), ``bp``
        (N x n x n) and, with ``spec.fields``, ``total`` (N x T x n x n complex64).

    Raises:
        ValueError: If ``directory`` holds a dataset made with other settings.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta_path = directory / "dataset.json"
    meta = {"spec": asdict(spec), "chunk": CHUNK}
    if meta_path.exists():
        old = json.loads(meta_path.read_text())
        if old != meta:
            raise ValueError(
                f"{directory}: holds a dataset with other settings ({old['spec']}); use another "
                "folder"
            )
    else:
        meta_path.write_text(json.dumps(meta, indent=2))
    starts = list(range(0, spec.count, CHUNK))
    todo = [s for s in starts if not (directory / f"chunk_{s // CHUNK:04d}.npz").exists()]
    done = spec.count - sum(min(CHUNK, spec.count - s) for s in todo)

    def store(start: int, arrays: dict[str, np.ndarray]) -> None:
        nonlocal done
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, directory / f"chunk_{start // CHUNK:04d}.npz")
        done += len(arrays["eps"])
        if progress:
            progress(done, spec.count)

    if executor is None:
        for s in todo:
            store(s, _chunk(spec, s, min(s + CHUNK, spec.count)))
    else:
        futures = {executor.submit(_chunk, spec, s, min(s + CHUNK, spec.count)): s for s in todo}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            store(futures[fut], fut.result())
    return load(directory)


def load(directory: str | Path) -> dict[str, np.ndarray]:
    """All chunks of a dataset folder, concatenated in sample order."""
    directory = Path(directory)
    paths = sorted(directory.glob("chunk_*.npz"))
    if not paths:
        raise FileNotFoundError(f"{directory}: no dataset chunks")
    parts = [dict(np.load(p)) for p in paths]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
