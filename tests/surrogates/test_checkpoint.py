"""Checkpoints round-trip exactly and refuse what they were not made for."""

import numpy as np
import pytest
import yaml

from rfdesign.layouts import get_grid
from rfdesign.surrogates.base import get_surrogate_class, load_surrogate, surrogate_kinds
from rfdesign.surrogates.checkpoint import CheckpointError
from rfdesign.surrogates.ensemble import CNNSurrogate
from rfdesign.surrogates.training import TrainConfig

F_GHZ = np.linspace(34, 46, 51)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, circuit_data):
    grid, bits, s = circuit_data
    sur = CNNSurrogate(grid, F_GHZ, train_config=TrainConfig(max_epochs=2), n_members=2)
    sur.fit(bits[:100], s[:100], provenance={"dataset_hash": "abc"})
    path = sur.save(tmp_path_factory.mktemp("ckpt") / "model", metrics={"mae_s21_db": 1.0})
    return sur, path, bits[100:150]


def copy(path, tmp_path):
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(path, dst)
    return dst


def test_round_trip_predicts_identically(saved):
    sur, path, bits = saved
    back = load_surrogate(path)
    assert isinstance(back, CNNSurrogate)
    np.testing.assert_array_equal(back.predict(bits), sur.predict(bits))
    meta = yaml.safe_load((path / "model.yaml").read_text())
    assert meta["training"]["provenance"]["dataset_hash"] == "abc"
    assert meta["metrics"]["mae_s21_db"] == 1.0
    assert meta["grid"]["name"] == "ka_pixel_4x5"


def test_wrong_model_version_is_refused(saved, tmp_path):
    path = copy(saved[1], tmp_path)
    meta = yaml.safe_load((path / "model.yaml").read_text())
    meta["model_version"] = 99
    (path / "model.yaml").write_text(yaml.safe_dump(meta))
    with pytest.raises(CheckpointError, match=r"'model_version' is 99.*retrain"):
        CNNSurrogate.load(path)


def test_wrong_format_version_is_refused(saved, tmp_path):
    path = copy(saved[1], tmp_path)
    meta = yaml.safe_load((path / "model.yaml").read_text())
    meta["format_version"] = 0
    (path / "model.yaml").write_text(yaml.safe_dump(meta))
    with pytest.raises(
        CheckpointError, match="'format_version' is 0; this rfdesign reads format_version 1"
    ):
        load_surrogate(path)


def test_wrong_grid_is_refused(saved):
    with pytest.raises(
        CheckpointError, match=r"trained for grid 'ka_pixel_4x5'.*not for 'ka_pixel_8x8'"
    ):
        CNNSurrogate.load(saved[1], grid=get_grid("ka_pixel_8x8"))


@pytest.mark.parametrize("damage", ["truncate", "flip_byte"])
def test_corrupted_weights_are_refused(saved, tmp_path, damage):
    path = copy(saved[1], tmp_path)
    w = path / "weights.safetensors"
    data = bytearray(w.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[-100] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted or truncated weights"):
        CNNSurrogate.load(path)


def test_missing_and_foreign_folders(tmp_path, saved):
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_surrogate(tmp_path)
    path = copy(saved[1], tmp_path)
    meta = yaml.safe_load((path / "model.yaml").read_text())
    meta["kind"] = "gp"
    (path / "model.yaml").write_text(yaml.safe_dump(meta))
    with pytest.raises(CheckpointError, match="'kind' is 'gp', expected 'cnn'"):
        CNNSurrogate.load(path)


def test_registry_knows_the_kinds_and_suggests():
    assert {"cnn", "gp"} <= set(surrogate_kinds())
    with pytest.raises(KeyError, match="did you mean 'cnn'"):
        get_surrogate_class("cn")
