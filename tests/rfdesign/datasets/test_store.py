"""The dataset store: journal, consolidation, identity checks, merge, split, xarray."""

import json

import numpy as np
import pytest

from rfdesign.datasets.store import STATUS_FAILED, STATUS_OK, Chunk, Dataset, DatasetError
from rfdesign.layouts import Layout, get_grid

F = np.linspace(34, 46, 5)
GRID = get_grid("ka_pixel_4x5")


def chunk(indices, status=STATUS_OK, value=0.5):
    lays = [Layout.from_index(GRID, i) for i in indices]
    s = np.full((len(lays), F.size, 2, 2), value + 0.25j)
    return Chunk(
        keys=[lay.key() for lay in lays],
        bits=np.array([lay.bits for lay in lays], np.uint8),
        s=s,
        status=np.full(len(lays), status, np.uint8),
        info=[{"bits": lay.bit_string, "error": "boom" if status else None} for lay in lays],
    )


@pytest.fixture
def ds(tmp_path):
    return Dataset.create(tmp_path / "ds", GRID, "circuit", {"x": 1}, F, {"who": "test"})


def test_journal_then_consolidate(ds):
    ds.write_chunk(chunk([1, 2, 3]))
    assert len(list(ds.journal.glob("*.npz"))) == 1 and len(ds) == 0
    assert ds.consolidate() == 3 and len(ds) == 3
    assert not list(ds.journal.glob("*.npz"))
    bits, s = ds.arrays()
    assert bits.shape == (3, 15) and s.shape == (3, 5, 2, 2) and np.all(s == 0.5 + 0.25j)


def test_duplicates_are_stored_once_and_failures_are_replaced_by_success(ds):
    ds.write_chunk(chunk([1, 2]))
    ds.write_chunk(chunk([2, 3], status=STATUS_FAILED))
    ds.write_chunk(chunk([1]))
    ds.consolidate()
    s = ds.summary()
    assert (s["samples"], s["unique"], s["failed"]) == (2, 2, 1)
    assert ds.failures()[0] == (Layout.from_index(GRID, 3).bit_string, "boom")
    ds.write_chunk(chunk([3], value=0.1))
    ds.consolidate()
    assert ds.summary()["failed"] == 0 and len(ds) == 3


def test_reopen_merges_a_left_journal_and_checks_identity(ds, tmp_path):
    ds.write_chunk(chunk([5, 6]))  # an interrupted run left this behind
    again = Dataset.open_or_create(tmp_path / "ds", GRID, "circuit", {"x": 1}, F)
    assert len(again) == 2
    with pytest.raises(DatasetError, match="settings"):
        Dataset.open_or_create(tmp_path / "ds", GRID, "circuit", {"x": 2}, F)
    with pytest.raises(DatasetError, match="frequency_ghz"):
        Dataset.open_or_create(tmp_path / "ds", GRID, "circuit", {"x": 1}, F[:3])


def test_corrupt_journal_file_is_set_aside_not_merged(ds):
    ds.write_chunk(chunk([7]))
    (ds.journal / "junk.npz").write_bytes(b"not a zip file")
    ds.consolidate()
    assert len(ds) == 1 and (ds.journal / "junk.corrupt").exists()


def test_split_is_seeded_disjoint_and_order_independent(ds, tmp_path):
    ds.write_chunk(chunk(range(50)))
    ds.consolidate()
    tr, te = ds.split(0.2, seed=3)
    assert len(te) == 10 and len(tr) == 40 and not set(tr) & set(te)
    other = Dataset.create(tmp_path / "other", GRID, "circuit", {"x": 1}, F)
    other.write_chunk(chunk(range(49, -1, -1)))
    other.consolidate()
    keys_a = ds.to_xarray()["key"].values
    keys_b = other.to_xarray()["key"].values
    _, te_b = other.split(0.2, seed=3)
    assert set(keys_a[te]) == set(keys_b[te_b])


def test_merge_and_xarray(ds, tmp_path):
    ds.write_chunk(chunk([1, 2]))
    ds.consolidate()
    b = Dataset.create(tmp_path / "b", GRID, "circuit", {"x": 1}, F)
    b.write_chunk(chunk([2, 3]))
    b.consolidate()
    merged = Dataset.merge([ds.path, b.path], tmp_path / "m")
    assert len(merged) == 3
    x = merged.to_xarray()
    assert x["s"].dims == ("sample", "frequency", "out_port", "in_port")
    assert x["frequency"].attrs["units"] == "GHz" and json.loads(x.attrs["grid"])["name"]
    c = Dataset.create(tmp_path / "c", GRID, "openems", {"x": 1}, F)
    with pytest.raises(DatasetError, match="differs"):
        Dataset.merge([ds.path, c.path], tmp_path / "m2")


def test_content_hash_ignores_storage_order(ds, tmp_path):
    ds.write_chunk(chunk([1, 2, 3]))
    ds.consolidate()
    other = Dataset.create(tmp_path / "o", GRID, "circuit", {"x": 1}, F)
    other.write_chunk(chunk([3, 1, 2]))
    other.consolidate()
    assert ds.content_hash() == other.content_hash()


def test_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="not a dataset"):
        Dataset.open(tmp_path)


def test_committed_openems_test_set_loads_and_is_physical():
    """The reference openEMS data (issue 5): one call loads it; stored results are physical."""
    from rfdesign.datasets.store import load_reference

    ds = load_reference("openems_ka_pixel_4x5_standard_test")
    summary = ds.summary()
    assert summary["solver"] == "openems" and summary["settings"]["preset"] == "standard"
    assert summary["grid_key"] == GRID.key() and summary["samples"] >= 30
    assert summary["failed"] == 0 and summary["unique"] == summary["samples"]
    _, s = ds.arrays()
    assert s.shape == (summary["samples"], 51, 2, 2) and np.isfinite(s).all()
    power = np.abs(s[:, :, 0, 0]) ** 2 + np.abs(s[:, :, 1, 0]) ** 2
    assert power.max() <= 1.02  # passive within the FDTD's accuracy
    np.testing.assert_allclose(s[:, :, 0, 1], s[:, :, 1, 0])  # symmetric layouts: S12 = S21
    infos = ds.infos()
    assert all(i["solver_version"].startswith("openEMS") and i["timesteps"] > 0 for i in infos)


def test_unknown_reference_dataset_names_the_known_ones():
    from rfdesign.datasets.store import load_reference

    with pytest.raises(DatasetError, match="openems_ka_pixel_4x5_standard_test"):
        load_reference("nope")


def test_committed_openems_training_set_is_complete_and_disjoint_from_the_test_set():
    """300 standard-preset training layouts (issue 5), none of them in the test set."""
    from rfdesign.datasets.store import load_reference

    train = load_reference("openems_ka_pixel_4x5_standard_train")
    test = load_reference("openems_ka_pixel_4x5_standard_test")
    s_train, s_test = train.summary(), test.summary()
    assert s_train["samples"] >= 300 and s_train["failed"] == 0
    assert s_train["settings"] == s_test["settings"] and s_train["grid_key"] == s_test["grid_key"]
    assert not train.keys() & test.keys()
    _, s = train.arrays()
    assert np.isfinite(s).all()
    assert (np.abs(s[:, :, 0, 0]) ** 2 + np.abs(s[:, :, 1, 0]) ** 2).max() <= 1.02
