"""The antenna spec: what an antenna must do, read from YAML (frozen pydantic, like FilterSpec).

An antenna spec holds the requirements only, never dimensions: matched bands (|S11| below a
limit), realised gain at given frequencies, the largest size, the substrate and ground plane,
the fabrication limits, the solver and the design method. Every field is checked before any
work; a bad one gives one line naming its path and the reason (:class:`SpecError`, shared
with the filter spec).

Example (``examples/antennas/patch_28ghz.yaml``)::

    kind: antenna
    name: patch_28ghz
    sweep: {start_ghz: 24, stop_ghz: 32, points: 81}
    bands: [{name: n257, f_min_ghz: 27.5, f_max_ghz: 28.35, s11_max_db: -10}]
    gain: [{f_ghz: 28.0, min_dbi: 6.0}]
    substrate: {eps_r: 3.55, tan_delta: 0.0027, height_mm: 0.508}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from rfdesign.spec import (
    NOT_BOOL,
    Count,
    CrossFieldError,
    Number,
    SpecError,
    SpecIssue,
    SpecModel,
    SubstrateSpec,
    Sweep,
    _UniqueKeyLoader,
    format_validation_error,
)


class MatchBand(SpecModel):
    """A band over which the antenna must be matched: |S11| at most ``s11_max_db``."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    f_min_ghz: Number = Field(gt=0, description="Lower band edge in GHz.")
    f_max_ghz: Number = Field(gt=0, description="Upper band edge in GHz (> f_min_ghz).")
    s11_max_db: Annotated[float, Field(lt=0), NOT_BOOL] = Field(
        description="Largest |S11| in dB over the band."
    )

    @field_validator("f_max_ghz")
    @classmethod
    def _max_after_min(cls, v: float, info) -> float:
        lo = info.data.get("f_min_ghz")
        if lo is not None and v <= lo:
            raise ValueError(f"must be greater than f_min_ghz ({lo} GHz), got {v} GHz")
        return v


class GainPoint(SpecModel):
    """Least realised gain (directivity x efficiency x mismatch) at one frequency."""

    f_ghz: Number = Field(gt=0, description="Frequency in GHz.")
    min_dbi: Number = Field(ge=-30, le=40, description="Least realised gain in dBi.")


class AntennaSolverSettings(SpecModel):
    """The full-wave model of the antenna (openEMS, :mod:`rfdesign.solvers.openems_antenna`)."""

    name: Literal["openems"] = "openems"
    cells: Number = Field(default=20.0, ge=10, le=80, description="Cells per wavelength.")
    threads: Count = Field(default=1, ge=1, le=64, description="openEMS engine threads.")
    timeout_s: Number = Field(default=1800.0, gt=0, description="Wall-time limit of a run, s.")


class PixelSettings(SpecModel):
    """The pixel patch's grid and search (``design.method: pixel``)."""

    n_x: Count = Field(default=8, ge=2, le=32, description="Cells along the feed's axis.")
    n_y: Count = Field(
        default=8, ge=2, le=32, description="Cells across (even: the layout is mirrored)."
    )
    cheap_runs: Count = Field(
        default=300,
        ge=0,
        le=100_000,
        description="Random layouts on the cheap openEMS mesh the CNN is pre-trained on.",
    )
    initial_runs: Count = Field(
        default=60,
        ge=4,
        le=10_000,
        description="The full patch and random layouts on the search mesh the CNN is first "
        "fine-tuned on (the inset-fed patches the grid can draw join them).",
    )
    per_round: Count = Field(
        default=8, ge=1, le=200, description="GA candidates verified on openEMS per round."
    )
    ensemble: Count = Field(default=5, ge=2, le=20, description="CNN ensemble members.")

    @field_validator("n_y")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError(f"must be even (the layout is mirrored about the feed), got {v}")
        return v


class AntennaDesignSettings(SpecModel):
    """How the antenna is designed."""

    method: Literal["sadea", "de", "pixel"] = Field(
        default="sadea",
        description="sadea: GP-assisted differential evolution, one full-wave run per "
        "generation (Liu et al., IEEE TAP 2014 / 2021); de: plain differential evolution on "
        "the full-wave solver (the baseline); pixel: a pixelated patch searched by a GA on a "
        "CNN ensemble pre-trained on cheap openEMS runs and fine-tuned on search-mesh ones, "
        "verifying its best candidates each round.",
    )
    feed: Literal["inset", "probe"] = Field(default="inset", description="Patch feed.")
    budget: Count = Field(default=40, ge=5, le=2000, description="Most full-wave runs.")
    seed: Count = Field(default=0, ge=0, description="Seed of every random choice.")
    ground_margin_mm: Number | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="Ground plane beyond the patch, mm (default: a quarter of the free-space "
        "wavelength at the band centre).",
    )
    min_feature_mm: Number = Field(
        default=0.1, gt=0, le=10, description="Fabrication: smallest gap or line, mm."
    )
    pixel: PixelSettings = Field(default_factory=PixelSettings)


class AntennaSpec(SpecModel):
    """What an antenna must do (no dimensions)."""

    kind: Literal["antenna"] = Field(description="'antenna' (a filter spec has no kind).")
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    sweep: Sweep
    bands: list[MatchBand] = Field(min_length=1, description="Matched bands.")
    gain: list[GainPoint] = Field(default_factory=list, description="Realised gain limits.")
    max_size_mm: Number | None = Field(
        default=None, gt=0, le=10_000, description="Largest patch side, mm."
    )
    substrate: SubstrateSpec = Field(default_factory=SubstrateSpec)
    solver: AntennaSolverSettings = Field(default_factory=AntennaSolverSettings)
    design: AntennaDesignSettings = Field(default_factory=AntennaDesignSettings)

    @model_validator(mode="after")
    def _inside_the_sweep(self) -> AntennaSpec:
        lo, hi = self.sweep.start_ghz, self.sweep.stop_ghz
        issues: list[tuple[tuple, str]] = []
        for i, b in enumerate(self.bands):
            if b.f_min_ghz < lo or b.f_max_ghz > hi:
                msg = f"{b.f_min_ghz}-{b.f_max_ghz} GHz lies outside the sweep ({lo}-{hi} GHz)"
                issues.append((("bands", i), msg))
        for i, g in enumerate(self.gain):
            if not lo <= g.f_ghz <= hi:
                issues.append((("gain", i, "f_ghz"), f"{g.f_ghz} GHz lies outside the sweep"))
        if issues:
            raise CrossFieldError(issues)
        return self

    def frequencies_ghz(self) -> np.ndarray:
        """The sweep's frequencies, GHz."""
        return np.linspace(self.sweep.start_ghz, self.sweep.stop_ghz, self.sweep.points)

    @property
    def centre_ghz(self) -> float:
        """Centre of the matched bands, GHz."""
        return (min(b.f_min_ghz for b in self.bands) + max(b.f_max_ghz for b in self.bands)) / 2


def parse_antenna_spec(text: str, source: str = "spec") -> AntennaSpec:
    """Validate an antenna spec given as YAML text; raises :class:`SpecError` on any problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0]
        raise SpecError([SpecIssue(path="(yaml)", message=problem)], source) from None
    if not isinstance(data, dict):
        raise SpecError(
            [SpecIssue(path="(top level)", message="expected a mapping of fields")], source
        )
    try:
        return AntennaSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc), source) from None


def load_antenna_spec(path: str | Path) -> AntennaSpec:
    """Load and validate an antenna spec file; raises :class:`SpecError` naming bad fields."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecIssue(path="(file)", message=str(exc))], str(path)) from None
    return parse_antenna_spec(text, source=str(path))


def is_antenna_spec(path: str | Path) -> bool:
    """Whether the YAML file at ``path`` declares ``kind: antenna`` (read cheaply)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("kind") == "antenna"
