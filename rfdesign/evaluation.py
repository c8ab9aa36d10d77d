"""A spec's masks, and responses judged against them.

The judging itself (margins, K of the paper's eq. 4, the per-mask report) is
:mod:`rfdesign.optimizers.masks`; this module turns a :class:`~rfdesign.spec.FilterSpec` into
its :class:`~rfdesign.optimizers.masks.MaskSet` and judges networks and sampled responses
with it, so that search, refinement, verification and reports give the same numbers.
"""

from __future__ import annotations

import numpy as np

from rfdesign.optimizers.masks import Mask, MaskSet, SpecReport
from rfdesign.spec import FilterSpec, PassBand


def spec_masks(spec: FilterSpec) -> list[Mask]:
    """The spec's limits as plain :class:`~rfdesign.optimizers.masks.Mask` values, band by band.

    Per pass band its |S21| minimum (insertion loss) then its |S11| maximum (return loss); per
    stop band its |S21| maximum (rejection).
    """
    masks = []
    for i, band in enumerate(spec.bands):
        label = spec.band_label(i)
        lo, hi = band.f_min_ghz, band.f_max_ghz
        if isinstance(band, PassBand):
            if band.s21_min_db is not None:
                masks.append(Mask(label, "pass", "s21", "min", band.s21_min_db, lo, hi))
            if band.s11_max_db is not None:
                masks.append(Mask(label, "pass", "s11", "max", band.s11_max_db, lo, hi))
        else:
            masks.append(Mask(label, "stop", "s21", "max", band.s21_max_db, lo, hi))
    return masks


def spec_mask_set(spec: FilterSpec, f_ghz=None) -> MaskSet:
    """The :class:`~rfdesign.optimizers.masks.MaskSet` of ``spec`` on ``f_ghz`` (default: sweep).

    Raises:
        ValueError: If ``f_ghz`` does not cover a band or is not strictly increasing.
    """
    f = spec.frequencies_ghz() if f_ghz is None else f_ghz
    return MaskSet(spec_masks(spec), f, spec.w)


def evaluate_response(
    spec: FilterSpec, f_ghz: np.ndarray, s11: np.ndarray, s21: np.ndarray
) -> SpecReport:
    """Judge |S11| and |S21| (complex or magnitude) sampled at ``f_ghz`` against ``spec``.

    Args:
        spec: The filter spec.
        f_ghz: Increasing frequencies in GHz, shape ``F``.
        s11: S11 at ``f_ghz``, shape ``F`` (complex or real magnitude).
        s21: S21 at ``f_ghz``, shape ``F``.

    Returns:
        The report with margins, violations, K and pass/fail.

    Raises:
        ValueError: If shapes disagree, frequencies are not increasing, or a band is not
            covered by ``f_ghz``.
    """
    f = np.asarray(f_ghz, dtype=float)
    if f.ndim != 1:
        raise ValueError(f"f_ghz: expected a 1-D array, got shape {f.shape}")
    return spec_mask_set(spec, f).report(s11, s21)


def evaluate_network(spec: FilterSpec, network) -> SpecReport:
    """Judge a two-port :class:`skrf.Network` against ``spec`` (S11 and S21 are used).

    Raises:
        ValueError: If the network is not a two-port or does not cover every band.
    """
    if network.nports != 2:
        raise ValueError(f"network: expected a 2-port, got {network.nports} port(s)")
    f_ghz = network.frequency.f / 1e9
    return evaluate_response(spec, f_ghz, network.s[:, 0, 0], network.s[:, 1, 0])
