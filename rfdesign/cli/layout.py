"""``rfdesign layout show``: draw and export one pixel layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rfdesign.cli.common import check_out_dir, fail, fail_option, load_spec_or_fail, out

layout_app = typer.Typer(help="Draw and export pixel layouts.", no_args_is_help=True)


@layout_app.command("show")
def layout_show(
    bits: Annotated[str, typer.Option(help="Free bits in bit order, e.g. 101100111010011.")],
    grid: Annotated[str, typer.Option(help="Grid preset name.")] = "ka_pixel_4x5",
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="Take grid and substrate from this spec.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
) -> None:
    """Write layout.png and layout.gds of one layout and print its topology."""
    from rfdesign.layouts import Layout, get_grid
    from rfdesign.layouts.export import write_gds, write_png

    check_out_dir(out_dir)
    try:
        if spec_file is not None:
            pixel_grid = load_spec_or_fail(spec_file).pixel_grid()
        else:
            pixel_grid = get_grid(grid)
        layout = Layout.from_bits(pixel_grid, bits)
    except KeyError as exc:
        fail([f"--grid: {exc.args[0]}"])
        return
    except ValueError as exc:
        fail_option(exc)
    png = write_png(layout, out_dir / "layout.png")
    gds = write_gds(layout, out_dir / "layout.gds")
    conn = layout.connectivity
    out.print(
        f"{pixel_grid.name}: bits {layout.bit_string}, metal {layout.metal_area_mm2():.4f} mm^2, "
        f"ports {'connected' if conn.connected else 'NOT connected'}, "
        f"{len(conn.floating_islands)} floating island(s), "
        f"{len(conn.corner_contacts)} corner-only contact(s)"
    )
    out.print(f"wrote {png} and {gds}")


def register(app: typer.Typer) -> None:
    """Add ``layout show`` to the top-level app."""
    app.add_typer(layout_app, name="layout")
