"""Checkpoints: weights as safetensors plus a YAML sidecar, checked on load.

A checkpoint folder holds ``weights.safetensors`` (named float tensors, no pickle, so loading
runs no code) and ``model.yaml``: the model kind and version, its configuration, input and
output normalisation, the grid and frequencies it was trained for, the training data's
content hash, metrics, and the package version. The sidecar also stores the sha256 of the
weights file, so a truncated or edited file is caught before it gives wrong answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import yaml

FORMAT_VERSION = 1
"""Layout of the checkpoint folder itself."""

WEIGHTS = "weights.safetensors"
SIDECAR = "model.yaml"


class ConfigRecord:
    """Mixin for the frozen dataclass configs a sidecar stores (architecture, training).

    ``to_dict`` gives YAML-ready values (tuples become lists); ``from_dict`` rejects unknown
    keys, naming the config by :attr:`label`, and turns lists back into tuples.
    """

    label: ClassVar[str] = "config"

    def to_dict(self) -> dict:
        """JSON/YAML-ready dictionary."""
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(self).items()  # type: ignore[call-overload]
        }

    @classmethod
    def from_dict(cls, d: dict):
        """Inverse of :meth:`to_dict`; unknown keys are rejected."""
        extra = set(d) - set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        if extra:
            raise ValueError(f"{cls.label}: unknown keys {sorted(extra)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


class CheckpointError(ValueError):
    """A checkpoint cannot be used: missing, corrupted, or made for something else."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def save_checkpoint(directory: str | Path, tensors: dict[str, np.ndarray], sidecar: dict) -> Path:
    """Write ``tensors`` and ``sidecar`` into ``directory`` (created; files replaced atomically).

    Args:
        directory: Target folder.
        tensors: Name -> array (float or int). Stored with safetensors.
        sidecar: JSON-like metadata; must hold ``kind`` and ``model_version``.

    Returns:
        The folder.
    """
    from safetensors.numpy import save_file

    from rfdesign.core.version import __version__

    for key in ("kind", "model_version"):
        if key not in sidecar:
            raise ValueError(f"sidecar: missing {key!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{WEIGHTS}.tmp"
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp))
    os.chmod(tmp, 0o644)
    os.replace(tmp, directory / WEIGHTS)
    meta = {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        **sidecar,
        "weights_sha256": _sha256(directory / WEIGHTS),
    }
    _atomic_write_text(directory / SIDECAR, yaml.safe_dump(_plain(meta), sort_keys=False))
    return directory


def _plain(obj: Any) -> Any:
    """numpy scalars and arrays -> Python types, so the YAML stays readable and safe."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def read_sidecar(directory: str | Path) -> dict:
    """The sidecar of a checkpoint folder, with its format version checked."""
    path = Path(directory) / SIDECAR
    if not path.exists():
        raise CheckpointError(f"{directory}: not a checkpoint (no {SIDECAR})")
    try:
        meta = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise CheckpointError(f"{path}: unreadable YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: expected a mapping")
    fv = meta.get("format_version")
    if fv != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: field 'format_version' is {fv!r}; this rfdesign reads format_version "
            f"{FORMAT_VERSION}: retrain the model or use the rfdesign version that made it "
            f"({meta.get('package_version', 'unknown')})"
        )
    return meta


def load_checkpoint(
    directory: str | Path, kind: str, model_version: int
) -> tuple[dict[str, np.ndarray], dict]:
    """Read and check a checkpoint.

    Args:
        directory: Checkpoint folder.
        kind: Expected model kind (``"cnn"``, ``"gp"``, ...).
        model_version: Expected architecture version of that kind.

    Returns:
        ``(tensors, sidecar)``.

    Raises:
        CheckpointError: Missing files, wrong kind or version, or weights whose hash differs
            from the sidecar's (corrupted or replaced).
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    directory = Path(directory)
    meta = read_sidecar(directory)
    side = directory / SIDECAR
    if meta.get("kind") != kind:
        raise CheckpointError(f"{side}: field 'kind' is {meta.get('kind')!r}, expected {kind!r}")
    if meta.get("model_version") != model_version:
        raise CheckpointError(
            f"{side}: field 'model_version' is {meta.get('model_version')!r}; this rfdesign "
            f"reads {kind} model_version {model_version} (made by rfdesign "
            f"{meta.get('package_version', 'unknown')}): retrain the model"
        )
    weights = directory / WEIGHTS
    try:
        digest = _sha256(weights)
    except OSError as exc:
        raise CheckpointError(f"{weights}: cannot read the weights ({exc})") from exc
    if digest != meta.get("weights_sha256"):
        raise CheckpointError(
            f"{weights}: corrupted or truncated weights: sha256 {digest[:12]}... differs from "
            f"field 'weights_sha256' ({str(meta.get('weights_sha256'))[:12]}...) of {side}"
        )
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights}: corrupted weights file ({exc})") from exc
    return tensors, meta


# ----- torch networks (state dicts as safetensors; torch is imported where used) ----------
def state_arrays(model: Any, prefix: str = "") -> dict[str, np.ndarray]:
    """The model's state dict as numpy arrays (for safetensors checkpoints)."""
    return {prefix + k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def load_state_arrays(model: Any, arrays: dict[str, np.ndarray], prefix: str = "") -> None:
    """Load arrays written by :func:`state_arrays` (strict: every key must match)."""
    import torch

    state = {
        k[len(prefix) :]: torch.from_numpy(np.array(v))
        for k, v in arrays.items()
        if k.startswith(prefix)
    }
    model.load_state_dict(state, strict=True)


def save_net(
    directory,
    model: Any,
    sidecar: dict,
    extra: dict[str, np.ndarray] | None = None,
    prefix: str = "",
):
    """Checkpoint of a network: weights (keys prefixed), extra arrays and the sidecar.

    ``sidecar`` must hold ``kind`` and ``model_version``
    (:func:`save_checkpoint`).
    """
    return save_checkpoint(directory, {**state_arrays(model, prefix), **(extra or {})}, sidecar)


def load_net(
    directory,
    kind: str,
    model_version: int,
    build: Callable[[dict, dict[str, np.ndarray]], Any],
    prefix: str = "",
) -> tuple[Any, dict[str, np.ndarray], dict]:
    """Read a :func:`save_net` checkpoint (kind, version and weights hash checked).

    Args:
        directory: Checkpoint folder.
        kind: Expected model kind.
        model_version: Expected architecture version.
        build: ``(sidecar, tensors) -> untrained network`` of the stored architecture.
        prefix: Prefix of the weight keys.

    Returns:
        ``(network in eval mode, all stored arrays, sidecar without kind and version)``.
    """
    tensors, meta = load_checkpoint(directory, kind, model_version)
    model = build(meta, tensors)
    load_state_arrays(model, tensors, prefix)
    model.eval()
    return model, tensors, {k: v for k, v in meta.items() if k not in ("kind", "model_version")}
