"""Integrity of a dataset's zarr store: the manifest of its files and the damage scan.

zarr answers a read of a missing chunk file with the fill value (zeros) and numcodecs' Blosc
decodes a truncated chunk without complaint into garbage, so neither may be trusted to notice
damage. A dataset therefore keeps ``dataset.zarr/.manifest.json``: the size and sha256 of
every metadata and chunk file, and the number of sample rows when it was written. It lives
inside the store so that a repair swaps data and manifest in one rename.

``pending`` lists files a consolidation is rewriting: the consolidation writes the manifest
with them pending *before* it touches them and hashes them when it is done, so a process
killed in between leaves files that are checked structurally (present, decodable) instead of
reported as damage. Datasets without a manifest (made before it existed) get the same
structural check for every file.

What the shapes in the ``.zarray`` files imply is checked: zarr 2 writes every chunk it
touches, also all-fill ones (``write_empty_chunks`` is true by default since 2.11), so a
chunk file of rows that were ever stored must exist. A missing chunk is not damage only where
it holds no valid row and is pending (a consolidation was killed between resizing the arrays
and writing them).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MANIFEST = ".manifest.json"
MANIFEST_FORMAT = 1
SAMPLE_ARRAYS = ("bits", "s", "status", "valid", "key", "info")
"""Arrays with one row per sample; ``valid`` is written last and marks finished rows."""
ARRAYS = (*SAMPLE_ARRAYS, "frequency_ghz")
METADATA = (".zgroup", ".zattrs", *(f"{a}/.zarray" for a in ARRAYS))
LOSSY = ("bits", "s", "info")
"""Arrays whose damaged rows are lost; ``key``, ``status`` and ``valid`` can be rebuilt."""


@dataclass(frozen=True)
class Damage:
    """One damaged file of a store.

    Attributes:
        file: Path inside ``dataset.zarr``, e.g. ``s/5.0.0.0``.
        problem: What is wrong: ``missing``, ``size 100 B, manifest says 200 B``,
            ``checksum mismatch``, ``undecodable (...)``.
        rows: Sample rows ``[start, stop)`` the file holds (chunks of per-sample arrays).
        repairable: False for the group's metadata (the dataset's identity), which no repair
            can rebuild.
    """

    file: str
    problem: str
    rows: tuple[int, int] | None = None
    repairable: bool = True

    @property
    def array(self) -> str:
        """Name of the array the file belongs to ('' for the group's metadata)."""
        return self.file.split("/", 1)[0] if "/" in self.file else ""


@dataclass
class Scan:
    """Result of :func:`scan`.

    Attributes:
        damages: The damaged files.
        lost: Stored samples (valid rows) in damaged chunks of ``bits``, ``s`` or ``info``.
        at_risk: Further rows whose ``valid`` flag is unreadable; a repair keeps those whose
            stored key matches their bits.
        valid: Rows known valid, shape ``N`` (false where unknown).
        known: Rows whose ``valid`` flag could be read, shape ``N``.
    """

    damages: list[Damage]
    lost: int = 0
    at_risk: int = 0
    valid: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    known: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __bool__(self) -> bool:
        return bool(self.damages)

    @property
    def repairable(self) -> bool:
        """Whether :meth:`~rfdesign.datasets.store.Dataset.repair` can fix every damage."""
        return all(d.repairable for d in self.damages)


@dataclass
class Manifest:
    """Sizes and sha256 of a store's files.

    Attributes:
        files: ``path inside the store -> {"size": bytes, "sha256": hex}``.
        rows: Sample rows when the manifest was written.
        pending: Files being rewritten by a consolidation (checked structurally only).
    """

    files: dict[str, dict] = field(default_factory=dict)
    rows: int = 0
    pending: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, store: Path) -> Manifest | None:
        """The manifest of ``store``; None if it has none.

        Raises:
            ValueError: If the manifest file cannot be parsed.
        """
        path = store / MANIFEST
        try:
            raw = json.loads(path.read_text())
            if raw.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"format {raw.get('format')!r}, not {MANIFEST_FORMAT}")
            files = {
                k: {"size": int(v["size"]), "sha256": v["sha256"]} for k, v in raw["files"].items()
            }
            return cls(files, int(raw["rows"]), set(raw["pending"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"undecodable ({type(exc).__name__}: {exc})") from exc

    def save(self, store: Path) -> None:
        """Write the manifest atomically (temporary file + rename)."""
        text = json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "rows": self.rows,
                "pending": sorted(self.pending),
                "files": dict(sorted(self.files.items())),
            },
            indent=1,
        )
        fd, tmp = tempfile.mkstemp(dir=store, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text + "\n")
            os.replace(tmp, store / MANIFEST)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def update(self, store: Path, files: Iterable[str]) -> None:
        """Re-hash ``files`` (dropping those that no longer exist), clear them from pending."""
        for rel in files:
            p = store / rel
            if p.exists():
                self.files[rel] = digest(p)
            else:
                self.files.pop(rel, None)
            self.pending.discard(rel)
        self.rows = _rows(store)

    @classmethod
    def build(cls, store: Path) -> Manifest:
        """A fresh manifest of every metadata and chunk file the store's shapes imply."""
        m = cls()
        m.update(store, all_files(store))
        return m


@contextlib.contextmanager
def lock(path: Path, exclusive: bool) -> Iterator[None]:
    """``flock`` on file ``path``: exclusive to change a store, shared to check it.

    Without write access to the folder (a read-only dataset, which nobody changes) no lock is
    taken.
    """
    import fcntl

    try:
        fh = open(path, "a")
    except OSError:
        fh = None
    if fh is None:
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield


def digest(path: Path) -> dict:
    """``{"size": bytes, "sha256": hex}`` of a file.

    Metadata files (JSON text) are hashed with CRLF read as LF, so that a checkout that
    converts line endings does not look like damage.
    """
    if path.name in (".zarray", ".zattrs", ".zgroup"):
        data = path.read_bytes().replace(b"\r\n", b"\n")
        return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return {"size": path.stat().st_size, "sha256": h.hexdigest()}


def chunk_files(meta: dict) -> list[tuple[str, tuple[int, int]]]:
    """Chunk file names an array's ``.zarray`` metadata implies, with their rows ``[a, b)``."""
    shape, chunks = meta["shape"], meta["chunks"]
    if any(n == 0 for n in shape):
        return []
    sep = meta.get("dimension_separator") or "."
    grid = [range(math.ceil(n / c)) for n, c in zip(shape, chunks, strict=True)]
    out = []
    for idx in itertools.product(*grid):
        start = idx[0] * chunks[0]
        out.append((sep.join(str(i) for i in idx), (start, min(start + chunks[0], shape[0]))))
    return out


def chunks_of_rows(meta: dict, rows: Iterable[int]) -> set[str]:
    """Chunk file names (with the array name) holding any of ``rows`` of a per-sample array."""
    c0 = meta["chunks"][0]
    sep = meta.get("dimension_separator") or "."
    rest = sep.join("0" for _ in meta["chunks"][1:])
    return {f"{i}{sep}{rest}" if rest else str(i) for i in {r // c0 for r in rows}}


def files_touched(metas: dict, rows: Iterable[int], start: int, stop: int) -> set[str]:
    """Files a merge writes: chunks of replaced ``rows``; chunks and shapes of ``[start, stop)``.

    Args:
        metas: Per-sample array name -> its ``.zarray`` metadata (``chunks`` at least).
        rows: Rows replaced in place (``bits``, ``s``, ``status``, ``info``).
        start: First appended row.
        stop: End of the appended rows (``start`` when none).
    """
    rows = list(rows)
    out = set()
    for a in ("bits", "s", "status", "info"):
        out |= {f"{a}/{c}" for c in chunks_of_rows(metas[a], rows)}
    if stop > start:
        for a in SAMPLE_ARRAYS:
            out |= {f"{a}/{c}" for c in chunks_of_rows(metas[a], range(start, stop))}
            out.add(f"{a}/.zarray")
    return out


def all_files(store: Path) -> list[str]:
    """Every metadata and chunk file the store's ``.zarray`` shapes imply."""
    out = [f for f in METADATA if (store / f).exists()]
    for a in ARRAYS:
        meta = _meta(store, a)
        if meta is not None:
            out += [f"{a}/{name}" for name, _ in chunk_files(meta)]
    return out


def _meta(store: Path, array: str) -> dict | None:
    try:
        meta = json.loads((store / array / ".zarray").read_text())
        return meta if isinstance(meta, dict) and "shape" in meta else None
    except (OSError, ValueError):
        return None


def _rows(store: Path) -> int:
    meta = _meta(store, "valid")
    return int(meta["shape"][0]) if meta else 0


def decode(meta: dict, data: bytes) -> np.ndarray:
    """Decode one chunk file of an array (flat); raises ValueError for anything wrong.

    A Blosc chunk is first checked against its own header (compressed size = file size,
    uncompressed size = chunk size), because Blosc decodes a truncated buffer without error.
    """
    import numcodecs

    n = math.prod(meta["chunks"])
    dtype = np.dtype(meta["dtype"])
    compressor = meta.get("compressor")
    try:
        if compressor and compressor.get("id") == "blosc":
            if len(data) < 16:
                raise ValueError(f"{len(data)} B, shorter than a Blosc header")
            nbytes, cbytes = (int.from_bytes(data[i : i + 4], "little") for i in (4, 12))
            if cbytes != len(data):
                raise ValueError(f"{len(data)} B, its Blosc header says {cbytes} B")
            if not dtype.hasobject and nbytes != n * dtype.itemsize:
                raise ValueError(f"holds {nbytes} B, a chunk has {n * dtype.itemsize} B")
        buf = numcodecs.get_codec(compressor).decode(data) if compressor else data
        for spec in reversed(meta.get("filters") or []):
            buf = numcodecs.get_codec(spec).decode(buf)
    except ValueError:
        raise
    except Exception as exc:  # codecs raise RuntimeError, TypeError, ... on garbage
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    if dtype.hasobject:
        arr = np.asarray(buf, dtype=object).ravel()
    else:
        raw = np.frombuffer(numcodecs.compat.ensure_contiguous_ndarray(buf), np.uint8)
        if raw.size != n * dtype.itemsize:
            raise ValueError(f"decodes to {raw.size} B, a chunk has {n * dtype.itemsize} B")
        arr = raw.view(dtype)
    if arr.size != n:
        raise ValueError(f"decodes to {arr.size} values, a chunk has {n}")
    return arr


def _check_file(
    store: Path, rel: str, manifest: Manifest | None, deep: bool, meta: dict | None
) -> str | None:
    """The problem of one existing file, or None. ``meta`` set: a chunk to decode if unhashed."""
    p = store / rel
    entry = None
    if manifest is not None and rel not in manifest.pending:
        entry = manifest.files.get(rel)
    if entry is not None:
        if p.name.startswith(".z"):  # metadata: small, compared in full (see digest)
            got = digest(p)
            if got["size"] != entry["size"]:
                return f"size {got['size']} B, manifest says {entry['size']} B"
            return None if got["sha256"] == entry["sha256"] else "checksum mismatch"
        size = p.stat().st_size
        if size != entry["size"]:
            return f"size {size} B, manifest says {entry['size']} B"
        if deep and digest(p)["sha256"] != entry["sha256"]:
            return "checksum mismatch"
        return None
    if meta is None:
        if rel.endswith((".zarray", ".zattrs", ".zgroup")):
            try:
                json.loads(p.read_text())
            except (OSError, ValueError) as exc:
                return f"undecodable ({type(exc).__name__})"
        return None
    data = p.read_bytes() if deep else _head(p)
    try:
        if deep:
            decode(meta, data)
        elif (meta.get("compressor") or {}).get("id") == "blosc" and len(data) >= 16:
            cbytes = int.from_bytes(data[12:16], "little")
            if cbytes != p.stat().st_size:
                return f"size {p.stat().st_size} B, its Blosc header says {cbytes} B"
    except ValueError as exc:
        return f"undecodable ({exc})"
    return None


def _head(p: Path) -> bytes:
    with open(p, "rb") as fh:
        return fh.read(16)


def scan(store: Path, deep: bool = True, arrays: Iterable[str] = ARRAYS) -> Scan:
    """Find damaged files of a zarr store.

    Args:
        store: The ``dataset.zarr`` folder.
        deep: Hash every file listed in the manifest and decode every other chunk; otherwise
            compare only sizes (files, or Blosc headers where there is no manifest entry).
        arrays: Limit the chunk checks to these arrays (``valid`` is always read).

    Returns:
        A :class:`Scan` (false when nothing is damaged).
    """
    damages: list[Damage] = []
    try:
        manifest = Manifest.load(store)
    except ValueError as exc:
        manifest = None
        damages.append(Damage(MANIFEST, str(exc)))
    metas: dict[str, dict] = {}
    for rel in METADATA:
        a = rel.split("/")[0] if "/" in rel else ""
        if not (store / rel).exists():
            problem: str | None = "missing"
        else:
            problem = _check_file(store, rel, manifest, deep, None)
        if problem is None and a:
            meta = _meta(store, a)
            if meta is None:
                problem = "undecodable"
            else:
                metas[a] = meta
        if problem is not None:  # frequencies are rebuilt from the attributes; the rest is not
            damages.append(Damage(rel, problem, repairable=a == "frequency_ghz"))
    n = int(metas["valid"]["shape"][0]) if "valid" in metas else 0
    valid, known = np.zeros(n, bool), np.zeros(n, bool)
    wanted = set(arrays) | {"valid"}
    for a in ("valid", *(x for x in ARRAYS if x != "valid")):
        meta = metas.get(a)
        if meta is None or a not in wanted:
            continue
        per_sample = a in SAMPLE_ARRAYS
        for name, (lo, hi) in chunk_files(meta):
            rel = f"{a}/{name}"
            rows = (lo, hi) if per_sample else None
            if not (store / rel).exists():
                if not _missing_is_harmless(rel, a, lo, hi, manifest, valid, known):
                    damages.append(Damage(rel, "missing", rows))
                elif a == "valid":
                    known[lo:hi] = True  # never written, so none of its rows is finished
                continue
            if a == "valid":  # read always: which rows are stored decides what is lost
                problem = _check_file(store, rel, manifest, deep, None)
                if problem is None:
                    try:
                        valid[lo:hi] = decode(meta, (store / rel).read_bytes())[: hi - lo]
                        known[lo:hi] = True
                    except ValueError as exc:
                        problem = f"undecodable ({exc})"
            else:
                problem = _check_file(store, rel, manifest, deep, meta)
            if problem is not None:
                damages.append(Damage(rel, problem, rows))
    lost = np.zeros(n, bool)
    for d in damages:
        if d.rows is not None and d.array in LOSSY:
            lost[d.rows[0] : d.rows[1]] = True
    return Scan(damages, int((lost & valid).sum()), int((~known).sum()), valid, known)


def _missing_is_harmless(
    rel: str,
    array: str,
    lo: int,
    hi: int,
    manifest: Manifest | None,
    valid: np.ndarray,
    known: np.ndarray,
) -> bool:
    """A missing chunk left by a killed consolidation, which never held a finished row.

    Such a chunk is pending in the manifest (or the dataset has no manifest) and holds only
    rows known not valid; a missing ``valid`` chunk must start at or after the rows of the
    last manifest.
    """
    if array not in SAMPLE_ARRAYS:
        return False
    if manifest is not None and rel in manifest.files and rel not in manifest.pending:
        return False
    if array == "valid":
        return manifest is not None and lo >= manifest.rows
    return bool(known[lo:hi].all() and not valid[lo:hi].any())
