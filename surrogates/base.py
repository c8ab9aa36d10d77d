"""The surrogate registry: model kinds by name, checkpoints loaded by the kind they record.

Every surrogate class has ``kind``, ``fit``, ``predict``, ``save(dir)`` and a ``load(dir)``
classmethod; ``predict_with_uncertainty`` where the model has one. Built-in kinds are
imported only when asked for, so ``import rfdesign.surrogates`` stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rfdesign.core.registry import Registry, unknown_name_message
from rfdesign.surrogates.checkpoint import read_sidecar

SURROGATES: Registry[type] = Registry(
    "surrogate",
    lazy={"cnn": "rfdesign.surrogates.ensemble", "gp": "rfdesign.surrogates.gp"},
)
"""Surrogate kind -> class; the built-in kinds are imported on first use."""

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
"""Checkpoints that ship with the package, one folder per grid preset."""


def register_surrogate(kind: str):
    """Class decorator adding a surrogate kind; a name can be registered once."""
    return SURROGATES.register(kind)


def surrogate_kinds() -> list[str]:
    """Names of every known surrogate kind."""
    return SURROGATES.names()


def get_surrogate_class(kind: str) -> type:
    """The class of a surrogate kind (``"cnn"``, ``"gp"``, ...)."""
    return SURROGATES.get(kind)


def load_surrogate(directory: str | Path, **kwargs: Any):
    """Load any checkpoint folder as the kind its sidecar records (checks included)."""
    kind = read_sidecar(directory).get("kind")
    return get_surrogate_class(str(kind)).load(directory, **kwargs)


def shipped_names() -> list[str]:
    """Grid presets that have a shipped surrogate."""
    if not SHIPPED_DIR.exists():
        return []
    return sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / "model.yaml").exists())


def load_shipped(grid_name: str):
    """The surrogate shipped for a grid preset (e.g. ``"ka_pixel_4x5"``)."""
    if grid_name not in shipped_names():
        raise KeyError(unknown_name_message("shipped surrogate", grid_name, shipped_names()))
    return load_surrogate(SHIPPED_DIR / grid_name)
