"""The one 20 log10 |S|."""

import numpy as np

from rfdesign.core.db import s_db


def test_s_db_is_20_log10_with_a_floor():
    s = np.array([1.0, 0.1j, 1e-3 + 0j, 0.0])
    np.testing.assert_allclose(s_db(s, -40.0), [0.0, -20.0, -40.0, -40.0], atol=1e-12)
    assert s_db(np.array([0.0]), -300.0)[0] == -300.0
