"""A comb's dimensions from its coupling matrix, and the tuning step's corrections.

The curves here are analytic stand-ins with the shapes openEMS measures (resonance inversely
proportional to the strip length, coupling and external Q exponential in gap and tap), so the
sizes that meet each target are known exactly; the full-wave curves are checked in
tests/optimizers/test_comb_fullwave.py.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from rfdesign.evaluation import spec_masks
from rfdesign.layouts.comb import Comb
from rfdesign.layouts.substrate import Substrate
from rfdesign.optimizers.comb_design import (
    CombCurves,
    CombTargets,
    CurveSetup,
    comb_from_curves,
    half_wave_length_mm,
    out_of_reach,
)
from rfdesign.optimizers.comb_tuning import Diagnosis, comb_pattern, corrected, diagnose, within
from rfdesign.optimizers.design_curves import DesignCurve
from rfdesign.optimizers.synthesis import CouplingMatrix, synthesize
from rfdesign.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SUB = Substrate(eps_r=9.8, height_mm=0.127, tan_delta=1e-4)
SPEC = load_spec(EXAMPLES / "ka_bandpass_channel.yaml")


def f0_of(length):  # GHz: the draft-mesh curve of a 0.254 mm strip, 1/f linear in length
    return 50.0 / length


def k_of(gap):
    return 0.2 * math.exp(-gap / 0.18)


def qe_of(tap):
    return 1.2 * math.exp(tap / 0.1)


def tap_f0_of(tap):
    return 41.0 + 4.0 * tap


@pytest.fixture(scope="module")
def matrix():
    return synthesize(spec_masks(SPEC), qu=1000.0, margin_db=0.5, max_zeros=0).matrix


@pytest.fixture(scope="module")
def curves():
    xs = {"f0": (1.1, 1.2, 1.3), "k": (0.15, 0.3, 0.45, 0.6), "qe": (0.2, 0.3, 0.4, 0.5)}
    return CombCurves(
        CurveSetup(SUB, 0.1204),
        DesignCurve("f0_ghz", "length_mm", xs["f0"], [f0_of(x) for x in xs["f0"]], "reciprocal"),
        DesignCurve("k", "gap_mm", xs["k"], [k_of(x) for x in xs["k"]], "log"),
        DesignCurve("qe", "tap_mm", xs["qe"], [qe_of(x) for x in xs["qe"]], "log"),
        DesignCurve("tap_f0_ghz", "tap_mm", (0.2, 0.5), (tap_f0_of(0.2), tap_f0_of(0.5))),
        1.2,
        1.2,
    )


def test_targets_of_the_band_pass_matrix(matrix):
    t = CombTargets.from_matrix(matrix)
    assert t.n == 5 and t.f0_ghz == pytest.approx(41.99, abs=0.01)
    # k = FBW M_i,i+1 and Qe = 1 / (FBW M_S1^2) (Hong and Lancaster 2001, eqs. 8.1-8.2)
    m = matrix.m
    assert t.k[0] == pytest.approx(t.fbw * m[1, 2]) and t.qe == pytest.approx(
        1 / (t.fbw * m[0, 1] ** 2)
    )
    assert t.half() == (t.f_res_ghz[:3], t.k[:2])


def test_a_matrix_with_cross_couplings_is_refused():
    syn = synthesize(spec_masks(SPEC), qu=1000.0, margin_db=0.5)  # 3 poles, 2 zeros
    with pytest.raises(ValueError, match="cross couplings"):
        CombTargets.from_matrix(syn.matrix)


def test_the_curves_read_backwards_give_the_comb(matrix, curves):
    t = CombTargets.from_matrix(matrix)
    comb = comb_from_curves(t, curves)
    tap = 0.1 * math.log(t.qe / 1.2)
    assert comb.tap_mm == pytest.approx(tap, abs=2e-3)
    assert comb.gaps_mm == pytest.approx([-0.18 * math.log(k / 0.2) for k in t.k[:2]], abs=2e-3)
    # inner strips at f0; the first strip lengthened by the tap's pull (tap_f0 - f0(1.2 mm))
    assert comb.lengths_mm[1] == pytest.approx(50.0 / t.f0_ghz, abs=2e-3)
    pull = tap_f0_of(tap) - f0_of(1.2)
    assert comb.lengths_mm[0] == pytest.approx(50.0 / (t.f0_ghz - pull), abs=2e-3)


def test_a_coupling_beyond_the_etching_limit_is_out_of_reach(matrix, curves):
    t = CombTargets.from_matrix(matrix)
    assert out_of_reach(t, curves, 0.025) == []
    # k = 0.2 exp(-gap / 0.18): a 20 % band's k = 0.25 needs gap = -0.04 mm; at 25 um the
    # curve gives 0.2 exp(-0.025 / 0.18) = 0.174
    wide = CombTargets(t.n, t.f0_ghz, 0.2, t.f_res_ghz, (0.25, 0.17, 0.17, 0.25), t.qe)
    (missed,) = out_of_reach(wide, curves, 0.025)
    assert "k12 = 0.250" in missed and "about 0.174 at the 25 um" in missed
    assert "-40 um" in missed
    # an external Q whose tap would lie off the 1.2 mm strip
    low_q = CombTargets(t.n, t.f0_ghz, t.fbw, t.f_res_ghz, t.k, 0.5)
    (missed,) = out_of_reach(low_q, curves, 0.025)
    assert missed.startswith("external Q 0.5 needs a tap at")


def test_a_half_wave_guess_lies_near_the_measured_strip():
    # openEMS draft, channel housing: a 0.254 mm strip of 1.1908 mm resonates at 41.99 GHz
    assert half_wave_length_mm(SUB, 0.254, 41.99) == pytest.approx(1.19, rel=0.05)


def test_a_correction_moves_each_size_along_its_curve(matrix, curves):
    t = CombTargets.from_matrix(matrix)
    comb = Comb(5, (1.2, 1.19, 1.19), (0.254,) * 3, (0.38, 0.48), 0.3)
    # resonators 1 % low, couplings 10 % strong, Qe 20 % low
    diag = Diagnosis(
        tuple(f * 0.99 for f in t.f_res_ghz[:3]),
        tuple(k * 1.1 for k in t.k[:2]),
        t.qe * 0.8,
        1000.0,
        0.02,
        True,
    )
    new = corrected(comb, diag, t, curves)
    # 1/f linear in length: 1 % low needs the strip 1 % shorter (less the tap's extra pull)
    assert new.lengths_mm[1] == pytest.approx(1.19 * 0.99, rel=2e-3)
    pull = tap_f0_of(new.tap_mm) - tap_f0_of(0.3)  # the new tap pulls strip 1 up
    want, have = t.f_res_ghz[0] - pull, t.f_res_ghz[0] * 0.99
    assert new.lengths_mm[0] == pytest.approx(1.2 + 50.0 * (1 / want - 1 / have), abs=1e-4)
    # log k linear in gap: 10 % strong needs the gap wider by 0.18 ln 1.1
    assert new.gaps_mm[0] - 0.38 == pytest.approx(0.18 * math.log(1.1), abs=1e-3)
    assert new.tap_mm - 0.3 == pytest.approx(0.1 * math.log(1 / 0.8), abs=1e-3)
    assert not within(diag.errors_percent(t))


def test_extraction_reads_a_comb_matrix_back(matrix):
    # the comb's own topology (second-neighbour couplings) with known errors
    m = np.array(matrix.m, float)
    n = matrix.order
    m[1, 1] = m[n, n] = -0.1  # end resonators 0.24 % high
    m[1, 3] = m[3, 1] = m[n - 2, n] = m[n, n - 2] = 0.12
    m[0, 1] = m[1, 0] = m[n, n + 1] = m[n + 1, n] = m[0, 1] * 1.05
    true = CouplingMatrix(m, matrix.fmap, 2000.0)
    net = true.response(np.linspace(38.0, 46.0, 201))
    d = diagnose(net, matrix)
    assert d.converged and d.rms_error < 1e-3
    assert d.f_res_ghz[0] == pytest.approx(true.resonant_frequencies_ghz()[0], abs=1e-3)
    assert d.qe == pytest.approx(true.external_q()[0], rel=1e-3)
    assert comb_pattern(n)[1, 3] and not comb_pattern(n)[1, 4]


@pytest.mark.slow
def test_retarget_wins_back_what_the_combs_own_couplings_cost(matrix):
    # the synthesised main line with a comb's second-neighbour couplings added (as extracted
    # from openEMS: M13 = M35 = 0.177, M24 = -0.084) loses its stop-band margin ...
    from rfdesign.optimizers.comb_tuning import retarget
    from rfdesign.optimizers.masks import MaskSet

    m = np.array(matrix.m, float)
    m[1, 3] = m[3, 1] = m[3, 5] = m[5, 3] = 0.177
    m[2, 4] = m[4, 2] = -0.084
    comb_like = CouplingMatrix(m, matrix.fmap, 12000.0)
    f = np.linspace(34.0, 46.0, 481)
    masks = spec_masks(SPEC)

    def worst(cm):
        s = cm.s_params(f)
        return MaskSet(masks, f).report(s[:, 0, 0], s[:, 1, 0]).worst_margin_db

    assert worst(comb_like) < -2.0
    # ... and re-optimising the main line and tunings with those couplings held wins it back
    new, promised = retarget(comb_like, [], masks, f)
    assert promised == pytest.approx(worst(new), abs=1e-9) and promised > 0.5
    assert new.m[1, 3] == 0.177 and new.m[2, 4] == -0.084  # held
    np.testing.assert_allclose(new.m, new.m[::-1, ::-1].T, atol=1e-12)  # mirror symmetric
    # with a reference and a cap, it stays near the reference where the margin allows
    near, _ = retarget(comb_like, [matrix], masks, f, reference=new, enough_db=promised - 0.1)
    assert np.abs(near.m - new.m).max() < 0.02


@pytest.mark.parametrize(
    ("name", "spec_name", "window"),
    [
        ("x_comb5_fine_openems", "x_bandpass_5pc", 6.0),
        ("k_comb5_fine_openems", "k_bandpass_2pc", 3.0),
    ],
)
def test_a_wide_sweeps_comb_is_read_on_a_window_around_its_band(name, spec_name, window):
    # openEMS fine-mesh responses of two 5-strip suite combs (sweeps 8 and 13 bandwidths
    # wide, stored with their provenance): the narrow-band matrix model cannot follow the
    # whole sweep, so the fit over all of it fails; diagnose fits a window and converges
    import skrf as rf

    from rfdesign.optimizers.synthesis.bound import chebyshev_matrix
    from rfdesign.optimizers.synthesis.extraction import extract
    from rfdesign.optimizers.synthesis.polynomials import ripple_from_return_loss

    spec = load_spec(EXAMPLES / "synthesis" / f"{spec_name}.yaml")
    syn = synthesize(spec_masks(spec), qu=1000.0, margin_db=0.5, max_zeros=0)
    ripple = ripple_from_return_loss(syn.chosen.return_loss_db)
    start = CouplingMatrix(chebyshev_matrix(5, ripple), syn.matrix.fmap, 1000.0)
    net = rf.Network(str(Path(__file__).parent / "data" / f"{name}.s2p"))
    whole = extract(None, net, start, pattern=comb_pattern(5), mirror=True, max_nfev=1000)
    assert not whole.converged
    d = diagnose(net, start)
    assert d.converged and d.rms_error < 0.05
    # the reading: the fitted matrix follows |S21| across the window within a few dB
    omega = np.abs(start.fmap.omega(net.f / 1e9))
    sel = omega <= window
    s21_fit = d.matrix.response(net.f[sel] / 1e9).s_db[:, 1, 0]
    s21 = net.s_db[sel, 1, 0]
    inside = s21 > -30.0
    assert np.median(np.abs(s21_fit - s21)[inside]) < 1.0
    # every resonance inside the band's neighbourhood, couplings of the synthesised size
    assert all(abs(start.fmap.omega(np.array([f]))[0]) < 2.0 for f in d.f_res_ghz)
    t = CombTargets.from_matrix(start)
    for k, kt in zip(d.k, t.k[:2], strict=True):
        assert 0.5 < k / kt < 1.5
