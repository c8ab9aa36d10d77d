"""A saved design result reads back as the same result."""

from pathlib import Path

import numpy as np
import pytest

from rfdesign.design import DesignResult, design_filter
from rfdesign.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_a_saved_result_loads_back_equal(tmp_path):
    spec = load_spec(EXAMPLES / "ka_bandpass.yaml")
    spec = spec.model_copy(
        update={"search": spec.search.model_copy(update={"algorithm": "random", "top_k": 2})}
    )
    # the circuit model searches (200 random layouts) and verifies: real solvers, seconds
    res = design_filter(spec, surrogate="circuit", verify="circuit", out=tmp_path, seed=4)
    back = DesignResult.load(tmp_path)
    assert back.spec == res.spec
    assert back.layout.key() == res.layout.key()
    assert back.verified_by == res.verified_by and back.candidates == res.candidates
    assert back.search == res.search and back.provenance["seed"] == 4
    assert back.report_verified == res.report_verified
    assert back.report_predicted == res.report_predicted
    np.testing.assert_allclose(back.verified.s, res.verified.s, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(back.predicted.s, res.predicted.s, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(back.sensitivity_corner, res.sensitivity_corner)
    np.testing.assert_allclose(back.sensitivity_db, res.sensitivity_db, equal_nan=True)
    assert back.to_markdown().split("## Runs")[0] == res.to_markdown().split("## Runs")[0]


def test_loading_a_folder_without_a_result_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"result\.json"):
        DesignResult.load(tmp_path)
