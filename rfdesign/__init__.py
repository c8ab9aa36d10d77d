"""rfdesign: design pixelated RF filters and antennas with full-wave solvers and AI surrogates.

The engines are sub-packages (``rfdesign.layouts``, ``rfdesign.solvers``,
``rfdesign.surrogates``, ``rfdesign.optimizers``); the spec layer is :mod:`rfdesign.spec`.
Heavy dependencies (torch, openEMS, Meep) are imported only where they are used.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rfdesign")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
