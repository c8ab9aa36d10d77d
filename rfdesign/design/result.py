"""The outcome of a design run and how it is written to disk.

:class:`DesignResult` holds the chosen layout, the surrogate's and the verifying solver's
networks, both spec reports, every verified candidate, the search history, the sensitivity
map and the provenance. :meth:`DesignResult.save` writes ``report.md``, ``report.json``,
``design.s2p``, ``layout.gds``, ``layout.png``, ``response.png`` and ``sensitivity.png``, plus
``result.json`` and ``predicted.s2p``, from which :meth:`DesignResult.load` rebuilds it.
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
        provenance: Versions, surrogate, solver settings, full-wave run counts, wall time.
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
            "verified_by": self.verified_by,
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

    def to_markdown(self) -> str:
        """The human report: verdict, margins per band, candidates, runs, sensitivity."""
        rep = self.report
        runs = self.provenance.get("fullwave_runs", {})
        verdict = "MEETS the spec" if rep.passed else "does NOT meet the spec"
        lines = [
            f"# Design report: {self.spec.name}",
            "",
            f"Layout `{self.layout.bit_string}` on grid `{self.layout.grid.name}` {verdict} "
            f"({'verified by ' + self.verified_by if self.verified_by else 'surrogate only, not verified'}).",
            f"K = {rep.K:.3f} dB (floor {rep.K_floor:.3f} dB); worst margin {rep.worst_margin_db:+.2f} dB.",
            "",
            "## Margins per band",
            "",
            rep.to_markdown(),
            "",
            "## Surrogate vs full wave",
            "",
            "| band | predicted margin (dB) | verified margin (dB) |",
            "|---|---|---|",
        ]
        ver = self.report_verified.band_margins_db if self.report_verified else {}
        for band, m in self.report_predicted.band_margins_db.items():
            v = ver.get(band)
            lines.append(f"| {band} | {m:+.2f} | {'-' if v is None else f'{v:+.2f}'} |")
        lines += [
            "",
            "## Candidates",
            "",
            "| bits | K predicted | K verified | worst margin verified (dB) | passed |",
            "|---|---|---|---|---|",
        ]
        for c in self.candidates:
            kv = c.get("K_verified")
            wv = c.get("worst_margin_verified_db")
            lines.append(
                f"| `{c['bits']}` | {c['K_predicted']:.2f} | "
                f"{'-' if kv is None else f'{kv:.2f}'} | {'-' if wv is None else f'{wv:+.2f}'} | "
                f"{c.get('passed', '-')} |"
            )
        n_corner = len(self.layout.connectivity.corner_contacts)
        lines += [
            "",
            "## Runs and provenance",
            "",
            f"- search: {self.search.get('algorithm')} over {self.search.get('evaluations'):,} "
            f"evaluations (seed {self.search.get('seed')}) on the "
            f"{self.provenance.get('surrogate')}",
            f"- full-wave runs: {runs.get('training', 0)} to train the surrogate + "
            f"{runs.get('search', 0)} in the search + "
            f"{runs.get('verification', 0)} to verify ({runs.get('verification_cached', 0)} of "
            f"them from the cache) = {runs.get('total', 0)}; the paper simulated 32,768",
            *self._refine_lines(),
            f"- wall time: {self.provenance.get('wall_s', 0):.1f} s",
            f"- corner-only contacts in the layout: {n_corner}"
            + (
                " (ALLOWED by the spec: they conduct or not depending on mesh and etching)"
                if self.spec.search.allow_corner_contacts
                else " (forbidden by default)"
            ),
            "",
            "## Sensitivity map",
            "",
            "Change of the surrogate's worst margin (dB) when one cell of the designed half is",
            "flipped (row 0 at the bottom, column 0 next to port 1; `fixed` = set by the grid; `*` =",
            "the flip would create a corner-only contact). See `sensitivity.png`.",
            "",
        ]
        sens = self.sensitivity_db
        if np.isnan(sens).all():
            lines.append(
                "Not computed: the search ran on the full-wave solver itself, and the map would "
                "cost one full-wave run per free cell, more than the search's whole budget."
            )
            return "\n".join(lines) + "\n"
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
        best.write_touchstone(str(out / "design"))
        write_gds(self.layout, out / "layout.gds")
        write_png(
            self.layout, out / "layout.png", title=f"{self.spec.name}: {self.layout.bit_string}"
        )
        nets = {"surrogate": self.predicted}
        if self.verified is not None:
            nets = {f"{self.verified_by}": self.verified, "surrogate": self.predicted}
        plot_response(
            nets,
            out / "response.png",
            spec=self.spec,
            title=f"{self.spec.name}: {self.layout.bit_string}",
        )
        plot_sensitivity(self.sensitivity_db, self.sensitivity_corner, out / "sensitivity.png")
        (out / "report.json").write_text(json.dumps(self.summary(), indent=2, default=_json))
        (out / "report.md").write_text(self.to_markdown())
        self.predicted.write_touchstone(str(out / PREDICTED))
        # what report.json does not hold, for load
        record = {
            "format_version": RESULT_FORMAT,
            "spec": self.spec.model_dump(mode="json"),
            "grid": self.layout.grid.to_dict(),
            "sensitivity_corner": self.sensitivity_corner.tolist(),
        }
        (out / RESULT).write_text(json.dumps(record, indent=2))
        return out

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
        )


def _json(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def plot_sensitivity(sens: np.ndarray, corner: np.ndarray, path: str | Path) -> Path:
    """Heat map of the sensitivity map (designed half, row 0 at the bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.2 * sens.shape[1] + 2, 1.0 * sens.shape[0] + 1.5))
    lim = float(np.nanmax(np.abs(sens))) if np.isfinite(sens).any() else 1.0
    im = ax.imshow(sens, origin="lower", cmap="RdBu", vmin=-lim, vmax=lim)
    for (r, c), v in np.ndenumerate(sens):
        text = "fixed" if np.isnan(v) else f"{v:+.1f}" + ("*" if corner[r, c] else "")
        ax.text(c, r, text, ha="center", va="center", fontsize=8)
    ax.set_xlabel("column (0 = next to port 1)")
    ax.set_ylabel("row")
    ax.set_title("worst-margin change (dB) when a cell is flipped")
    fig.colorbar(im, ax=ax, label="dB")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
