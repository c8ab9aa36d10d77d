"""Fault injection on the dataset store (issue 21): damage is found, named, and repaired.

Datasets are made with the circuit model (deterministic, fast), damaged on disk the way a
disk, a copy or a person damages files (deleted, truncated, one byte changed), then opened,
read, repaired and regenerated. The reference is the undamaged dataset: after repair and the
same generation run, keys and S must equal it exactly (the model is deterministic).
"""

import json
import logging
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from rfdesign.cli import app
from rfdesign.datasets.generate import generate, sample_bits
from rfdesign.datasets.manifest import MANIFEST, Manifest
from rfdesign.datasets.store import Dataset, DatasetDamaged
from rfdesign.layouts import get_grid
from rfdesign.solvers.base import get_solver

GRID = get_grid("ka_pixel_4x5")
F = np.linspace(34, 46, 5)
N = 300  # s chunks of 256 rows: s/0.0.0.0 holds rows 0-255, s/1.0.0.0 rows 256-299
BITS = sample_bits(GRID, "random", N, seed=7)
SOLVER = get_solver("circuit")


def by_key(ds):
    """Keys, bits and S of the stored samples, sorted by key (storage order may differ)."""
    x = ds.to_xarray()
    order = np.argsort(x["key"].values)
    return x["key"].values[order], x["bits"].values[order], x["s"].values[order]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = tmp_path_factory.mktemp("pristine") / "ds"
    ds = Dataset.create(path, GRID, "circuit", SOLVER.settings_dict(), F)
    generate(ds, SOLVER, GRID, BITS, chunk_size=64)
    return path, by_key(ds), ds.content_hash()


@pytest.fixture
def ds_path(pristine, tmp_path):
    path = tmp_path / "ds"
    shutil.copytree(pristine[0], path)
    return path


def delete(p):
    p.unlink()


def truncate(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def flip(p):
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x5A
    p.write_bytes(bytes(data))


FAULTS = {"deleted": delete, "truncated": truncate, "flipped": flip}
PROBLEM = {"deleted": "missing", "truncated": "size", "flipped": "checksum mismatch"}
# file -> samples a repair must drop (key, status, valid are rebuilt; frequencies come
# from the attributes)
FILES = {
    "s/1.0.0.0": N - 256,
    "s/0.0.0.0": 256,
    "bits/0.0": N,
    "info/0": N,
    "key/0": 0,
    "status/0": 0,
    "valid/0": 0,
    "frequency_ghz/0": 0,
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("rel", list(FILES))
def test_damage_is_named_then_repair_and_regenerate_restore_the_data(pristine, ds_path, fault, rel):
    _, (keys0, bits0, s0), hash0 = pristine
    reader = Dataset.open(ds_path)  # opened before the damage: its reads must notice too
    FAULTS[fault](ds_path / "dataset.zarr" / rel)

    with pytest.raises(DatasetDamaged) as info:
        Dataset.open(ds_path)
    msg = str(info.value)
    assert "\n" not in msg
    assert f"{ds_path / 'dataset.zarr' / rel} {PROBLEM[fault]}" in msg
    assert f"rfdesign dataset repair {ds_path}" in msg
    if rel.split("/")[0] in ("s", "bits", "info"):
        assert f": {FILES[rel]} samples lost" in msg
    if fault != "flipped":  # a changed byte keeps the size: only open's hashes see it
        read = {"info": reader.infos, "frequency_ghz": lambda: reader.f_ghz}
        with pytest.raises(DatasetDamaged, match=rel.replace(".", r"\.")):
            read.get(rel.split("/")[0], reader.to_xarray)()

    report = Dataset(ds_path).repair()
    assert report["damaged"] == [rel] and report["lost"] == FILES[rel]
    assert len(report["lost_bits"]) == (FILES[rel] if rel.split("/")[0] != "bits" else 0)
    repaired = Dataset.open(ds_path)
    assert not repaired.check() and len(repaired) == N - FILES[rel]
    keys, bits, s = by_key(repaired)
    kept = np.isin(keys0, keys)
    np.testing.assert_array_equal(keys, keys0[kept])
    np.testing.assert_array_equal(bits, bits0[kept])
    np.testing.assert_array_equal(s, s0[kept])  # no zeros, no garbage: the stored values
    np.testing.assert_array_equal(repaired.f_ghz, F)

    again = generate(repaired, SOLVER, GRID, BITS, chunk_size=64)
    assert (again.computed, again.skipped) == (FILES[rel], N - FILES[rel])
    for got, want in zip(by_key(Dataset.open(ds_path)), (keys0, bits0, s0), strict=True):
        np.testing.assert_array_equal(got, want)
    assert Dataset.open(ds_path).content_hash() == hash0


def test_dataset_without_manifest_still_gets_the_structural_checks(ds_path):
    """Datasets made before manifests: missing and truncated chunks are still found."""
    (ds_path / "dataset.zarr" / MANIFEST).unlink()
    assert not Dataset.open(ds_path).check()
    truncate(ds_path / "dataset.zarr" / "s/0.0.0.0")
    with pytest.raises(DatasetDamaged, match=r"s/0\.0\.0\.0 undecodable \(.*Blosc header"):
        Dataset.open(ds_path)
    (ds_path / "dataset.zarr" / "s/0.0.0.0").unlink()
    with pytest.raises(DatasetDamaged, match=r"s/0\.0\.0\.0 missing: 256 samples lost"):
        Dataset.open(ds_path)
    assert Dataset(ds_path).repair()["lost"] == 256
    assert (ds_path / "dataset.zarr" / MANIFEST).exists()  # a repair seals the dataset


def test_several_damaged_files_give_one_line(ds_path):
    for rel in ("s/0.0.0.0", "s/1.0.0.0", "bits/0.0", "key/0"):
        delete(ds_path / "dataset.zarr" / rel)
    with pytest.raises(DatasetDamaged) as info:
        Dataset.open(ds_path)
    msg = str(info.value)
    assert "\n" not in msg and "(+1 more files)" in msg and f"{N} samples lost" in msg


def test_damaged_group_metadata_is_reported_as_not_repairable(ds_path):
    flip(ds_path / "dataset.zarr" / ".zattrs")
    with pytest.raises(DatasetDamaged, match=r"\.zattrs .*not repairable: restore \.zattrs"):
        Dataset.open(ds_path)
    with pytest.raises(DatasetDamaged, match="not repairable"):
        Dataset(ds_path).repair()


def test_a_damaged_manifest_is_reported_and_a_repair_reseals(ds_path):
    truncate(ds_path / "dataset.zarr" / MANIFEST)
    with pytest.raises(DatasetDamaged, match=r"\.manifest\.json undecodable \(JSONDecodeError"):
        Dataset.open(ds_path)
    assert Dataset(ds_path).repair()["lost"] == 0
    assert len(Dataset.open(ds_path)) == N


@pytest.mark.parametrize("fault", ["truncated", "flipped", "garbage"])
def test_corrupt_journal_file_is_set_aside_with_one_warning_and_recomputed(
    pristine, tmp_path, caplog, fault
):
    _, (keys0, _, s0), _ = pristine
    ds = Dataset.create(tmp_path / "d", GRID, "circuit", SOLVER.settings_dict(), F)
    generate(ds, SOLVER, GRID, BITS[:200], chunk_size=64)
    from rfdesign.datasets.generate import simulate_chunk

    journal = ds.write_chunk(simulate_chunk(SOLVER, GRID, BITS[200:], F))
    if fault == "garbage":
        journal.write_bytes(b"not a zip file")
    else:
        FAULTS[fault](journal)
    with caplog.at_level(logging.WARNING, logger="rfdesign.datasets.store"):
        reopened = Dataset.open(ds.path)  # before: zipfile.BadZipFile traceback
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and str(journal) in lines[0] and "\n" not in lines[0]
    assert journal.with_suffix(".corrupt").exists() and not journal.exists()
    assert len(reopened) == 200
    report = generate(reopened, SOLVER, GRID, BITS, chunk_size=64)
    assert (report.skipped, report.computed) == (200, N - 200)
    keys, _, s = by_key(reopened)
    np.testing.assert_array_equal(keys, keys0)
    np.testing.assert_array_equal(s, s0)


class Killed(Exception):
    """Stands for kill -9 in the middle of a consolidation."""


@pytest.mark.parametrize("when", ["before_s", "before_valid", "before_manifest"])
def test_a_consolidation_killed_midway_is_not_reported_as_damage(
    pristine, tmp_path, monkeypatch, when
):
    """The manifest lists files as pending before they change: a kill is no damage."""
    import zarr

    _, (keys0, _, s0), _ = pristine
    ds = Dataset.create(tmp_path / "d", GRID, "circuit", SOLVER.settings_dict(), F)
    generate(ds, SOLVER, GRID, BITS[:250], chunk_size=50)
    from rfdesign.datasets.generate import simulate_chunk

    ds.write_chunk(simulate_chunk(SOLVER, GRID, BITS[250:], F))  # rows 250-299: new s chunk
    setitem = zarr.Array.__setitem__

    def dying_setitem(self, sel, value):
        if self.path == when.removeprefix("before_"):
            raise Killed
        setitem(self, sel, value)

    monkeypatch.setattr(zarr.Array, "__setitem__", dying_setitem)
    if when == "before_manifest":

        def dying_update(*args):
            raise Killed

        monkeypatch.setattr(Manifest, "update", dying_update)
    with pytest.raises(Killed):
        ds.consolidate()
    monkeypatch.undo()
    pending = json.loads((ds.store / MANIFEST).read_text())["pending"]
    assert "s/1.0.0.0" in pending and "valid/.zarray" in pending
    if when == "before_s":
        assert not (ds.store / "s/1.0.0.0").exists()  # resized, never written: not damage
    again = Dataset.open(ds.path)
    assert not again.check() and len(again) == N
    assert not json.loads((ds.store / MANIFEST).read_text())["pending"]
    keys, _, s = by_key(again)
    np.testing.assert_array_equal(keys, keys0)
    np.testing.assert_array_equal(s, s0)


def test_committed_reference_datasets_are_sealed_and_intact():
    from rfdesign.datasets.store import load_reference

    for name in ("openems_ka_pixel_4x5_standard_train", "openems_ka_pixel_4x5_standard_test"):
        ds = load_reference(name)  # verifies every file against its manifest
        manifest = Manifest.load(ds.store)
        assert manifest is not None and not manifest.pending and manifest.rows == len(ds)
        assert "s/0.0.0.0" in manifest.files and not ds.check()


runner = CliRunner()
ARGS = ["--solver", "circuit", "--sampler", "random", "--n", "300", "--seed", "4"]
ARGS += ["--points", "5", "--cluster", "none"]


def test_cli_info_names_the_damage_repair_fixes_and_generate_refills(tmp_path):
    out = tmp_path / "ds"
    made = runner.invoke(app, ["dataset", "generate", *ARGS, "--out", str(out)])
    assert made.exit_code == 0, made.output
    before = Dataset.open(out).content_hash()
    delete(out / "dataset.zarr" / "s/1.0.0.0")

    info = runner.invoke(app, ["dataset", "info", str(out)])
    assert info.exit_code == 2 and "Traceback" not in info.output
    line = info.output.strip()
    assert "\n" not in line and "s/1.0.0.0 missing: 44 samples lost" in line
    assert f"rfdesign dataset repair {out}" in line

    fixed = runner.invoke(app, ["dataset", "repair", str(out)])
    assert fixed.exit_code == 0 and "dropped 44 samples" in fixed.output, fixed.output
    again = runner.invoke(app, ["dataset", "generate", *ARGS, "--out", str(out), "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.output.strip().splitlines()[-1])
    assert (report["skipped"], report["computed"]) == (256, 44)
    assert Dataset.open(out).content_hash() == before
    clean = runner.invoke(app, ["dataset", "repair", str(out)])
    assert clean.exit_code == 0 and "no damage found" in clean.output


def test_cli_generate_repairs_a_damaged_dataset_with_one_warning(tmp_path):
    out = tmp_path / "ds"
    assert runner.invoke(app, ["dataset", "generate", *ARGS, "--out", str(out)]).exit_code == 0
    before = Dataset.open(out).content_hash()
    truncate(out / "dataset.zarr" / "bits/0.0")
    res = runner.invoke(app, ["dataset", "generate", *ARGS, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    warning = [x for x in res.output.splitlines() if x.startswith("warning")]
    assert len(warning) == 1 and "bits/0.0 size" in warning[0] and "repairing" in warning[0]
    report = json.loads(res.output.strip().splitlines()[-1])
    assert (report["skipped"], report["computed"]) == (0, 300)
    assert Dataset.open(out).content_hash() == before


def test_open_with_repair_warns_once_and_a_repair_killed_mid_swap_is_finished(
    pristine, ds_path, caplog, monkeypatch
):
    delete(ds_path / "dataset.zarr" / "s/1.0.0.0")
    with caplog.at_level(logging.WARNING, logger="rfdesign.datasets.store"):
        ds = Dataset.open(ds_path, repair=True)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "s/1.0.0.0 missing: 44 samples lost; repairing" in lines[0]
    assert len(ds) == N - 44 and not ds.check()

    import os

    rename = os.rename

    def dying_rename(src, dst):  # dies after moving the damaged store aside
        if str(src).endswith(".repaired"):
            raise Killed
        rename(src, dst)

    delete(ds_path / "dataset.zarr" / "s/0.0.0.0")
    monkeypatch.setattr(os, "rename", dying_rename)
    with pytest.raises(Killed):
        Dataset(ds_path).repair()
    monkeypatch.undo()
    assert not (ds_path / "dataset.zarr").exists()
    finished = Dataset.open(ds_path)  # renames the complete repaired store into place
    assert len(finished) == N - 44 - 256 and not finished.check()
    generate(finished, SOLVER, GRID, BITS, chunk_size=64)
    assert Dataset.open(ds_path).content_hash() == pristine[2]


def test_line_endings_converted_by_a_checkout_are_not_damage(ds_path):
    """git's autocrlf rewrites the JSON metadata files, never the binary chunks."""
    for rel in (".zattrs", "s/.zarray"):
        p = ds_path / "dataset.zarr" / rel
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    ds = Dataset.open(ds_path)
    assert not ds.check() and len(ds) == N
