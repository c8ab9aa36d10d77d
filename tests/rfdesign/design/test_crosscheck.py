"""A second engine's verdict: the engine spread and the range of the worst margin it gives.

The networks are the synthesised response of the band-pass spec (a coupling matrix) and the
same response moved in frequency by a known amount, as a second engine that puts every
resonance that much higher would give. The synthesis meets the masks by +0.57 dB with skirts
of about 40 dB/GHz at every band edge (tests/rfdesign/design/test_verify.py), so a move of
0.03 % already uses the margin up and 0.1 % fails.
"""

from pathlib import Path

import numpy as np
import pytest

from rfdesign.design import DesignResult, design_filter
from rfdesign.design.crosscheck import CrossCheck, engine_spread, judge
from rfdesign.evaluation import evaluate_network, spec_masks
from rfdesign.optimizers.synthesis import synthesize
from rfdesign.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SPEC = load_spec(EXAMPLES / "ka_bandpass_channel.yaml")
F = np.linspace(34.0, 46.0, 481)


@pytest.fixture(scope="module")
def matrix():
    return synthesize(spec_masks(SPEC), qu=2000.0, margin_db=0.5).matrix


def moved(matrix, relative, solver="openems", mesh_error=None):
    """The synthesised response with every frequency moved up by ``relative``."""
    net = matrix.response(F)
    net.s = matrix.response(F / (1 + relative)).s
    info = {"solver": solver, "settings": {"preset": "fine"}}
    if mesh_error is not None:
        info["mesh_error"] = {
            "preset": "fine",
            "coarser": "draft",
            "ratio": 2.0,
            "order": 1.0,
            "relative": mesh_error,
            "max_delta_db": 3.0,
        }
    net.rfdesign_info = info
    return net


@pytest.mark.parametrize("shift", [-0.005, 0.002, 0.005])
def test_engine_spread_reads_a_known_frequency_shift(matrix, shift):
    spread = engine_spread(moved(matrix, 0.0), moved(matrix, shift))
    # every pole, null and skirt of the response moves by the same factor
    assert len(spread.pairs) >= 6
    for _, a, b in spread.pairs:
        assert b / a - 1 == pytest.approx(shift, rel=0.05)
    assert spread.relative == pytest.approx(abs(shift), rel=0.05)
    assert spread.max_delta_db > 3.0  # the skirts are steep: |S| differs by many dB


def test_one_response_on_both_engines_meets_with_margin(matrix):
    cc = judge(SPEC, moved(matrix, 0.0), moved(matrix, 0.0, "palace"), "palace", "palace (x)")
    m = evaluate_network(SPEC, moved(matrix, 0.0)).worst_margin_db
    assert cc.agree and cc.flags == [] and cc.spread.relative == pytest.approx(0.0, abs=1e-9)
    assert cc.worst_margin_range_db == pytest.approx((m, m))
    assert cc.verdict == "meets the spec with margin on both engines"


def test_a_spread_that_uses_up_the_margin_is_flagged(matrix):
    # 0.03 % higher still passes (+0.01 dB), but the reference moved 0.03 % lower fails
    cc = judge(SPEC, moved(matrix, 0.0), moved(matrix, 3e-4, "palace"), "palace", "palace (x)")
    low, high = cc.worst_margin_range_db
    assert cc.agree and cc.report.passed and low < 0 < high
    assert cc.flags == ["within-engine-spread"]
    assert "not beyond the engine spread" in cc.verdict


def test_engines_that_disagree_are_flagged_and_named(matrix):
    cc = judge(SPEC, moved(matrix, 0.0), moved(matrix, 1e-3, "palace"), "palace", "palace (x)")
    assert not cc.agree and not cc.report.passed and cc.reference_passed
    assert cc.flags == ["engines-disagree"]
    assert "DISAGREE" in cc.verdict and "palace (x) does not" in cc.verdict
    assert cc.worst_margin_range_db[0] == pytest.approx(cc.report.worst_margin_db, abs=0.05)


def test_the_second_runs_mesh_error_widens_the_range(matrix):
    plain = judge(SPEC, moved(matrix, 0.0), moved(matrix, 1e-4), "palace", "palace (x)")
    wide = judge(
        SPEC, moved(matrix, 0.0), moved(matrix, 1e-4, mesh_error=5e-4), "palace", "palace (x)"
    )
    assert wide.worst_margin_range_db[0] < plain.worst_margin_range_db[0] - 0.5
    assert "within-engine-spread" in wide.flags


def test_a_crosscheck_is_saved_reported_and_loaded_back(tmp_path):
    spec = load_spec(EXAMPLES / "ka_bandpass.yaml")
    spec = spec.model_copy(
        update={"search": spec.search.model_copy(update={"algorithm": "random", "top_k": 2})}
    )
    res = design_filter(spec, surrogate="circuit", verify="circuit", seed=4)
    other = res.verified.copy()  # a second "engine": the response two points higher
    other.s = res.verified.s[np.clip(np.arange(len(other.f)) - 2, 0, None)]
    other.rfdesign_info = {"solver": "palace", "settings": {"preset": "draft"}}
    cc = judge(spec, res.verified, other, "palace", "palace (draft)")
    with_cc = res.with_crosscheck(cc)
    assert with_cc.with_crosscheck(cc).crosschecks == (cc,)  # the same engine+preset replaces
    with_cc.save(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "## Second engine: palace (draft)" in text and cc.verdict in text
    assert (tmp_path / "design_palace_draft.s2p").exists()
    back = DesignResult.load(tmp_path)
    (got,) = back.crosschecks
    assert isinstance(got, CrossCheck) and got.to_dict() == cc.to_dict()
    np.testing.assert_allclose(got.network.s, other.s, rtol=1e-9, atol=1e-12)
    assert back.flags == with_cc.flags and back.summary()["crosschecks"] == [cc.to_dict()]
    for flag in cc.flags:
        assert flag in with_cc.summary()["flags"] and not with_cc.summary()["certified"]


def test_a_crosscheck_needs_another_engine_and_a_verified_design():
    with pytest.raises(ValueError, match="crosscheck: circuit verifies already"):
        design_filter(SPEC, verify="circuit", crosscheck="circuit")
    with pytest.raises(ValueError, match="crosscheck: needs a verified design"):
        design_filter(SPEC, verify="none", crosscheck="palace")
    with pytest.raises(ValueError, match="crosscheck: 'ansys' is not one of"):
        design_filter(SPEC, crosscheck="ansys")
    # meep has no channel housing: refused before any search
    with pytest.raises(ValueError, match=r"meep cannot model solver\.housing 'channel'"):
        design_filter(SPEC, verify="circuit", crosscheck="meep")
