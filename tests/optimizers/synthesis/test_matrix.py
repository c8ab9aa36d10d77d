"""CouplingMatrix and the frequency maps: physical meaning, storage, Touchstone."""

import numpy as np
import pytest
import skrf

from rfdesign.optimizers.synthesis.mapping import FrequencyMap
from rfdesign.optimizers.synthesis.matrix import CouplingMatrix
from rfdesign.optimizers.synthesis.polynomials import FilteringFunction, chebyshev_g
from rfdesign.optimizers.synthesis.reduction import fold
from rfdesign.optimizers.synthesis.transversal import transversal_matrix

BP = FrequencyMap.from_edges("bandpass", 41.0, 43.0)


@pytest.fixture(scope="module")
def cm():
    ff = FilteringFunction.chebyshev(4, 22.0, (1.3217, 1.8082))
    return CouplingMatrix(fold(transversal_matrix(ff)), BP, 500.0)


@pytest.mark.parametrize("kind", ["bandpass", "bandstop"])
def test_band_edges_map_to_plus_minus_one_and_back(kind):
    fm = FrequencyMap.from_edges(kind, 10.0, 12.0)
    np.testing.assert_allclose(np.abs(fm.omega(np.array([10.0, 12.0]))), [1.0, 1.0], rtol=1e-12)
    f = np.linspace(6.0, 16.0, 41)
    f = f[np.abs(f - fm.f0_ghz) > 1e-6]
    np.testing.assert_allclose(fm.frequency(fm.omega(f)), f, rtol=1e-12)


def test_low_and_high_pass_maps():
    lp, hp = FrequencyMap.from_edges("lowpass", 5.0), FrequencyMap.from_edges("highpass", 5.0)
    assert lp.omega(np.array(5.0)) == 1.0 and hp.omega(np.array(5.0)) == -1.0
    np.testing.assert_allclose(hp.frequency(hp.omega(np.array([6.0, 9.0]))), [6.0, 9.0])


def test_external_q_is_g0_g1_over_fbw():
    """Qe = g0 g1 / FBW, k = FBW / sqrt(g_i g_i+1) (Hong and Lancaster 2001, sec. 8.1)."""
    n, ripple = 5, 0.1
    g = chebyshev_g(n, ripple)
    ff = FilteringFunction.chebyshev(n, -10 * np.log10(1 - 10 ** (-ripple / 10)))
    m = CouplingMatrix(fold(transversal_matrix(ff)), BP)
    qe_in, qe_out = m.external_q()
    assert qe_in == pytest.approx(g[0] * g[1] / BP.fbw, rel=1e-9)
    assert qe_out == pytest.approx(g[n] * g[n + 1] / BP.fbw, rel=1e-9)
    k = m.coupling_coefficients()
    assert k[0, 1] == pytest.approx(BP.fbw / np.sqrt(g[1] * g[2]), rel=1e-9)


def test_detuning_reads_the_diagonal(cm):
    m = np.array(cm.m)
    m[3, 3] = -0.1  # resonator 3 resonates at Omega = +0.1: above f0
    d = CouplingMatrix(m, BP).detuning_percent()
    f3 = BP.frequency(np.array(0.1))
    assert d[2] == pytest.approx(100 * (f3 / BP.f0_ghz - 1), rel=1e-12)
    assert d[2] == pytest.approx(100 * 0.1 * BP.fbw / 2, rel=0.01)  # ~ Omega FBW / 2


def test_response_network_and_touchstone_round_trip(cm, tmp_path):
    f = np.linspace(38.0, 46.0, 81)
    net = cm.response(f)
    assert isinstance(net, skrf.Network)
    np.testing.assert_allclose(net.s, cm.s_params(f), atol=0)
    assert net.is_reciprocal()
    assert net.is_passive()
    path = cm.write_touchstone(tmp_path / "m.s2p", f)
    back = skrf.Network(str(path))
    np.testing.assert_allclose(back.s, net.s, atol=1e-12)
    text = path.read_text()
    assert "f0 = 41.9881 GHz" in text and "Qu = 500.0" in text


def test_lossless_matrix_is_lossless_and_lossy_loses(cm):
    f = np.linspace(40.0, 44.0, 41)
    s = cm.with_qu(np.inf).s_params(f)
    np.testing.assert_allclose(np.sum(np.abs(s[:, :, 0]) ** 2, axis=1), 1.0, atol=1e-12)
    s = cm.s_params(f)
    assert np.all(np.sum(np.abs(s[:, :, 0]) ** 2, axis=1) < 1.0)


def test_per_resonator_qu_equals_uniform_when_equal(cm):
    f = np.linspace(40.0, 44.0, 11)
    per = cm.with_qu((500.0,) * 4).s_params(f)
    np.testing.assert_allclose(per, cm.s_params(f), atol=1e-14)


def test_text_dict_and_topology(cm):
    text = cm.to_text()
    assert text.splitlines()[0].startswith("bandpass, N = 4")
    assert text.splitlines()[1].split() == ["S", "1", "2", "3", "4", "L"]
    back = CouplingMatrix.from_dict(cm.to_dict())
    np.testing.assert_array_equal(back.m, cm.m)
    assert back.qu == cm.qu and back.fmap == cm.fmap
    assert cm.cross_couplings() == [(1, 4), (2, 4)]


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"m": np.zeros((2, 2))}, "m"),
        ({"m": np.triu(np.ones((4, 4)))}, "m"),
        ({"m": np.zeros((4, 4)), "qu": (100.0, 200.0, 300.0)}, "qu"),
        ({"m": np.zeros((4, 4)), "qu": -5.0}, "qu"),
    ],
)
def test_bad_matrices_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        CouplingMatrix(**kwargs)


def test_bad_map_names_the_field():
    with pytest.raises(ValueError, match=r"^kind:"):
        FrequencyMap("notch", 1.0)
    with pytest.raises(ValueError, match=r"^band edges:"):
        FrequencyMap.from_edges("bandpass", 5.0, 4.0)
