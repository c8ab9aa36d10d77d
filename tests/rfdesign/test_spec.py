"""Spec files: the examples load, every bad case names its field, the schema is committed."""

import json
from pathlib import Path

import pytest
import yaml

from rfdesign.spec import FilterSpec, SpecError, load_spec, parse_spec, spec_json_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def example_dict() -> dict:
    return yaml.safe_load((REPO / "examples" / "ka_bandpass.yaml").read_text())


def errors_of(data) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return [str(issue) for issue in info.value.issues]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_load_and_round_trip(path, tmp_path):
    spec = load_spec(path)
    # the paper's 15-bit grid, or a coupled-resonator grid defined in the spec
    bits = {"ka_highpass_coupled": 29, "ka_highpass_channel": 53, "ka_bandpass_channel": 41}.get(
        path.stem, 15
    )
    assert spec.pixel_grid().n_bits == bits
    again = load_spec(spec.to_file(tmp_path / "again.yaml"))
    assert again == spec and again.content_hash() == spec.content_hash()


def test_bandpass_example_has_the_papers_numbers(bandpass_spec):
    s = bandpass_spec
    assert (s.sweep.start_ghz, s.sweep.stop_ghz, s.sweep.points) == (34, 46, 51)
    (p,) = s.passbands
    assert (p.f_min_ghz, p.f_max_ghz, p.s21_min_db, p.s11_max_db) == (41, 43, -1, -10)
    assert [(b.f_min_ghz, b.f_max_ghz, b.s21_max_db) for b in s.stopbands] == [
        (34, 40, -25),
        (44, 46, -25),
    ]
    assert s.substrate.height_mm == 0.127 and s.substrate.eps_r == 9.8


def test_dualband_weight():
    assert load_spec(REPO / "examples" / "ka_dualband.yaml").w == 0.8


def mutate(path: str, value):
    data = example_dict()
    target = data
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("bands.1.s21_mn_db", -1, "bands[1].s21_mn_db", "unknown key (did you mean 's21_min_db'?)"),
        ("colour", "red", "colour", "unknown key"),
        ("bands.1.f_min_ghz", 44, "bands[1].f_max_ghz", "must be greater than f_min_ghz"),
        ("bands.2.f_max_ghz", 47, "bands[2].f_max_ghz", "above the sweep stop"),
        ("bands.0.f_min_ghz", 30, "bands[0].f_min_ghz", "below the sweep start"),
        ("bands.1.f_max_ghz", 44.5, "bands[2]", "overlaps the passband bands[1]"),
        ("substrate.height_mm", -0.127, "substrate.height_mm", "greater than 0"),
        (
            "substrate.metal_thickness_um",
            -4,
            "substrate.metal_thickness_um",
            "greater than or equal to 0",
        ),
        ("sweep.stop_ghz", 30, "sweep.stop_ghz", "must be greater than start_ghz"),
        ("name", KeyError, "name", "required field is missing"),
        ("bands.1.kind", "band", "bands[1]", "kind: 'pass' or 'stop'"),
        ("bands.0.s21_max_db", 3, "bands[0].s21_max_db", "less than or equal to 0"),
        ("grid", "ka_pixel_4x6", "grid", "did you mean 'ka_pixel_4x5'"),
        ("solver.name", "openem", "solver.name", "did you mean 'openems'"),
        ("search.population", 1, "search.population", "greater than or equal to 2"),
        ("w", "heavy", "w", "valid number"),
        ("sweep.points", float("nan"), "sweep.points", "finite number"),
        ("w", True, "w", "expected a number, got true"),
    ],
)
def test_bad_spec_names_field_and_reason(path, value, field, reason):
    errors = errors_of(mutate(path, value))
    assert any(e.startswith(f"{field}: ") and reason in e for e in errors), errors
    assert all("\n" not in e for e in errors)


def test_every_problem_is_reported_at_once():
    data = mutate("substrate.height_mm", -1)
    data["bands"][0]["bogus"] = 1
    data["sweep"]["points"] = 1
    errors = errors_of(data)
    assert {e.split(":")[0] for e in errors} == {
        "substrate.height_mm",
        "bands[0].bogus",
        "sweep.points",
    }


def test_explicit_grid_and_its_errors():
    data = example_dict()
    data["grid"] = {
        "column_widths_mm": [0.12, 0.27],
        "row_heights_mm": [0.3, 0.3],
        "fixed": [{"row": 0, "col": 0, "metal": True}],
    }
    spec = FilterSpec.model_validate(data)
    grid = spec.pixel_grid()
    assert grid.n_bits == 3 and grid.fixed == {(0, 0): True}
    data["grid"]["fixed"].append({"row": 2, "col": 0, "metal": False})
    assert any(e.startswith("grid.fixed[1].row: ") for e in errors_of(data))


def test_channel_housing_is_checked_against_the_sweep_and_the_solver():
    data = example_dict()
    data["solver"] = {"name": "openems", "housing": "channel", "wall_gap_mm": 0.6}
    spec = FilterSpec.model_validate(data)  # 1.2 mm patch + 2 x 0.6 mm: cutoff 62 GHz
    assert spec.solver.housing == "channel" and spec.solver.lid_height_mm == 1.0
    data["solver"]["wall_gap_mm"] = 1.5  # 4.2 mm wide: TE10 from 35.7 GHz, inside the sweep
    (err,) = errors_of(data)
    assert err.startswith("solver.wall_gap_mm: ") and "35.7 GHz" in err
    data["solver"] = {"name": "meep", "housing": "channel"}
    (err,) = errors_of(data)
    assert err.startswith("solver.housing: ") and "openems only" in err


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty document"),
        ("- 1\n- 2", "got list"),
        ("a: [", "line 1"),
        ("name: a\nname: b", "duplicate key 'name'"),
    ],
)
def test_yaml_level_problems(text, reason):
    assert any(reason in e for e in errors_of(text))


def test_missing_file():
    with pytest.raises(SpecError, match="no such file"):
        load_spec("/nonexistent/spec.yaml")


def test_spec_is_frozen(bandpass_spec):
    with pytest.raises(Exception, match="frozen"):
        bandpass_spec.w = 2.0


def test_schema_matches_committed_copy():
    committed = json.loads((REPO / "tests" / "schemas" / "filter_spec.schema.json").read_text())
    assert spec_json_schema() == committed, "run `make schema` and commit the new schema"


def test_reference_mesh_is_an_openems_preset():
    data = example_dict()
    data["solver"] = {"name": "openems", "preset": "reference"}
    assert FilterSpec.model_validate(data).solver.preset == "reference"
    data["solver"] = {"name": "meep", "preset": "reference"}
    (err,) = errors_of(data)
    assert err.startswith("solver.preset: ") and "openems mesh" in err


# ----- booleans are not numbers ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("w", True, "w"),
        ("sweep.points", True, "sweep.points"),
        ("bands.1.s11_max_db", False, "bands[1].s11_max_db"),
        ("substrate.eps_r", True, "substrate.eps_r"),
    ],
)
def test_a_boolean_in_a_number_field_is_named(path, value, field):
    (err,) = errors_of(mutate(path, value))
    assert err == f"{field}: expected a number, got {str(value).lower()}"


def test_a_boolean_in_a_list_of_numbers_is_named():
    data = example_dict()
    data["grid"] = {"column_widths_mm": [0.12, True], "row_heights_mm": [0.3]}
    assert errors_of(data) == ["grid.column_widths_mm[1]: expected a number, got true"]


# ----- memory, checked before any work ---------------------------------------------------------
def test_estimate_counts_the_circuit_models_nodes():
    """The estimate's nodes are the nodes the circuit model builds for an all-metal layout."""
    from rfdesign.layouts import Layout
    from rfdesign.solvers.base import get_solver

    spec = load_spec(REPO / "examples" / "ka_highpass_coupled.yaml")  # no fixed-empty cell
    grid = spec.pixel_grid()
    net = get_solver("circuit").simulate(
        Layout.from_bits(grid, "1" * grid.n_bits), spec.frequencies_ghz()
    )
    est = spec.resource_estimate()
    assert est.circuit_nodes == net.rfdesign_info["n_nodes"]
    assert list(est.sub_cells) == net.rfdesign_info["sub_cells"]
    # F x N x N complex128, and population x F responses of 80 bytes
    assert est.circuit_bytes == 16 * 51 * est.circuit_nodes**2
    assert est.response_bytes == spec.search.population * 51 * 80


def test_examples_fit_in_memory_with_room():
    for path in EXAMPLES:
        assert load_spec(path).resource_estimate().total_bytes < 2**30  # < 1 GiB


def test_too_many_sweep_points_are_refused_before_any_work():
    data = mutate("sweep.points", 100_001)  # the circuit model's 130 nodes at every point
    (err,) = errors_of(data)
    assert err.startswith("sweep.points: 100,001 points need 25.7 GiB")
    assert "use at most 31," in err and "RFDESIGN_MAX_MEMORY_GIB" in err


def test_a_huge_grid_is_refused_before_any_work():
    data = example_dict()
    data["grid"] = {"column_widths_mm": [0.03] * 64, "row_heights_mm": [0.03] * 64}
    (err,) = errors_of(data)
    assert err.startswith("grid: the circuit model of this grid has 8,194 nodes (64 x 128")
    assert "51.0 GiB" in err


def test_a_huge_population_on_a_long_sweep_is_refused():
    data = mutate("search.population", 100_000)
    data["sweep"]["points"] = 2001
    (err,) = errors_of(data)
    assert err.startswith("search.population: 100,000 layouts x 2,001 points")


def test_the_limit_can_be_raised(monkeypatch):
    from rfdesign.resources import memory_limit_bytes

    data = mutate("sweep.points", 100_001)
    monkeypatch.setenv("RFDESIGN_MAX_MEMORY_GIB", "64")
    assert memory_limit_bytes() == 64 * 2**30
    assert FilterSpec.model_validate(data).sweep.points == 100_001
    monkeypatch.setenv("RFDESIGN_MAX_MEMORY_GIB", "lots")  # ignored: the default applies
    assert memory_limit_bytes() <= 8 * 2**30


def test_a_grid_that_cannot_be_built_is_named():
    data = example_dict()
    data["grid"] = {"column_widths_mm": [0.12, 0.27], "row_heights_mm": [0.05]}  # feed wider
    (err,) = errors_of(data)
    assert err.startswith("grid: ") and "feed" in err


def test_check_resources_sees_a_spec_changed_without_validation(bandpass_spec):
    bandpass_spec.check_resources()  # fits
    big = bandpass_spec.model_copy(
        update={"sweep": bandpass_spec.sweep.model_copy(update={"points": 100_001})}
    )
    with pytest.raises(ValueError, match=r"^sweep.points: 100,001 points need"):
        big.check_resources()
