"""The CNN's built-in physics: symmetry, passivity, flip invariance, fused ensemble."""

import numpy as np
import pytest
import torch

from rfdesign.layouts import get_grid
from rfdesign.surrogates.cnn import (
    CNNConfig,
    build_model,
    build_stacked,
    canonical_flip,
    encode_masks,
    flip_allowed,
    raw_to_response,
)
from rfdesign.surrogates.ensemble import CNNSurrogate

GRID = get_grid("ka_pixel_4x5")
F = np.linspace(34, 46, 51)


def random_states(config, n, seed=0):
    torch.manual_seed(seed)
    return [
        {k: v.detach().numpy() for k, v in build_model(config, 4, 10, 51).state_dict().items()}
        for _ in range(n)
    ]


def untrained(n_members=3, seed=0):
    sur = CNNSurrogate(GRID, F, n_members=n_members)
    sur.states = random_states(sur.config, n_members, seed)
    return sur


def test_output_is_passive_even_for_wild_raw_values():
    raw = torch.randn(64, 51, 7) * 50
    log_p, s = raw_to_response(raw)
    power = (s.abs() ** 2).sum(-1)
    assert float(power.max()) <= 1 + 1e-5
    assert torch.allclose(log_p.exp().sum(-1), torch.ones(64, 51), atol=1e-5)


def test_prediction_is_symmetric_reciprocal_and_passive():
    bits = np.random.default_rng(1).integers(0, 2, (200, GRID.n_bits))
    s = untrained().predict(bits)
    assert s.shape == (200, 51, 2, 2)
    np.testing.assert_array_equal(s[..., 0, 0], s[..., 1, 1])
    np.testing.assert_array_equal(s[..., 1, 0], s[..., 0, 1])
    assert (np.abs(s[..., 0, 0]) ** 2 + np.abs(s[..., 1, 0]) ** 2).max() <= 1 + 1e-5


def test_upside_down_flip_gives_the_same_prediction():
    # ka_pixel_4x5's feeds sit on the patch centre line, so a flipped layout is the same
    # circuit; any flipped mask (in the design space or not) must predict the same response.
    assert flip_allowed(GRID)
    masks = GRID.masks(np.random.default_rng(2).integers(0, 2, (100, GRID.n_bits)))
    sur = untrained()
    a = sur.predict(masks=masks)
    b = sur.predict(masks=masks[:, ::-1, :])
    np.testing.assert_allclose(a, b, atol=0, rtol=0)
    assert not np.array_equal(masks, masks[:, ::-1, :])


def test_canonical_flip_picks_one_representative():
    masks = np.random.default_rng(3).integers(0, 2, (500, 4, 10)).astype(bool)
    c1, c2 = canonical_flip(masks), canonical_flip(masks[:, ::-1])
    np.testing.assert_array_equal(c1, c2)
    for m, c in zip(masks, c1, strict=True):
        assert np.array_equal(c, m) or np.array_equal(c, m[::-1])
        assert tuple(c.ravel()) <= tuple(m.ravel()) and tuple(c.ravel()) <= tuple(m[::-1].ravel())


def test_fused_ensemble_equals_members_run_one_by_one():
    config = CNNConfig()
    states = random_states(config, 4, seed=5)
    x = torch.as_tensor(encode_masks(GRID, GRID.masks(np.eye(GRID.n_bits, dtype=int))))
    fused = build_stacked(config, states, 51)(x)
    for i, st in enumerate(states):
        m = build_model(config, 4, 10, 51)
        m.load_state_dict({k: torch.as_tensor(v) for k, v in st.items()})
        m.eval()
        with torch.no_grad():
            torch.testing.assert_close(fused[i], m(x), atol=1e-5, rtol=1e-5)


def test_uncertainty_is_member_spread():
    sur = untrained(n_members=3)
    bits = np.random.default_rng(4).integers(0, 2, (20, GRID.n_bits))
    _, std = sur.predict_with_uncertainty(bits)
    assert std.shape == (20, 51, 2) and std.min() >= 0 and std.max() > 0.1
    single = untrained(n_members=1)
    assert single.predict_with_uncertainty(bits)[1].max() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bits": np.zeros((3, 14))}, "bits"),
        ({"masks": np.zeros((3, 4, 9))}, "masks"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        untrained().predict(**kwargs)


def test_fit_rejects_bad_training_data():
    sur = CNNSurrogate(GRID, F, n_members=1)
    bits = np.zeros((10, GRID.n_bits), int)
    with pytest.raises(ValueError, match="s: expected shape"):
        sur.fit(bits, np.zeros((10, 50, 2, 2), complex))
    s = np.zeros((10, 51, 2, 2), complex)
    s[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="s: contains NaN"):
        sur.fit(bits, s)
    with pytest.raises(ValueError, match="bits: expected shape"):
        sur.fit(np.zeros((10, 3)), np.zeros((10, 51, 2, 2), complex))
