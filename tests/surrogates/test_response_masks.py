"""Band masks rendered as GAN conditions: against the spec and against MaskSet's margins."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rfdesign.evaluation import spec_masks
from rfdesign.optimizers.masks import Mask, MaskSet
from rfdesign.surrogates.response_masks import (
    DB_SCALE,
    conditions_from_responses,
    render_masks,
    violation,
)


def test_render_marks_each_band_with_its_limit(bandpass_spec):
    f = np.asarray(bandpass_spec.frequencies_ghz(), float)
    c = render_masks(spec_masks(bandpass_spec), f)
    assert c.shape == (8, f.size)
    stop = (f <= 40 + 1e-9) | (f >= 44 - 1e-9)
    passband = (f >= 41 - 1e-9) & (f <= 43 + 1e-9)
    np.testing.assert_array_equal(c[6].astype(bool), stop)  # |S21| max flags
    np.testing.assert_allclose(c[2][stop], -25 / DB_SCALE)
    np.testing.assert_array_equal(c[5].astype(bool), passband)  # |S21| min flags
    np.testing.assert_allclose(c[1][passband], -1 / DB_SCALE)
    np.testing.assert_array_equal(c[4].astype(bool), passband)  # |S11| max flags
    np.testing.assert_allclose(c[0][passband], -10 / DB_SCALE)
    assert not c[3].any() and not c[7].any()  # no |S11| minimum in this spec


def test_overlapping_masks_keep_the_tighter_limit_and_bands_must_lie_on_the_grid():
    f = np.linspace(30, 40, 11)
    masks = [
        Mask("a", "stop", "s21", "max", -20, 30, 35),
        Mask("b", "stop", "s21", "max", -30, 33, 40),
    ]
    c = render_masks(masks, f)
    np.testing.assert_allclose(
        c[2] * DB_SCALE, [-20, -20, -20, -30, -30, -30, -30, -30, -30, -30, -30]
    )
    with pytest.raises(ValueError, match="outside the grid"):
        render_masks([Mask("x", "stop", "s21", "max", -20, 50, 60)], f)


def test_violation_is_the_sum_of_the_worst_misses_that_maskset_reports(bandpass_spec):
    """On a grid that holds every band edge, violation = sum over limit kinds of the worst
    negative margin of MaskSet (an independent implementation with edge interpolation)."""
    spec = bandpass_spec
    f = np.arange(34.0, 46.01, 0.5)
    masks = spec_masks(spec)
    ms = MaskSet(masks, f)
    rng = np.random.default_rng(1)
    s11 = rng.uniform(-30, -1, (200, f.size))
    s21 = rng.uniform(-40, -0.2, (200, f.size))
    margins = ms.margins(s11, s21)
    expect = np.zeros(200)
    for kind in (("s11", "max"), ("s21", "min"), ("s21", "max")):
        cols = [j for j, m in enumerate(masks) if (m.quantity, m.bound) == kind]
        expect += np.maximum(0.0, -margins[:, cols].min(axis=1))
    cond = torch.as_tensor(render_masks(masks, f))[None].expand(200, -1, -1)
    got = violation(torch.as_tensor(s11), torch.as_tensor(s21), cond, mean_weight=0.0)
    np.testing.assert_allclose(got.numpy(), expect, atol=1e-4)


def test_training_conditions_are_met_by_their_own_response_with_the_slack_asked():
    rng = np.random.default_rng(0)
    s11 = rng.uniform(-40, -0.5, (300, 51))
    s21 = rng.uniform(-40, -0.5, (300, 51))
    met = conditions_from_responses(s11, s21, rng, slack_db=(0.5, 3.0))
    v = violation(torch.as_tensor(s11), torch.as_tensor(s21), torch.as_tensor(met))
    assert float(v.max()) == 0.0
    assert met[:, 4:].sum(axis=(1, 2)).min() >= 3  # every condition covers >= 3 points
    missed = conditions_from_responses(s11, s21, rng, slack_db=(-3.0, -1.0))
    v = violation(torch.as_tensor(s11), torch.as_tensor(s21), torch.as_tensor(missed), 0.0)
    assert float(v.min()) >= 1.0 - 1e-4  # at least one limit missed by >= 1 dB
