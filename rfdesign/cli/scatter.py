"""``rfdesign scatter``: 2-D inverse scattering on the benchmark setup (SEED-NOTES section 6).

The setup: domain [-1, 1]^2 m at 400 MHz, 16 line sources and 32 receivers on a 3 m circle;
data computed by the MoM on a grid twice as fine as the inversion grid, with complex Gaussian
noise of a given level relative to the RMS of the data.

* ``simulate``: a dataset of objects and their data (resumable folder of chunks);
* ``invert``: one object's data inverted by a method (BP, CSI, or a trained BPS / cGAN);
* ``bench``: the benchmark table of every method (trains the networks on first use).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from rfdesign.cli.common import check_out_dir, deprecated_alias, err, fail, out, stage_progress

scatter_app = typer.Typer(
    help="2-D inverse scattering (MoM, BP, CSI, BPS, cGAN, FICLM).", no_args_is_help=True
)
PROFILES = ("circles", "digits", "austria")
"""The object families (``rfdesign.scattering.data.FAMILIES``; not imported for the help)."""
OLD_PROFILES = {"digit": "digits"}
"""Deprecated spellings still accepted."""
PROFILE_HELP = "Object family: circles, digits or austria."
WORKERS_HELP = "Worker processes on this machine (the MoM data)."
EPS_HELP = (
    "Permittivity of the digits or austria object (default 1.5). Complex as 2.5+0.5j: time "
    "dependence exp(-i omega t), eps_r = eps' + i eps'', loss eps'' > 0; a gain medium "
    "(eps'' < 0) is refused."
)
METHODS = ("bp", "csi", "bps", "cgan")
LEARNED = ("bps", "cgan")


def _profile(name: str, grid, seed: int, index: int, eps_r: complex = 1.5) -> np.ndarray:
    from rfdesign.scattering import profiles

    if name == "circles":
        return profiles.circles(grid, np.random.default_rng(seed))
    if name == "digits":
        return profiles.digit(grid, index, eps_r=eps_r)
    return profiles.austria(grid, eps_r=eps_r)


def _profile_name(name: str) -> str:
    """``name`` checked against :data:`PROFILES` (old spellings mapped with a warning)."""
    if name in OLD_PROFILES:
        err.print(
            f"[yellow]warning[/]: --profile {name} is deprecated; use {OLD_PROFILES[name]}",
            highlight=False,
        )
        name = OLD_PROFILES[name]
    if name not in PROFILES:
        fail(f"--profile: {name!r} is not one of {', '.join(PROFILES)}")
    return name


def _eps_r(text: str | None, profile: str) -> complex:
    """The ``--eps-r`` value: a real or complex number of a passive medium."""
    from rfdesign.scattering.mom2d import check_passive

    if text is None:
        return 1.5
    if profile == "circles":
        fail(
            "--eps-r: circles draw their permittivity at random in 1.001-1.5; use digits or austria"
        )
    try:
        value = complex(text.replace(" ", ""))
    except ValueError:
        fail(f"--eps-r: {text!r} is not a number (complex as 2.5+0.5j)")
    try:
        check_passive(value, "--eps-r")
    except ValueError as exc:
        fail(str(exc))
    return value.real if value.imag == 0 else value


def _method(name: str, grid: int, model: Path | None):
    from rfdesign.scattering.bench import COMMITTED, default_root
    from rfdesign.scattering.inversion import get_method
    from rfdesign.scattering.learned import LearnedInversion
    from rfdesign.surrogates.checkpoint import CheckpointError

    if name not in LEARNED:
        return get_method(name)
    # the bench's own networks first, then those committed in the repository's data/scatter
    candidates = [default_root() / f"model_{name}_{grid}", COMMITTED / f"model_{name}_{grid}"]
    path = model or next((p for p in candidates if (p / "model.yaml").exists()), candidates[0])
    if not (path / "model.yaml").exists():
        fail(
            f"--model: no trained {name} network at {path}; train one with `rfdesign scatter "
            f"bench --grid {grid}` or pass --model DIR"
        )
    try:
        return LearnedInversion.load(path)
    except CheckpointError as exc:
        fail(f"--model: {exc}")


@scatter_app.command("invert")
def invert_cmd(
    profile: Annotated[str, typer.Option(help=PROFILE_HELP)] = "circles",
    method: Annotated[str, typer.Option(help="bp, csi, bps or cgan.")] = "bp",
    grid: Annotated[int, typer.Option(min=8, max=512, help="Inversion cells per side.")] = 64,
    noise: Annotated[float, typer.Option(min=0, max=1, help="Noise level (0.05 = 5 %).")] = 0.05,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the object and the noise.")] = 0,
    index: Annotated[int, typer.Option(min=0, max=1796, help="Digit index.")] = 0,
    eps_r: Annotated[str | None, typer.Option("--eps-r", help=EPS_HELP)] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="Trained network for bps/cgan (default: the bench's, in the cache)."),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "scatter_out"
    ),
) -> None:
    """Simulate the benchmark data of a profile on a 2x finer grid and invert it."""
    from rfdesign.scattering.data import add_noise
    from rfdesign.scattering.inversion import rrmse, ssim
    from rfdesign.scattering.plots import plot_profiles

    profile = _profile_name(profile)
    eps = _eps_r(eps_r, profile)
    if method not in METHODS:
        fail(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    check_out_dir(out_dir)
    from rfdesign.scattering.data import inversion_setup

    fine, setup = inversion_setup(2 * grid), inversion_setup(grid)
    invert = _method(method, grid, model)
    t0 = time.perf_counter()
    obj = _profile(profile, fine.mom.grid, seed, index, eps)
    data = fine.mom.solve(obj, fine.e_inc, fine.receivers)
    t_forward = time.perf_counter() - t0
    e_s = add_noise(data.scattered, noise, np.random.default_rng(seed + 1))
    try:
        t0 = time.perf_counter()
        est = invert(setup, e_s)
        t_inv = time.perf_counter() - t0
    except ValueError as exc:
        fail(f"--grid: {exc}")
    truth = _profile(profile, setup.mom.grid, seed, index, eps)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "profile": profile,
        "method": method,
        "grid": grid,
        "data_grid": 2 * grid,
        "noise": noise,
        "seed": seed,
        "eps_r": None if profile == "circles" else str(eps),
        "rrmse_eps": rrmse(est, truth),
        "rrmse_contrast": rrmse(est - 1, truth - 1),
        "ssim": ssim(np.real(est), np.real(truth)),
        "forward_ms": t_forward * 1e3,
        "inversion_ms": t_inv * 1e3,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    np.savez(out_dir / "profiles.npz", truth=truth, estimate=est)
    plot_profiles(
        np.real(truth),
        np.real(est),
        setup.mom.grid.half_width,
        out_dir / "profiles.png",
        title=method.upper(),
    )
    out.print(
        f"{profile} ({method}, {grid} x {grid}, {noise:.0%} noise): RRMSE of eps_r "
        f"{report['rrmse_eps']:.4f}, of the contrast {report['rrmse_contrast']:.3f}; SSIM "
        f"{report['ssim']:.3f}; "
        f"inversion {t_inv * 1e3:.0f} ms -> {out_dir}/profiles.png"
    )


@scatter_app.command("simulate")
def simulate_cmd(
    profile: Annotated[str, typer.Option(help=PROFILE_HELP)] = "circles",
    count: Annotated[int, typer.Option(min=1, help="Number of objects.")] = 25,
    grid: Annotated[int, typer.Option(min=8, max=512, help="Inversion cells per side.")] = 64,
    data_factor: Annotated[
        int, typer.Option(min=1, max=8, help="MoM data grid = grid x this (1 for training).")
    ] = 2,
    noise: Annotated[float, typer.Option(min=0, max=1, help="Noise level (0.05 = 5 %).")] = 0.05,
    split: Annotated[str, typer.Option(help="train or test (which digit images).")] = "test",
    fields: Annotated[bool, typer.Option(help="Store total fields (data factor 1).")] = False,
    seed: Annotated[int, typer.Option(min=0, help="Seed of objects and noise.")] = 0,
    workers: Annotated[int, typer.Option(min=1, max=64, help=WORKERS_HELP)] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="Dataset folder (resumable).")] = Path(
        "scatter_data"
    ),
    family: Annotated[str | None, typer.Option("--family", hidden=True)] = None,
) -> None:
    """Objects, MoM scattered fields (clean and noisy) and BP images, saved in chunks."""
    from concurrent.futures import ProcessPoolExecutor

    from rfdesign.scattering.data import ScatterDataSpec, generate

    profile = _profile_name(deprecated_alias("--family", "--profile", family, profile))
    check_out_dir(out_dir)
    try:
        spec = ScatterDataSpec(profile, count, grid, data_factor, noise, seed, split, fields=fields)
    except ValueError as exc:
        fail(f"--{str(exc).split(':')[0].replace('_', '-')}: {exc}")
    t0 = time.perf_counter()
    with stage_progress() as progress:
        cb = lambda done, total: progress("simulate", done, total)  # noqa: E731
        try:
            if workers > 1:
                with ProcessPoolExecutor(workers) as ex:
                    data = generate(spec, out_dir, executor=ex, progress=cb)
            else:
                data = generate(spec, out_dir, progress=cb)
        except ValueError as exc:
            fail(f"--out: {exc}")
    out.print(
        f"{len(data['eps'])} {profile} objects on {grid} x {grid} (data on "
        f"{grid * data_factor} x {grid * data_factor}, {noise:.0%} noise) in {out_dir} "
        f"({time.perf_counter() - t0:.0f} s)"
    )


@scatter_app.command("bench")
def bench_cmd(
    grid: Annotated[int, typer.Option(min=8, max=256, help="Inversion cells per side.")] = 64,
    train_count: Annotated[int, typer.Option(min=2, help="Training objects per family.")] = 600,
    test_count: Annotated[int, typer.Option(min=1, help="Test objects per family.")] = 25,
    epochs: Annotated[
        str,
        typer.Option(help="Epochs bps,cgan,ficlm[,ficlm resumed at lr 3e-4] (comma-separated)."),
    ] = "25,8,20,30",
    meep: Annotated[bool, typer.Option(help="Also invert Meep 2-D data.")] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help=WORKERS_HELP)] = 2,
    cache: Annotated[
        Path | None, typer.Option(help="Datasets and networks (default $RFDESIGN_CACHE/scatter).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "scatter_bench"
    ),
) -> None:
    """Every method on circles, digits and Austria; FICLM against the MoM (table + plots)."""
    from rfdesign.scattering.bench import BenchConfig, default_root, example_maps, run_bench

    try:
        ep = [int(v) for v in epochs.split(",")]
        if len(ep) not in (3, 4) or min(ep[:3]) < 1 or min(ep) < 0:
            raise ValueError
    except ValueError:
        fail(f"--epochs: expected three or four integers like 25,8,20,30, got {epochs!r}")
    check_out_dir(out_dir)
    check_out_dir(cache or default_root(), "--cache")
    cfg = BenchConfig(
        root=cache or default_root(),
        n=grid,
        train={"circles": train_count, "digits": train_count},
        test={"circles": test_count, "digits": test_count, "austria": 1},
        epochs=dict(zip(("bps", "cgan", "ficlm", "ficlm_more"), ep, strict=False)),
        meep=meep,
        workers=workers,
    )
    table, figures = run_bench(
        cfg, log=lambda m: out.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {m}")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scatter.md").write_text(table + "\n")
    (out_dir / "scatter.json").write_text(json.dumps(figures, indent=2))
    example_maps(cfg, out_dir / "profiles.png")
    out.print(table)
    out.print(f"-> {out_dir}/scatter.md, scatter.json, profiles.png")


def register(app: typer.Typer) -> None:
    """Add the ``scatter`` group to the top-level app."""
    app.add_typer(scatter_app, name="scatter")
