"""Coupling-matrix extraction: known filters seen through feed lines come back as they were.

Each "measured" filter is a coupling matrix with known detunings, Qu and feed lines, its
S-parameters computed by ``CouplingMatrix.s_params`` and the feed lines applied here from their
definition (a phase ``phi_p(f) = phi_p0 + 2 pi f tau_p`` at each port: ``S11 exp(-2j phi1)``,
``S21 exp(-j (phi1 + phi2))``, ``S22 exp(-2j phi2)``). The fit starts from the undetuned
synthesised matrix. Ka band: f0 = 42 GHz, 2 GHz bandwidth, 201 points over f0 (1 +- 3 FBW).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from rfdesign.optimizers.synthesis.extraction import ExtractionResult, extract
from rfdesign.optimizers.synthesis.mapping import FrequencyMap
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
from rfdesign.optimizers.synthesis.polynomials import FilteringFunction
from rfdesign.optimizers.synthesis.reduction import fold
from rfdesign.optimizers.synthesis.transversal import transversal_matrix

F0, FBW = 42.0, 2.0 / 42.0
FMAP = FrequencyMap("bandpass", F0, FBW)
F = np.linspace(F0 * (1 - 3 * FBW), F0 * (1 + 3 * FBW), 201)
PHASE, DELAY_NS = (0.7, -1.2), (0.012, 0.020)  # rad at f = 0; 12 ps and 20 ps
QU = 300.0


def _target(name: str) -> np.ndarray:
    if name == "6-pole, 2 zeros (folded)":
        return fold(transversal_matrix(FilteringFunction.chebyshev(6, 22, (-1.6, 1.45))))
    return fold(transversal_matrix(FilteringFunction.chebyshev(4, 20)))  # all-pole: inline


TARGETS = ["6-pole, 2 zeros (folded)", "4-pole inline"]


def _feed(s: np.ndarray, phase=PHASE, delay_ns=DELAY_NS) -> np.ndarray:
    ph1 = phase[0] + 2 * np.pi * F * delay_ns[0]
    ph2 = phase[1] + 2 * np.pi * F * delay_ns[1]
    out = s.copy()
    out[:, 0, 0] *= np.exp(-2j * ph1)
    out[:, 1, 1] *= np.exp(-2j * ph2)
    out[:, 0, 1] *= np.exp(-1j * (ph1 + ph2))
    out[:, 1, 0] *= np.exp(-1j * (ph1 + ph2))
    return out


def _detuned(m: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each coupling times ``1 + 0.01 N(0, 1)``; each resonance moved by up to +-1 % (uniform)."""
    out = m.copy()
    n = len(m) - 2
    iu, ju = np.nonzero(np.triu(m != 0, 1))
    out[iu, ju] *= 1 + 0.01 * rng.standard_normal(iu.size)
    out[ju, iu] = out[iu, ju]
    k = np.arange(1, n + 1)
    f_res = FMAP.frequency(-np.diag(m)[1:-1]) * (1 + 0.01 * rng.uniform(-1, 1, n))
    out[k, k] = -FMAP.omega(f_res)
    return out


def _same_feed(res: ExtractionResult, tol_rad: float, tol_ps: float) -> None:
    """Phases agree modulo the simultaneous pi shift of both ports (an identical feed)."""
    d = np.subtract(res.phase_rad, PHASE)
    d = np.angle(np.exp(1j * (d - np.pi * np.round(d[0] / np.pi))))
    assert np.abs(d).max() < tol_rad
    np.testing.assert_allclose(res.delay_ps, np.multiply(DELAY_NS, 1e3), atol=tol_ps)


@pytest.mark.parametrize("name", TARGETS)
def test_noise_free_round_trip_recovers_matrix_detuning_qu_and_feeds(name):
    m0 = _target(name)
    true = CouplingMatrix(_detuned(m0, np.random.default_rng(7)), FMAP, QU)
    res = extract(F, _feed(true.s_params(F)), CouplingMatrix(m0, FMAP))
    assert res.converged, res.message
    # Measured (20 seeds, both filters): every entry within 5e-15, Qu within 1e-15 relative.
    # The issue asks for 1e-3; these bounds are tighter and still leave 1e8 of headroom.
    assert np.abs(res.matrix.m - true.m).max() < 1e-6
    assert np.abs(res.detuning_percent() - true.detuning_percent()).max() < 1e-6  # % points
    assert abs(res.matrix.qu / QU - 1) < 1e-6
    _same_feed(res, tol_rad=1e-6, tol_ps=1e-4)
    assert res.rms_error < 1e-9 and res.message == ""
    # the undetuned start is really off: the round trip is not trivial
    assert np.abs(res.start.m - true.m).max() > 0.05


@pytest.mark.parametrize("flip", [False, True], ids=["S21 as designed", "S21 sign flipped"])
def test_any_feed_phase_and_either_s21_sign_are_recovered(flip):
    """Random feed phases in (-pi, pi) and delays in (-100, 300) ps, as an ``skrf.Network``.

    ``phi_p0`` is only known modulo pi from ``S_pp``; the wrong half-turn flips S21. Without
    the S21-sign choice of the start values, 4 of these 12 fits (both cases, seeds 0-5) ended
    in a false minimum (rms error > tolerance).
    """
    m0 = _target("6-pole, 2 zeros (folded)")
    for seed in range(6):
        rng = np.random.default_rng(seed)
        m_true = _detuned(m0, rng)
        if flip:  # another sign convention for the input coupling: S21 changes sign
            m_true[0, 1] = m_true[1, 0] = -m_true[0, 1]
        true = CouplingMatrix(m_true, FMAP, QU)
        phase, delay_ns = rng.uniform(-np.pi, np.pi, 2), rng.uniform(-0.1, 0.3, 2)
        net = true.response(F)
        net.s = _feed(true.s_params(F), phase=phase, delay_ns=delay_ns)
        res = extract(None, net, CouplingMatrix(m0, FMAP))
        assert res.converged, (seed, res.message)
        # the sign of M_S1 stays the start's; the response (so every |M|) is the measured one
        assert np.abs(np.abs(res.matrix.m) - np.abs(true.m)).max() < 1e-6
        np.testing.assert_allclose(res.delay_ps, 1e3 * delay_ns, atol=1e-4)
    json.dumps(res.to_dict())  # JSON-ready


@pytest.mark.parametrize("kind", ["bandpass", "lowpass", "highpass", "bandstop"])
@pytest.mark.parametrize("qu", [np.inf, 200.0, (100.0, 200.0, 300.0, 400.0, 500.0), None])
def test_fit_model_matches_the_matrix_response_and_its_jacobian_finite_differences(kind, qu):
    """The fit's fast model against ``CouplingMatrix.s_params`` (dense solves) and central
    differences. 5-pole all-pole: a zero eigenvalue, so f0 on the grid takes the dense path.
    ``qu=None``: Qu is a fit parameter (``p = 1/Qu = 0.004``)."""
    from rfdesign.optimizers.synthesis.feed_model import FeedModel

    m = fold(transversal_matrix(FilteringFunction.chebyshev(5, 20)))
    fmap = FrequencyMap(kind, 10.0, 0.1 if kind in ("bandpass", "bandstop") else 1.0)
    f = np.linspace(8.0, 12.0, 41)  # f[20] = f0
    rows, cols = np.nonzero(np.triu(m != 0))
    model = FeedModel(f, CouplingMatrix(m, fmap), rows, cols, qu)
    x = np.r_[m[rows, cols], 0.0, 0.0, 0.0, 0.0, 0.004]
    ref = CouplingMatrix(m, fmap, 250.0 if qu is None else qu).s_params(f)
    ok = np.isfinite(ref).all((1, 2))  # band-stop: s_params is NaN at f0 (Omega = inf)
    assert ok.sum() >= 40 and np.isfinite(model.s(x)).all()
    np.testing.assert_allclose(model.s(x)[ok], ref[ok][:, [0, 1, 1], [0, 0, 1]], atol=1e-12)
    x = x + 0.01 * np.random.default_rng(1).standard_normal(x.size)
    x[-1] = 0.004
    jac = model.jac(x).copy()
    h = 1e-6
    num = np.stack([(model.s(x + h * e) - model.s(x - h * e)) / (2 * h) for e in np.eye(x.size)], 2)
    if qu is not None:
        num[:, :, -1] = 0.0  # Qu held: no dependence on p
    assert np.abs(jac - num).max() < 1e-6 * np.abs(jac).max()


@pytest.mark.parametrize("name", TARGETS)
def test_noisy_data_within_stated_tolerances(name):
    """0.05 dB rms magnitude noise and the matching 0.0058 rad rms phase noise on every S."""
    m0 = _target(name)
    sigma_db = 0.05
    sigma_rad = np.log(10) / 20 * sigma_db
    for seed in (11, 12, 13):
        rng = np.random.default_rng(seed)
        true = CouplingMatrix(_detuned(m0, rng), FMAP, QU)
        s = _feed(true.s_params(F))
        s = s * 10 ** (sigma_db * rng.standard_normal(s.shape) / 20)
        s = s * np.exp(1j * sigma_rad * rng.standard_normal(s.shape))
        res = extract(F, s, CouplingMatrix(m0, FMAP))
        assert res.converged, res.message
        # Measured over 20 seeds (6-pole / 4-pole): max |M_fit - M_true| 0.0019 / 0.0013,
        # |Qu_fit/Qu - 1| 0.28 % / 0.49 %, detuning 0.0044 / 0.0032 % points, delays 0.03 ps,
        # rms error 0.8 % of the data's rms |S|. Tolerances: about 4x headroom.
        assert np.abs(res.matrix.m - true.m).max() < 0.01
        assert abs(res.matrix.qu / QU - 1) < 0.02
        assert np.abs(res.detuning_percent() - true.detuning_percent()).max() < 0.02
        _same_feed(res, tol_rad=0.01, tol_ps=0.2)


def test_random_data_fail_and_say_so():
    rng = np.random.default_rng(0)
    s = 0.5 * (rng.standard_normal((F.size, 2, 2)) + 1j * rng.standard_normal((F.size, 2, 2)))
    res = extract(F, s, CouplingMatrix(_target("4-pole inline"), FMAP))
    assert not res.converged
    assert res.message and "\n" not in res.message
    assert res.diagnosis()[0].startswith("fit failed: ")


def test_six_pole_data_with_a_four_pole_start_fail_and_say_why():
    true = CouplingMatrix(_target("6-pole, 2 zeros (folded)"), FMAP, QU)
    res = extract(F, _feed(true.s_params(F)), CouplingMatrix(_target("4-pole inline"), FMAP))
    assert not res.converged
    # measured: rms error 0.14, tolerance 0.037 (5 % of the data's rms |S| = 0.73)
    assert res.rms_error > 2 * res.rms_tolerance
    assert "does not explain the data" in res.message
    assert res.diagnosis()[0].startswith(f"fit failed: {res.message}; ")


def test_nan_data_are_reported_not_raised():
    start = CouplingMatrix(_target("4-pole inline"), FMAP)
    s = start.s_params(F)
    s[17, 1, 0] = np.nan
    res = extract(F, s, start)
    assert not res.converged and "NaN" in res.message
    assert res.diagnosis() == ["fit failed: s: 1 of 201 points are NaN or inf"]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"s": np.zeros((201, 3, 3), complex)}, "s"),
        ({"s": np.zeros((201, 2), complex)}, "s"),
        ({"s": "not data"}, "s"),
        ({"f_ghz": F[:-1]}, "f_ghz"),
        ({"pattern": np.ones((5, 5), bool)}, "pattern"),
        ({"weights": np.ones(7)}, "weights"),
    ],
)
def test_bad_shapes_raise_one_line_naming_the_argument(kwargs, name):
    start = CouplingMatrix(_target("4-pole inline"), FMAP)
    args = {"f_ghz": F, "s": start.s_params(F)} | kwargs
    with pytest.raises(ValueError, match=rf"^{name}: [^\n]*$"):
        extract(args.pop("f_ghz"), args.pop("s"), start, **args)


def test_diagnosis_names_resonator_3_high_and_coupling_2_3_weak():
    m0 = _target("6-pole, 2 zeros (folded)")
    m = m0.copy()
    f3 = FMAP.frequency(-m0[3, 3]) * 1.004  # resonator 3: +0.4 % from its target resonance
    m[3, 3] = -FMAP.omega(f3)
    m[2, 3] = m[3, 2] = 0.92 * m0[2, 3]  # coupling 2-3: 8 % weak
    true = CouplingMatrix(m, FMAP, 500.0)
    res = extract(F, _feed(true.s_params(F)), CouplingMatrix(m0, FMAP))
    assert res.converged, res.message
    lines = res.diagnosis()
    res_lines = [x for x in lines if x.startswith("resonator")]
    cpl_lines = [x for x in lines if x.startswith("coupling")]
    assert len(res_lines) == 1 and len(cpl_lines) == 1, lines  # nothing else is off
    hit = re.match(r"resonator 3 is ([0-9.]+) % high \(resonates at ([0-9.]+) GHz", res_lines[0])
    assert hit, res_lines[0]
    assert float(hit.group(1)) == pytest.approx(0.40, abs=0.01)
    assert float(hit.group(2)) == pytest.approx(f3, abs=1e-3)
    hit = re.match(r"coupling 2-3 is ([0-9.]+) % weak", cpl_lines[0])
    assert hit, cpl_lines[0]
    assert float(hit.group(1)) == pytest.approx(8.0, abs=0.1)
    assert "Qu = 500" in lines
    assert res.coupling_error_percent()[(2, 3)] == pytest.approx(-8.0, abs=1e-6)
    assert res.resonance_error_percent()[2] == pytest.approx(0.4, abs=1e-6)


def test_pattern_finds_a_parasitic_coupling_and_fixed_feed_and_qu_are_held():
    """De-embedded data (no feed), Qu known: only the pattern's entries move. A 1-3 coupling of
    0.05, absent from the inline target, is allowed by the pattern and read back."""
    m0 = _target("4-pole inline")
    m = m0.copy()
    m[1, 3] = m[3, 1] = 0.05
    true = CouplingMatrix(m, FMAP, QU)
    pattern = (m0 != 0) | np.eye(6, dtype=bool)
    pattern[1, 3] = True
    start = CouplingMatrix(m0, FMAP, QU)
    res = extract(F, true.s_params(F), start, pattern=pattern, fit_qu=False, fit_phase=False)
    assert res.converged, res.message
    assert np.abs(res.matrix.m - m).max() < 1e-6
    assert res.matrix.qu == QU and res.phase_rad == (0.0, 0.0) and res.delay_ps == (0.0, 0.0)
    assert "coupling 1-3 = 0.0500 (zero in the target: parasitic)" in res.diagnosis()
    assert f"Qu not fitted (held at {QU})" in res.diagnosis()
    # Without 1-3 in the pattern the best inline fit leaves an rms error of 0.015 (2.1 % of
    # the data's rms |S|): inside the default 5 % tolerance, outside a 1 % one.
    plain = extract(F, true.s_params(F), start, fit_qu=False, fit_phase=False)
    assert 0.01 < plain.rms_error / plain.data_rms < 0.05 and plain.converged
    strict = extract(F, true.s_params(F), start, fit_qu=False, fit_phase=False, rms_tolerance=0.01)
    assert not strict.converged and "does not explain the data" in strict.message


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["M_L4 > 0", "M_L4 < 0"])
def test_mirror_tied_fit_takes_a_start_of_either_sign_convention(sign):
    """Tied mirror images need one sign: a start with ``M_4L < 0`` (as synthesis may return)
    once tied ``M_S1`` to ``-M_S1`` and the fit ended at ``M_S1 = 0`` (rms error 79 %)."""
    m0 = _target("4-pole inline")
    m0 = m0 * np.sign(m0 + 1e-30) * (np.abs(m0) > 1e-12)  # all couplings positive
    np.fill_diagonal(m0, 0.0)
    true = CouplingMatrix(m0, FMAP, QU)  # symmetric end to end: what mirror=True assumes
    start = m0.copy()
    start[4, 5] = start[5, 4] = sign * m0[4, 5]
    res = extract(F, _feed(true.s_params(F)), CouplingMatrix(start, FMAP), mirror=True)
    assert res.converged, res.message
    assert np.abs(np.abs(res.matrix.m) - np.abs(true.m)).max() < 1e-6
