"""The shipped designs that meet the paper's specs, re-verified with openEMS.

Each example spec that claims a met spec carries its design as ``search.initial[0]``; these
tests simulate it on the spec's own verification settings (mesh preset and housing) and check
the paper's masks with the pipeline's evaluation. One openEMS run each (fine mesh, about a
minute on 2 cores).
"""

import dataclasses
from pathlib import Path

import pytest

from rfdesign.evaluation import evaluate_network
from rfdesign.layouts import Layout
from rfdesign.pipeline import verification_settings
from rfdesign.solvers.openems import OpenEMSSolver
from rfdesign.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ka_highpass_channel"])
def test_shipped_design_meets_the_papers_masks_on_openems(name):
    spec = load_spec(EXAMPLES / f"{name}.yaml")
    layout = Layout(spec.pixel_grid(), spec.search.initial[0])
    settings = dataclasses.replace(verification_settings(spec, "openems"), threads=2)
    assert settings.side_boundary == "PEC" and settings.preset == "fine"
    report = evaluate_network(
        spec, OpenEMSSolver(settings).simulate(layout, spec.frequencies_ghz())
    )
    # docs/design_space.md section 6: stop +3.6 to +3.9 dB, pass +0.66 to +0.71 dB on this
    # mesh (the spread is run-to-run truncation noise); a margin under 0.3 dB would mean the
    # solver or the model moved, not a pass by luck.
    assert report.passed, report.band_margins_db
    assert report.worst_margin_db > 0.3, report.band_margins_db
