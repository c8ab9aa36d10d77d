"""propose(): distinct, manufacturable, reproducible proposals from a layout GAN."""

from __future__ import annotations

import numpy as np
import pytest

from rfdesign.evaluation import spec_masks
from rfdesign.layouts import get_grid
from rfdesign.layouts.grid import corner_contact_counts
from rfdesign.optimizers.inverse import propose
from rfdesign.surrogates.gan import LayoutGAN


@pytest.fixture(scope="module")
def untrained_gan():
    """A GAN with random weights: propose() must hold its promises for any generator."""
    return LayoutGAN(get_grid("ka_pixel_8x8"), np.linspace(34, 46, 51), seed=3)


def test_proposals_are_distinct_free_of_corner_contacts_and_reproducible(
    untrained_gan, bandpass_spec
):
    masks = spec_masks(bandpass_spec)
    bits = propose(untrained_gan, masks, 40, seed=5)
    grid = untrained_gan.grid
    assert bits.shape == (40, grid.n_bits) and bits.dtype == np.uint8
    assert len(np.unique(bits, axis=0)) == 40
    assert corner_contact_counts(grid.masks(bits)).max() == 0
    np.testing.assert_array_equal(bits, propose(untrained_gan, masks, 40, seed=5))
    assert not np.array_equal(bits, propose(untrained_gan, masks, 40, seed=6))
    raw = propose(untrained_gan, masks, 40, seed=5, allow_corner_contacts=True)
    assert corner_contact_counts(grid.masks(raw)).max() > 0  # the repair did the work


def test_bad_requests_are_named(untrained_gan, bandpass_spec):
    masks = spec_masks(bandpass_spec)
    with pytest.raises(ValueError, match="n: must be >= 1"):
        propose(untrained_gan, masks, 0)
    from rfdesign.optimizers.masks import Mask

    with pytest.raises(ValueError, match="outside the grid"):
        propose(untrained_gan, [Mask("x", "stop", "s21", "max", -20, 60, 70)], 4)
    few = propose(untrained_gan, masks, 1000, max_draws=100)
    assert 0 < len(few) <= 100  # a draw budget caps the work, the result says how many
