"""``rfdesign design`` for ``design.method: pixel``: a pixelated patch found by GA on a CNN.

The pixel-antenna flow (issue 25, item 6; SEED-NOTES section 4):

1. **The grid from the spec.** The outline's length is the cavity model's resonant length at
   the lowest band's centre (Balanis 4th ed., eq. 14-7); its width is ``n_y`` half-widths of
   the 50-ohm feed, so the feed meets exactly the two centre columns and every feed edge is a
   cell edge (no sliver cells, one mesh for every layout: :mod:`rfdesign.layouts.pixel_patch`).
2. **Cheap data.** ``cheap_runs`` random layouts (seeded; fill fraction drawn from 0.3-0.9 per
   layout; corner-only contacts repaired as on the filter grids) on a coarse openEMS mesh
   (:data:`CHEAP_MESH`, about 5 s a run on this machine), |S11| only. The CNN ensemble
   (:mod:`rfdesign.surrogates.antenna_cnn`) is pre-trained on them.
3. **Search-mesh data.** The full patch, the inset-fed patches the grid can draw (the basic
   shape: :func:`inset_layouts`) and ``initial_runs - 1`` random layouts on the spec's mesh;
   the ensemble is fine-tuned on them.
4. **Rounds.** Each round runs pymoo's GA twice on the ensemble, its first population holding
   the :data:`ELITE` best verified layouts: once for the largest mean worst band margin
   (exploit), once for the largest optimistic one, mean plus one ensemble standard deviation
   (explore); ``per_round`` new distinct layouts, half from each, are run on openEMS, added
   to the data, and the ensemble is fine-tuned again. A layout whose bands
   all pass is run again with the far field at the gain points; the search stops when one
   meets every requirement or the budget of search-mesh runs is spent.
5. **Verification** as for the parametric patch (:func:`rfdesign.design.antenna.design_antenna`):
   the best layout with the far field, on a 1.5x finer mesh and with copper sheets.

Every openEMS run is cached; a killed design replays its runs and resumes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from pymoo.core.problem import Problem

from rfdesign.antenna_spec import AntennaSpec
from rfdesign.core.constants import C0_MM_PER_NS
from rfdesign.core.threads import one_blas_thread
from rfdesign.core.version import __version__
from rfdesign.design.antenna import (
    AntennaDesign,
    far_field_table,
    margins,
    md_cell,
    spec_solver,
    verification_runs,
)
from rfdesign.layouts.feeds import microstrip_width_mm
from rfdesign.layouts.grid import repair_corner_contacts
from rfdesign.layouts.pixel_patch import PixelPatchGrid
from rfdesign.optimizers.ga import run_ga
from rfdesign.optimizers.sadea import Evaluation, SadeaResult
from rfdesign.solvers import patch_model
from rfdesign.solvers.base import SolverError
from rfdesign.solvers.openems_antenna import AntennaResult, OpenEMSAntennaSolver
from rfdesign.surrogates.antenna_cnn import FLOOR_DB, AntennaCNN, AntennaCNNConfig

log = logging.getLogger(__name__)

CHEAP_MESH: dict[str, Any] = {"cells": 10.0, "edge_cells": 30.0, "substrate_cells": 3}
"""The pre-training data's openEMS mesh: 10 cells per wavelength, 3 across the substrate."""

ELITE = 10
"""The best verified layouts put into each round's GA population."""

FILL_RANGE = (0.3, 0.9)
"""Random layouts draw their metal fraction uniformly from this range, then each cell."""


def pixel_grid(spec: AntennaSpec) -> PixelPatchGrid:
    """The spec's pixel grid (module docstring, step 1).

    The feed and ground plane as the parametric patch's: a quarter free-space wavelength at
    the bands' centre each (or the spec's ground margin).
    """
    sub = spec.substrate
    px = spec.design.pixel
    low = min(spec.bands, key=lambda b: b.f_min_ghz)
    f1 = (low.f_min_ghz + low.f_max_ghz) / 2
    fc = spec.centre_ghz
    w0 = patch_model.design_width_mm(f1, sub.eps_r)
    length = patch_model.resonant_length_mm(f1, sub.eps_r, sub.height_mm, w0)
    fw = round(microstrip_width_mm(sub.to_substrate(), 50.0, fc), 4)
    lam0 = C0_MM_PER_NS / fc
    d = spec.design
    margin = d.ground_margin_mm if d.ground_margin_mm is not None else lam0 / 4
    return PixelPatchGrid(
        round(length, 3),
        round(px.n_y * fw / 2, 4),
        px.n_x,
        px.n_y,
        sub.to_substrate(),
        fw,
        round(lam0 / 4, 3),
        round(margin, 3),
    )


def random_layouts(grid: PixelPatchGrid, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random admissible layouts (bits ``n x n_bits``, uint8), seeded by ``rng``.

    Each layout draws its fill fraction from :data:`FILL_RANGE`, then each free cell; the
    corner-only contacts are closed (:func:`rfdesign.layouts.grid.repair_corner_contacts`).
    """
    p = rng.uniform(*FILL_RANGE, size=(n, 1))
    bits = (rng.random((n, grid.n_bits)) < p).astype(np.uint8)
    return repair_corner_contacts(grid, bits) if n else bits


def band_margins(spec: AntennaSpec, f_ghz: np.ndarray, s11_db: np.ndarray) -> np.ndarray:
    """Each band's |S11| margin (dB), ``N x bands``, from curves ``N x F`` (vectorised).

    As :func:`rfdesign.design.antenna.margins`: the limit minus the largest |S11| over the
    sweep's points inside the band and its two (interpolated) edges.
    """
    y = np.atleast_2d(s11_db)
    out = np.empty((len(y), len(spec.bands)))
    for j, b in enumerate(spec.bands):
        inside = (f_ghz >= b.f_min_ghz) & (f_ghz <= b.f_max_ghz)
        worst = y[:, inside].max(axis=1) if inside.any() else np.full(len(y), -np.inf)
        for edge in (b.f_min_ghz, b.f_max_ghz):
            k = int(np.clip(np.searchsorted(f_ghz, edge), 1, len(f_ghz) - 1))
            t = (edge - f_ghz[k - 1]) / (f_ghz[k] - f_ghz[k - 1])
            worst = np.maximum(worst, (1 - t) * y[:, k - 1] + t * y[:, k])
        out[:, j] = b.s11_max_db - worst
    return out


def s11_db(result: AntennaResult) -> np.ndarray:
    """|S11| of a run in dB."""
    return 20 * np.log10(np.maximum(np.abs(result.s11), 1e-12))


def run_layouts(
    solver: OpenEMSAntennaSolver,
    grid: PixelPatchGrid,
    bits: np.ndarray,
    f_ghz: np.ndarray,
    workers: int = 2,
    done: Callable[[int, int], None] | None = None,
) -> list[AntennaResult | None]:
    """openEMS on each layout (|S11| only), ``workers`` runs at a time; None where one failed.

    Each run is cached on its own as it finishes, so a killed batch keeps what it computed.
    """
    patches = [grid.patch(b) for b in bits]
    out: list[AntennaResult | None] = [None] * len(patches)
    count = [0]

    def one(i: int) -> None:
        try:
            out[i] = solver.simulate(patches[i], f_ghz)
        except SolverError as exc:  # a failed run is skipped, with its reason in the log
            log.warning("pixel layout %s: openEMS failed: %s", patches[i].bit_string(), exc)
        count[0] += 1
        if done:
            done(count[0], len(patches))

    with ThreadPoolExecutor(max(1, workers)) as ex:
        list(ex.map(one, range(len(patches))))
    return out


def cheap_solver(spec: AntennaSpec, cache_dir: str | Path | None = None) -> OpenEMSAntennaSolver:
    """openEMS on the pre-training mesh (:data:`CHEAP_MESH`)."""
    return spec_solver(spec, cache_dir, **CHEAP_MESH)


def full_patch_bits(grid: PixelPatchGrid) -> np.ndarray:
    """The layout with every cell metal (the plain, edge-fed patch)."""
    return np.ones((1, grid.n_bits), np.uint8)


def inset_layouts(grid: PixelPatchGrid) -> np.ndarray:
    """The inset-fed patches the grid can draw: the basic shape the search starts from.

    An edge-fed patch presents a few hundred ohm (Balanis eq. 14-17); the inset feed matches
    it by running the feed into the patch between two notches (section 14.2.3). On the grid
    the notches are the column beside the feed's, emptied from row 0 to depth ``d`` for
    ``d = 1 .. n_x // 2`` (the 50-ohm inset lies at about a third of the length; eq. 14-20a).

    Returns:
        Bits ``n_x // 2 x n_bits`` (none when the feed fills the half's first column).
    """
    fixed_cols = sorted(c for (r, c) in grid.fixed if r == 0)
    notch = fixed_cols[0] - 1 if fixed_cols else -1
    if notch < 0:
        return np.zeros((0, grid.n_bits), np.uint8)
    out = []
    for depth in range(1, grid.n_x // 2 + 1):
        mask = np.ones((grid.n_x, grid.n_y), bool)
        mask[:depth, notch] = mask[:depth, grid.n_y - 1 - notch] = False
        out.append(grid.bits_of(mask[None])[0])
    return np.array(out, np.uint8)


def layout_sets(spec: AntennaSpec, grid: PixelPatchGrid) -> tuple[np.ndarray, np.ndarray]:
    """The cheap-mesh and the initial search-mesh layouts (seeded by the spec).

    Both start with the full patch; the search mesh's then with the inset-fed patches
    (:func:`inset_layouts`); then random layouts from two independent streams of the seed.
    """
    px = spec.design.pixel
    seed = spec.design.seed
    cheap = random_layouts(grid, px.cheap_runs, np.random.default_rng([seed, 1]))
    initial = random_layouts(grid, px.initial_runs - 1, np.random.default_rng([seed, 2]))
    full = full_patch_bits(grid)
    return np.concatenate([full, cheap]), np.concatenate([full, inset_layouts(grid), initial])


class EnsembleProblem(Problem):
    """pymoo problem: bits -> minus the ensemble's (optimistic) worst band margin.

    ``score = mean_members(worst margin) + kappa * std_members(worst margin)``; ``kappa = 0``
    exploits the mean, ``kappa > 0`` favours layouts the members disagree on. Carries the
    grid, so the GA's corner-contact repair applies (:class:`rfdesign.optimizers.ga.CornerContactRepair`).
    """

    allow_corner_contacts = False

    def __init__(
        self,
        grid: PixelPatchGrid,
        cnn: AntennaCNN,
        spec: AntennaSpec,
        f_ghz: np.ndarray,
        kappa: float,
    ) -> None:
        super().__init__(n_var=grid.n_bits, n_obj=1, xl=0, xu=1, vtype=bool)
        self.grid, self.cnn, self.spec, self.f_ghz, self.kappa = grid, cnn, spec, f_ghz, kappa

    def _evaluate(self, x, out, *args, **kwargs) -> None:
        masks = self.grid.masks(np.asarray(x, bool))
        worst = predicted_worst(self.cnn, self.spec, self.f_ghz, masks)
        out["F"] = -(worst.mean(axis=0) + self.kappa * worst.std(axis=0))[:, None]


def round_picks(
    grid: PixelPatchGrid,
    cnn: AntennaCNN,
    spec: AntennaSpec,
    f_ghz: np.ndarray,
    n: int,
    seen: set[bytes],
    seed: int,
    elite: np.ndarray | None = None,
) -> np.ndarray:
    """One round's ``n`` new layouts, by the GA on the ensemble.

    Half are the best on the ensemble's mean worst margin, the rest the best on mean plus one
    standard deviation; ``seen`` layouts are skipped and the picks added to it. ``elite``
    (the best verified layouts so far) joins each GA's first population, so the search
    refines around what openEMS confirmed as well as where the ensemble points.
    """
    picks: list[np.ndarray] = []
    for j, kappa in enumerate((0.0, 1.0)):
        ga = run_ga(
            EnsembleProblem(grid, cnn, spec, f_ghz, kappa),
            pop_size=100,
            generations=40,
            seed=seed + j,
            top_k=100,
            initial=elite,
        )
        want = (n + 1) // 2 if j == 0 else n
        for b in ga.bits:
            if len(picks) >= want:
                break
            if b.tobytes() not in seen:
                seen.add(b.tobytes())
                picks.append(b)
    return np.array(picks, np.uint8).reshape(-1, grid.n_bits)


def predicted_worst(cnn: AntennaCNN, spec: AntennaSpec, f_ghz: np.ndarray, masks) -> np.ndarray:
    """Each member's worst band margin (dB) for each mask, ``members x N``."""
    return members_worst(spec, f_ghz, cnn.predict_members(masks))


def members_worst(spec: AntennaSpec, f_ghz: np.ndarray, members_db: np.ndarray) -> np.ndarray:
    """Worst band margin (dB), ``members x N``, of member predictions ``members x N x F``."""
    return np.stack([band_margins(spec, f_ghz, pk).min(axis=1) for pk in members_db])


class PixelAntennaDesign(AntennaDesign):
    """A designed pixel patch: :class:`AntennaDesign` with the grid, the data and the rounds."""

    def summary(self) -> dict[str, Any]:
        """The report's JSON content, the layout as its grid and bits."""
        out = super().summary()
        p = self.patch
        out["patch"] = {
            "grid": p.grid.to_dict(),
            "bits": p.bit_string(),
            "mask": ["".join("#" if v else "." for v in row) for row in p.mask],
            "metal_area_mm2": p.metal_area_mm2,
        }
        out["history"] = [
            {
                "bits": "".join(str(int(v)) for v in e.x),
                "margins_db": e.margins.tolist(),
                "stage": e.stage,
                "predicted_db": e.predicted,
                "bound_db": e.bound,
            }
            for e in self.history.history
        ]
        return out

    def markdown(self, summary: dict) -> str:
        """The pixel design's report."""
        return pixel_report_markdown(self, summary)


@one_blas_thread
def design_pixel_antenna(
    spec: AntennaSpec,
    *,
    out: str | Path | None = None,
    cache_dir: str | Path | None = None,
    budget: int | None = None,
    workers: int = 2,
    progress: Callable[[str, int, int], None] | None = None,
) -> PixelAntennaDesign:
    """Design the pixel patch of ``spec`` (module docstring), verify it, save it to ``out``.

    Args:
        spec: The antenna spec (``design.method: pixel``; no layout).
        out: Output folder (written when given).
        cache_dir: openEMS result cache (default: the shared one).
        budget: Most search-mesh openEMS runs (default: the spec's), the initial ones, the
            rounds' and the far-field checks included (a far-field check of a layout that
            met the bands in the last round may run past it, by at most 3); the cheap runs
            are counted apart.
        workers: openEMS runs at a time (one thread each).
        progress: Called ``(stage, done, total)``.
    """
    t0 = time.perf_counter()
    px = spec.design.pixel
    seed = spec.design.seed
    budget = budget or spec.design.budget
    grid = pixel_grid(spec)
    f = spec.frequencies_ghz()
    ff = np.array(sorted({g.f_ghz for g in spec.gain}), float)
    search = spec_solver(spec, cache_dir)
    cheap_bits, initial_bits = layout_sets(spec, grid)
    solver_s = [0.0]

    def spent(results) -> None:
        solver_s[0] += sum(float(r.info.get("wall_s", 0.0)) for r in results if r is not None)

    def report(stage: str):
        return (lambda i, n: progress(stage, i, n)) if progress else None

    cnn = AntennaCNN(
        (grid.n_rows, grid.n_cols_full), len(f), AntennaCNNConfig(members=px.ensemble), seed
    )
    fits = []
    if len(cheap_bits) > 1:
        res = run_layouts(
            cheap_solver(spec, cache_dir), grid, cheap_bits, f, workers, report("cheap")
        )
        spent(res)
        ok = [i for i, r in enumerate(res) if r is not None]
        fits.append(
            cnn.fit(
                grid.masks(cheap_bits[ok]),
                np.stack([s11_db(res[i]) for i in ok]),
                label="pre-train on the cheap mesh",
            )
        )
    n0 = min(len(initial_bits), budget)
    res = run_layouts(search, grid, initial_bits[:n0], f, workers, report("initial"))
    spent(res)
    data_bits = [b for b, r in zip(initial_bits[:n0], res, strict=True) if r is not None]
    data_db = [s11_db(r) for r in res if r is not None]
    history = [
        Evaluation(b.astype(float), band_margins(spec, f, y)[0], "initial")
        for b, y in zip(data_bits, data_db, strict=True)
    ]
    runs = n0
    fits.append(
        cnn.fit(
            grid.masks(np.array(data_bits)),
            np.array(data_db),
            warm=bool(fits),
            label=f"fine-tune, {len(data_bits)} search-mesh runs",
        )
    )
    seen = {b.tobytes() for b in np.asarray(data_bits, np.uint8)}
    rounds: list[dict] = []
    passed_bits: np.ndarray | None = None
    gain_checked: dict[bytes, AntennaResult] = {}

    def check_gain(b: np.ndarray) -> AntennaResult:
        r = search.simulate(grid.patch(b), f, ff)
        spent([r])
        gain_checked[b.tobytes()] = r
        return r

    k = 0
    while runs < budget and passed_bits is None:
        k += 1
        n = min(px.per_round, budget - runs)
        predicted: list[float] = []
        bound: list[float] = []
        order = np.argsort([-e.worst for e in history])[:ELITE]
        elite = np.array([history[i].x for i in order], np.uint8)
        picks = round_picks(grid, cnn, spec, f, n, seen, seed * 1000 + 10 * k, elite)
        if not len(picks):
            log.warning("pixel search: round %d found no new layout; stopping", k)
            break
        members_db = cnn.predict_members(grid.masks(picks))
        worst = members_worst(spec, f, members_db)
        mean_pred = members_db.mean(axis=0)
        res = run_layouts(search, grid, picks, f, workers, report(f"round {k}"))
        spent(res)
        runs += len(picks)
        verified, errors = [], []
        for i, (b, r) in enumerate(zip(picks, res, strict=True)):
            if r is None:
                continue
            y = s11_db(r)
            m = band_margins(spec, f, y)[0]
            predicted.append(float(worst[:, i].mean()))
            bound.append(float(worst[:, i].mean() + worst[:, i].std()))
            verified.append(float(m.min()))
            errors.append(
                float(np.mean(np.abs(np.maximum(mean_pred[i], FLOOR_DB) - np.maximum(y, FLOOR_DB))))
            )
            history.append(Evaluation(b.astype(float), m, f"round {k}", predicted[-1], bound[-1]))
            data_bits.append(b)
            data_db.append(y)
            if m.min() >= 0 and ff.size and runs < budget + 3:
                runs += 1
                full = margins(spec, check_gain(b))
                history[-1] = Evaluation(
                    b.astype(float),
                    np.array(list(full.values())),
                    f"round {k}",
                    predicted[-1],
                    bound[-1],
                )
                if min(full.values()) >= 0:
                    passed_bits = b
            elif m.min() >= 0 and not ff.size:
                passed_bits = b
        rounds.append(
            {
                "round": k,
                "runs": len(picks),
                "predicted_worst_db": predicted,
                "verified_worst_db": verified,
                "mae_db": float(np.mean(errors)) if errors else None,
                "best_verified_db": max(verified) if verified else None,
            }
        )
        log.info(
            "pixel round %d: best verified %.2f dB", k, max(verified) if verified else float("nan")
        )
        if passed_bits is None and runs < budget:
            fits.append(
                cnn.fit(
                    grid.masks(np.array(data_bits)),
                    np.array(data_db),
                    warm=True,
                    label=f"round {k}: {len(data_bits)} search-mesh runs",
                )
            )
    hist = SadeaResult(history)
    best_bits = passed_bits if passed_bits is not None else hist.best.x.astype(np.uint8)
    patch = grid.patch(best_bits)
    result = gain_checked.get(best_bits.tobytes()) or check_gain(best_bits)
    lossy, finer = verification_runs(spec, cache_dir, patch, f, ff)
    design = PixelAntennaDesign(
        spec,
        patch,
        result,
        margins(spec, result),
        hist,
        "pixel",
        {
            "grid": grid.to_dict(),
            "cheap_runs": len(cheap_bits),
            "cheap_mesh": CHEAP_MESH,
            "search_runs": runs,
            "rounds": rounds,
            "cnn_fits": fits,
            "seed": seed,
            "wall_s": time.perf_counter() - t0,
            "solver_s": solver_s[0],
            "rfdesign": __version__,
        },
        lossy,
        finer,
    )
    if out is not None:
        design.save(out)
    return design


def pixel_report_markdown(design: PixelAntennaDesign, summary: dict) -> str:
    """The pixel design's report: verdict, margins, far field, layout, data and rounds."""
    d, r = design, design.result
    pv = d.provenance
    s = r.info.get("settings", {})
    verdict = "MEETS" if d.passed else "does NOT meet"
    lines = [
        f"# Design report: {d.spec.name}",
        "",
        f"The pixel patch {verdict} the spec (verified by openEMS, {s.get('cells', '?'):g} "
        f"cells per wavelength, {r.info.get('cells', 0):,} cells, PEC sheets on a "
        f"{d.spec.substrate.height_mm} mm eps_r {d.spec.substrate.eps_r} substrate with tan "
        f"delta {d.spec.substrate.tan_delta}). Worst margin {d.worst_margin_db:+.2f} dB.",
        "",
        f"Flags: {', '.join(d.flags) if d.flags else 'none'}.",
        "",
    ]
    for title, m in (
        (
            f"mesh 1.5 times finer ({summary['finer_mesh'] and summary['finer_mesh']['cells_per_wavelength']} cells per wavelength)",
            d.finer_margins,
        ),
        ("the copper sheets (conductor loss)", d.lossy_margins),
    ):
        if m is not None:
            lines.append(f"With {title}: worst margin {min(m.values()):+.2f} dB.")
    lines += [
        "",
        "## Margins",
        "",
        "| requirement | margin (dB) | finer mesh (dB) | with copper (dB) |",
        "|---|---|---|---|",
        *[
            f"| {md_cell(k)} | {v:+.2f} | "
            f"{(d.finer_margins or {}).get(k, float('nan')):+.2f} | "
            f"{(d.lossy_margins or {}).get(k, float('nan')):+.2f} |"
            for k, v in d.margins.items()
        ],
        "",
        *far_field_table(summary),
        "",
        "## The layout (found by the search; no layout or dimension was given)",
        "",
        f"Outline {d.patch.length_mm} x {d.patch.width_mm} mm (the cavity model's length at "
        f"the lowest band; width {d.patch.grid.n_y} half-widths of the "
        f"{d.patch.feed_width_mm} mm 50-ohm feed), {d.patch.grid.n_x} x {d.patch.grid.n_y} "
        f"cells, mirrored about the feed ({d.patch.grid.n_bits} free cells). Row 0 meets the "
        "feed (# metal):",
        "",
        "```",
        *summary["patch"]["mask"],
        "```",
        "",
        "## Data and search",
        "",
        f"- {pv['cheap_runs']} layouts on the cheap mesh ({pv['cheap_mesh']}) pre-trained the "
        f"CNN ensemble; {pv['search_runs']} openEMS runs on the search mesh in the search (initial "
        "layouts, rounds, far-field checks of layouts that met the bands), then 3 to verify "
        "(the far field on the search mesh, the finer mesh, copper).",
        *[
            f"- fit: {fi['label']}: {fi['samples']} samples, {fi['epochs']} epochs, training "
            f"RMSE {fi['train_rmse_db']:.2f} dB"
            for fi in pv["cnn_fits"]
        ],
        "",
        "| round | openEMS runs | predicted worst margin, best (dB) | verified worst margin, best (dB) | CNN's \\|S11\\| error on them (dB, mean) |",
        "|---|---|---|---|---|",
        *[
            f"| {rd['round']} | {rd['runs']} | {max(rd['predicted_worst_db'], default=float('nan')):+.2f} | "
            f"{rd['best_verified_db'] if rd['best_verified_db'] is not None else float('nan'):+.2f} | "
            f"{rd['mae_db'] if rd['mae_db'] is not None else float('nan'):.2f} |"
            for rd in pv["rounds"]
        ],
        "",
        "## Provenance",
        "",
        f"- rfdesign {__version__}; {r.info.get('solver_version')}; settings {s}",
        f"- wall time {pv.get('wall_s', 0):.0f} s, solver time {pv.get('solver_s', 0):.0f} s "
        "(runs summed; two at a time)",
        "",
    ]
    return "\n".join(lines)
