"""The CNN shipped for ka_pixel_4x5 loads, fits its grid, and is as accurate as it claims
against the committed openEMS test layouts (a stored full-wave reference)."""

import numpy as np
import pytest

from rfdesign.datasets.store import load_reference
from rfdesign.layouts import get_grid
from rfdesign.surrogates.base import load_shipped, shipped_names
from rfdesign.surrogates.metrics import response_metrics


@pytest.fixture(scope="module")
def shipped():
    assert "ka_pixel_4x5" in shipped_names()
    return load_shipped("ka_pixel_4x5")


def test_shipped_model_is_for_the_paper_grid_and_sweep(shipped):
    assert shipped.grid.key() == get_grid("ka_pixel_4x5").key()
    np.testing.assert_allclose(shipped.f_ghz, np.linspace(34, 46, 51))
    assert shipped.n_members == 5
    prov = shipped.record["provenance"]
    assert prov["solver"] == "openems" and prov["samples"] == 300
    assert shipped.record["fine_tuned_from"]["solver"] == "circuit"


def test_shipped_model_reproduces_its_recorded_test_metrics(shipped):
    test = load_reference("openems_ka_pixel_4x5_standard_test")
    bits, s = test.arrays()
    m = response_metrics(shipped.predict(bits), s)
    recorded = shipped.metrics["test"]
    assert recorded["dataset_hash"] == test.content_hash()
    for key in ("mae_s21_db", "mae_s11_db", "median_mae_s21_db", "rmse_complex"):
        assert m[key] == pytest.approx(recorded[key], rel=1e-4), key
    # Against the stored full-wave reference: far better than the best constant guess
    # (the training set's mean response), which scores 11.6 / 4.6 dB here.
    _, train_s = load_reference("openems_ka_pixel_4x5_standard_train").arrays()
    base = response_metrics(np.broadcast_to(train_s.mean(0), s.shape), s)
    assert m["mae_s21_db"] < 0.7 * base["mae_s21_db"]
    assert m["mae_s11_db"] < 0.8 * base["mae_s11_db"]
