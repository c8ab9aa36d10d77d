"""The inverse-scattering benchmark: inversion methods and FICLM on the published setup.

Every inversion method on circles, digits and Austria, and FICLM against the MoM as a forward
solver.

The setup of the back-propagation benchmark (SEED-NOTES 6): domain [-1, 1]^2 m, 400 MHz,
16 line sources and 32 receivers on a 3 m circle, 5 % noise, inversion grid ``n x n`` (64 by
default). Training sets (random cylinders and digits from images 0-1499) are MoM data on the
inversion grid; test sets (digit images 1500-1796, never seen in training; Austria, never seen
at all) are MoM data on a grid twice as fine, plus Meep 2-D data for the first object of each
family (optional). Datasets and trained networks are cached in ``root`` (a rerun reuses them).
Times are per reconstruction on this machine, including the BP image for the learned methods.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rfdesign.core.paths import repo_data


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of the benchmark (defaults: the published setup; tests use a small one).

    Attributes:
        root: Cache folder of datasets and models.
        n: Cells per side of the inversion grid.
        train: Family -> number of training objects.
        test: Family -> number of test objects.
        epochs: Method -> training epochs (``bps``, ``cgan``, ``ficlm``; ``ficlm_more``: a
            second FICLM phase resumed at learning rate 3e-4 with seed + 1).
        widths: Method -> U-Net width.
        meep: Also invert Meep 2-D data of the first test object of each family.
        meep_resolution: Meep pixels per metre (40: 30 per free-space wavelength at 400 MHz).
        workers: Processes for dataset generation.
        seed: Seed of the training.
    """

    root: Path
    n: int = 64
    train: dict = field(default_factory=lambda: {"circles": 600, "digits": 600})
    test: dict = field(default_factory=lambda: {"circles": 25, "digits": 25, "austria": 1})
    epochs: dict = field(
        default_factory=lambda: {"bps": 25, "cgan": 8, "ficlm": 20, "ficlm_more": 30}
    )
    widths: dict = field(default_factory=lambda: {"bps": 16, "ficlm": 32})
    meep: bool = True
    meep_resolution: float = 40.0
    workers: int = 2
    seed: int = 0


COMMITTED = repo_data() / "scatter"
"""Networks trained by the benchmark and committed with their provenance (data/scatter)."""


def default_root() -> Path:
    """Cache folder of the benchmark's datasets and networks: ``$RFDESIGN_CACHE/scatter``."""
    from rfdesign.core.paths import cache_base

    return cache_base() / "scatter"


def datasets(cfg: BenchConfig) -> tuple[dict, dict]:
    """``(train, test)``: family -> arrays (generated where missing)."""
    from rfdesign.scattering.data import ScatterDataSpec, generate

    train, test = {}, {}
    with ProcessPoolExecutor(cfg.workers) as ex:
        for fam, count in cfg.test.items():
            spec = ScatterDataSpec(fam, count, n=cfg.n, seed=1000)
            test[fam] = generate(spec, cfg.root / f"test_{fam}_{cfg.n}", executor=ex)
        for fam, count in cfg.train.items():
            spec = ScatterDataSpec(fam, count, n=cfg.n, data_factor=1, split="train", fields=True)
            train[fam] = generate(spec, cfg.root / f"train_{fam}_{cfg.n}", executor=ex)
    return train, test


def models(cfg: BenchConfig, train: dict, setup, log: Callable[[str], None]) -> dict:
    """Trained BPS, cGAN and FICLM (loaded from the cache or trained now)."""
    from rfdesign.scattering.learned import LearnedInversion, train_inversion

    bp = np.concatenate([train[f]["bp"] for f in cfg.train])
    eps = np.concatenate([train[f]["eps"] for f in cfg.train])
    out = {}
    path = cfg.root / f"model_bps_{cfg.n}"
    if not (path / "model.yaml").exists():
        log(f"training BPS on {len(bp)} objects")
        net = train_inversion(
            bp, eps, "bps", cfg.epochs["bps"], width=cfg.widths["bps"], seed=cfg.seed, log=log
        )
        net.save(path)
    out["bps"] = LearnedInversion.load(path)
    path = cfg.root / f"model_cgan_{cfg.n}"
    if not (path / "model.yaml").exists():
        log("training the cGAN (generator starts from the BPS weights)")
        net = train_inversion(
            bp, eps, "cgan", cfg.epochs["cgan"], seed=cfg.seed, init=out["bps"], log=log
        )
        net.save(path)
    out["cgan"] = LearnedInversion.load(path)
    out["ficlm"] = ficlm_model(cfg, train, setup, cfg.widths["ficlm"], log)
    return out


def ficlm_model(
    cfg: BenchConfig, train: dict, setup, width: int, log: Callable[[str], None]
) -> object:
    """The FICLM of U-Net ``width`` (loaded from the cache or trained now).

    Training: ``cfg.epochs["ficlm"]`` epochs at learning rate 1e-3, then
    ``cfg.epochs["ficlm_more"]`` resumed at 3e-4 (seed + 1). The bench's own width keeps the
    folder name ``model_ficlm_<n>``; other widths get ``model_ficlm_<n>_w<width>``.
    """
    from rfdesign.scattering.ficlm import FICLM

    name = f"model_ficlm_{cfg.n}" + ("" if width == cfg.widths["ficlm"] else f"_w{width}")
    path = cfg.root / name
    if not (path / "model.yaml").exists():
        eps = np.concatenate([train[f]["eps"] for f in cfg.train])
        total = np.concatenate([train[f]["total"] for f in cfg.train])
        log(f"training FICLM (width {width}) on {len(eps)} objects")
        ficlm = FICLM(setup.e_inc, setup.g_s, width=width)
        ficlm.fit(eps, total, cfg.epochs["ficlm"], seed=cfg.seed, log=log)
        if cfg.epochs.get("ficlm_more"):
            log(f"FICLM: {cfg.epochs['ficlm_more']} more epochs at learning rate 3e-4")
            ficlm.fit(
                eps,
                total,
                cfg.epochs["ficlm_more"],
                seed=cfg.seed + 1,
                log=log,
                resume=True,
                lr=3e-4,
            )
        ficlm.save(path)
    return FICLM.load(path)


def meep_data(cfg: BenchConfig, log: Callable[[str], None]) -> dict:
    """Noisy Meep 2-D data of the first test object of each family (cached)."""
    from rfdesign.scattering import meep2d
    from rfdesign.scattering.data import ScatterDataSpec, add_noise, make_object
    from rfdesign.scattering.mom2d import Grid2D
    from rfdesign.scattering.profiles import benchmark_setup

    k0, tx, rx = benchmark_setup()
    out = {}
    for fam in cfg.test:
        path = cfg.root / f"meep_{fam}_{int(cfg.meep_resolution)}.npz"
        if not path.exists():
            log(f"Meep 2-D data for the first {fam} object ({len(tx)} transmitters)")
            fine = Grid2D(256, 1.0)
            eps_map = make_object(ScatterDataSpec(fam, 1, seed=1000), fine, 0)

            def eps_fn(x, y, m=eps_map, g=fine):
                ix, iy = int((x + 1) / g.d), int((y + 1) / g.d)
                return m[iy, ix] if 0 <= ix < g.n and 0 <= iy < g.n else 1.0

            e_s = meep2d.scattered_field(k0, tx, rx, eps_fn=eps_fn, resolution=cfg.meep_resolution)
            np.savez(path, e_scat=e_s)
        e_s = np.load(path)["e_scat"]
        out[fam] = add_noise(e_s, 0.05, np.random.default_rng([1000, 0, 2]))
    return out


def run_bench(cfg: BenchConfig, log: Callable[[str], None] = print) -> tuple[str, dict]:
    """Run the benchmark.

    Returns:
        ``(markdown tables, figures)``; figures hold per method and family the mean RRMSE,
        mean SSIM and ms, Meep RRMSEs, and FICLM's errors and speed-up.
    """
    from rfdesign.scattering.data import inversion_setup
    from rfdesign.scattering.inversion import get_method, rrmse, ssim

    cfg.root.mkdir(parents=True, exist_ok=True)
    setup = inversion_setup(cfg.n)
    train, test = datasets(cfg)
    nets = models(cfg, train, setup, log)
    methods = {"bp": get_method("bp"), "csi": get_method("csi")}
    methods |= {"bps": nets["bps"], "cgan": nets["cgan"]}
    fams = list(cfg.test)
    figures: dict = {"config": {k: str(v) for k, v in asdict(cfg).items()}, "inversion": {}}
    counts = ", ".join(f"{cfg.test[f]} {f}" for f in fams)
    lines = [
        f"Inversion on {cfg.n} x {cfg.n} cells, 5 % noise, MoM test data on a "
        f"{2 * cfg.n} x {2 * cfg.n} grid ({counts}); training: "
        + ", ".join(f"{c} {f}" for f, c in cfg.train.items())
        + f" on {cfg.n} x {cfg.n}. RRMSE of eps_r and SSIM: means over the test objects; ms: "
        "mean per reconstruction.",
        "",
        "| method | " + " | ".join(f"{f} RRMSE | {f} SSIM" for f in fams) + " | ms |",
        "|---|" + "---|---|" * len(fams) + "---|",
    ]
    examples = {f"{fam}/true": test[fam]["eps"][0] for fam in fams}
    for name, method in methods.items():
        cells, times, fig = [], [], {}
        for fam in fams:
            d = test[fam]
            scores = []
            for i in range(len(d["eps"])):
                t0 = time.perf_counter()
                est = method(setup, d["e_noisy"][i])
                times.append(time.perf_counter() - t0)
                if i == 0:
                    examples[f"{fam}/{name}"] = est
                scores.append((rrmse(est, d["eps"][i]), ssim(est, d["eps"][i])))
            s = np.mean(scores, axis=0)
            fig[fam] = {"rrmse": float(s[0]), "ssim": float(s[1])}
            cells += [f"{s[0]:.4f}", f"{s[1]:.3f}"]
        fig["ms"] = 1e3 * float(np.mean(times))
        figures["inversion"][name] = fig
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {fig['ms']:.0f} |")
        log(lines[-1])
    np.savez(cfg.root / f"examples_{cfg.n}.npz", **examples)
    if cfg.meep:
        meep = meep_data(cfg, log)
        lines += [
            "",
            f"Same methods on Meep 2-D data (FDTD, {cfg.meep_resolution:.0f} px per m, 5 % "
            "noise), first test object of each family: RRMSE of eps_r.",
            "",
            "| method | " + " | ".join(fams) + " |",
            "|---|" + "---|" * len(fams),
        ]
        figures["meep"] = {}
        for name, method in methods.items():
            row = [rrmse(method(setup, meep[f]), test[f]["eps"][0]) for f in fams]
            figures["meep"][name] = dict(zip(fams, row, strict=True))
            lines.append(f"| {name} | " + " | ".join(f"{r:.4f}" for r in row) + " |")
    ficlm_lines, figures["ficlm"] = ficlm_table(nets["ficlm"], setup, test, log)
    lines += ["", *ficlm_lines]
    if cfg.meep:
        lines += ["", *ficlm_vs_meep(cfg, nets["ficlm"], setup, test, figures["ficlm"])]
    return "\n".join(lines), figures


def example_maps(cfg: BenchConfig, path: str | Path) -> None:
    """Plot the first test object of each family and every method's reconstruction of it."""
    from rfdesign.scattering.plots import plot_profile_grid

    maps = np.load(cfg.root / f"examples_{cfg.n}.npz")
    rows: dict[str, dict[str, np.ndarray]] = {}
    for key in maps.files:
        fam, name = key.split("/")
        rows.setdefault(fam, {})[name] = maps[key]
    plot_profile_grid(rows, 1.0, path)


def timed(fn, *args, repeat: int = 3) -> tuple[object, float]:
    """``(result, best wall seconds of repeat calls)``."""
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return result, best


def relative_errors(fields: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Relative error of each object's fields, ``||f - ref|| / ||ref||`` (``B x ...`` each)."""
    axes = tuple(range(1, np.ndim(refs)))
    return np.linalg.norm(fields - refs, axis=axes) / np.linalg.norm(refs, axis=axes)


def mom_solves(setup, eps_maps: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The MoM on the setup's grid for each map, with its time.

    Returns:
        ``(scattered fields B x T x R, ms per object at rtol 1e-6, at rtol 1e-2)``: the mean
        of one timed solve per object.
    """
    fields, t_tight, t_loose = [], [], []
    for eps in eps_maps:
        res, t = timed(setup.mom.solve, eps, setup.e_inc, setup.receivers, 1e-6, repeat=1)
        fields.append(res.scattered)
        t_tight.append(t)
        t_loose.append(timed(setup.mom.solve, eps, setup.e_inc, setup.receivers, 1e-2, repeat=1)[1])
    return np.array(fields), 1e3 * float(np.mean(t_tight)), 1e3 * float(np.mean(t_loose))


def ficlm_vs_meep(cfg: BenchConfig, ficlm, setup, test: dict, figures: dict) -> list[str]:
    """FICLM and the MoM against Meep's clean data for the first object of each family."""
    lines = [
        "FICLM and the MoM against Meep 2-D (clean data, first object of each family): relative "
        "error of the scattered fields.",
        "",
        f"| family | FICLM vs Meep | MoM-{cfg.n} vs Meep | MoM-{2 * cfg.n} vs Meep |",
        "|---|---|---|---|",
    ]
    for fam, d in test.items():
        ref = np.load(cfg.root / f"meep_{fam}_{int(cfg.meep_resolution)}.npz")["e_scat"]
        eps = d["eps"][0]
        pred = ficlm.scattered(eps[None])[0]
        mom = setup.mom.solve(eps, setup.e_inc, setup.receivers, 1e-6).scattered
        errs = [np.linalg.norm(e - ref) / np.linalg.norm(ref) for e in (pred, mom, d["e_scat"][0])]
        figures[fam]["vs_meep"] = dict(zip(("ficlm", "mom_coarse", "mom_fine"), errs, strict=True))
        lines.append(f"| {fam} | " + " | ".join(f"{100 * e:.2f} %" for e in errs) + " |")
    return lines


def ficlm_table(ficlm, setup, test: dict, log) -> tuple[list[str], dict]:
    """FICLM's scattered field against the MoM on the test objects, and the speed-up."""
    n = setup.n
    lines = [
        f"FICLM as a forward solver on the test objects (exact permittivity on {n} x {n}): "
        f"relative error of the scattered fields (16 x 32) against the MoM on {2 * n} x {2 * n} "
        f"(the reference) and on {n} x {n} (FICLM's training grid); ms per object (16 "
        "incidences), FICLM one object per call and all the family's objects in one batch; MoM "
        "with GMRES to rtol 1e-6, and to 1e-2 (about FICLM's accuracy).",
        "",
        f"| family | objects | FICLM vs MoM-{2 * n}: median | 90th pct | MoM-{n} vs MoM-{2 * n} "
        f"| FICLM vs MoM-{n} | FICLM ms (one / batch) | MoM-{n} ms (1e-6) | MoM-{n} ms (1e-2) "
        "| speed-up, batch (1e-6 / 1e-2) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    figures = {}
    for fam, d in test.items():
        preds, t_f = zip(*(timed(ficlm.scattered, eps[None]) for eps in d["eps"]), strict=True)
        pred = np.concatenate(preds)
        _, t_batch = timed(ficlm.scattered, d["eps"])
        mom, mom_ms, mom_ms_loose = mom_solves(setup, d["eps"])
        e_f = relative_errors(pred, d["e_scat"])
        fig = {
            "median_vs_fine": float(np.median(e_f)),
            "p90_vs_fine": float(np.percentile(e_f, 90)),
            "mom_coarse_vs_fine": float(np.median(relative_errors(mom, d["e_scat"]))),
            "median_vs_same_grid": float(np.median(relative_errors(pred, mom))),
            "ficlm_ms": 1e3 * float(np.mean(t_f)),
            "ficlm_batch_ms": 1e3 * t_batch / len(d["eps"]),
            "mom_ms": mom_ms,
            "mom_ms_loose": mom_ms_loose,
        }
        figures[fam] = fig
        lines.append(
            f"| {fam} | {len(e_f)} | {100 * fig['median_vs_fine']:.2f} % | "
            f"{100 * fig['p90_vs_fine']:.2f} % | {100 * fig['mom_coarse_vs_fine']:.2f} % | "
            f"{100 * fig['median_vs_same_grid']:.2f} % | {fig['ficlm_ms']:.1f} / "
            f"{fig['ficlm_batch_ms']:.1f} | {fig['mom_ms']:.0f} | {fig['mom_ms_loose']:.0f} | "
            f"{fig['mom_ms'] / fig['ficlm_batch_ms']:.1f}x / "
            f"{fig['mom_ms_loose'] / fig['ficlm_batch_ms']:.1f}x |"
        )
        log(lines[-1])
    return lines, figures
