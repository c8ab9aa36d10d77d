"""The shipped high-pass design on openEMS against Palace: two engines, one answer.

``examples/ka_highpass_channel.yaml`` carries the eight-strip comb sized by hand on the
meshes of openEMS model version 1 (docs/design_space.md section 6), where it met the paper's
masks. Palace's finite elements (standard mesh, stored in
``benchmarks/results/palace_crosscheck/``) put its lower skirt 1.8 % higher and the design
fails its 42 GHz passband edge; openEMS's model version 2 meshing (one-third/two-thirds rule)
agrees with Palace. This test runs openEMS on the spec's own verification settings (fine
mesh, channel housing; one run, about a minute on 2 cores) and checks that the skirt lies
where Palace puts it, within the 1 % the issue asks of the two engines. The band-pass comb's
cross-check (about 4 minutes) runs in ``make bench BENCH=convergence``.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import skrf

from rfdesign.design.verify import verification_settings
from rfdesign.layouts import Layout
from rfdesign.solvers.openems import OpenEMSSolver
from rfdesign.spec import load_spec

REPO = Path(__file__).resolve().parents[3]
PALACE = (
    REPO
    / "benchmarks"
    / "results"
    / "palace_crosscheck"
    / "ka_highpass_channel_palace_standard.s2p"
)


def rising_crossings(f: np.ndarray, s21: np.ndarray) -> dict[float, float]:
    """Frequency (GHz) where |S21| first rises through -20, -10 and -3 dB."""
    db = 20 * np.log10(np.abs(s21))
    out = {}
    for level in (-20.0, -10.0, -3.0):
        k = int(np.nonzero((db[:-1] < level) & (db[1:] >= level))[0][0])
        out[level] = float(f[k] + (level - db[k]) * (f[k + 1] - f[k]) / (db[k + 1] - db[k]))
    return out


@pytest.mark.slow
def test_openems_agrees_with_palace_on_the_shipped_high_pass():
    spec = load_spec(REPO / "examples" / "ka_highpass_channel.yaml")
    layout = Layout(spec.pixel_grid(), spec.search.initial[0])
    settings = dataclasses.replace(
        verification_settings(spec, "openems"), threads=2, error_estimate=False
    )
    assert settings.side_boundary == "PEC" and settings.preset == "fine"
    f = spec.frequencies_ghz()
    net = OpenEMSSolver(settings).simulate(layout, f)
    palace = skrf.Network(str(PALACE))
    ours = rising_crossings(f, net.s[:, 1, 0])
    theirs = rising_crossings(palace.frequency.f / 1e9, palace.s[:, 1, 0])
    for level, f_palace in theirs.items():
        assert abs(ours[level] / f_palace - 1) < 0.01, (level, ours, theirs)
