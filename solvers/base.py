"""The one solver interface, its registry and the result cache.

Every solver turns a :class:`~rfdesign.layouts.Layout` and a frequency grid into a two-port
:class:`skrf.Network` referred to 50 ohm at the patch edges. A solver states its fidelity and
its settings as a frozen dataclass; the cache key is the hash of (solver name, solver version,
settings, layout key, frequency), so a sweep that is killed resumes where it stopped and
nothing is computed twice (gplugins' ``get_sparameters_path`` does the same).

Execution is injected: :meth:`Solver.simulate_batch` takes any ``concurrent.futures``-style
executor (a local process pool, a Dask client, ...) and never imports a cluster library.

Every run is logged to the ``rfdesign.solvers`` logger: its start and its end with the wall
time (INFO for full-wave solvers, DEBUG for the millisecond circuit model), so
``logging.basicConfig(level=logging.INFO)`` shows what a long ``simulate`` is doing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import socket
import tempfile
import time
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rfdesign.core.registry import Registry
from rfdesign.layouts.layout import Layout

log = logging.getLogger("rfdesign.solvers")

Z0_REFERENCE_OHM = 50.0
"""Reference impedance of every solver's S-parameters."""

FIDELITY_ORDER = ("circuit", "fullwave")
"""Fidelity levels, cheapest first (DESIGN.md's fidelity ladder)."""


class SolverError(RuntimeError):
    """A solver run failed; ``log_tail`` holds the last lines of the solver's log."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        self.log_tail = log_tail
        super().__init__(
            f"{message}\n--- solver log (tail) ---\n{log_tail}" if log_tail else message
        )


def frequency_ghz(frequency: Any) -> np.ndarray:
    """Frequencies in GHz from an :class:`skrf.Frequency` or an array-like in GHz."""
    f = getattr(frequency, "f", None)
    arr = np.asarray(f / 1e9 if f is not None else frequency, dtype=float).ravel()
    if arr.size < 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("frequency: needs one or more positive, finite values in GHz")
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        raise ValueError("frequency: values must be strictly increasing")
    return arr


BASE_INFO_KEYS = frozenset(
    {
        "solver",
        "solver_version",
        "settings",
        "layout_key",
        "bits",
        "grid",
        "wall_s",
        "host",
        "finished_utc",
        "cache_hit",
    }
)
"""Run information that :meth:`Solver.simulate` adds itself (not copied from a sub-run)."""


def excite_both_ports(layout: Layout, setting: bool | None) -> bool:
    """Whether a two-port run needs an excitation from port 2 as well.

    ``setting`` (a solver's ``excite_both_ports``) decides when given; otherwise only a layout
    that is not mirror-symmetric needs it (a symmetric one has S22 = S11 and S12 = S21).
    """
    if setting is not None:
        return setting
    return not (layout.grid.mirror and bool(np.array_equal(layout.mask(), layout.mask()[:, ::-1])))


def make_network(f_ghz: np.ndarray, s: np.ndarray, name: str = "") -> Any:
    """A two-port :class:`skrf.Network` from ``s`` (shape ``F x 2 x 2``) at ``f_ghz``."""
    import skrf

    return skrf.Network(
        frequency=skrf.Frequency.from_f(f_ghz, unit="GHz"), s=s, z0=Z0_REFERENCE_OHM, name=name
    )


class Solver(ABC):
    """Base class and protocol of all solvers.

    Subclasses set ``name``, ``fidelity`` and ``settings_type`` (a frozen dataclass), and
    implement :meth:`_simulate`, which returns the ``F x 2 x 2`` complex S-matrix and a
    dictionary of run information (time steps, cell count, ...).

    Args:
        settings: The solver's settings; defaults to ``settings_type()``.
        cache: Optional result cache; hits are returned without running the solver.
    """

    name: ClassVar[str]
    fidelity: ClassVar[str]
    settings_type: ClassVar[type]

    def __init__(self, settings: Any | None = None, cache: ResultCache | None = None) -> None:
        self.settings = settings if settings is not None else self.settings_type()
        if not isinstance(self.settings, self.settings_type):
            raise TypeError(
                f"settings: expected {self.settings_type.__name__}, got {type(self.settings).__name__}"
            )
        self.cache = cache

    @property
    @abstractmethod
    def version(self) -> str:
        """Version of the solver engine and of this model, part of every cache key."""

    @abstractmethod
    def _simulate(self, layout: Layout, f_ghz: np.ndarray) -> tuple[np.ndarray, dict]:
        """Run the solver: complex S (``F x 2 x 2``) and run information."""

    def settings_dict(self, results_only: bool = True) -> dict[str, Any]:
        """The settings as a JSON-ready dictionary.

        Args:
            results_only: Leave out the fields that cannot change a result (thread count,
                timeout, debugging switches), listed in the settings' ``RUN_ONLY`` class
                attribute; this form is the one hashed into cache keys and dataset identities.
        """
        d = json.loads(json.dumps(dataclasses.asdict(self.settings), default=str))
        if results_only:
            for name in getattr(self.settings_type, "RUN_ONLY", ()):
                d.pop(name, None)
        return d

    def cache_key(self, layout: Layout, f_ghz: np.ndarray) -> str:
        """sha256 of (solver name, version, settings, layout key, frequencies in Hz).

        A run with a mesh-error estimate also keys on the estimator's version
        (:data:`rfdesign.solvers.convergence.ESTIMATE_VERSION`), so a changed estimate is
        recomputed from the cached plain runs, never read stale.
        """
        content = {
            "solver": self.name,
            "version": self.version,
            "settings": self.settings_dict(),
            "layout": layout.key(),
            "f_hz": [round(float(f) * 1e9, 3) for f in f_ghz],
        }
        if getattr(self.settings, "error_estimate", False):
            from rfdesign.solvers.convergence import ESTIMATE_VERSION

            content["estimate"] = ESTIMATE_VERSION
        blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def simulate(self, layout: Layout, frequency: Any) -> Any:
        """Simulate ``layout`` at ``frequency`` (skrf.Frequency or GHz values).

        Returns:
            A two-port :class:`skrf.Network`, 50-ohm reference, reference planes at the patch
            edges. Run information is in ``network.rfdesign_info``.
        """
        f = frequency_ghz(frequency)
        key = self.cache_key(layout, f) if self.cache is not None else None
        if self.cache is not None and key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                s, info = hit
                net = make_network(f, s, name=layout.bit_string)
                net.rfdesign_info = info | {"cache_hit": True}
                log.debug("%s: %s read from the cache", self.name, layout.bit_string)
                return net
        level = logging.INFO if self.fidelity != "circuit" else logging.DEBUG
        log.log(level, "%s: simulating %s at %d frequencies", self.name, layout.bit_string, f.size)
        t0 = time.perf_counter()
        s, info = self._simulate(layout, f)
        s = np.asarray(s, dtype=complex)
        if s.shape != (f.size, 2, 2):
            raise SolverError(f"{self.name}: expected S of shape {(f.size, 2, 2)}, got {s.shape}")
        info = {
            **info,
            "solver": self.name,
            "solver_version": self.version,
            "settings": self.settings_dict(results_only=False),
            "layout_key": layout.key(),
            "bits": layout.bit_string,
            "grid": layout.grid.name,
            "wall_s": time.perf_counter() - t0,
            "host": socket.gethostname(),
            "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        log.log(level, "%s: %s done in %.1f s", self.name, layout.bit_string, info["wall_s"])
        if self.cache is not None and key is not None:
            self.cache.put(key, s, info)
        net = make_network(f, s, name=layout.bit_string)
        net.rfdesign_info = info | {"cache_hit": False}
        return net

    def simulate_batch(
        self,
        layouts: Sequence[Layout],
        frequency: Any,
        executor: Executor | None = None,
        on_result: Callable[[int, Any], None] | None = None,
    ) -> list[Any]:
        """Simulate many layouts, optionally on an executor (``concurrent.futures`` API).

        Args:
            layouts: The layouts.
            frequency: skrf.Frequency or GHz values, shared by all layouts.
            executor: Runs the simulations; ``None`` runs them here, one after another.
            on_result: Called as ``on_result(index, network)`` as each result arrives.

        Returns:
            The networks, in the order of ``layouts``.
        """
        if executor is None:
            out = []
            for i, lay in enumerate(layouts):
                net = self.simulate(lay, frequency)
                if on_result:
                    on_result(i, net)
                out.append(net)
            return out
        futures = {
            executor.submit(self.simulate, lay, frequency): i for i, lay in enumerate(layouts)
        }
        results: list[Any] = [None] * len(layouts)
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if on_result:
                on_result(i, results[i])
        return results


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------
SOLVERS: Registry[type[Solver]] = Registry(
    "solver",
    lazy={
        "circuit": "rfdesign.solvers.circuit",
        "openems": "rfdesign.solvers.openems",
        "meep": "rfdesign.solvers.meep",
        "palace": "rfdesign.solvers.palace",
    },
)
"""Solver name -> class; the built-in solvers are imported on first use."""


def register_solver(name: str) -> Callable[[type[Solver]], type[Solver]]:
    """Class decorator: register a solver under ``name`` (duplicates are rejected)."""

    def decorator(cls: type[Solver]) -> type[Solver]:
        SOLVERS.add(name, cls)
        cls.name = name
        return cls

    return decorator


def solver_names() -> list[str]:
    """Names of all known solvers (registered or importable on demand)."""
    return SOLVERS.names()


def get_solver_class(name: str) -> type[Solver]:
    """The solver class registered as ``name``; raises KeyError with a 'did you mean'."""
    return SOLVERS.get(name)


def settings_from_options(cls: type[Solver], **options: Any) -> Any:
    """Settings of solver class ``cls`` from generic options such as ``preset``, ``threads``.

    Options the solver's settings do not have are ignored (the CLI passes the same flags to
    every solver).
    """
    fields = {f.name for f in dataclasses.fields(cls.settings_type)}
    return cls.settings_type(**{k: v for k, v in options.items() if k in fields})


def get_solver(name: str, cache: ResultCache | None = None, **settings: Any) -> Solver:
    """Build solver ``name`` with settings given as keyword arguments."""
    cls = get_solver_class(name)
    fields = {f.name for f in dataclasses.fields(cls.settings_type)}
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise TypeError(f"{name} settings: unknown field(s) {unknown}; known: {sorted(fields)}")
    return cls(cls.settings_type(**settings), cache=cache)


# ----------------------------------------------------------------------------------------------
# Cache
# ----------------------------------------------------------------------------------------------
class ResultCache:
    """Content-addressed store of solver results: ``root/ab/<key>.npz``.

    Each entry holds the complex S-matrix, the run information as JSON and the sha256 of both
    (``sha256``; entries written before it existed are read without it). Writes go to a
    temporary file in the same folder and are renamed into place, so a killed process never
    leaves a half-written entry. An entry that cannot be read back intact (truncated, bytes
    changed on disk: the zip CRC or the sha256 disagree) is a miss: it is renamed to
    ``<key>.npz.corrupt``, one warning line names it, and the solver runs again.
    """

    def __init__(self, root: str | Path) -> None:
        # absolute: solver jobs run in their own working folders under the cache
        self.root = Path(root).absolute()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """File of the entry ``key``."""
        return self.root / key[:2] / f"{key}.npz"

    def __contains__(self, key: str) -> bool:
        return self.path(key).exists()

    @staticmethod
    def checksum(s: np.ndarray, info_json: str) -> str:
        """sha256 of the S bytes (complex128, C order) and the info JSON text."""
        h = hashlib.sha256(np.ascontiguousarray(s, dtype=np.complex128).tobytes())
        h.update(info_json.encode())
        return h.hexdigest()

    def get(self, key: str) -> tuple[np.ndarray, dict] | None:
        """``(S, info)`` of entry ``key``, or None if absent or unreadable.

        An unreadable entry is set aside as ``<key>.npz.corrupt`` with one logged warning.
        """
        p = self.path(key)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as data:
                s = data["s"].copy()
                info_json = str(data["info"])
                stored = str(data["sha256"]) if "sha256" in data.files else None
            info = json.loads(info_json)
        except FileNotFoundError:
            return None  # removed meanwhile by another process
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            self._set_aside(p, f"unreadable ({type(exc).__name__}: {exc})")
            return None
        if stored is not None and stored != self.checksum(s, info_json):
            self._set_aside(p, "checksum mismatch")
            return None
        if s.ndim != 3 or s.shape[1:] != (2, 2) or not isinstance(info, dict):
            self._set_aside(p, f"unexpected content (S of shape {s.shape})")
            return None
        return s, info

    @staticmethod
    def _set_aside(p: Path, reason: str) -> None:
        bad = p.with_name(p.name + ".corrupt")
        try:
            os.replace(p, bad)
        except OSError:
            pass  # another process set it aside first, or the folder is read-only
        log.warning("result cache: %s %s; set aside as %s, recomputing", p, reason, bad.name)

    def put(self, key: str, s: np.ndarray, info: dict) -> Path:
        """Store ``(S, info)`` under ``key`` atomically, with their sha256."""
        s = np.asarray(s, complex)
        info_json = json.dumps(info, default=str)
        return self._write(key, {"s": s}, info_json, self.checksum(s, info_json))

    def _write(self, key: str, arrays: dict[str, np.ndarray], info_json: str, sha: str) -> Path:
        """Write an entry's arrays, info and checksum to a temporary file, then rename it."""
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays, info=np.array(info_json), sha256=np.array(sha))
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p

    @staticmethod
    def arrays_checksum(arrays: dict[str, np.ndarray], info_json: str) -> str:
        """sha256 over every array (name, dtype, shape, bytes, in name order) and the info."""
        h = hashlib.sha256()
        for name in sorted(arrays):
            a = np.ascontiguousarray(arrays[name])
            h.update(f"{name}|{a.dtype.str}|{a.shape}".encode())
            h.update(a.tobytes())
        h.update(info_json.encode())
        return h.hexdigest()

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray], info: dict) -> Path:
        """Store named arrays and ``info`` under ``key`` atomically, with their sha256.

        The entry form of results that are not one two-port S-matrix (an antenna's port waves
        and far field); :meth:`get_arrays` reads it back verified.
        """
        if "info" in arrays or "sha256" in arrays:
            raise ValueError("arrays: the names 'info' and 'sha256' are the entry's own")
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        info_json = json.dumps(info, default=str)
        return self._write(key, arrays, info_json, self.arrays_checksum(arrays, info_json))

    def get_arrays(self, key: str) -> tuple[dict[str, np.ndarray], dict] | None:
        """``(arrays, info)`` of an entry written by :meth:`put_arrays`, verified, or None.

        An entry that cannot be read back intact (truncated, changed bytes, no checksum) is
        set aside as ``<key>.npz.corrupt`` with one logged warning, and None is returned.
        """
        p = self.path(key)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as data:
                arrays = {k: data[k].copy() for k in data.files if k not in ("info", "sha256")}
                info_json = str(data["info"])
                stored = str(data["sha256"])
            info = json.loads(info_json)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            self._set_aside(p, f"unreadable ({type(exc).__name__}: {exc})")
            return None
        if stored != self.arrays_checksum(arrays, info_json) or not isinstance(info, dict):
            self._set_aside(p, "checksum mismatch")
            return None
        return arrays, info

    def keys(self) -> Iterable[str]:
        """Keys of all stored entries."""
        return (p.stem for p in self.root.glob("*/*.npz"))
