"""Building a dataset's zarr store from scratch: the empty layout, and the repair rewrite.

:func:`rewrite_without_damage` copies every row it can prove intact into a fresh store and
swaps it in: rows held by a damaged chunk of ``bits``, ``s`` or ``info`` are dropped (their
layouts are what the next generation run computes again); ``key`` is recomputed from
``bits`` (sha256 of grid key and bit string, as :meth:`~rfdesign.layouts.Layout.key`),
``status`` from ``info`` and ``s`` (a failure has an ``error`` or non-finite S), and a row of
a damaged ``valid`` chunk is kept when its stored key matches its bits and its ``info``
parses; frequencies come from the attributes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rfdesign.datasets.manifest import SAMPLE_ARRAYS, Manifest, scan

if TYPE_CHECKING:
    from rfdesign.datasets.store import Dataset


def init_store(store: Path, n_bits: int, f_ghz: np.ndarray, attrs: dict) -> None:
    """Write an empty zarr store of the dataset layout, with its attributes and manifest.

    Args:
        store: The folder to create (a temporary name; the caller renames it into place).
        n_bits: Free bits of the grid (``d``).
        f_ghz: Frequencies in GHz, shape ``F``.
        attrs: The dataset's attributes (format version, identity, provenance).
    """
    import numcodecs
    import zarr

    root = zarr.open_group(str(store), mode="w")
    d, nf = n_bits, len(f_ghz)
    root.create_dataset("bits", shape=(0, d), chunks=(4096, max(d, 1)), dtype="u1")
    root.create_dataset("s", shape=(0, nf, 2, 2), chunks=(256, nf, 2, 2), dtype="c16")
    root.create_dataset("status", shape=(0,), chunks=(65536,), dtype="u1")
    root.create_dataset("valid", shape=(0,), chunks=(65536,), dtype="bool")
    root.create_dataset("key", shape=(0,), chunks=(65536,), dtype="U64")
    root.create_dataset(
        "info", shape=(0,), chunks=(4096,), dtype=object, object_codec=numcodecs.VLenUTF8()
    )
    root.create_dataset("frequency_ghz", data=np.asarray(f_ghz, float))
    root.attrs.update(attrs)
    Manifest.build(store).save(store)


def rewrite_without_damage(ds: Dataset) -> dict:
    """Replace ``ds``'s store by one without its damaged rows (call with the lock held).

    Returns:
        ``{"damaged": files, "kept": rows, "lost": rows that were stored samples,
        "unverifiable": rows of unknown validity dropped, "lost_bits": bit strings}``.

    Raises:
        DatasetDamaged: If the damage is not repairable (the group's metadata).
    """
    from rfdesign.datasets.store import DatasetDamaged

    found = scan(ds.store, deep=True)
    if not found:
        return {
            "damaged": [],
            "kept": int(found.valid.sum()),
            "lost": 0,
            "unverifiable": 0,
            "lost_bits": [],
        }
    if not found.repairable:
        raise DatasetDamaged(ds.path, found)
    data, known = _read_intact(ds, found.damages, found.valid.size)
    keep = _recover(ds.attrs["grid_key"], data, known, found.valid, found.known)
    dropped = ~keep & found.valid
    unverifiable = ~keep & ~found.known
    report = {
        "damaged": [d.file for d in found.damages],
        "kept": int(keep.sum()),
        "lost": int(dropped.sum()),
        "unverifiable": int(unverifiable.sum()),
        "lost_bits": [_bit_string(b) for b in data["bits"][dropped & known["bits"]]],
    }
    attrs = dict(ds.attrs)
    attrs["repairs"] = [
        *attrs.get("repairs", []),
        {k: report[k] for k in ("damaged", "lost", "unverifiable")}
        | {"utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    ]
    _swap_in(ds, data, np.nonzero(keep)[0], attrs)
    return report


def _read_intact(ds: Dataset, damages: list, n: int) -> tuple[dict, dict]:
    """Every per-sample array, damaged chunks left out; ``known`` marks the rows read."""
    root = ds._root
    data, known = {}, {}
    for a in SAMPLE_ARRAYS:
        arr = root[a]
        ok = np.ones(n, bool)
        for d in damages:
            if d.array == a and d.rows is not None:
                ok[d.rows[0] : d.rows[1]] = False
        if ok.all():
            data[a] = arr[:]
        else:
            out = np.zeros(arr.shape, arr.dtype)
            c = arr.chunks[0]
            for lo in range(0, n, c):
                if ok[lo]:
                    out[lo : lo + c] = arr[lo : lo + c]
            data[a] = out
        known[a] = ok
    return data, known


def _recover(
    grid_key: str, data: dict, known: dict, valid: np.ndarray, valid_known: np.ndarray
) -> np.ndarray:
    """Rebuild ``key``, ``status``, ``valid`` where unreadable; rows to keep (bool, ``N``)."""
    from rfdesign.datasets.store import STATUS_FAILED, STATUS_OK

    bits, s, info = data["bits"], data["s"], data["info"]
    intact = known["bits"] & known["s"] & known["info"]
    valid = valid.copy()
    for i in np.nonzero(intact & ~valid_known & known["key"])[0]:
        valid[i] = data["key"][i] == _key(grid_key, bits[i]) and _parses(info[i])
    keep = valid & intact
    for i in np.nonzero(keep & ~known["key"])[0]:
        data["key"][i] = _key(grid_key, bits[i])
    for i in np.nonzero(keep & ~known["status"])[0]:
        failed = json.loads(info[i]).get("error") or not np.isfinite(s[i]).all()
        data["status"][i] = STATUS_FAILED if failed else STATUS_OK
    seen: dict[str, int] = {}  # a damaged valid chunk can resurrect an unfinished duplicate
    for i in np.nonzero(keep)[0]:
        j = seen.setdefault(str(data["key"][i]), i)
        if j != i:
            better = data["status"][i] == STATUS_OK and data["status"][j] != STATUS_OK
            keep[j if better else i] = False
            seen[str(data["key"][i])] = i if better else j
    return keep


def _bit_string(bits: np.ndarray) -> str:
    return "".join("1" if b else "0" for b in bits)


def _key(grid_key: str, bits: np.ndarray) -> str:
    return hashlib.sha256(f"{grid_key}:{_bit_string(bits)}".encode()).hexdigest()


def _parses(text: object) -> bool:
    try:
        return isinstance(json.loads(text), dict)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _swap_in(ds: Dataset, data: dict, rows: np.ndarray, attrs: dict) -> None:
    """Write ``rows`` of ``data`` to a new store, then rename it over the old one."""
    import zarr

    for stale in [*ds.path.glob(".dataset.zarr.*.tmp"), *ds.path.glob(".dataset.zarr.*.damaged")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed create or repair
    tmp = ds.path / f".dataset.zarr.{uuid.uuid4().hex}.tmp"
    init_store(tmp, data["bits"].shape[1], np.asarray(attrs["frequency_ghz"], float), attrs)
    root = zarr.open_group(str(tmp), mode="a")
    m = rows.size
    for a in SAMPLE_ARRAYS:
        root[a].resize((m, *root[a].shape[1:]))
    if m:
        for a in ("bits", "s", "status", "key", "info"):
            root[a][:] = data[a][rows]
        root["valid"][:] = True
    Manifest.build(tmp).save(tmp)
    repaired = ds.path / ".dataset.zarr.repaired"  # complete: Dataset() renames it into place
    shutil.rmtree(repaired, ignore_errors=True)
    os.rename(tmp, repaired)
    old = ds.path / f".dataset.zarr.{uuid.uuid4().hex}.damaged"
    os.rename(ds.store, old)
    os.rename(repaired, ds.store)
    shutil.rmtree(old, ignore_errors=True)
