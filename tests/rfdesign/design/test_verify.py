"""Verdicts with the solver's mesh error: the worst margin's range and the flag it raises.

The network is the synthesised response of the band-pass spec (a coupling matrix, no solver
run); the mesh error is the one an openEMS run would store (``mesh_error``).
"""

from pathlib import Path

import numpy as np
import pytest

from rfdesign.design.verify import margin_uncertainty, run_record, shifted_margin
from rfdesign.evaluation import evaluate_network, spec_masks
from rfdesign.optimizers.synthesis import synthesize
from rfdesign.spec import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[3] / "examples" / "ka_bandpass_channel.yaml")


@pytest.fixture(scope="module")
def network():
    syn = synthesize(spec_masks(SPEC), qu=2000.0, margin_db=0.5)
    net = syn.matrix.response(np.linspace(34.0, 46.0, 481))
    net.rfdesign_info = {"solver": "openems", "settings": {"preset": "fine"}}
    return net


def with_error(net, relative):
    out = net.copy()
    est = {
        "preset": "fine",
        "coarser": "draft",
        "ratio": 2.0,
        "order": 1.0,
        "relative": relative,
        "max_delta_db": 3.0,
    }
    out.rfdesign_info = net.rfdesign_info | {"mesh_error": est}
    return out


def test_moving_the_response_changes_the_margin_as_the_skirts_demand(network):
    m = evaluate_network(SPEC, network).worst_margin_db
    assert m > 0.3  # the synthesis meets the masks with its margin
    assert shifted_margin(SPEC, network, 0.0) == pytest.approx(m, abs=1e-9)
    # a 1 % move puts a 1-GHz transition's skirt 0.42 GHz off: the verdict flips
    assert shifted_margin(SPEC, network, 0.01) < 0 and shifted_margin(SPEC, network, -0.01) < 0


def test_small_mesh_error_keeps_the_verdict_certified(network):
    # the synthesis is equiripple to its margin at every band edge (+0.57 dB, skirts of about
    # 40 dB/GHz): already a 0.05 % move costs 0.8 dB, so only 0.01 % keeps it
    rec = run_record(with_error(network, 0.0001), SPEC)
    unc = rec["uncertainty"]
    low, high = unc["worst_margin_range_db"]
    m = evaluate_network(SPEC, network).worst_margin_db
    assert 0 < low <= m <= high and unc["uncertainty_db"] == pytest.approx(max(m - low, high - m))
    assert "within-mesh-error" not in rec["flags"] and "Richardson" in unc["basis"]


def test_large_mesh_error_flags_the_verdict(network):
    rec = run_record(with_error(network, 0.01), SPEC)
    assert rec["uncertainty"]["worst_margin_range_db"][0] < 0
    assert "within-mesh-error" in rec["flags"]


def test_no_resonance_matched_falls_back_to_the_level_difference(network):
    rec = run_record(with_error(network, None), SPEC)
    # 3 dB between the meshes, ratio 2, order 1: 3 dB either side
    assert rec["uncertainty"]["uncertainty_db"] == pytest.approx(3.0)
    assert "no resonance matched" in rec["uncertainty"]["basis"]


def test_no_estimate_no_uncertainty(network):
    assert margin_uncertainty(SPEC, network) is None
    assert run_record(network, SPEC)["uncertainty"] is None
