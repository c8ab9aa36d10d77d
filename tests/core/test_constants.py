"""The shared constants are CODATA's (scipy), in the units the engines use."""

import pytest

from rfdesign.core.constants import C0, C0_MM_PER_NS, EPS0, ETA0, MU0


def test_constants_against_their_definitions():
    assert C0 == 299_792_458.0  # exact by definition of the metre (SI 1983)
    assert C0_MM_PER_NS == pytest.approx(299.792458, rel=1e-15)
    assert 1 / (MU0 * EPS0) == pytest.approx(C0**2, rel=1e-9)
    assert ETA0 == pytest.approx(376.730313668, rel=1e-10)  # CODATA 2018 Z0
