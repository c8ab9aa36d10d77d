"""rfdesign: design pixelated RF filters and antennas with full-wave solvers and AI surrogates.

The engines are sub-packages (``rfdesign.layouts``, ``rfdesign.solvers``,
``rfdesign.surrogates``, ``rfdesign.optimizers``) on a shared base (``rfdesign.core``);
inverse scattering is ``rfdesign.scattering``, the spec layer :mod:`rfdesign.spec` and the
staged design flow :mod:`rfdesign.design`. The public API is importable from here::

    from rfdesign import design_filter, load_spec

Heavy dependencies (torch, openEMS, Meep) are imported only where they are used, and so are
the names below (``import rfdesign`` loads none of them).
"""

from __future__ import annotations

import importlib
from typing import Any

from rfdesign.core.version import __version__

_API = {
    "design_filter": "rfdesign.design",
    "DesignResult": "rfdesign.design",
    "FilterSpec": "rfdesign.spec",
    "load_spec": "rfdesign.spec",
    "SpecError": "rfdesign.spec",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """The public API, imported on first use (PEP 562)."""
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'rfdesign' has no attribute {name!r}")
