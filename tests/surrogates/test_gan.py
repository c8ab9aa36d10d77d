"""The layout GAN: its differentiable pieces against the numpy reference, and that training
with the response critic moves proposals towards the condition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rfdesign.layouts import get_grid
from rfdesign.layouts.grid import corner_contact_counts
from rfdesign.surrogates.checkpoint import CheckpointError
from rfdesign.surrogates.gan import (
    BitsToMask,
    GANConfig,
    LayoutGAN,
    binarise,
    corner_penalty,
    stretch,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["ka_pixel_4x5", "ka_pixel_8x8"])
def test_bits_to_mask_and_corner_penalty_match_the_grid(name):
    grid = get_grid(name)
    bits = np.random.default_rng(0).integers(0, 2, (200, grid.n_bits)).astype(np.uint8)
    masks = BitsToMask(grid)(torch.as_tensor(bits, dtype=torch.float32))
    np.testing.assert_array_equal(masks.numpy().astype(bool), grid.masks(bits))
    np.testing.assert_array_equal(
        corner_penalty(masks).numpy().astype(int), corner_contact_counts(grid.masks(bits))
    )


def test_binarise_samples_bernoulli_with_a_straight_through_gradient():
    logits = torch.tensor([-2.0, 0.0, 1.5]).repeat(20000, 1).requires_grad_()
    y = binarise(logits, torch.Generator().manual_seed(0))
    v = y.detach().numpy()
    assert np.all((np.abs(v) < 1e-6) | (np.abs(v - 1) < 1e-6))
    np.testing.assert_allclose(
        y.detach().mean(0).numpy(), torch.sigmoid(logits[0]).detach(), atol=0.015
    )
    y.sum().backward()
    assert torch.all(logits.grad > 0)


def test_stretch_tightens_each_limit_by_at_most_the_maximum():
    cond = torch.zeros((50, 8, 5))
    cond[:, :4] = -10 / 40
    cond[:, 4:] = 1.0
    out = stretch(cond, 10.0, torch.Generator().manual_seed(0))
    d = (out[:, :4] - cond[:, :4]) * 40
    assert torch.all(d[:, 0] <= 0) and torch.all(d[:, 2] <= 0)  # maxima go down
    assert torch.all(d[:, 1] >= 0) and torch.all(d[:, 3] >= 0)  # minima go up (<= 0 dB)
    assert float(d.abs().max()) <= 10.0 + 1e-5
    assert torch.equal(out[:, 4:], cond[:, 4:])


def test_db_torch_matches_predict_db_and_is_differentiable(ka_grid):
    from rfdesign.surrogates.base import load_shipped

    model = load_shipped("ka_pixel_4x5")
    bits = np.random.default_rng(1).integers(0, 2, (64, ka_grid.n_bits)).astype(np.uint8)
    x = torch.as_tensor(bits, dtype=torch.float32).requires_grad_()
    db = model.db_torch(BitsToMask(ka_grid)(x))
    np.testing.assert_allclose(db.detach().numpy(), model.predict_db(bits), atol=1e-3)
    db[..., 1].mean().backward()
    assert torch.isfinite(x.grad).all() and float(x.grad.abs().sum()) > 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small GAN on ka_pixel_4x5: 2,000 design-like layouts whose responses come from one
    member of the shipped CNN, the same member as response critic (tandem training); 8
    epochs (about a minute on 2 cores)."""
    from rfdesign.datasets.inverse import sample_design_bits
    from rfdesign.surrogates.base import load_shipped
    from rfdesign.surrogates.ensemble import CNNSurrogate

    grid = get_grid("ka_pixel_4x5")
    shipped = load_shipped("ka_pixel_4x5")
    cnn = CNNSurrogate(grid, shipped.f_ghz, shipped.config, n_members=1)
    cnn.states = [shipped.states[0]]
    bits = sample_design_bits(grid, 2000, seed=0)
    s_db = np.maximum(cnn.predict_db(bits), -60.0)
    gan = LayoutGAN(grid, cnn.f_ghz, GANConfig(epochs=8, batch_size=128, hidden=128), seed=0)
    gan.fit(bits, s_db, cnn)
    folder = gan.save(tmp_path_factory.mktemp("gan") / "generator")
    return gan, cnn, folder


@pytest.mark.slow
def test_training_moves_proposals_towards_the_spec(trained):
    """Judged by the surrogate they were trained against, GAN proposals for the high-pass
    spec miss its masks by less than as many layouts from the training distribution (an
    untrained generator is no better than those; measured after 6 epochs: 32 vs 37 dB)."""
    from rfdesign.datasets.inverse import sample_design_bits
    from rfdesign.evaluation import spec_masks
    from rfdesign.optimizers.inverse import propose
    from rfdesign.spec import load_spec
    from rfdesign.surrogates.response_masks import render_masks, violation

    gan, cnn, _ = trained
    masks = spec_masks(load_spec(EXAMPLES / "ka_highpass.yaml"))
    cond = torch.as_tensor(render_masks(masks, cnn.f_ghz))
    miss = {}
    for label, b in (
        ("gan", propose(gan, masks, 64, seed=0)),
        ("random", sample_design_bits(gan.grid, 64, seed=9)),
    ):
        db = torch.as_tensor(cnn.predict_db(b))
        v = violation(db[..., 0], db[..., 1], cond[None].expand(len(b), -1, -1), 0.0)
        miss[label] = float(v.median())
    assert miss["gan"] < miss["random"] - 2.0, miss
    hist = gan.record["history"]
    assert hist[-1]["violation_db"] < hist[0]["violation_db"]


def test_checkpoint_round_trip_and_checks(trained):
    gan, _, folder = trained
    back = LayoutGAN.load(folder, grid=gan.grid)
    cond = np.zeros((8, gan.f_ghz.size), np.float32)
    np.testing.assert_array_equal(back.sample(cond, 16, seed=4), gan.sample(cond, 16, seed=4))
    with pytest.raises(CheckpointError, match="not for 'ka_pixel_8x8'"):
        LayoutGAN.load(folder, grid=get_grid("ka_pixel_8x8"))
    with pytest.raises(ValueError, match="condition: expected 8 x 51"):
        gan.sample(np.zeros((8, 10)), 4)
    with pytest.raises(ValueError, match="s_db: expected"):
        LayoutGAN(gan.grid, gan.f_ghz).fit(np.zeros((5, gan.grid.n_bits)), np.zeros((5, 3, 2)))
