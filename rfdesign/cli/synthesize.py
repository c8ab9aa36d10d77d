"""``rfdesign synthesize SPEC``: order, zeros, coupling matrix, margins and minimum Qu of a spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rfdesign.cli.common import check_out_dir, fail, load_spec_or_fail, out


def _qu(value: str) -> float:
    """``--qu``: a positive number or ``inf`` (lossless)."""
    try:
        q = float(value)
    except ValueError:
        raise typer.BadParameter(f"a number > 0 or 'inf', got {value!r}") from None
    if not q > 0:
        raise typer.BadParameter(f"must be > 0, got {value}")
    return q


def synthesize_command(
    spec_file: Annotated[Path, typer.Argument(help="YAML spec file.", metavar="SPEC")],
    qu: Annotated[
        str,
        typer.Option(help="Unloaded Q of every resonator ('inf': lossless).", callback=_qu),
    ] = "inf",
    margin: Annotated[
        float, typer.Option(help="Worst margin (dB) the chosen response must reach.")
    ] = 0.5,
    max_order: Annotated[int, typer.Option(help="Most resonators tried.", min=1, max=20)] = 10,
    max_zeros: Annotated[
        int, typer.Option(help="Most finite transmission zeros tried.", min=0, max=8)
    ] = 4,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for synthesis.json, report.txt, ideal.s2p (and lossy.s2p) and "
            "response.png.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Synthesise the smallest coupled-resonator filter that meets SPEC's masks.

    Prints the filter class, order, transmission zeros (normalised and in GHz), the folded
    coupling matrix and other realisable topologies, the margins per band (ideal and with
    resonators of quality --qu), the minimum Qu, and a verdict on which resonator technology
    can build it. No layout, no solver: milliseconds to seconds.
    """
    import numpy as np

    from rfdesign.evaluation import spec_masks
    from rfdesign.optimizers.synthesis import analyse_masks, synthesize, technologies

    spec = load_spec_or_fail(spec_file)
    check_out_dir(out_dir)
    masks = spec_masks(spec)
    try:
        fmap = analyse_masks(masks).fmap
        f0 = fmap.f0_ghz if fmap else 0.5 * (spec.sweep.start_ghz + spec.sweep.stop_ghz)
        techs = technologies(spec.substrate.to_substrate(), f0)
        syn = synthesize(masks, float(qu), margin, max_order, max_zeros, techs)
    except ValueError as exc:  # a spec the analysis cannot read at all
        fail(f"{spec_file}: {exc}")
        return
    if json_out:
        print(json.dumps(syn.to_dict(), indent=2))
    else:
        out.print(f"[bold]{spec.name}[/] ({spec_file})", highlight=False)
        out.print(syn.to_text(), highlight=False, markup=False)
    if out_dir is None:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "synthesis.json").write_text(json.dumps(syn.to_dict(), indent=2) + "\n")
    (out_dir / "report.txt").write_text(f"{spec.name} ({spec_file})\n{syn.to_text()}\n")
    written = [out_dir / "synthesis.json", out_dir / "report.txt"]
    if syn.matrix is not None:
        from rfdesign.plots import plot_response

        f = np.linspace(spec.sweep.start_ghz, spec.sweep.stop_ghz, 1001)
        written.append(syn.matrix.with_qu(np.inf).write_touchstone(out_dir / "ideal.s2p", f))
        nets = {"ideal": syn.response(f, lossy=False)}
        if np.isfinite(syn.qu):
            written.append(syn.matrix.write_touchstone(out_dir / "lossy.s2p", f))
            nets[f"Qu {syn.qu:g}"] = syn.response(f)
        c = syn.chosen
        title = (
            f"{spec.name}: synthesised N = {c.order}, {len(c.zeros)} finite zero(s), "
            f"RL {c.return_loss_db:.1f} dB"
        )
        written.append(plot_response(nets, out_dir / "response.png", spec, title))
    out.print("wrote " + ", ".join(str(p) for p in written), highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``rfdesign synthesize`` to ``app``."""
    app.command("synthesize")(synthesize_command)
