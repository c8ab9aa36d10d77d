"""A comb's design curve and one tuning step on openEMS (draft mesh, channel housing).

Slow (real openEMS runs, about a minute each) and in CI. The reference for the coupling is
the coupled-line theory of two parallel half-wave strips (Kirschning-Jansen even- and
odd-mode permittivities; :func:`rfdesign.solvers.canonical.mode_resonances`); the tuning step
starts from a comb detuned on purpose and must find its way back in one correction.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from rfdesign.design.comb import best_shift
from rfdesign.evaluation import evaluate_network, spec_masks
from rfdesign.layouts.comb import strip_pair
from rfdesign.layouts.substrate import Substrate
from rfdesign.optimizers.comb_design import CombCurves, CombTargets, CurveSetup, comb_from_curves
from rfdesign.optimizers.comb_tuning import corrected, diagnose, retarget
from rfdesign.optimizers.design_curves import DesignCurve, coupling_of
from rfdesign.solvers.base import ResultCache
from rfdesign.solvers.canonical import mode_resonances
from rfdesign.solvers.openems import OpenEMSSettings, OpenEMSSolver
from rfdesign.solvers.resonators import coupling_coefficient
from rfdesign.spec import FilterSpec

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parent / "data" / "comb_curves_draft.json"
SUB = Substrate(eps_r=9.8, height_mm=0.127, tan_delta=1e-4)
FW = 0.1204  # 50 ohm


@pytest.fixture(scope="module")
def solver(tmp_path_factory):
    settings = OpenEMSSettings(
        preset="draft", threads=1, side_boundary="PEC", side_margin_mm=0.6, air_height_mm=1.0
    )
    return OpenEMSSolver(settings, cache=ResultCache(tmp_path_factory.mktemp("cache")))


def test_coupling_of_two_strips_follows_coupled_line_theory(tmp_path):
    # one point of the k-vs-gap curve: 0.254 mm strips 1.19 mm long, 0.2 mm apart. The two
    # weakly fed strips ring long: stopping at -30 dB of energy instead of -40 dB halves the
    # run and moves k by well under the tolerance (measured -1.3 % from theory)
    settings = OpenEMSSettings(
        preset="draft",
        threads=1,
        side_boundary="PEC",
        side_margin_mm=0.6,
        air_height_mm=1.0,
        end_criteria_db=-30.0,
    )
    solver = OpenEMSSolver(settings, cache=ResultCache(tmp_path))
    f = np.linspace(34.4, 49.6, 145)
    k, f_low, f_high = coupling_of(solver.simulate(strip_pair(SUB, FW, 1.19, 0.254, 0.2, 0.05), f))
    f_even, f_odd = mode_resonances(SUB, 0.254, 1.19, 0.2)
    # tolerance: the canonical check's 15 % (docs/solvers.md) less what a narrow gap adds; at
    # gaps beyond 3 h the housing's lid and walls take over (0.5 mm: -32 %) and the
    # open-microstrip theory no longer applies, so the curve is measured, not computed
    assert k == pytest.approx(coupling_coefficient(f_even, f_odd), rel=0.12)
    # the pair's mean resonance: the lone strip's, within the mode theory's 2 %
    assert (f_low + f_high) / 2 == pytest.approx((f_even + f_odd) / 2, rel=0.02)


def three_pole_spec() -> FilterSpec:
    return FilterSpec.model_validate(
        {
            "name": "comb3",
            "sweep": {"start_ghz": 34, "stop_ghz": 48, "points": 57},
            "bands": [
                {
                    "name": "stop_low",
                    "kind": "stop",
                    "f_min_ghz": 34,
                    "f_max_ghz": 37.5,
                    "s21_max_db": -20,
                },
                {
                    "name": "pass",
                    "kind": "pass",
                    "f_min_ghz": 40.5,
                    "f_max_ghz": 43.5,
                    "s21_min_db": -1,
                    "s11_max_db": -10,
                },
                {
                    "name": "stop_high",
                    "kind": "stop",
                    "f_min_ghz": 47,
                    "f_max_ghz": 48,
                    "s21_max_db": -20,
                },
            ],
            "substrate": {"eps_r": 9.8, "tan_delta": 1e-4, "height_mm": 0.127},
            "solver": {
                "preset": "draft",
                "housing": "channel",
                "wall_gap_mm": 0.6,
                "lid_height_mm": 1.0,
            },
        }
    )


def test_one_tuning_step_brings_a_detuned_comb_back(solver):
    spec = three_pole_spec()
    from rfdesign.optimizers.synthesis import synthesize

    matrix = synthesize(spec_masks(spec), qu=1000.0, margin_db=0.5, max_zeros=0).matrix
    targets = CombTargets.from_matrix(matrix)
    assert targets.n == 3
    rec = json.loads(DATA.read_text())  # the draft curves measured by measure_comb_curves
    curves = CombCurves(
        CurveSetup(SUB, FW),
        *(DesignCurve.from_dict(rec[k]) for k in ("f0_ghz", "k", "qe", "tap_f0_ghz")),
        rec["pair_length_mm"],
        rec["tap_length_mm"],
    )
    good = comb_from_curves(targets, curves, extrapolate=True)
    # every strip 2 % long: the band about 2 % low, the lower stop band violated
    detuned = type(good)(
        good.n,
        tuple(x * 1.02 for x in good.lengths_mm),
        good.widths_mm,
        good.gaps_mm,
        good.tap_mm,
        good.inset_mm,
    )
    f = spec.frequencies_ghz()
    before = solver.simulate(detuned.layout(SUB, FW), f)
    m0 = evaluate_network(spec, before).worst_margin_db
    diag = diagnose(before, matrix)
    assert diag.converged
    # the extraction reads the detuning: every resonator low. Measured -1.52 % and -0.98 %
    # against the targets; the undetuned comb reads +0.34 % and +0.78 % (what the draft
    # curves miss), so the 2 % longer strips moved the resonances by -1.86 % and -1.74 %
    assert all(-2.5 < e < -0.5 for e in diag.errors_percent(targets)["f_res"])
    new_matrix, model = retarget(diag.matrix, [matrix], spec_masks(spec), np.linspace(34, 48, 281))
    new_targets = CombTargets.from_matrix(new_matrix, parasitic=True)
    after = solver.simulate(corrected(detuned, diag, new_targets, curves).layout(SUB, FW), f)
    m1 = evaluate_network(spec, after).worst_margin_db
    assert m1 > m0 + 3.0 and m1 > -1.0, (m0, m1, model)
    # and the band now sits where the masks want it, within 0.5 %
    assert abs(best_shift(spec, after)[0]) <= 0.005
