"""The pixel antennas' CNN ensemble learns a mask -> curve map and fine-tunes on new data.

The map is synthetic on purpose (a notch whose frequency follows the metal in the first
rows and whose depth follows the fill): this tests the learning machinery, the physics of
pixel patches is tested on openEMS (tests/solvers/test_openems_antenna.py).
"""

import numpy as np
import pytest

from rfdesign.surrogates.antenna_cnn import FLOOR_DB, AntennaCNN, AntennaCNNConfig

F = 21


def curves(masks: np.ndarray, shift: float = 0.0) -> np.ndarray:
    m = masks.astype(float)
    centre = 4 + 3 * m[:, :3].mean(axis=(1, 2)) * 4 + shift
    depth = 5 + 25 * m.mean(axis=(1, 2))
    k = np.arange(F)[None, :]
    return -1 - depth[:, None] * np.exp(-(((k - centre[:, None]) / 2.0) ** 2))


def masks(n: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).random((n, 6, 3)) < 0.6
    return np.concatenate([m, m[:, :, ::-1]], axis=2)


CFG = AntennaCNNConfig(members=2, epochs=60, warm_epochs=60, batch=64)


def test_learns_held_out_curves_and_spreads_where_unsure():
    cnn = AntennaCNN((6, 6), F, CFG, seed=0)
    x, xt = masks(200, 0), masks(100, 1)
    rec = cnn.fit(x, curves(x))
    mean, std = cnn.predict(xt)
    truth = np.maximum(curves(xt), FLOOR_DB)
    mae = np.abs(mean - truth).mean()
    baseline = np.abs(truth.mean(axis=0) - truth).mean()  # predicting the average curve
    assert rec["samples"] == 200
    assert mae < 0.4 * baseline, (mae, baseline)
    assert (std > 0).all()
    assert cnn.predict_members(xt).shape == (2, 100, F)


def test_fine_tuning_moves_the_model_to_new_data():
    cnn = AntennaCNN((6, 6), F, CFG, seed=0)
    x, xn, xt = masks(200, 0), masks(40, 2), masks(100, 3)
    cnn.fit(x, curves(x))
    before = np.abs(cnn.predict(xt)[0] - curves(xt, 2.0)).mean()
    cnn.fit(xn, curves(xn, 2.0), warm=True)
    after = np.abs(cnn.predict(xt)[0] - curves(xt, 2.0)).mean()
    assert after < 0.6 * before, (before, after)


def test_same_seed_same_model_and_bad_shapes_are_named():
    x = masks(50, 0)
    a = AntennaCNN((6, 6), F, AntennaCNNConfig(members=2, epochs=5), seed=4)
    b = AntennaCNN((6, 6), F, AntennaCNNConfig(members=2, epochs=5), seed=4)
    a.fit(x, curves(x))
    b.fit(x, curves(x))
    assert np.array_equal(a.predict(x)[0], b.predict(x)[0])
    with pytest.raises(ValueError, match="masks"):
        a.predict(np.zeros((2, 5, 6)))
    with pytest.raises(ValueError, match="s11_db"):
        a.fit(x, curves(x)[:, :5])
    with pytest.raises(ValueError, match="warm"):
        AntennaCNN((6, 6), F, CFG).fit(x, curves(x), warm=True)
