"""``rfdesign gan train|propose``: the inverse-design GAN of a grid (thin layer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rfdesign.cli.common import (
    StartGhzOption,
    StopGhzOption,
    check_out_dir,
    fail,
    load_spec_or_fail,
    out,
)

gan_app = typer.Typer(help="Inverse design: a GAN that proposes layouts for a spec.")


@gan_app.command("train")
def train_cmd(
    grid_name: Annotated[str, typer.Option("--grid", help="Grid preset name.")] = "ka_pixel_8x8",
    start_ghz: StartGhzOption = 34.0,
    stop_ghz: StopGhzOption = 46.0,
    points: Annotated[int, typer.Option(min=3, help="Frequency points (linear sweep).")] = 51,
    samples: Annotated[int, typer.Option(min=100, help="Circuit-model training layouts.")] = 40_000,
    epochs: Annotated[int, typer.Option(min=1, help="GAN epochs.")] = 40,
    seed: Annotated[int, typer.Option(min=0, help="Seed of data, critic and GAN.")] = 0,
    no_response: Annotated[
        bool, typer.Option("--no-response", help="Train without the CNN response critic.")
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder (default $RFDESIGN_CACHE/gan/<grid>).")
    ] = None,
) -> None:
    """Simulate training layouts (circuit model), fit the response critic and the GAN."""
    import numpy as np

    from rfdesign.design.inverse import default_gan_dir, train_layout_gan
    from rfdesign.layouts.presets import get_grid
    from rfdesign.surrogates.gan import GANConfig

    if stop_ghz <= start_ghz:
        fail(f"--stop-ghz: must exceed --start-ghz ({start_ghz} GHz)")
    try:
        grid = get_grid(grid_name)
    except KeyError as exc:
        fail(str(exc.args[0]))
    f = np.linspace(start_ghz, stop_ghz, points)
    folder = out_dir or default_gan_dir(grid)
    check_out_dir(folder)
    gan = train_layout_gan(
        grid,
        f,
        folder,
        samples,
        seed,
        GANConfig(epochs=epochs),
        use_response=not no_response,
        say=lambda msg: out.print(msg, highlight=False),
    )
    last = gan.record.get("history", [{}])[-1]
    out.print(f"layout GAN of {grid.name} in {folder}/generator; last epoch: {last}")


@gan_app.command("propose")
def propose_cmd(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="Spec file (YAML).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Distinct layouts wanted.")] = 16,
    gan: Annotated[Path | None, typer.Option(help="GAN folder (default: the grid's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Overrides search.seed.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the GAN's proposals for SPEC, judged on the spec's evaluator (surrogate)."""
    from rfdesign.design.evaluator import search_model
    from rfdesign.design.inverse import propose_for_spec
    from rfdesign.evaluation import spec_mask_set
    from rfdesign.surrogates.checkpoint import CheckpointError

    spec = load_spec_or_fail(spec_path)
    try:
        bits = propose_for_spec(spec, n, gan, seed)
    except (FileNotFoundError, CheckpointError, ValueError) as exc:
        fail(str(exc))
    grid = spec.pixel_grid()
    model = search_model(spec, grid, "auto")
    desc = model.description
    masks = spec_mask_set(spec, model.f_ghz)
    margins = masks.margins(*model.evaluator(bits))
    k = masks.objective(margins)
    rows = [
        {"bits": "".join(map(str, b)), "K": float(ki), "worst_margin_db": float(m.min())}
        for b, ki, m in zip(bits, k, margins, strict=True)
    ]
    rows.sort(key=lambda r: r["K"])
    if json_out:
        out.print_json(json.dumps({"evaluator": desc, "proposals": rows}))
        return
    out.print(
        f"{len(rows)} proposals for {spec.name}, judged by the {desc} (K floor "
        f"{masks.k_floor:.1f} dB):"
    )
    for r in rows:
        out.print(
            f"  {r['bits']}  K {r['K']:7.2f} dB  worst margin {r['worst_margin_db']:+7.2f} dB"
        )


def register(app: typer.Typer) -> None:
    """Add the ``gan`` group to the top-level app."""
    app.add_typer(gan_app, name="gan")
