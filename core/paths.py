"""Where rfdesign keeps what it computes: one root for every cache."""

from __future__ import annotations

import os
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
