"""Vectorised masks agree with the per-network evaluator (the hand-checked reference)."""

import numpy as np
import pytest

from rfdesign.evaluation import evaluate_response, spec_mask_set
from rfdesign.spec import load_spec

EXAMPLES = ["ka_bandpass.yaml", "ka_highpass.yaml", "ka_dualband.yaml"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_margins_and_k_equal_the_reference_evaluator(name):
    from pathlib import Path

    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / name)
    rng = np.random.default_rng(7)
    f = spec.frequencies_ghz()
    ms = spec_mask_set(spec, f)
    n = 200
    # random smooth responses in dB, some exactly zero-magnitude points, some passing
    s11_db = np.cumsum(rng.normal(0, 2, (n, f.size)), axis=1) - 15
    s21_db = np.minimum(np.cumsum(rng.normal(0, 2, (n, f.size)), axis=1) - 20, 0)
    margins = ms.margins(s11_db, s21_db)
    k = ms.objective(margins)
    il = ms.insertion_loss_margin(margins)
    for i in range(n):
        rep = evaluate_response(spec, f, 10 ** (s11_db[i] / 20), 10 ** (s21_db[i] / 20))
        np.testing.assert_allclose(margins[i], [c.margin_db for c in rep.checks], atol=1e-9)
        assert k[i] == pytest.approx(rep.K, abs=1e-9)
        assert ms.k_floor == pytest.approx(rep.K_floor)
        ref_il = [c.margin_db for c in rep.checks if c.kind == "pass" and c.quantity == "s21"]
        assert il[i] == pytest.approx(min(ref_il) if ref_il else np.inf)
        bm = ms.band_margins(margins)
        for band, value in rep.band_margins_db.items():
            assert bm[band][i] == pytest.approx(value, abs=1e-9)


def test_bad_shapes_are_named():
    spec = load_spec(
        __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / EXAMPLES[0]
    )
    ms = spec_mask_set(spec)
    with pytest.raises(ValueError, match="s11_db, s21_db"):
        ms.margins(np.zeros((2, 10)), np.zeros((2, 10)))
