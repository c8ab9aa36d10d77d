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
  consolidation loses nothing either. A journal file that cannot be read (truncated, bytes
  changed: the zip CRC disagrees) is renamed ``.corrupt``, one warning line names it, and
  its samples are computed again by the next generation run.
* ``dataset.zarr/.manifest.json``: size and sha256 of every metadata and chunk file
  (:mod:`~rfdesign.datasets.manifest`), rewritten atomically by :meth:`Dataset.create`,
  :meth:`Dataset.consolidate` (only the files it touched are hashed again),
  :meth:`Dataset.seal` and :meth:`Dataset.repair`.

Samples are unique by layout key; a failed sample that later succeeds is replaced.

Integrity: zarr reads a missing chunk as zeros, so :meth:`Dataset.open` first checks every
file against the manifest (every chunk the shapes imply exists, sizes and hashes match; with
no manifest, every chunk decodes) and raises :class:`DatasetDamaged`, one line naming the
file, what is wrong, the samples lost and the fix. Reads check the files they use again
(sizes only). :meth:`Dataset.repair` rewrites the dataset without the lost rows (``key``,
``status`` and ``valid`` are rebuilt from the other arrays where they are damaged) and the
next ``rfdesign dataset generate`` with the same arguments computes exactly those layouts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.core.paths import repo_data
from rfdesign.datasets.errors import DatasetDamaged, DatasetError
from rfdesign.datasets.manifest import (
    SAMPLE_ARRAYS,
    Manifest,
    Scan,
    files_touched,
    lock,
    scan,
)
from rfdesign.datasets.repair import init_store, rewrite_without_damage
from rfdesign.layouts.grid import PixelGrid

_log = logging.getLogger(__name__)

STATUS_OK = 0
STATUS_FAILED = 1
FORMAT_VERSION = 1


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

        self.store = self.path / "dataset.zarr"
        repaired = self.path / ".dataset.zarr.repaired"
        if not self.store.exists() and repaired.exists():
            os.rename(repaired, self.store)  # finish a repair killed between its two renames
        if not (self.store / ".zgroup").exists():
            if self.store.exists():
                raise DatasetDamaged(self.path, scan(self.store, deep=False))
            raise DatasetError(f"{self.path}: not a dataset (no dataset.zarr)")
        try:
            self._root = zarr.open_group(str(self.store), mode="a")
            self.attrs = dict(self._root.attrs)
        except ValueError as exc:
            raise DatasetDamaged(self.path, scan(self.store, arrays=())) from exc
        if self.attrs.get("format_version") != FORMAT_VERSION:
            found = scan(self.store, arrays=())
            if found:
                raise DatasetDamaged(self.path, found)
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
        path = Path(path)
        if (path / "dataset.zarr").exists():
            raise DatasetError(f"{path}: a dataset exists already")
        path.mkdir(parents=True, exist_ok=True)
        (path / "journal").mkdir(exist_ok=True)
        f = np.asarray(f_ghz, float)
        tmp = path / f".dataset.zarr.{uuid.uuid4().hex}.tmp"
        attrs = {
            "format_version": FORMAT_VERSION,
            **cls.identity(grid, solver, settings, f),
            "provenance": provenance or {},
        }
        init_store(tmp, grid.n_bits, f, attrs)
        os.replace(tmp, path / "dataset.zarr")
        return cls(path)

    @classmethod
    def open(cls, path: str | Path, repair: bool = False) -> Dataset:
        """Open an existing dataset, verify its files, merge any journal left by a run.

        Args:
            path: The dataset folder.
            repair: Repair a damaged dataset (one warning line) instead of raising; the lost
                samples are computed again by the next generation run.

        Raises:
            DatasetDamaged: If files are missing or changed (and ``repair`` is false, or the
                damage is not repairable).
        """
        ds = cls(path)
        found = ds.check()
        if found:
            damaged = DatasetDamaged(ds.path, found)
            if not repair or not found.repairable:
                raise damaged
            _log.warning("%s; repairing", damaged.problem)
            ds.repair()
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
        repair: bool = False,
    ) -> Dataset:
        """Open the dataset at ``path`` if it matches (``repair`` as in :meth:`open`), else create it.

        Raises:
            DatasetError: If a dataset exists with another grid, solver, settings or sweep.
            DatasetDamaged: If it is damaged (see :meth:`open`).
        """
        if (Path(path) / "dataset.zarr").exists():
            ds = cls.open(path, repair=repair)
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
        any point leaves the journal file in place, and the next call merges it again. The
        manifest lists the files about to change as pending before they change, and their
        new hashes at the end.

        Raises:
            DatasetDamaged: If a file of the store is missing or has the wrong size (merging
                would write zeros over the lost rows' chunk).
        """
        if not self.journal.exists() or not any(self.journal.glob("*.npz")):
            self._finish_pending()
            return 0
        with self._lock(exclusive=True):
            found = scan(self.store, deep=False)
            if found:
                raise DatasetDamaged(self.path, found)
            return self._consolidate_locked()

    def _consolidate_locked(self) -> int:
        files = sorted(self.journal.glob("*.npz"))
        root = self._root
        existing = self._key_index()
        manifest = Manifest.load(self.store)
        metas = {a: {"chunks": root[a].chunks} for a in SAMPLE_ARRAYS}
        added = 0
        for path in files:
            try:
                keys, bits, s, status, info = self._read_journal(path)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                bad = path.rename(path.with_suffix(".corrupt"))  # kept, never merged
                why = f"{type(exc).__name__}: {exc}"
                _log.warning(
                    f"dataset journal: {path} unreadable ({why}); set aside as {bad.name}, "
                    "its samples are computed again by the next generate"
                )
                continue
            new_rows: list[int] = []
            replace: list[tuple[int, int]] = []
            seen: set[str] = set()
            for j, key in enumerate(keys):
                if key in seen:
                    continue
                seen.add(key)
                row = existing.get(key)
                if row is None:
                    new_rows.append(j)
                elif root["status"][row] != STATUS_OK and status[j] == STATUS_OK:
                    replace.append((row, j))
            start = root["valid"].shape[0]
            stop = start + len(new_rows)
            if manifest is not None:
                touched = files_touched(metas, [r for r, _ in replace], start, stop)
                if not touched <= manifest.pending:
                    manifest.pending |= touched
                    manifest.save(self.store)  # before the files change
            for row, j in replace:
                for name, value in (
                    ("bits", bits[j]),
                    ("s", s[j]),
                    ("status", status[j]),
                    ("info", str(info[j])),
                ):
                    root[name][row] = value
            if new_rows:
                sel = np.array(new_rows)
                for name in SAMPLE_ARRAYS:
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
        if manifest is None:
            manifest = Manifest.build(self.store)
        else:
            manifest.update(self.store, set(manifest.pending))
        manifest.save(self.store)
        return added

    def _read_journal(self, path: Path) -> tuple[list[str], Any, Any, Any, Any]:
        """Arrays of one journal file, their shapes checked against the dataset."""
        with np.load(path, allow_pickle=False) as data:
            keys, bits, s = data["keys"].tolist(), data["bits"], data["s"]
            status, info = data["status"], data["info"]
        n, nf, d = len(keys), len(self.attrs["frequency_ghz"]), self._root["bits"].shape[1]
        shapes = (bits.shape, s.shape, status.shape, info.shape)
        if shapes != ((n, d), (n, nf, 2, 2), (n,), (n,)):
            raise ValueError(f"shapes {shapes} do not fit the dataset")
        return keys, bits, s, status, info

    def _finish_pending(self) -> None:
        """Hash the files a killed consolidation left pending (after they pass the check)."""
        manifest = Manifest.load(self.store)
        if manifest is None or not manifest.pending:
            return
        with self._lock(exclusive=True):
            found = scan(self.store, deep=True)
            if found:
                raise DatasetDamaged(self.path, found)
            manifest = Manifest.load(self.store)
            if manifest is not None and manifest.pending and not any(self.journal.glob("*.npz")):
                manifest.update(self.store, set(manifest.pending))
                manifest.save(self.store)

    def _key_index(self) -> dict[str, int]:
        keys = self._root["key"][:]
        valid = self._root["valid"][:]
        return {str(k): i for i, (k, v) in enumerate(zip(keys, valid, strict=True)) if v}

    # ----- integrity -----------------------------------------------------------------------
    def _lock(self, exclusive: bool) -> contextlib.AbstractContextManager:
        return lock(self.path / ".consolidate.lock", exclusive)

    def check(self, deep: bool = True) -> Scan:
        """Find damaged files (see :func:`~rfdesign.datasets.manifest.scan`); false if none.

        Args:
            deep: Hash every file with a manifest entry and decode every other chunk (the
                check of :meth:`open`); false compares sizes only.
        """
        with self._lock(exclusive=False):
            return scan(self.store, deep=deep)

    def verify(self, deep: bool = True) -> None:
        """Raise :class:`DatasetDamaged` if :meth:`check` finds damage."""
        found = self.check(deep)
        if found:
            raise DatasetDamaged(self.path, found)

    def seal(self) -> Path:
        """Verify the store, then write a manifest of all its files; returns the manifest.

        For datasets made before manifests existed (their chunks are checked by decoding).
        """
        with self._lock(exclusive=True):
            found = scan(self.store)
            if found:
                raise DatasetDamaged(self.path, found)
            Manifest.build(self.store).save(self.store)
        return self.store / ".manifest.json"

    def repair(self) -> dict:
        """Rewrite the dataset without the rows of damaged files; a fresh manifest.

        ``key`` is recomputed from ``bits``, ``status`` from ``info`` and ``s``, and rows
        of a damaged ``valid`` chunk are kept where their stored key matches their bits;
        rows with a damaged ``bits``, ``s`` or ``info`` chunk are dropped. The next
        generation run with the same arguments computes the dropped layouts again.

        Returns:
            ``damaged`` (files), ``kept`` (rows), ``lost`` (stored samples dropped),
            ``unverifiable`` (rows of unknown validity dropped), ``lost_bits`` (their layouts).

        Raises:
            DatasetDamaged: If the damage is not repairable (the group's metadata).
        """
        import zarr

        with self._lock(exclusive=True):
            report = rewrite_without_damage(self)
        self._root = zarr.open_group(str(self.store), mode="a")
        self.attrs = dict(self._root.attrs)
        return report

    def _read(self, *names: str) -> list[np.ndarray]:
        """Arrays ``names`` in full, their files checked (sizes) first; damage raises."""
        with self._lock(exclusive=False):
            found = scan(self.store, deep=False, arrays=names)
            if found:
                raise DatasetDamaged(self.path, found)
            try:
                return [self._root[name][:] for name in names]
            except Exception as exc:  # a decoder's error on a chunk whose size looks right
                found = scan(self.store, deep=True, arrays=names)
                if found:
                    raise DatasetDamaged(self.path, found) from exc
                raise

    def _rows(self, *names: str, include_failed: bool = False) -> list[np.ndarray]:
        """The mask of stored (successful unless ``include_failed``) rows, then ``names``."""
        valid, status, *arrays = self._read("valid", "status", *names)
        return [valid if include_failed else valid & (status == STATUS_OK), *arrays]

    # ----- reading -------------------------------------------------------------------------
    @property
    def f_ghz(self) -> np.ndarray:
        """Frequencies in GHz, shape ``F``."""
        return self._read("frequency_ghz")[0]

    def keys(self, include_failed: bool = False) -> set[str]:
        """Keys of stored samples (successful ones unless ``include_failed``)."""
        m, key = self._rows("key", include_failed=include_failed)
        return set(key[m].tolist())

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Successful samples: bits ``N x d`` (uint8) and S ``N x F x 2 x 2`` (complex)."""
        m, bits, s = self._rows("bits", "s")
        return bits[m], s[m]

    def infos(self, include_failed: bool = True) -> list[dict]:
        """Per-sample provenance (with ``error`` for failures)."""
        m, raw = self._rows("info", include_failed=include_failed)
        return [json.loads(x) for x in raw[m]]

    def failures(self) -> list[tuple[str, str]]:
        """``(layout bits, error)`` of every failed sample."""
        valid, status, raw = self._read("valid", "status", "info")
        out = []
        for i in np.nonzero(valid & (status == STATUS_FAILED))[0]:
            info = json.loads(raw[i])
            out.append((info.get("bits", ""), info.get("error", "")))
        return out

    def __len__(self) -> int:
        return int(self._rows()[0].sum())

    def summary(self) -> dict:
        """Counts and provenance: ``samples``, ``unique``, ``failed``, solver, settings, ..."""
        valid, status, keys, f = self._read("valid", "status", "key", "frequency_ghz")
        keys, status = keys[valid], status[valid]
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
            "frequency_ghz": [f[0], f[-1], len(f)],
            "provenance": self.attrs.get("provenance", {}),
        }

    def content_hash(self) -> str:
        """sha256 of identity plus sorted keys and S of all successful samples."""
        m, keys, s = self._rows("key", "s")
        keys, s = keys[m], s[m]
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

        m, bits, s, keys, f = self._rows("bits", "s", "key", "frequency_ghz")
        return xr.Dataset(
            {
                "s": (("sample", "frequency", "out_port", "in_port"), s[m]),
                "bits": (("sample", "bit"), bits[m]),
            },
            coords={
                "frequency": ("frequency", f, {"units": "GHz"}),
                "key": ("sample", keys[m]),
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
        m, keys = self._rows("key")
        order = np.argsort(keys[m])
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
            m, keys, bits, s, status, info = ds._rows(
                "key", "bits", "s", "status", "info", include_failed=True
            )
            if m.any():
                target.write_chunk(
                    Chunk(
                        keys=keys[m].tolist(),
                        bits=bits[m],
                        s=s[m],
                        status=status[m],
                        info=[json.loads(x) for x in info[m]],
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
        for name in SAMPLE_ARRAYS:
            root[name].resize((0, *root[name].shape[1:]))
        Manifest.build(out / "dataset.zarr").save(out / "dataset.zarr")
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
