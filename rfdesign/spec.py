"""Filter specifications: frozen pydantic models loaded from YAML.

A spec file states what the filter must do (frequency sweep, pass and stop bands with their
|S| limits in dB, the weight ``w`` of the objective), what it is built on (substrate, pixel
grid) and how to search and verify (solver and search settings). Every model rejects unknown
keys; every field states its unit. A bad file fails at load time with one line per problem,
naming the field path and the reason (:class:`SpecError`), never deep inside a solver. That
includes memory: a spec whose design would need more than
:func:`~rfdesign.resources.memory_limit_bytes` (the
circuit model's nodal matrices on the sweep and grid, the responses of one search population;
:meth:`FilterSpec.resource_estimate`) is refused at load time, naming the field to change.

The objective and masks follow the paper's eq. 4 (Huawei Research, "AI-Driven Innovations in
RF and Antenna Design", 2024, pp. 144-157); see :mod:`rfdesign.evaluation`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rfdesign.core.constants import C0_MM_PER_NS
from rfdesign.core.registry import unknown_name_message
from rfdesign.layouts.presets import grid_names
from rfdesign.resources import ResourceEstimate, estimate_resources, memory_limit_bytes
from rfdesign.solvers.base import solver_names

Loc = tuple[str | int, ...]


class SpecModel(BaseModel):
    """Base of all spec models: frozen, unknown keys rejected, no NaN or infinity.

    Number fields are typed :data:`Number` or :data:`Count`, which refuse booleans.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):  # YAML's true would otherwise be read as 1 (or 1.0)
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


NOT_BOOL = BeforeValidator(_not_a_bool)
"""Put after a number's constraints (``Annotated[float, Field(le=0), NOT_BOOL]``) so that the
constraints stay in the JSON schema."""

Number = Annotated[float, NOT_BOOL]
"""A float field of a spec: an int or float, never ``true``/``false``."""

Count = Annotated[int, NOT_BOOL]
"""An int field of a spec: never ``true``/``false``."""


class CrossFieldError(ValueError):
    """A consistency problem between fields, carrying the exact field paths.

    Raised inside validators; :func:`format_validation_error` expands it into one line per
    problem.
    """

    def __init__(self, issues: list[tuple[Loc, str]]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{loc_to_path(loc)}: {msg}" for loc, msg in issues))


# ----------------------------------------------------------------------------------------------
# Frequency sweep and bands
# ----------------------------------------------------------------------------------------------
class Sweep(SpecModel):
    """Linear frequency sweep on which the filter is simulated and judged."""

    start_ghz: Number = Field(gt=0, description="First frequency point in GHz.")
    stop_ghz: Number = Field(gt=0, description="Last frequency point in GHz (> start_ghz).")
    points: Count = Field(ge=2, le=100_001, description="Number of frequency points (linear).")

    @field_validator("stop_ghz")
    @classmethod
    def _stop_after_start(cls, v: float, info: ValidationInfo) -> float:
        start = info.data.get("start_ghz")
        if start is not None and v <= start:
            raise ValueError(f"must be greater than start_ghz ({start} GHz), got {v} GHz")
        return v


class _BandBase(SpecModel):
    name: str | None = Field(
        default=None, min_length=1, max_length=64, description="Label used in reports."
    )
    f_min_ghz: Number = Field(gt=0, description="Lower band edge in GHz.")
    f_max_ghz: Number = Field(gt=0, description="Upper band edge in GHz (> f_min_ghz).")

    @field_validator("f_max_ghz")
    @classmethod
    def _max_after_min(cls, v: float, info: ValidationInfo) -> float:
        lo = info.data.get("f_min_ghz")
        if lo is not None and v <= lo:
            raise ValueError(f"must be greater than f_min_ghz ({lo} GHz), got {v} GHz")
        return v


class PassBand(_BandBase):
    """A passband: |S21| must stay above ``s21_min_db`` and |S11| below ``s11_max_db``."""

    kind: Literal["pass"] = Field(description="Band type: 'pass'.")
    s21_min_db: Annotated[float, Field(le=0), NOT_BOOL] | None = Field(
        default=None, description="Minimum |S21| in dB over the band (insertion-loss mask)."
    )
    s11_max_db: Annotated[float, Field(le=0), NOT_BOOL] | None = Field(
        default=None, description="Maximum |S11| in dB over the band (return-loss mask)."
    )

    @model_validator(mode="after")
    def _has_a_limit(self) -> PassBand:
        if self.s21_min_db is None and self.s11_max_db is None:
            raise ValueError("a passband needs s21_min_db, s11_max_db or both")
        return self


class StopBand(_BandBase):
    """A stopband: |S21| must stay below ``s21_max_db``."""

    kind: Literal["stop"] = Field(description="Band type: 'stop'.")
    s21_max_db: Number = Field(le=0, description="Maximum |S21| in dB over the band (rejection).")


def _band_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return {"pass": "tag:pass", "stop": "tag:stop"}.get(kind) if isinstance(kind, str) else None


Band = Annotated[
    Annotated[PassBand, Tag("tag:pass")] | Annotated[StopBand, Tag("tag:stop")],
    Discriminator(
        _band_tag,
        custom_error_type="band_kind",
        custom_error_message="each band needs kind: 'pass' or 'stop'",
    ),
]


# ----------------------------------------------------------------------------------------------
# Substrate and grid
# ----------------------------------------------------------------------------------------------
class SubstrateSpec(SpecModel):
    """Substrate and conductor. Defaults: the paper's 0.127 mm alumina with 4 um gold."""

    eps_r: Number = Field(default=9.8, gt=1, le=100, description="Relative permittivity.")
    tan_delta: Number = Field(default=1e-4, ge=0, lt=1, description="Dielectric loss tangent.")
    height_mm: Number = Field(default=0.127, gt=0, le=50, description="Dielectric height in mm.")
    metal_thickness_um: Number = Field(
        default=4.0, ge=0, le=1000, description="Conductor thickness in um (0 = ideal sheet)."
    )
    conductivity_s_per_m: Number = Field(
        default=4.1e7, gt=0, le=1e9, description="Conductor conductivity in S/m (gold 4.1e7)."
    )

    def to_substrate(self):
        """The engine-side :class:`rfdesign.layouts.Substrate`."""
        from rfdesign.layouts.substrate import Substrate

        return Substrate(**self.model_dump())


class FixedCell(SpecModel):
    """A cell of the designed half fixed by the designer."""

    row: Count = Field(ge=0, description="Row index, 0 = bottom row.")
    col: Count = Field(ge=0, description="Column index in the designed half, 0 = next to port 1.")
    metal: bool = Field(description="True: always metal; False: always empty.")


class GridSpec(SpecModel):
    """An explicit pixel grid (see :class:`rfdesign.layouts.PixelGrid` for conventions)."""

    column_widths_mm: list[Annotated[float, Field(gt=0, le=100), NOT_BOOL]] = Field(
        min_length=1,
        max_length=64,
        description="Designed column widths in mm, from port 1 inwards.",
    )
    row_heights_mm: list[Annotated[float, Field(gt=0, le=100), NOT_BOOL]] = Field(
        min_length=1, max_length=64, description="Row heights in mm, bottom to top."
    )
    mirror: bool = Field(default=True, description="Mirror the designed half to the right.")
    fixed: list[FixedCell] = Field(default_factory=list, description="Designer-fixed cells.")
    feed_length_mm: Number = Field(default=0.5, ge=0, le=100, description="Feed length in mm.")
    feed_z0_ohm: Number = Field(
        default=50.0, ge=5, le=200, description="Feed impedance in ohm (width synthesised)."
    )
    feed_y_mm: Annotated[float, Field(ge=0), NOT_BOOL] | None = Field(
        default=None, description="Feed centre in mm from the bottom edge; null = centred."
    )

    @field_validator("fixed")
    @classmethod
    def _fixed_inside(cls, v: list[FixedCell], info: ValidationInfo) -> list[FixedCell]:
        rows = info.data.get("row_heights_mm")
        cols = info.data.get("column_widths_mm")
        issues: list[tuple[Loc, str]] = []
        seen: set[tuple[int, int]] = set()
        for i, cell in enumerate(v):
            if rows is not None and cell.row >= len(rows):
                issues.append(((i, "row"), f"row {cell.row} outside the {len(rows)} rows"))
            if cols is not None and cell.col >= len(cols):
                issues.append(((i, "col"), f"col {cell.col} outside the {len(cols)} columns"))
            if (cell.row, cell.col) in seen:
                issues.append(((i,), f"cell ({cell.row}, {cell.col}) is fixed twice"))
            seen.add((cell.row, cell.col))
        if issues:
            raise CrossFieldError(issues)
        return v

    @field_validator("feed_y_mm")
    @classmethod
    def _feed_inside(cls, v: float | None, info: ValidationInfo) -> float | None:
        rows = info.data.get("row_heights_mm")
        if v is not None and rows is not None and v > sum(rows):
            raise ValueError(f"{v} mm lies above the patch height {sum(rows):g} mm")
        return v


def _grid_tag(value: Any) -> str:
    return "tag:preset" if isinstance(value, str) else "tag:explicit"


def _check_preset(name: str) -> str:
    known = grid_names()
    if name not in known:
        raise ValueError(unknown_name_message("grid preset", name, known))
    return name


PresetName = Annotated[str, Field(description="Name of a grid preset, e.g. 'ka_pixel_4x5'.")]

GridChoice = Annotated[
    Annotated[PresetName, Tag("tag:preset")] | Annotated[GridSpec, Tag("tag:explicit")],
    Discriminator(_grid_tag),
]


# ----------------------------------------------------------------------------------------------
# Solver and search settings
# ----------------------------------------------------------------------------------------------
class SolverSettings(SpecModel):
    """Which solver verifies designs and how."""

    name: str = Field(
        default="openems", description="Solver: 'circuit', 'openems', 'palace' or 'meep'."
    )
    preset: Literal["draft", "standard", "fine", "reference"] = Field(
        default="standard",
        description=(
            "Mesh or resolution preset of the full-wave solver; openEMS's presets are steps "
            "1, 1.5, 2 and 3 of one refinement ladder (docs/solvers.md), 'reference' being "
            "openEMS only."
        ),
    )
    threads: Count = Field(default=1, ge=1, le=256, description="Threads per simulation.")
    timeout_s: Number = Field(
        default=3600.0,
        gt=0,
        description=(
            "Wall-time limit per run of this solver in s (a second engine of a cross-check "
            "keeps its own default)."
        ),
    )
    housing: Literal["open", "channel"] = Field(
        default="open",
        description=(
            "What surrounds the circuit: 'open' (absorbing sides and top: the open ends "
            "radiate) or 'channel' (a metal channel housing, as thin-film Ka-band filters are "
            "mounted: side walls wall_gap_mm beside the patch, a lid lid_height_mm above the "
            "substrate). openEMS and Palace."
        ),
    )
    wall_gap_mm: Number = Field(
        default=0.6, gt=0, le=20, description="Channel housing: patch edge to side wall, mm."
    )
    lid_height_mm: Number = Field(
        default=1.0, gt=0, le=50, description="Channel housing: substrate top to lid, mm."
    )
    conductor: Literal["pec", "sheet"] = Field(
        default="pec",
        description=(
            "openEMS: 'pec' (zero-thickness perfect conductor) or 'sheet' (openEMS's "
            "conducting sheet with the substrate's conductivity and metal thickness: the "
            "conductor loss of the real metal)."
        ),
    )
    feed_length_mm: Annotated[float, Field(gt=0, le=100), NOT_BOOL] | None = Field(
        default=None,
        description=(
            "openEMS, Palace: length of each simulated feed, mm (default: the solver's, 2 mm; "
            "a low band's coarse mesh needs longer feeds for the absorber and the ports)."
        ),
    )
    error_estimate: bool = Field(
        default=True,
        description=(
            "openEMS: also run the verified layout on the next coarser mesh preset and give "
            "every margin with the Richardson estimate of the mesh error (not with 'draft', "
            "the coarsest); other solvers have no estimate."
        ),
    )

    @field_validator("name")
    @classmethod
    def _known_solver(cls, v: str) -> str:
        if v not in solver_names():  # the solver registry of rfdesign.solvers
            raise ValueError(unknown_name_message("solver", v, solver_names()))
        return v


class DesignSettings(SpecModel):
    """How the layout is found: a pixel search, or a parametric topology sized from the spec."""

    method: Literal["pixel", "comb", "stepped", "auto"] = Field(
        default="pixel",
        description=(
            "'pixel': search the grid's pixels (surrogate, GA, verification); 'auto': the "
            "topology for the masks' filter class (band-pass and high-pass: comb; low-pass: "
            "stepped; band-stop and multi-band: none yet, the design ends with a report that "
            "says so, before any full-wave run); 'comb': size a "
            "comb of parallel half-wave strips in the channel housing from the synthesised "
            "coupling matrix through EM design curves and tune it full-wave; 'stepped': a "
            "low-pass stepped-impedance line from the Chebyshev ladder, its lengths optimised "
            "on the circuit model and space-mapped onto the full-wave solver (for both, the "
            "grid and search.initial are not used: no dimensions are given)."
        ),
    )
    goal_margin_db: Number = Field(
        default=0.3,
        ge=0,
        le=20,
        description="comb, stepped: worst margin the tuning aims at, dB.",
    )
    budget: Count = Field(
        default=60,
        ge=5,
        le=10_000,
        description="comb, stepped: most full-wave runs, curves included.",
    )
    curve_preset: Literal["draft", "standard", "fine"] = Field(
        default="draft", description="comb: mesh of the design-curve runs."
    )
    tuning_presets: list[Literal["draft", "standard", "fine", "reference"]] = Field(
        default_factory=lambda: ["standard", "fine"],
        max_length=4,
        description="comb: meshes tuned on before solver.preset, coarse to fine.",
    )
    strip_width_mm: Annotated[float, Field(gt=0, le=10), NOT_BOOL] | None = Field(
        default=None, description="comb: strip width, mm (default twice the substrate height)."
    )
    min_gap_mm: Number = Field(
        default=0.025, gt=0, le=10, description="Fabrication: smallest gap, mm (thin film: 25 um)."
    )
    loss_check: bool | None = Field(
        default=None,
        description=(
            "Run the verified layout once more with openEMS's lossy conducting sheet (the "
            "substrate's conductivity and thickness) when it was verified with PEC, and report "
            "what the real metal gives (default: on for comb and stepped, off for pixel)."
        ),
    )
    tolerance_um: Number = Field(
        default=5.0,
        ge=0,
        le=1000,
        description=(
            "Etching tolerance of every metal edge, +- um (uniform): the report gives the "
            "yield and worst case under it (Monte Carlo on the tuned coarse model; 0: none)."
        ),
    )
    yield_samples: Count = Field(
        default=200, ge=10, le=100_000, description="Monte Carlo samples of the yield."
    )
    min_line_mm: Number = Field(
        default=0.025,
        gt=0,
        le=10,
        description="Fabrication: narrowest line and shortest section, mm (thin film: 25 um).",
    )


class SearchSettings(SpecModel):
    """How the design space is searched on the surrogate."""

    algorithm: Literal["auto", "ga", "nsga2", "exhaustive", "random"] = Field(
        default="auto", description="'auto' = exhaustive up to 2^20 layouts, else GA."
    )
    population: Count = Field(default=64, ge=2, le=100_000, description="GA population size.")
    generations: Count = Field(default=100, ge=1, le=100_000, description="GA generations.")
    seed: Count = Field(default=0, ge=0, description="Seed of every random choice of the search.")
    top_k: Count = Field(default=5, ge=1, le=1000, description="Distinct candidates to verify.")
    allow_corner_contacts: bool = Field(
        default=False,
        description="Allow metal cells touching only at a corner (mesh- and etch-dependent).",
    )
    initial: list[Annotated[str, Field(pattern=r"^[01]+$", max_length=4096)]] = Field(
        default_factory=list,
        max_length=1000,
        description=(
            "Designer's layouts (free-bit strings, bit order of the grid) put into the GA's "
            "first population; each must have the grid's number of free bits."
        ),
    )

    @property
    def budget(self) -> int:
        """Evaluations of a population-based search: population x generations."""
        return self.population * self.generations


# ----------------------------------------------------------------------------------------------
# The filter spec
# ----------------------------------------------------------------------------------------------
class FilterSpec(SpecModel):
    """A complete filter specification (what to achieve, on what, and how to search)."""

    name: str = Field(min_length=1, max_length=128, description="Design name.")
    description: str = Field(default="", max_length=10_000, description="Free text.")
    sweep: Sweep = Field(description="Frequency sweep in GHz.")
    bands: list[Band] = Field(min_length=1, max_length=64, description="Pass and stop bands.")
    w: Number = Field(
        default=1.0, ge=0, le=1000, description="Weight of the stopband term in K (eq. 4)."
    )
    substrate: SubstrateSpec = Field(default_factory=SubstrateSpec, description="Substrate.")
    grid: GridChoice = Field(default="ka_pixel_4x5", description="Preset name or explicit grid.")
    solver: SolverSettings = Field(default_factory=SolverSettings, description="Verification.")
    search: SearchSettings = Field(default_factory=SearchSettings, description="Search.")
    design: DesignSettings = Field(
        default_factory=DesignSettings, description="Design method (pixel search or comb)."
    )

    @field_validator("grid")
    @classmethod
    def _known_grid(cls, v: str | GridSpec) -> str | GridSpec:
        return _check_preset(v) if isinstance(v, str) else v

    @field_validator("bands")
    @classmethod
    def _bands_consistent(cls, bands: list[PassBand | StopBand], info: ValidationInfo):
        issues: list[tuple[Loc, str]] = []
        sweep: Sweep | None = info.data.get("sweep")
        if sweep is not None:
            for i, b in enumerate(bands):
                if b.f_min_ghz < sweep.start_ghz:
                    issues.append(
                        (
                            (i, "f_min_ghz"),
                            f"{b.f_min_ghz} GHz lies below the sweep start {sweep.start_ghz} GHz",
                        )
                    )
                if b.f_max_ghz > sweep.stop_ghz:
                    issues.append(
                        (
                            (i, "f_max_ghz"),
                            f"{b.f_max_ghz} GHz lies above the sweep stop {sweep.stop_ghz} GHz",
                        )
                    )
        for i, a in enumerate(bands):
            for j in range(i + 1, len(bands)):
                b = bands[j]
                if a.kind != b.kind and a.f_min_ghz < b.f_max_ghz and b.f_min_ghz < a.f_max_ghz:
                    issues.append(
                        (
                            (j,),
                            f"{b.kind}band {b.f_min_ghz}-{b.f_max_ghz} GHz overlaps the "
                            f"{a.kind}band bands[{i}] {a.f_min_ghz}-{a.f_max_ghz} GHz",
                        )
                    )
        labels = [b.name for b in bands if b.name is not None]
        for dup in sorted({n for n in labels if labels.count(n) > 1}):
            issues.append(((labels.index(dup),), f"band name {dup!r} is used more than once"))
        if issues:
            raise CrossFieldError(issues)
        return bands

    @model_validator(mode="after")
    def _reference_mesh_is_openems(self) -> FilterSpec:
        """Reject the 'reference' preset for a solver that has no such mesh."""
        s = self.solver
        if s.preset == "reference" and s.name != "openems":
            raise CrossFieldError(
                [(("solver", "preset"), f"'reference' is an openems mesh; {s.name} has none")]
            )
        return self

    @model_validator(mode="after")
    def _channel_is_below_cutoff(self) -> FilterSpec:
        """Reject a channel wide enough to guide a mode inside the sweep.

        Such a mode would couple the ports past the circuit. The check uses the empty
        channel's TE10 cutoff c / 2W, an upper bound of the loaded channel's.
        """
        s = self.solver
        if s.housing != "channel":
            return self
        if s.name != "openems":
            raise CrossFieldError(
                [(("solver", "housing"), f"'channel' is modelled by openems only, not {s.name}")]
            )
        # PixelGrid keeps the feeds within the patch height, so the patch spans the channel.
        width = self.pixel_grid().height_mm + 2 * s.wall_gap_mm
        cutoff_ghz = C0_MM_PER_NS / (2 * width)
        if cutoff_ghz <= self.sweep.stop_ghz:
            raise CrossFieldError(
                [
                    (
                        ("solver", "wall_gap_mm"),
                        f"the channel is {width:.2f} mm wide, so its TE10 mode propagates "
                        f"from {cutoff_ghz:.1f} GHz, inside the sweep (up to "
                        f"{self.sweep.stop_ghz:g} GHz); narrow the channel",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _initial_layouts_fit_the_grid(self) -> FilterSpec:
        if self.search.initial:
            n_bits = self.pixel_grid().n_bits
            issues: list[tuple[Loc, str]] = [
                (("search", "initial", i), f"has {len(b)} bits, the grid has {n_bits} free bits")
                for i, b in enumerate(self.search.initial)
                if len(b) != n_bits
            ]
            if issues:
                raise CrossFieldError(issues)
        return self

    @model_validator(mode="after")
    def _fits_in_memory(self) -> FilterSpec:
        """Refuse a spec whose design would run out of memory (:meth:`resource_estimate`)."""
        try:
            estimate = self.resource_estimate()
        except ValueError as exc:  # the grid itself cannot be built (e.g. the feed outside it)
            raise CrossFieldError([(("grid",), str(exc))]) from None
        issues = estimate.issues(memory_limit_bytes())
        if issues:
            raise CrossFieldError(issues)
        return self

    def check_resources(self) -> None:
        """Check the memory again, for a spec changed without validation (``model_copy``).

        Loading a spec already refuses one that needs too much memory; this is the same check
        for code that must not start work on a spec it did not load.

        Raises:
            ValueError: ``"<field path>: <reason>"`` in one line, as at load time.
        """
        issues = self.resource_estimate().issues(memory_limit_bytes())
        if issues:
            raise ValueError("; ".join(f"{loc_to_path(loc)}: {msg}" for loc, msg in issues))

    # ----- helpers -------------------------------------------------------------------------
    @property
    def passbands(self) -> list[PassBand]:
        """The passbands, in file order."""
        return [b for b in self.bands if isinstance(b, PassBand)]

    @property
    def stopbands(self) -> list[StopBand]:
        """The stopbands, in file order."""
        return [b for b in self.bands if isinstance(b, StopBand)]

    def band_label(self, index: int) -> str:
        """Report label of ``bands[index]``: its name, else e.g. ``pass1`` or ``stop2``."""
        band = self.bands[index]
        if band.name:
            return band.name
        same = [i for i, b in enumerate(self.bands) if b.kind == band.kind]
        return f"{band.kind}{same.index(index) + 1}"

    def frequencies_ghz(self):
        """The sweep's frequency points in GHz (numpy array of ``points`` values)."""
        import numpy as np

        return np.linspace(self.sweep.start_ghz, self.sweep.stop_ghz, self.sweep.points)

    def pixel_grid(self):
        """The :class:`rfdesign.layouts.PixelGrid` this spec designs on (built once).

        The grid is kept beside the fields (not one of them: equality, hashing and dumps see
        only the fields) together with the content it was built from, so a copy with another
        grid, substrate or sweep (``model_copy(update=...)``) builds its own.
        """
        key = json.dumps(
            [self.name, self.model_dump(mode="json", include={"grid", "substrate", "sweep"})],
            sort_keys=True,
        )
        cached = self.__dict__.get("_pixel_grid")
        if cached is None or cached[0] != key:
            cached = (key, self._build_pixel_grid())
            self.__dict__["_pixel_grid"] = cached
        return cached[1]

    def _build_pixel_grid(self):
        from rfdesign.layouts.feeds import microstrip_width_mm
        from rfdesign.layouts.grid import PixelGrid
        from rfdesign.layouts.presets import get_grid

        substrate = self.substrate.to_substrate()
        if isinstance(self.grid, str):
            return get_grid(self.grid, substrate)
        g = self.grid
        centre = (self.sweep.start_ghz + self.sweep.stop_ghz) / 2
        return PixelGrid(
            column_widths_mm=tuple(g.column_widths_mm),
            row_heights_mm=tuple(g.row_heights_mm),
            substrate=substrate,
            feed_width_mm=microstrip_width_mm(substrate, g.feed_z0_ohm, centre),
            feed_length_mm=g.feed_length_mm,
            mirror=g.mirror,
            fixed={(c.row, c.col): c.metal for c in g.fixed},
            feed_y_mm=g.feed_y_mm,
            name=f"{self.name}-grid",
        )

    def resource_estimate(self) -> ResourceEstimate:
        """The memory a design of this spec needs, known before any work.

        A :class:`~rfdesign.resources.ResourceEstimate` from the sweep, the grid and the
        search population alone: nothing is simulated, no circuit model is built.
        """
        f = self.sweep
        return estimate_resources(
            self.pixel_grid(), f.start_ghz, f.stop_ghz, f.points, self.search.population
        )

    def content_hash(self) -> str:
        """Stable sha256 hex digest of the spec's content (key order and defaults resolved)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @classmethod
    def from_file(cls, path: str | Path) -> FilterSpec:
        """Load and validate a YAML spec file (raises :class:`SpecError`)."""
        return load_spec(path)

    def to_file(self, path: str | Path) -> Path:
        """Write the spec as YAML (all defaults written out)."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False))
        return path


# ----------------------------------------------------------------------------------------------
# Loading and error reporting
# ----------------------------------------------------------------------------------------------
class SpecIssue(BaseModel):
    """One problem of a spec: the field path and the reason."""

    model_config = ConfigDict(frozen=True)
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SpecError(ValueError):
    """A spec that cannot be loaded; ``issues`` lists every problem with its field path."""

    def __init__(self, issues: list[SpecIssue], source: str = "spec") -> None:
        self.issues = issues
        self.source = source
        super().__init__("\n".join(f"{source}: {issue}" for issue in issues))


def loc_to_path(loc: Loc) -> str:
    """Field path as written in messages, e.g. ``bands[2].f_max_ghz`` (union tags dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith("tag:"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names valid at ``loc`` (the parent of an unknown key), for 'did you mean'."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.startswith("tag:")):
            if isinstance(part, str):
                current = {
                    "tag:pass": PassBand,
                    "tag:stop": StopBand,
                    "tag:explicit": GridSpec,
                }.get(part, current)
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = next(
            (a for a in _flatten(annotation) if isinstance(a, type) and issubclass(a, BaseModel)),
            None,
        )
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _flatten(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if not args:
        meta = getattr(annotation, "__origin__", None)
        return [annotation] if meta is None else [meta]
    out: list[Any] = []
    for a in args:
        out.extend(_flatten(a))
    return out


def format_validation_error(
    err: ValidationError, model: type[BaseModel] = FilterSpec
) -> list[SpecIssue]:
    """Turn a pydantic error into one :class:`SpecIssue` per problem, with field paths."""
    issues: list[SpecIssue] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        original = (e.get("ctx") or {}).get("error")
        if isinstance(original, CrossFieldError):
            for sub, msg in original.issues:
                issues.append(SpecIssue(path=loc_to_path(loc + tuple(sub)), message=msg))
            continue
        if e["type"] == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _known_fields(model, loc[:-1]), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            issues.append(SpecIssue(path=loc_to_path(loc), message=f"unknown key{hint}"))
            continue
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif "input" in e and not isinstance(e["input"], dict | list):
            msg = f"{msg} (got {e['input']!r})"
        issues.append(SpecIssue(path=loc_to_path(loc), message=msg))
    return issues


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in mapping
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark
            ) from exc
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_spec(text: str, source: str = "spec") -> FilterSpec:
    """Validate a spec given as YAML text; raises :class:`SpecError` on any problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError([SpecIssue(path="(yaml)", message=f"{where}{problem}")], source) from None
    except RecursionError:
        raise SpecError([SpecIssue(path="(yaml)", message="nesting too deep")], source) from None
    if not isinstance(data, dict):
        kind = "an empty document" if data is None else type(data).__name__
        raise SpecError(
            [SpecIssue(path="(top level)", message=f"expected a mapping of fields, got {kind}")],
            source,
        )
    try:
        return FilterSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc), source) from None
    except RecursionError:
        raise SpecError(
            [SpecIssue(path="(top level)", message="nesting too deep")], source
        ) from None


def load_spec(path: str | Path) -> FilterSpec:
    """Load and validate a YAML spec file; raises :class:`SpecError` naming each bad field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([SpecIssue(path="(file)", message="no such file")], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecIssue(path="(file)", message=str(exc))], str(path)) from None
    return parse_spec(text, source=str(path))


def spec_json_schema() -> dict[str, Any]:
    """The JSON schema of :class:`FilterSpec` (committed under ``tests/schemas/``)."""
    return FilterSpec.model_json_schema()
