"""The outcome of a design run and how it is written to disk.

:class:`DesignResult` holds the chosen layout, the surrogate's and the verifying solver's
networks, both spec reports, every verified candidate, the search history, the sensitivity
map and the provenance. :meth:`DesignResult.save` writes ``report.md``, ``report.json``,
``design.s2p``, ``layout.gds``, ``layout.png``, ``response.png`` and ``sensitivity.png``, plus
``result.json`` and ``predicted.s2p``, from which :meth:`DesignResult.load` rebuilds it. A
second engine's cross-check (:mod:`rfdesign.design.crosscheck`) adds its Touchstone file
(``design_<engine>_<preset>.s2p``), a section of the report and its flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.layouts.layout import Layout
from rfdesign.optimizers.masks import SpecReport
from rfdesign.spec import FilterSpec

RESULT = "result.json"
"""What :meth:`DesignResult.load` needs beyond ``report.json`` and the Touchstone files."""
PREDICTED = "predicted.s2p"
RESULT_FORMAT = 1


@dataclass(frozen=True)
class DesignResult:
    """Everything a design run produced (immutable).

    Attributes:
        spec: The spec designed for.
        layout: The chosen layout (best verified, else best predicted).
        predicted: The surrogate's network of ``layout`` (skrf.Network).
        verified: The verifying solver's network, or ``None`` with ``verify="none"``.
        report_predicted: Spec report of ``predicted``.
        report_verified: Spec report of ``verified`` (or ``None``).
        verified_by: Solver name and preset, or ``None``.
        candidates: One dict per verified candidate: bits, predicted and verified K and
            worst margin, passed.
        search: Algorithm, evaluations, seed, history ``[(evaluations, best K)]``.
        sensitivity_db: Change of the surrogate's worst margin (dB) when each cell of the
            designed half is flipped, ``n_rows x n_cols``; NaN for fixed cells.
        sensitivity_corner: Flips that would create a corner-only contact (bool, same shape).
        provenance: Versions, surrogate, solver settings, solver-run counts, wall time.
        verified_run: :func:`rfdesign.design.verify.run_record` of :attr:`verified`: solver,
            mesh, conductor model, cache hit and flags (truncated, non-passive).
        crosschecks: Second engines' runs of :attr:`layout`
            (:class:`~rfdesign.design.crosscheck.CrossCheck`), one per engine and preset.
    """

    spec: FilterSpec
    layout: Layout
    predicted: Any
    verified: Any
    report_predicted: SpecReport
    report_verified: SpecReport | None
    verified_by: str | None
    candidates: list[dict]
    search: dict
    sensitivity_db: np.ndarray
    sensitivity_corner: np.ndarray
    provenance: dict = field(default_factory=dict)
    verified_run: dict | None = None
    crosschecks: tuple = ()
    loss_checks: tuple = ()

    @property
    def flags(self) -> list[str]:
        """What qualifies the verdict.

        The verifying run's flags (``"truncated"``, ``"non-passive"``,
        ``"within-mesh-error"``) and each cross-check's (``"engines-disagree"``,
        ``"within-engine-spread"``, the second run's own, prefixed with its engine).
        """
        out = list((self.verified_run or {}).get("flags", []))
        for cc in (*self.crosschecks, *self.loss_checks):
            out += [f for f in cc.flags if f not in out]
        return out

    def with_loss_check(self, check) -> DesignResult:
        """This result with a :class:`~rfdesign.design.loss.LossCheck` added (one per model)."""
        import dataclasses

        kept = tuple(c for c in self.loss_checks if c.file_name != check.file_name)
        return dataclasses.replace(self, loss_checks=(*kept, check))

    def with_crosscheck(self, check) -> DesignResult:
        """This result with ``check`` added (replacing one of the same engine and preset).

        Raises:
            ValueError: The result has no verified network to compare with.
        """
        import dataclasses

        if self.verified is None:
            raise ValueError("crosscheck: the design was not verified; nothing to compare with")
        kept = tuple(c for c in self.crosschecks if c.file_name != check.file_name)
        return dataclasses.replace(self, crosschecks=(*kept, check))

    @property
    def searched_on_solver(self) -> bool:
        """Whether the search ran on the verifying solver itself (no surrogate)."""
        return bool(self.search.get("on_solver", False))

    @property
    def report(self) -> SpecReport:
        """The verifying solver's report when there is one, else the surrogate's."""
        return self.report_verified or self.report_predicted

    @property
    def passed(self) -> bool:
        """Pass/fail by the verifying solver (by the surrogate with ``verify="none"``)."""
        return self.report.passed

    def summary(self) -> dict:
        """The ``report.json`` content."""
        rep = self.report
        return {
            "spec": self.spec.name,
            "passed": bool(rep.passed),
            "flags": self.flags,
            "certified": bool(rep.passed and self.verified is not None and not self.flags),
            "verified_by": self.verified_by,
            "verified_run": self.verified_run,
            "crosschecks": [c.to_dict() for c in self.crosschecks],
            "loss_checks": [c.to_dict() for c in self.loss_checks],
            "K": rep.K,
            "K_floor": rep.K_floor,
            "margins_db": rep.band_margins_db,
            "worst_margin_db": rep.worst_margin_db,
            "bits": self.layout.bit_string,
            "grid": self.layout.grid.name,
            "corner_contacts": len(self.layout.connectivity.corner_contacts),
            "predicted": self.report_predicted.to_dict(),
            "verified": self.report_verified.to_dict() if self.report_verified else None,
            "candidates": self.candidates,
            "search": {k: v for k, v in self.search.items() if k != "history"},
            "history": self.search.get("history", []),
            "sensitivity_db": np.where(
                np.isnan(self.sensitivity_db), None, self.sensitivity_db
            ).tolist(),
            "fullwave_runs": self.provenance.get("fullwave_runs"),
            "solver_runs": self.provenance.get("solver_runs"),
            "wall_s": self.provenance.get("wall_s"),
            "provenance": self.provenance,
        }

    def _refine_lines(self) -> list[str]:
        """Report lines of the space-mapping refinement, if it ran."""
        ref = self.search.get("refine")
        if not ref:
            return []
        verdict = "kept" if ref["improved"] else "not better, the searched sizes are kept"
        return [
            f"- refinement: {ref['method']} space mapping of the column widths and row heights, "
            f"{ref['fine_runs']} full-wave runs; worst margin "
            f"{ref['worst_margin_before_db']:+.2f} -> {ref['worst_margin_after_db']:+.2f} dB "
            f"({verdict}); widths {ref['column_widths_mm']} mm, heights "
            f"{ref['row_heights_mm']} mm"
        ]

    def _verdict_lines(self) -> list[str]:
        """The verdict, K, worst margin and the flags that qualify them."""
        rep = self.report
        verdict = "MEETS the spec" if rep.passed else "does NOT meet the spec"
        run = self.verified_run or {}
        unc = run.get("uncertainty")
        if unc:
            low, high = unc["worst_margin_range_db"]
            if rep.passed:
                verdict += " with margin" if low > 0 else " only within the mesh error"
            elif high > 0:
                verdict += ", but would within the mesh error"
        by = (
            f"verified by {self.verified_by}"
            if self.verified is not None
            else "surrogate only, NOT verified"
        )
        what = (
            f"Layout `{self.layout.bit_string}` on grid `{self.layout.grid.name}`"
            if self.layout.bit_string
            else f"Layout `{self.layout.grid.name}`"  # a parametric layout: no free cells
        )
        lines = [
            f"{what} {verdict} ({by}).",
            f"K = {rep.K:.3f} dB (floor {rep.K_floor:.3f} dB); worst margin "
            f"{rep.worst_margin_db:+.2f} dB"
            + (
                f" +- {unc['uncertainty_db']:.2f} dB (range {low:+.2f} to {high:+.2f} dB; mesh "
                f"error from {unc['basis']})."
                if unc
                else (
                    "; the verifying run has no mesh-error estimate."
                    if self.verified is not None
                    else "."
                )
            ),
        ]
        for cc in self.crosschecks:
            low, high = cc.worst_margin_range_db
            spread = cc.spread.relative
            lines.append(
                f"Second engine {cc.by}: worst margin {cc.report.worst_margin_db:+.2f} dB; "
                + (f"engine spread {100 * spread:.2f} % in frequency; " if spread == spread else "")
                + f"range over both engines {low:+.2f} to {high:+.2f} dB: {cc.verdict}."
            )
        for lc in self.loss_checks:
            lines.append(
                f"With conductor loss ({lc.by}): worst margin {lc.report.worst_margin_db:+.2f} dB"
                + (
                    ": meets the masks with PEC only."
                    if lc.flags
                    else (": meets." if lc.report.passed else ": does not meet either.")
                )
            )
        if self.flags:
            why = []
            if "engines-disagree" in self.flags:
                why.append("the second engine's verdict differs")
            if "within-engine-spread" in self.flags:
                why.append("the verdict changes inside the spread between the engines")
            if "truncated" in self.flags:
                why.append("truncated (stopped at the time-step limit or gains power > 1 %)")
            if "within-mesh-error" in self.flags:
                why.append("the verdict changes inside the estimated mesh error")
            if "fails-with-conductor-loss" in self.flags:
                why.append("it meets the masks with perfect conductors only, not with the metal")
            if "non-passive" in self.flags:
                why.append(
                    f"non-passive (largest eigenvalue of S^H S = {run['max_power_gain']:.4f} > 1)"
                )
            why += [f"second engine's run {f}" for f in self.flags if ": " in f]
            lines += [
                "",
                f"**Flags on the verdict: {'; '.join(why)}. The verdict is not certified: "
                "re-run on a finer mesh, with more time steps or with the second engine's "
                "finer preset.**",
            ]
        return lines

    def _provenance_lines(self) -> list[str]:
        """Which solver, mesh and conductor model produced each number."""
        lines = []
        run = self.verified_run
        if run is not None:
            parts = [f"{run.get('solver')}", f"mesh preset {run.get('preset')}"]
            if run.get("cells"):
                parts.append(f"{run['cells']:,} cells")
            if run.get("timesteps"):
                parts.append(f"{run['timesteps']:,} time steps")
            if run.get("conductor"):
                parts.append(f"conductor {run['conductor']}")
            if run.get("housing"):
                parts.append(f"side/top boundary {run['housing']}")
            parts.append("read from the result cache" if run.get("cache_hit") else "run now")
            lines.append(f"- verified numbers: {', '.join(parts)}")
        for cc in self.crosschecks:
            lines.append(
                f"- second engine: {cc.by}, {_run_text(cc.run)}, "
                + ("read from the result cache" if cc.run.get("cache_hit") else "run now")
                + f"; network in `{cc.file_name}`"
            )
        failed = self.provenance.get("crosscheck_failed")
        if failed:
            lines.append(
                f"- **second engine {failed['engine']}: the run failed** ({failed['error']}); "
                "no engine spread is known"
            )
        if not self.searched_on_solver:
            train = self.provenance.get("surrogate_training")
            trained = (
                f", trained earlier on {train['runs']:,} {train['solver']} runs" if train else ""
            )
            lines.append(f"- predicted numbers: {self.provenance.get('surrogate')}{trained}")
        return lines

    def _candidate_lines(self) -> list[str]:
        """The candidates table (a search that ranked layouts; none for a parametric design)."""
        lines = [
            "## Candidates",
            "",
            "Ranked as the verdict judges: verified first, passing first, then the largest "
            "worst margin.",
            "",
            "| bits | K predicted | worst margin predicted (dB) | K verified | "
            "worst margin verified (dB) | passed | flags |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in self.candidates:
            kv = c.get("K_verified")
            wv = c.get("worst_margin_verified_db")
            run = c.get("run") or {}
            flags = ", ".join(run.get("flags", []))
            if run.get("cache_hit"):
                flags = ", ".join(x for x in (flags, "from cache") if x)
            if c.get("error"):
                flags = f"run failed: {c['error']}"
            lines.append(
                f"| `{c['bits']}` | {c['K_predicted']:.2f} | "
                f"{c.get('worst_margin_predicted_db', float('nan')):+.2f} | "
                f"{'-' if kv is None else f'{kv:.2f}'} | {'-' if wv is None else f'{wv:+.2f}'} | "
                f"{'-' if c.get('passed') is None else c['passed']} | {flags or '-'} |"
            )
        return lines

    def _tuning_lines(self) -> list[str]:
        """The comb design's synthesis, curves and tuning runs (``design.method: comb``)."""
        if "how_lines" in self.search:  # a parametric design that tells its own story
            return [
                "## How the layout was found (no dimensions given)",
                "",
                *self.search["how_lines"],
                "",
            ]
        tuning = self.search.get("tuning")
        if tuning is None:
            return []
        comb = self.search["comb"]
        curves = self.search["curves"]
        lines = [
            "## How the layout was found (no dimensions given)",
            "",
            f"- synthesis: {self.search['synthesis']}",
            f"- design curves ({curves['runs']} full-wave runs, strips "
            f"{curves['strip_width_mm']:.3f} mm wide): "
            + "; ".join(
                f"{c['name']} vs {c['size']} at "
                + ", ".join(f"{x:.4g}->{y:.4g}" for x, y in zip(c["x"], c["y"], strict=True))
                for c in (curves[k] for k in ("f0_ghz", "k", "qe", "tap_f0_ghz"))
            ),
            f"- final comb: {comb['n']} strips, lengths {comb['lengths_mm']} mm, gaps "
            f"{comb['gaps_mm']} mm, tap {comb['tap_mm']} mm above the strip ends, inset "
            f"{comb['inset_mm']} mm",
            f"- ended: {self.search['reason']}",
            "",
            "| run | mesh | strips | worst margin (dB) | margins per band (dB) | model margin (dB) "
            "| extracted vs target (%) | next |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for i, r in enumerate(tuning, 1):
            bands = ", ".join(f"{b} {m:+.2f}" for b, m in r["margins_db"].items())
            err = r.get("errors_percent") or {}
            errs = (
                "; ".join(f"{k} " + "/".join(f"{x:+.1f}" for x in v) for k, v in err.items()) or "-"
            )
            model = r.get("model_margin_db")
            lines.append(
                f"| {i} | {r['mesh']} | {r['comb']['n']} | {r['worst_margin_db']:+.2f} | {bands} "
                f"| {'-' if model is None else f'{model:+.2f}'} | {errs} | {r['action']} |"
            )
        lines.append("")
        return lines

    def _loss_lines(self) -> list[str]:
        """Per lossy-metal run: its margins beside the PEC verification's."""
        lines = []
        ref = self.report_verified.band_margins_db if self.report_verified else {}
        for lc in self.loss_checks:
            lines += [
                "## With conductor loss",
                "",
                f"{lc.by}; network in `{lc.file_name}`.",
                "",
                "| band | PEC margin (dB) | with the metal's loss (dB) |",
                "|---|---|---|",
            ]
            for band, m in lc.report.band_margins_db.items():
                v = ref.get(band)
                lines.append(f"| {band} | {'-' if v is None else f'{v:+.2f}'} | {m:+.2f} |")
            lines.append("")
        return lines

    def _crosscheck_lines(self) -> list[str]:
        """Per second engine: margins beside the verifying engine's, matched features."""
        lines = []
        for cc in self.crosschecks:
            low, high = cc.worst_margin_range_db
            ref = self.report_verified.band_margins_db if self.report_verified else {}
            lines += [
                f"## Second engine: {cc.by}",
                "",
                f"{cc.verdict[0].upper()}{cc.verdict[1:]} (worst margin over both engines, "
                f"their mesh errors and the engine spread: {low:+.2f} to {high:+.2f} dB).",
                "",
                f"| band | {self.verified_by} margin (dB) | {cc.by} margin (dB) |",
                "|---|---|---|",
            ]
            for band, m in cc.report.band_margins_db.items():
                v = ref.get(band)
                lines.append(f"| {band} | {'-' if v is None else f'{v:+.2f}'} | {m:+.2f} |")
            lines += ["", "| feature | verifying engine (GHz) | second engine (GHz) | shift |"]
            lines.append("|---|---|---|---|")
            for kind, a, b in cc.spread.pairs:
                lines.append(f"| {kind} | {a:.3f} | {b:.3f} | {100 * (b / a - 1):+.2f} % |")
            if not cc.spread.pairs:
                lines.append("| (no feature matched) | - | - | - |")
            lines += [
                "",
                f"Largest |S| difference between the engines: {cc.spread.max_delta_db:.1f} dB.",
                "",
            ]
        return lines

    def _run_lines(self) -> list[str]:
        """Search and solver-run counts of this design run (nothing spent earlier)."""
        s = self.search
        runs = self.provenance.get("solver_runs") or {}
        lines = [
            f"- search: {s.get('algorithm')} over {s.get('evaluations', 0):,} evaluations "
            f"(seed {s.get('seed')}) with the {self.provenance.get('surrogate')}"
        ]
        if s.get("repaired"):
            lines[-1] += (
                f"; {s['repaired']:,} new layouts had corner-only contacts closed before evaluation"
            )
        if s.get("feasible_evaluated") == 0:
            lines.append(
                "- **the search evaluated no admissible layout** (every one violated a "
                "constraint: corner-only contacts or the insertion-loss mask); the candidates "
                "below are the least infeasible"
            )
        if runs.get("solver"):
            kind = "full-wave" if runs.get("fullwave") else "coarse-model (not full-wave)"
            new_ver = runs.get("verification", 0)
            cached = runs.get("verification_cached", 0)
            parts = [
                f"{runs.get('search', 0)} in the search"
                + (
                    f" (+{runs['search_cached']} from the cache)"
                    if runs.get("search_cached")
                    else ""
                ),
                f"{new_ver} to verify" + (f" (+{cached} read from the cache)" if cached else ""),
            ]
            if runs.get("sensitivity"):
                parts.append(f"{runs['sensitivity']} for the sensitivity map")
            if self.search.get("refine"):
                parts.append(f"{runs.get('refine', 0)} to refine")
            failed = runs.get("search_failed", 0) + runs.get("verification_failed", 0)
            lines.append(
                f"- {runs['solver']} {kind} runs by this design: {', '.join(parts)}; "
                f"{runs.get('total', 0)} in all" + (f"; {failed} failed" if failed else "")
            )
        n = self.layout.grid.n_bits
        if n:  # a parametric design (comb) has no pixel space
            space = f"- design space: 2^{n} = {2**n:,} layouts"
            if n == 15:
                space += " (the paper simulated all 32,768 of this space full-wave)"
            lines.append(space)
        return lines

    def to_markdown(self) -> str:
        """The human report: verdict, margins per band, candidates, runs, sensitivity."""
        rep = self.report
        lines = [
            f"# Design report: {self.spec.name}",
            "",
            *self._verdict_lines(),
            "",
            "## Margins per band",
            "",
            rep.to_markdown(),
            "",
        ]
        if not self.searched_on_solver:
            lines += [
                "## Surrogate vs full wave",
                "",
                "| band | predicted margin (dB) | verified margin (dB) |",
                "|---|---|---|",
            ]
            ver = self.report_verified.band_margins_db if self.report_verified else {}
            for band, m in self.report_predicted.band_margins_db.items():
                v = ver.get(band)
                lines.append(f"| {band} | {m:+.2f} | {'-' if v is None else f'{v:+.2f}'} |")
            lines.append("")
        lines += self._crosscheck_lines()
        lines += self._loss_lines()
        tol = self.search.get("tolerance")
        if tol:
            from rfdesign.design.tolerance import ToleranceResult

            lines += ["## Tolerance", "", ToleranceResult.from_dict(tol).text() + ".", ""]
        lines += self._tuning_lines()
        if self.candidates:
            lines += self._candidate_lines()
        n_corner = len(self.layout.connectivity.corner_contacts)
        lines += [
            "",
            "## Runs and provenance",
            "",
            *self._provenance_lines(),
            *self._run_lines(),
            *self._refine_lines(),
            f"- wall time: {self.provenance.get('wall_s', 0):.1f} s",
            f"- corner-only contacts in the layout: {n_corner}"
            + (
                " (ALLOWED by the spec: they conduct or not depending on mesh and etching)"
                if self.spec.search.allow_corner_contacts
                else " (forbidden by default)"
            ),
            "- layout.gds: database unit 1 nm, user unit 1 um; layers 1 metal, 2 substrate "
            "outline, 10 port markers (datatype 0)",
            "",
            "## Sensitivity map",
            "",
        ]
        sens = self.sensitivity_db
        if np.isnan(sens).all():
            lines.append(
                "Not computed: the search ran on the full-wave solver itself, and the map would "
                "cost one full-wave run per free cell, more than the search's whole budget."
            )
            return "\n".join(lines) + "\n"
        lines += [
            "Change of the surrogate's worst margin (dB) when one cell of the designed half is",
            "flipped (row 0 at the bottom, column 0 next to port 1; `fixed` = set by the grid; `*` =",
            "the flip would create a corner-only contact). See `sensitivity.png`.",
            "",
        ]
        lines.append("| row \\ col | " + " | ".join(str(c) for c in range(sens.shape[1])) + " |")
        lines.append("|---" * (sens.shape[1] + 1) + "|")
        for r in range(sens.shape[0] - 1, -1, -1):
            cells = []
            for c in range(sens.shape[1]):
                v = sens[r, c]
                star = "*" if self.sensitivity_corner[r, c] else ""
                cells.append("fixed" if np.isnan(v) else f"{v:+.2f}{star}")
            lines.append(f"| {r} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def save(self, directory: str | Path) -> Path:
        """Write the design files into ``directory`` (created)."""
        from rfdesign.layouts.export import write_gds, write_png
        from rfdesign.plots import plot_response

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        best = self.verified if self.verified is not None else self.predicted
        self._touchstone(best, out / "design", verified=self.verified is not None)
        write_gds(self.layout, out / "layout.gds")
        write_png(
            self.layout,
            out / "layout.png",
            title=f"{self.spec.name}: {self.layout.bit_string or self.layout.grid.name}",
        )
        label = self.provenance.get("surrogate") or "surrogate"
        nets = {} if self.searched_on_solver else {label: self.predicted}
        if self.verified is not None:
            nets = {f"{self.verified_by}": self.verified, **nets}
        for cc in self.crosschecks:
            nets[cc.by] = cc.network
            self._touchstone(cc.network, out / cc.file_name, verified=False, crosscheck=cc)
        for lc in self.loss_checks:
            nets[f"{self.verified_by}, {lc.conductor} conductor"] = lc.network
            self._touchstone(lc.network, out / lc.file_name, verified=False, loss=lc)
        plot_response(
            nets,
            out / "response.png",
            spec=self.spec,
            title=f"{self.spec.name}: {self.layout.bit_string or self.layout.grid.name}",
        )
        plot_sensitivity(
            self.sensitivity_db,
            self.sensitivity_corner,
            out / "sensitivity.png",
            free=_free_mask(self.layout.grid),
        )
        (out / "report.json").write_text(json.dumps(self.summary(), indent=2, default=_json))
        (out / "report.md").write_text(self.to_markdown())
        self._touchstone(self.predicted, out / PREDICTED, verified=False)
        # what report.json does not hold, for load
        record = {
            "format_version": RESULT_FORMAT,
            "spec": self.spec.model_dump(mode="json"),
            "grid": self.layout.grid.to_dict(),
            "sensitivity_corner": self.sensitivity_corner.tolist(),
        }
        (out / RESULT).write_text(json.dumps(record, indent=2))
        return out

    def _touchstone(
        self, net: Any, path: Path, verified: bool, crosscheck: Any = None, loss: Any = None
    ) -> None:
        """Write ``net`` as Touchstone with a header saying what produced it."""
        from rfdesign.core.version import __version__

        lines = [
            f" rfdesign {__version__}: design {self.spec.name!r}, spec sha256 "
            f"{self.spec.content_hash()}",
            f" grid {self.layout.grid.name} (key {self.layout.grid.key()[:16]}), layout bits "
            f"{self.layout.bit_string}",
        ]
        if crosscheck is not None:
            lines.append(f" second engine {crosscheck.by}; " + _run_text(crosscheck.run))
            lines.append(f" flags: {', '.join(crosscheck.flags) or 'none'}")
        elif loss is not None:
            lines.append(f" lossy metal: {loss.by}; " + _run_text(loss.run))
            lines.append(f" flags: {', '.join(loss.flags) or 'none'}")
        elif verified:
            run = self.verified_run or {}
            lines.append(f" solver {self.verified_by}; " + _run_text(run))
            lines.append(f" flags: {', '.join(self.flags) or 'none'}")
        else:
            lines.append(f" predicted by the {self.provenance.get('surrogate', 'surrogate')}")
        lines.append(" reference planes at the patch edges, 50 ohm")
        copy = net.copy()
        copy.comments = "\n".join(lines)
        copy.write_touchstone(str(path))

    @classmethod
    def load(cls, directory: str | Path) -> DesignResult:
        """Read a result written by :meth:`save` (spec, layout, networks, reports, history).

        Reads ``result.json`` and ``report.json`` and the two Touchstone files.

        Raises:
            FileNotFoundError: ``directory`` holds no saved result.
            ValueError: The record is of another format version.
        """
        import skrf

        from rfdesign.layouts.grid import PixelGrid

        folder = Path(directory)
        path = folder / RESULT
        if not path.exists():
            raise FileNotFoundError(f"{folder}: no {RESULT} (not a saved design result)")
        rec = json.loads(path.read_text())
        if rec.get("format_version") != RESULT_FORMAT:
            raise ValueError(
                f"{path}: format_version {rec.get('format_version')!r} is not {RESULT_FORMAT}"
            )
        summary = json.loads((folder / "report.json").read_text())
        layout = Layout.from_bits(PixelGrid.from_dict(rec["grid"]), summary["bits"])
        predicted = skrf.Network(str(folder / PREDICTED))
        predicted.name = "surrogate"
        verified = None
        if summary["verified"] is not None:
            verified = skrf.Network(str(folder / "design.s2p"))
        sens = np.array(
            [[np.nan if v is None else v for v in row] for row in summary["sensitivity_db"]],
            float,
        )
        from rfdesign.design.crosscheck import CrossCheck

        checks = tuple(
            CrossCheck.from_dict(d, skrf.Network(str(folder / d["file"])))
            for d in summary.get("crosschecks", [])
        )
        from rfdesign.design.loss import LossCheck

        losses = tuple(
            LossCheck.from_dict(d, skrf.Network(str(folder / d["file"])))
            for d in summary.get("loss_checks", [])
        )
        return cls(
            spec=FilterSpec.model_validate(rec["spec"]),
            layout=layout,
            predicted=predicted,
            verified=verified,
            report_predicted=SpecReport.from_dict(summary["predicted"]),
            report_verified=SpecReport.from_dict(summary["verified"])
            if summary["verified"]
            else None,
            verified_by=summary["verified_by"],
            candidates=summary["candidates"],
            search={**summary["search"], "history": summary["history"]},
            sensitivity_db=sens,
            sensitivity_corner=np.array(rec["sensitivity_corner"], bool).reshape(sens.shape),
            provenance=summary["provenance"],
            verified_run=summary.get("verified_run"),
            crosschecks=checks,
            loss_checks=losses,
        )


def _json(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _run_text(run: dict) -> str:
    """One line: mesh preset, cells, time steps, conductor and boundary of a solver run."""
    parts = [f"mesh preset {run.get('preset')}"]
    for key, name in (("cells", "cells"), ("timesteps", "time steps")):
        if run.get(key):
            parts.append(f"{run[key]} {name}")
    for key, name in (("conductor", "conductor"), ("housing", "boundary")):
        if run.get(key):
            parts.append(f"{name} {run[key]}")
    return ", ".join(parts)


def _free_mask(grid) -> np.ndarray:
    """``n_rows x n_cols`` of the designed half: True where a cell is a free bit."""
    free = np.zeros((grid.n_rows, grid.n_cols), bool)
    for r, c in grid.free_cells:
        free[r, c] = True
    return free


SENSITIVITY_LINEAR_DB = 1.0
"""The sensitivity colour scale is linear within +-1 dB and logarithmic beyond, so flips of
+-1.5 dB stay visible beside flips of +-70 dB."""


def plot_sensitivity(
    sens: np.ndarray, corner: np.ndarray, path: str | Path, free: np.ndarray | None = None
) -> Path:
    """Heat map of the sensitivity map (designed half, row 0 at the bottom).

    Args:
        sens: Worst-margin change per flipped cell, dB, ``n_rows x n_cols`` (NaN where not
            computed or fixed).
        corner: Flips that would add a corner-only contact.
        path: Output PNG.
        free: Which cells are free bits; without it every NaN cell is drawn as fixed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import SymLogNorm

    free = ~np.isnan(sens) if free is None else np.asarray(free, bool)
    computed = bool(np.isfinite(sens).any())
    fig, ax = plt.subplots(figsize=(1.2 * sens.shape[1] + 2, 1.0 * sens.shape[0] + 1.5))
    lim = max(float(np.nanmax(np.abs(sens))) if computed else 1.0, SENSITIVITY_LINEAR_DB)
    norm = SymLogNorm(linthresh=SENSITIVITY_LINEAR_DB, vmin=-lim, vmax=lim, base=10)
    im = ax.imshow(sens, origin="lower", cmap="RdBu", norm=norm)
    for (r, c), v in np.ndenumerate(sens):
        if not free[r, c]:
            text = "fixed"
        elif np.isnan(v):
            text = "n/c"
        else:
            text = f"{v:+.1f}" + ("*" if corner[r, c] else "")
        ax.text(c, r, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(sens.shape[1]))
    ax.set_yticks(range(sens.shape[0]))
    ax.set_xlabel("column (0 = next to port 1)")
    ax.set_ylabel("row")
    title = "worst-margin change (dB) when a cell is flipped"
    if not computed:
        title = "sensitivity map not computed (n/c): see report.md"
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="dB (linear within +-1 dB, log beyond)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
