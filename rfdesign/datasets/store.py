"""Datasets of simulated layouts: zarr on disk, a crash-safe journal, xarray in memory.

On-disk format (chosen once): a folder holding

* ``dataset.zarr/`` (zarr format 2): ``bits`` (N x d, uint8), ``s`` (N x F x 2 x 2,
  complex128), ``status`` (N, uint8: 0 ok, 1 failed), ``key`` (N, layout key), ``info`` (N,
  JSON text: per-sample provenance: solver version, time steps, wall time, host, UTC time,
  error for failures), ``valid`` (N, bool, written last) and ``frequency_ghz`` (F); the
  dataset's identity (grid geometry, solver name, settings, frequencies) in the attributes.
* ``journal/``: every computed chunk of samples is first written here as one ``.npz`` file
  (temporary file + atomic rename), so a killed run loses at most the chunks still in
  flight. :meth:`Dataset.consolidate` merges journal files into the zarr arrays and deletes
  them; merging is idempotent (keys already valid are skipped), so a kill during
  consolidation loses nothing either.

Samples are unique by layout key; a failed sample that later succeeds is replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.core.paths import repo_data
from rfdesign.layouts.grid import PixelGrid

STATUS_OK = 0
STATUS_FAILED = 1
FORMAT_VERSION = 1


class DatasetError(ValueError):
    """A dataset that cannot be opened, created or merged as asked."""


@dataclass(frozen=True)
class Chunk:
    """Results of a few layouts, as written to the journal.

    Attributes:
        keys: Layout keys, shape ``n``.
        bits: Free bits, ``n x d``.
        s: Complex S, ``n x F x 2 x 2`` (NaN for failures).
        status: ``n`` values, :data:`STATUS_OK` or :data:`STATUS_FAILED`.
        info: Per-sample provenance dictionaries (``error`` set for failures).
    """

    keys: list[str]
    bits: np.ndarray
    s: np.ndarray
    status: np.ndarray
    info: list[dict]


def _atomic_savez(path: Path, **arrays: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Dataset:
    """A folder of simulated layouts of one grid, one solver configuration, one sweep.

    Use :meth:`create` or :meth:`open`; :meth:`open_or_create` does either and checks that
    an existing dataset was made with the same grid, solver settings and frequencies.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.journal = self.path / "journal"
        import zarr

        store = self.path / "dataset.zarr"
        if not store.exists():
            raise DatasetError(f"{self.path}: not a dataset (no dataset.zarr)")
        self._root = zarr.open_group(str(store), mode="a")
        self.attrs = dict(self._root.attrs)
        if self.attrs.get("format_version") != FORMAT_VERSION:
            raise DatasetError(
                f"{self.path}: unsupported format {self.attrs.get('format_version')}"
            )

    # ----- creation ------------------------------------------------------------------------
    @staticmethod
    def identity(grid: PixelGrid, solver: str, settings: dict, f_ghz: np.ndarray) -> dict:
        """What makes two datasets mergeable: grid geometry, solver, settings, frequencies."""
        return {
            "grid": grid.to_dict(),
            "grid_key": grid.key(),
            "solver": solver,
            "settings": settings,
            "frequency_ghz": [float(f) for f in f_ghz],
        }

    @classmethod
    def create(
        cls,
        path: str | Path,
        grid: PixelGrid,
        solver: str,
        settings: dict,
        f_ghz: np.ndarray,
        provenance: dict | None = None,
    ) -> Dataset:
        """Create an empty dataset folder (fails if one exists)."""
        import numcodecs
        import zarr

        path = Path(path)
        if (path / "dataset.zarr").exists():
            raise DatasetError(f"{path}: a dataset exists already")
        path.mkdir(parents=True, exist_ok=True)
        (path / "journal").mkdir(exist_ok=True)
        f = np.asarray(f_ghz, float)
        tmp = path / f".dataset.zarr.{uuid.uuid4().hex}.tmp"
        root = zarr.open_group(str(tmp), mode="w")
        d, nf = grid.n_bits, f.size
        root.create_dataset("bits", shape=(0, d), chunks=(4096, max(d, 1)), dtype="u1")
        root.create_dataset("s", shape=(0, nf, 2, 2), chunks=(256, nf, 2, 2), dtype="c16")
        root.create_dataset("status", shape=(0,), chunks=(65536,), dtype="u1")
        root.create_dataset("valid", shape=(0,), chunks=(65536,), dtype="bool")
        root.create_dataset("key", shape=(0,), chunks=(65536,), dtype="U64")
        root.create_dataset(
            "info", shape=(0,), chunks=(4096,), dtype=object, object_codec=numcodecs.VLenUTF8()
        )
        root.create_dataset("frequency_ghz", data=f)
        root.attrs.update(
            {
                "format_version": FORMAT_VERSION,
                **cls.identity(grid, solver, settings, f),
                "provenance": provenance or {},
            }
        )
        os.replace(tmp, path / "dataset.zarr")
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> Dataset:
        """Open an existing dataset and merge any journal left by an interrupted run."""
        ds = cls(path)
        ds.consolidate()
        return ds

    @classmethod
    def open_or_create(
        cls,
        path: str | Path,
        grid: PixelGrid,
        solver: str,
        settings: dict,
        f_ghz: np.ndarray,
        provenance: dict | None = None,
    ) -> Dataset:
        """Open the dataset at ``path`` if it matches, else create it.

        Raises:
            DatasetError: If a dataset exists with another grid, solver, settings or sweep.
        """
        if (Path(path) / "dataset.zarr").exists():
            ds = cls.open(path)
            want = cls.identity(grid, solver, settings, f_ghz)
            have = {k: ds.attrs.get(k) for k in want}
            diff = [
                k
                for k in want
                if json.dumps(want[k], sort_keys=True) != json.dumps(have[k], sort_keys=True)
            ]
            if diff:
                raise DatasetError(
                    f"{path}: exists with a different {', '.join(diff)}; use another --out"
                )
            return ds
        return cls.create(path, grid, solver, settings, f_ghz, provenance)

    # ----- writing -------------------------------------------------------------------------
    def write_chunk(self, chunk: Chunk) -> Path:
        """Journal a chunk of results durably (atomic file); returns the journal file."""
        self.journal.mkdir(exist_ok=True)
        path = self.journal / f"{uuid.uuid4().hex}.npz"
        _atomic_savez(
            path,
            keys=np.array(chunk.keys, dtype="U64"),
            bits=np.asarray(chunk.bits, np.uint8),
            s=np.asarray(chunk.s, np.complex128),
            status=np.asarray(chunk.status, np.uint8),
            info=np.array([json.dumps(i, default=str) for i in chunk.info], dtype=object).astype(
                "U"
            ),
        )
        return path

    def consolidate(self) -> int:
        """Merge journal files into the zarr arrays; returns the number of samples added.

        Per journal file: new keys are appended as one block (data first, ``valid`` last),
        a stored failure is replaced by a later success, then the file is deleted. A kill at
        any point leaves the journal file in place, and the next call merges it again.
        """
        if not self.journal.exists() or not any(self.journal.glob("*.npz")):
            return 0
        import fcntl

        with open(self.path / ".consolidate.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one consolidating process at a time
            return self._consolidate_locked()

    def _consolidate_locked(self) -> int:
        files = sorted(self.journal.glob("*.npz"))
        root = self._root
        existing = self._key_index()
        added = 0
        for path in files:
            try:
                with np.load(path, allow_pickle=False) as data:
                    keys, bits, s = data["keys"].tolist(), data["bits"], data["s"]
                    status, info = data["status"], data["info"]
            except (OSError, ValueError, KeyError, EOFError):
                path.rename(path.with_suffix(".corrupt"))  # kept for inspection, never merged
                continue
            new_rows: list[int] = []
            seen: set[str] = set()
            for j, key in enumerate(keys):
                if key in seen:
                    continue
                seen.add(key)
                row = existing.get(key)
                if row is None:
                    new_rows.append(j)
                elif root["status"][row] != STATUS_OK and status[j] == STATUS_OK:
                    for name, value in (
                        ("bits", bits[j]),
                        ("s", s[j]),
                        ("status", status[j]),
                        ("info", str(info[j])),
                    ):
                        root[name][row] = value
            if new_rows:
                sel = np.array(new_rows)
                start = root["valid"].shape[0]
                stop = start + sel.size
                for name in ("bits", "s", "status", "valid", "key", "info"):
                    arr = root[name]
                    arr.resize((stop, *arr.shape[1:]))
                root["bits"][start:stop] = bits[sel]
                root["s"][start:stop] = s[sel]
                root["status"][start:stop] = status[sel]
                root["key"][start:stop] = np.array([keys[j] for j in new_rows], dtype="U64")
                info_block = np.empty(sel.size, dtype=object)
                info_block[:] = [str(info[j]) for j in new_rows]
                root["info"][start:stop] = info_block
                root["valid"][start:stop] = True
                for r, j in enumerate(new_rows):
                    existing[keys[j]] = start + r
                added += sel.size
            path.unlink()
        return added

    def _key_index(self) -> dict[str, int]:
        keys = self._root["key"][:]
        valid = self._root["valid"][:]
        return {str(k): i for i, (k, v) in enumerate(zip(keys, valid, strict=True)) if v}

    # ----- reading -------------------------------------------------------------------------
    @property
    def f_ghz(self) -> np.ndarray:
        """Frequencies in GHz, shape ``F``."""
        return self._root["frequency_ghz"][:]

    def _mask(self, include_failed: bool = False) -> np.ndarray:
        valid = self._root["valid"][:]
        if include_failed:
            return valid
        return valid & (self._root["status"][:] == STATUS_OK)

    def keys(self, include_failed: bool = False) -> set[str]:
        """Keys of stored samples (successful ones unless ``include_failed``)."""
        return set(self._root["key"][:][self._mask(include_failed)].tolist())

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Successful samples: bits ``N x d`` (uint8) and S ``N x F x 2 x 2`` (complex)."""
        m = self._mask()
        idx = np.nonzero(m)[0]
        return self._root["bits"].get_orthogonal_selection((idx, slice(None))), (
            self._root["s"][:][idx]
            if idx.size
            else np.zeros((0, *self._root["s"].shape[1:]), complex)
        )

    def infos(self, include_failed: bool = True) -> list[dict]:
        """Per-sample provenance (with ``error`` for failures)."""
        idx = np.nonzero(self._mask(include_failed))[0]
        raw = self._root["info"][:]
        return [json.loads(raw[i]) for i in idx]

    def failures(self) -> list[tuple[str, str]]:
        """``(layout bits, error)`` of every failed sample."""
        status = self._root["status"][:]
        m = self._root["valid"][:] & (status == STATUS_FAILED)
        raw = self._root["info"][:]
        out = []
        for i in np.nonzero(m)[0]:
            info = json.loads(raw[i])
            out.append((info.get("bits", ""), info.get("error", "")))
        return out

    def __len__(self) -> int:
        return int(self._mask().sum())

    def summary(self) -> dict:
        """Counts and provenance: ``samples``, ``unique``, ``failed``, solver, settings, ..."""
        keys = self._root["key"][:][self._root["valid"][:]]
        status = self._root["status"][:][self._root["valid"][:]]
        ok = int((status == STATUS_OK).sum())
        return {
            "samples": ok,
            "unique": len(set(keys[status == STATUS_OK].tolist())),
            "failed": int((status == STATUS_FAILED).sum()),
            "pending_journal_files": len(list(self.journal.glob("*.npz")))
            if self.journal.exists()
            else 0,
            "grid": self.attrs["grid"]["name"],
            "grid_key": self.attrs["grid_key"],
            "n_bits": len(self._root["bits"].shape) and self._root["bits"].shape[1],
            "solver": self.attrs["solver"],
            "settings": self.attrs["settings"],
            "frequency_ghz": [self.f_ghz[0], self.f_ghz[-1], len(self.f_ghz)],
            "provenance": self.attrs.get("provenance", {}),
        }

    def content_hash(self) -> str:
        """sha256 of identity plus sorted keys and S of all successful samples."""
        _, s = self.arrays()
        keys = self._root["key"][:][self._mask()]
        order = np.argsort(keys)
        h = hashlib.sha256(
            json.dumps(
                {k: self.attrs[k] for k in ("grid_key", "solver", "settings", "frequency_ghz")},
                sort_keys=True,
            ).encode()
        )
        h.update("".join(keys[order].tolist()).encode())
        h.update(np.ascontiguousarray(s[order]).tobytes())
        return h.hexdigest()

    def to_xarray(self):
        """The successful samples as an :class:`xarray.Dataset`.

        Variables: ``s`` (sample, frequency, out_port, in_port; complex), ``bits`` (sample, bit);
        coordinates ``frequency`` (GHz) and ``key``; attributes: identity and provenance.
        """
        import xarray as xr

        bits, s = self.arrays()
        keys = self._root["key"][:][self._mask()]
        return xr.Dataset(
            {
                "s": (("sample", "frequency", "out_port", "in_port"), s),
                "bits": (("sample", "bit"), bits),
            },
            coords={
                "frequency": ("frequency", self.f_ghz, {"units": "GHz"}),
                "key": ("sample", keys),
            },
            attrs={
                "solver": self.attrs["solver"],
                "grid": json.dumps(self.attrs["grid"]),
                "settings": json.dumps(self.attrs["settings"]),
            },
        )

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Seeded train/test split of the successful samples: two index arrays into :meth:`arrays`.

        The split depends only on the sample keys and the seed, not on storage order.
        """
        if not 0 < test_fraction < 1:
            raise ValueError("test_fraction: must be between 0 and 1")
        keys = self._root["key"][:][self._mask()]
        order = np.argsort(keys)
        rng = np.random.default_rng(seed)
        perm = order[rng.permutation(len(order))]
        n_test = round(test_fraction * len(perm))
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])

    # ----- merging -------------------------------------------------------------------------
    @classmethod
    def merge(cls, sources: Sequence[str | Path], out: str | Path) -> Dataset:
        """Merge datasets made with identical grid, solver, settings and frequencies."""
        datasets = [cls.open(p) for p in sources]
        if not datasets:
            raise DatasetError("merge: no datasets given")
        first = datasets[0]
        ident = {k: first.attrs[k] for k in ("grid_key", "solver", "settings", "frequency_ghz")}
        for ds in datasets[1:]:
            other = {k: ds.attrs[k] for k in ident}
            if json.dumps(other, sort_keys=True) != json.dumps(ident, sort_keys=True):
                raise DatasetError(f"merge: {ds.path} differs from {first.path} in its settings")
        target = cls._create_like(first, out)
        for ds in datasets:
            root = ds._root
            m = root["valid"][:]
            idx = np.nonzero(m)[0]
            if idx.size:
                target.write_chunk(
                    Chunk(
                        keys=root["key"][:][idx].tolist(),
                        bits=root["bits"][:][idx],
                        s=root["s"][:][idx],
                        status=root["status"][:][idx],
                        info=[json.loads(x) for x in root["info"][:][idx]],
                    )
                )
        target.consolidate()
        return target

    @classmethod
    def _create_like(cls, ds: Dataset, out: str | Path) -> Dataset:
        import zarr

        out = Path(out)
        if (out / "dataset.zarr").exists():
            raise DatasetError(f"{out}: a dataset exists already")
        out.mkdir(parents=True, exist_ok=True)
        (out / "journal").mkdir(exist_ok=True)
        zarr.copy_store(
            zarr.DirectoryStore(str(ds.path / "dataset.zarr")),
            zarr.DirectoryStore(str(out / "dataset.zarr")),
        )
        root = zarr.open_group(str(out / "dataset.zarr"), mode="a")
        for name in ("bits", "s", "status", "valid", "key", "info"):
            root[name].resize((0, *root[name].shape[1:]))
        return cls(out)


def load_reference(name: str) -> Dataset:
    """Open a reference dataset shipped in the repository's ``data/`` folder by name."""
    base = repo_data()
    path = base / name
    if not (path / "dataset.zarr").exists():
        known = (
            sorted(p.name for p in base.glob("*") if (p / "dataset.zarr").exists())
            if base.exists()
            else []
        )
        raise DatasetError(f"unknown reference dataset {name!r}; known: {known}")
    return Dataset.open(path)
