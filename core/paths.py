"""Where rfdesign keeps what it computes: the cache root, and the check of an output folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_base() -> Path:
    """The cache root: ``$RFDESIGN_CACHE``, else ``~/.cache/rfdesign``.

    Below it: ``results/`` (full-wave results), ``scatter/`` (inverse-scattering data and
    networks), ``gan/`` (layout GANs); benchmarks keep their datasets there too.
    """
    return Path(os.environ.get("RFDESIGN_CACHE", Path.home() / ".cache" / "rfdesign"))


def repo_data() -> Path:
    """The repository's ``data/`` folder: reference datasets and committed networks.

    Present in a source checkout (editable install); a wheel does not carry it.
    """
    return Path(__file__).resolve().parents[1] / "data"


def check_writable_dir(path: str | Path, field: str = "out") -> Path:
    """Check, before any work, that files can be written into the folder ``path``.

    ``path`` may exist (a folder) or not yet: then its nearest existing parent must be a
    folder in which a new entry can be made. The check creates and deletes a probe file, so it
    also sees a read-only file system and permissions that ``os.access`` misreads (root,
    ACLs, network shares). Nothing is created when ``path`` is missing.

    Args:
        path: The folder results will be written to.
        field: Name of the argument, option or field the path came from; it starts the message.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: ``"<field>: <reason>"`` in one line: ``path`` (or a parent of it) is an
            existing file, or the folder cannot be written.
    """
    path = Path(path).expanduser()
    probe_dir = path
    try:
        while not probe_dir.exists():  # nearest existing parent ("." ends a relative path)
            probe_dir = probe_dir.parent
        is_dir = probe_dir.is_dir()
    except OSError as exc:
        raise ValueError(f"{field}: cannot reach {path} ({exc.strerror or exc})") from None
    if not is_dir:
        if probe_dir == path:
            raise ValueError(f"{field}: {path} is an existing file, not a folder")
        raise ValueError(f"{field}: {probe_dir} is a file, so {path} cannot be a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".rfdesign-write-check-", dir=probe_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        where = "" if probe_dir == path else f" (to create {path})"
        raise ValueError(
            f"{field}: cannot write in {probe_dir}{where}: {exc.strerror or exc}"
        ) from None
    return path
