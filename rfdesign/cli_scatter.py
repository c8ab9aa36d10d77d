"""``rfdesign scatter``: 2-D inverse scattering on the benchmark setup (SEED-NOTES section 6).

The setup: domain [-1, 1]^2 m at 400 MHz, 16 line sources and 32 receivers on a 3 m circle;
data computed by the MoM on a grid twice as fine as the inversion grid, with complex Gaussian
noise of a given level relative to the RMS of the data.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from rfdesign.cli_common import fail, out

scatter_app = typer.Typer(help="2-D inverse scattering (MoM, BP).", no_args_is_help=True)
PROFILES = ("circles", "digit", "austria")
METHODS = ("bp",)


def _setup(n: int):
    from rfdesign.scatter_profiles import benchmark_setup
    from rfdesign.solvers.mom2d import Grid2D, MoM2D

    k0, tx, rx = benchmark_setup()
    return MoM2D(Grid2D(2 * n, 1.0), k0), MoM2D(Grid2D(n, 1.0), k0), tx, rx


def _profile(name: str, grid, seed: int, index: int) -> np.ndarray:
    from rfdesign import scatter_profiles

    if name == "circles":
        return scatter_profiles.circles(grid, np.random.default_rng(seed))
    if name == "digit":
        return scatter_profiles.digit(grid, index)
    return scatter_profiles.austria(grid)


@scatter_app.command("invert")
def invert_cmd(
    profile: Annotated[str, typer.Option(help="circles, digit or austria.")] = "circles",
    method: Annotated[str, typer.Option(help="Inversion method: bp.")] = "bp",
    grid: Annotated[int, typer.Option(min=8, max=512, help="Inversion cells per side.")] = 64,
    noise: Annotated[float, typer.Option(min=0, max=1, help="Noise level (0.05 = 5 %).")] = 0.05,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the object and the noise.")] = 0,
    index: Annotated[int, typer.Option(min=0, max=1796, help="Digit index.")] = 0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "scatter_out"
    ),
) -> None:
    """Simulate the benchmark data of a profile on a 2x finer grid and invert it."""
    from rfdesign.optimizers.scatter_inversion import ScatterSetup, back_propagation, rrmse, ssim
    from rfdesign.plots import plot_profiles

    if profile not in PROFILES:
        fail(f"--profile: {profile!r} is not one of {', '.join(PROFILES)}")
    if method not in METHODS:
        fail(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    fine, mom, tx, rx = _setup(grid)
    t0 = time.perf_counter()
    data = fine.solve(_profile(profile, fine.grid, seed, index), fine.line_sources(tx), rx)
    t_forward = time.perf_counter() - t0
    rng = np.random.default_rng(seed + 1)
    e_s = data.scattered
    scale = noise * np.sqrt(np.mean(np.abs(e_s) ** 2) / 2)
    e_s = e_s + scale * (rng.normal(size=e_s.shape) + 1j * rng.normal(size=e_s.shape))
    t0 = time.perf_counter()
    est = back_propagation(ScatterSetup(mom, tx, rx), e_s)
    t_inv = time.perf_counter() - t0
    truth = _profile(profile, mom.grid, seed, index)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "profile": profile,
        "method": method,
        "grid": grid,
        "data_grid": 2 * grid,
        "noise": noise,
        "seed": seed,
        "rrmse_eps": rrmse(est, truth),
        "rrmse_contrast": rrmse(est - 1, truth - 1),
        "ssim": ssim(est, truth),
        "forward_ms": t_forward * 1e3,
        "inversion_ms": t_inv * 1e3,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    np.savez(out_dir / "profiles.npz", truth=truth, estimate=est)
    plot_profiles(truth, est, mom.grid.half_width, out_dir / "profiles.png", title=method.upper())
    out.print(
        f"{profile} ({method}, {grid} x {grid}, {noise:.0%} noise): RRMSE of eps_r "
        f"{report['rrmse_eps']:.4f}, of the contrast {report['rrmse_contrast']:.3f}; SSIM "
        f"{report['ssim']:.3f}; "
        f"inversion {t_inv * 1e3:.0f} ms -> {out_dir}/profiles.png"
    )
