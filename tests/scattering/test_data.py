"""Inverse-scattering datasets: deterministic per sample, resumable, settings checked."""

import numpy as np
import pytest

from rfdesign.scattering import data as scatter_data
from rfdesign.scattering.data import ScatterDataSpec, generate, load, make_object
from rfdesign.scattering.mom2d import Grid2D


def test_a_killed_run_resumes_and_gives_the_same_samples(tmp_path, monkeypatch):
    spec = ScatterDataSpec("circles", scatter_data.CHUNK + 3, n=12, seed=5)
    full = generate(spec, tmp_path / "a")
    assert full["eps"].shape == (spec.count, 12, 12)
    assert full["e_scat"].shape == full["e_noisy"].shape == (spec.count, 16, 32)
    # noise at the stated level (5 % of the data RMS)
    rel = np.linalg.norm(full["e_noisy"] - full["e_scat"]) / np.linalg.norm(full["e_scat"])
    assert 0.04 < rel < 0.06
    # a run killed after the first chunk: the rerun computes only the missing one
    (tmp_path / "a" / "chunk_0001.npz").unlink()
    calls = []
    real_chunk = scatter_data._chunk
    monkeypatch.setattr(
        scatter_data, "_chunk", lambda s, a, b: calls.append((a, b)) or real_chunk(s, a, b)
    )
    again = generate(spec, tmp_path / "a")
    assert calls == [(scatter_data.CHUNK, spec.count)]
    for key in full:
        np.testing.assert_array_equal(again[key], full[key])
    np.testing.assert_array_equal(load(tmp_path / "a")["bp"], full["bp"])


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    generate(ScatterDataSpec("austria", 1, n=8), tmp_path)
    with pytest.raises(ValueError, match="other settings"):
        generate(ScatterDataSpec("austria", 1, n=8, noise=0.1), tmp_path)


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match="family"):
        ScatterDataSpec("cats", 3)
    with pytest.raises(ValueError, match="split"):
        ScatterDataSpec("digits", 3, split="val")
    with pytest.raises(ValueError, match="fields"):
        ScatterDataSpec("digits", 3, fields=True, data_factor=2)


def test_objects_are_the_same_on_the_data_grid_and_the_inversion_grid():
    # the data grid (2x finer) describes the same object: block means agree with the coarse map
    for family, split in (("circles", "test"), ("digits", "train"), ("digits", "test")):
        spec = ScatterDataSpec(family, 4, n=32, split=split, seed=3)
        coarse = make_object(spec, Grid2D(32, 1.0), 2)
        fine = make_object(spec, Grid2D(64, 1.0), 2)
        blocks = fine.reshape(32, 2, 32, 2).mean(axis=(1, 3))
        # area-weighted circles agree to sampling error; bilinear digits to interpolation error
        assert np.abs(blocks - coarse).max() < 0.05, family
        assert coarse.max() > 1.05


def test_training_and_test_digits_come_from_disjoint_images(monkeypatch):
    seen = {"train": set(), "test": set()}

    def record(grid, image, **kw):
        seen[split].add(image)
        return np.ones((grid.n, grid.n))

    monkeypatch.setattr(scatter_data.profiles, "digit", record)
    for split in ("train", "test"):
        spec = ScatterDataSpec("digits", 50, split=split)
        for i in range(50):
            make_object(spec, Grid2D(8, 1.0), i)
    assert seen["train"] and seen["test"] and not seen["train"] & seen["test"]
    assert max(seen["train"]) < 1500 <= min(seen["test"])
