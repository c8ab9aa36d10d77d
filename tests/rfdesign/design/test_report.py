"""Reports say what was checked: flags, solver and mesh of each number, honest run counts."""

import json
from pathlib import Path

import numpy as np
import pytest

from rfdesign.design import design_filter
from rfdesign.design.verify import max_power_gain, run_record
from rfdesign.solvers.base import SOLVERS, make_network, register_solver
from rfdesign.solvers.circuit import CircuitSolver
from rfdesign.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

if "circuit-gain" not in SOLVERS.names():

    @register_solver("circuit-gain")
    class GainCircuit(CircuitSolver):
        """The circuit model with 2 % too much |S21|: what a truncated FDTD run looks like."""

        def _simulate(self, layout, f_ghz):
            s, info = super()._simulate(layout, f_ghz)
            s = s.copy()
            s[:, 1, 0] *= 1.02
            s[:, 0, 1] *= 1.02
            return s, info


def spec_with(**search):
    spec = load_spec(EXAMPLES / "ka_bandpass.yaml")
    return spec.model_copy(update={"search": spec.search.model_copy(update=search)})


def test_max_power_gain_of_a_lossless_and_a_gaining_network():
    theta = np.linspace(0, np.pi, 5)
    s = np.zeros((5, 2, 2), complex)
    # a symmetric lossless two-port: S11 = rho e^(j theta), S21 = j sqrt(1 - rho^2) e^(j theta)
    s[:, 0, 0] = s[:, 1, 1] = 0.6 * np.exp(1j * theta)
    s[:, 0, 1] = s[:, 1, 0] = 0.8j * np.exp(1j * theta)
    assert max_power_gain(s) == pytest.approx(1.0, abs=1e-12)
    net = make_network(np.linspace(40, 44, 5), s * 1.01)
    rec = run_record(net)
    assert rec["max_power_gain"] == pytest.approx(1.0201) and rec["flags"] == ["non-passive"]
    assert not rec["passive"] and not net.is_passive()  # scikit-rf agrees


def test_a_non_passive_verification_is_flagged_everywhere(tmp_path):
    res = design_filter(
        spec_with(top_k=1), verify="circuit-gain", out=tmp_path, cache_dir=tmp_path / "c"
    )
    assert res.flags == ["non-passive"]
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["flags"] == ["non-passive"] and rep["certified"] is False
    assert rep["verified_run"]["solver"] == "circuit-gain"
    md = (tmp_path / "report.md").read_text()
    assert "non-passive" in md and "not certified" in md
    header = (tmp_path / "design.s2p").read_text().split("#")[0]
    assert "flags: non-passive" in header and res.layout.bit_string in header
    assert res.spec.content_hash() in header


def test_reports_count_only_this_runs_solver_runs(tmp_path):
    res = design_filter(
        spec_with(top_k=2), verify="circuit", out=tmp_path, cache_dir=tmp_path / "c"
    )
    md = (tmp_path / "report.md").read_text()
    # circuit runs are not full-wave, and the CNN's training runs were spent earlier
    assert "circuit coarse-model (not full-wave) runs by this design" in md
    assert "trained earlier on 300 openems (standard) runs" in md
    assert res.provenance["fullwave_runs"] == 0
    assert "the paper simulated all 32,768" in md  # the 15-bit grid is the paper's space
    again = design_filter(spec_with(top_k=2), verify="circuit", cache_dir=tmp_path / "c")
    runs = again.provenance["solver_runs"]
    assert runs["verification"] == 0 and runs["verification_cached"] == 2
    assert "0 to verify (+2 read from the cache)" in again.to_markdown()


def test_sensitivity_plot_separates_fixed_from_not_computed(tmp_path):
    from rfdesign.design.result import plot_sensitivity

    free = np.ones((2, 3), bool)
    free[0, 0] = False
    sens = np.full((2, 3), np.nan)
    plot_sensitivity(sens, np.zeros((2, 3), bool), tmp_path / "s.png", free=free)
    assert (tmp_path / "s.png").stat().st_size > 1000
