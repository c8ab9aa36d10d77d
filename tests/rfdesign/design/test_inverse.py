"""GAN inverse design at the API and CLI: training data, proposals for a spec, GA seeding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rfdesign.layouts import get_grid
from rfdesign.layouts.grid import corner_contact_counts

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_design_bits_are_distinct_manufacturable_and_spread_in_density():
    from rfdesign.datasets.inverse import sample_design_bits

    grid = get_grid("ka_pixel_8x8")
    bits = sample_design_bits(grid, 2000, seed=0)
    assert len(np.unique(bits, axis=0)) == 2000
    assert corner_contact_counts(grid.masks(bits)).max() == 0
    fill = bits.mean(axis=1)
    assert fill.min() < 0.35 and fill.max() > 0.75  # not all 50 % blobs
    np.testing.assert_array_equal(bits, sample_design_bits(grid, 2000, seed=0))
    with pytest.raises(ValueError, match="density"):
        sample_design_bits(grid, 10, density=(0.8, 0.2))
    with pytest.raises(ValueError, match="n: 20000 layouts"):
        sample_design_bits(get_grid("ka_pixel_4x5"), 20000)


def test_circuit_dataset_resumes_and_returns_the_sampled_order(tmp_path):
    from rfdesign.datasets.inverse import circuit_dataset, sample_design_bits
    from rfdesign.solvers.circuit import simulate_bits

    grid = get_grid("ka_pixel_4x5")
    f = np.linspace(34, 46, 11)
    bits, s = circuit_dataset(grid, f, 40, tmp_path / "d", seed=2)
    np.testing.assert_array_equal(bits, sample_design_bits(grid, 40, seed=2))
    np.testing.assert_allclose(s, simulate_bits(grid, bits, f), atol=1e-12)
    again_bits, again_s = circuit_dataset(grid, f, 40, tmp_path / "d", seed=2)
    np.testing.assert_array_equal(again_bits, bits)
    np.testing.assert_array_equal(again_s, s)


@pytest.fixture(scope="module")
def gan_dir(tmp_path_factory):
    """An untrained GAN of ka_pixel_8x8 saved where the API and CLI look for it."""
    from rfdesign.surrogates.gan import LayoutGAN

    folder = tmp_path_factory.mktemp("gan8")
    LayoutGAN(get_grid("ka_pixel_8x8"), np.linspace(34, 46, 51), seed=1).save(folder / "generator")
    return folder


def _spec8(**search):
    from rfdesign.spec import load_spec

    spec = load_spec(EXAMPLES / "ka_bandpass.yaml")
    return spec.model_copy(
        update={
            "grid": "ka_pixel_8x8",
            "search": spec.search.model_copy(update={"population": 8, "generations": 2, **search}),
        }
    )


def test_pipeline_puts_gan_proposals_into_the_first_population(gan_dir, tmp_path):
    from rfdesign.design import design_filter

    spec = _spec8()
    res = design_filter(spec, surrogate="circuit", verify="none", seed_from="gan", gan=gan_dir)
    seeded = res.provenance["seeded"]
    assert seeded == {"from": "gan", "proposals": 4, "used": True}
    with pytest.raises(ValueError, match="seed_from: 'cnn' is not one of none, gan"):
        design_filter(spec, surrogate="circuit", verify="none", seed_from="cnn")
    with pytest.raises(FileNotFoundError, match="rfdesign gan train --grid ka_pixel_8x8"):
        design_filter(spec, surrogate="circuit", verify="none", seed_from="gan", gan=tmp_path)


def test_cli_propose_lists_distinct_layouts_and_names_a_missing_gan(gan_dir, tmp_path):
    import json

    from rfdesign.cli import app

    spec_path = tmp_path / "bp8.yaml"
    _spec8().to_file(spec_path)
    runner = CliRunner()
    res = runner.invoke(
        app, ["gan", "propose", str(spec_path), "-n", "5", "--gan", str(gan_dir), "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["proposals"]
    assert len({r["bits"] for r in rows}) == 5 and all(len(r["bits"]) == 62 for r in rows)
    assert [r["K"] for r in rows] == sorted(r["K"] for r in rows)
    res = runner.invoke(app, ["gan", "propose", str(spec_path), "--gan", str(tmp_path / "none")])
    assert res.exit_code == 2 and "no trained layout GAN" in res.output


def test_the_committed_gan_serves_when_the_cache_has_none(tmp_path, monkeypatch):
    """data/gan/ka_pixel_8x8 (with its provenance README) is found without a cache and
    proposes layouts for the band-pass spec moved onto that grid."""
    from rfdesign.design.inverse import load_gan, propose_for_spec

    monkeypatch.setenv("RFDESIGN_CACHE", str(tmp_path))
    gan = load_gan(get_grid("ka_pixel_8x8"))
    assert gan.record["n_train"] == 40_000 and gan.record["response_critic"]
    bits = propose_for_spec(_spec8(), 8, seed=0)
    assert len(np.unique(bits, axis=0)) == 8
    assert corner_contact_counts(get_grid("ka_pixel_8x8").masks(bits)).max() == 0
    with pytest.raises(FileNotFoundError, match="rfdesign gan train --grid ka_pixel_4x5"):
        load_gan(get_grid("ka_pixel_4x5"))
