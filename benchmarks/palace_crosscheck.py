"""Cross-check of openEMS and Palace on the two shipped channel-housed designs.

For ``examples/ka_highpass_channel.yaml`` and ``examples/ka_bandpass_channel.yaml``: the
layout of ``search.initial`` simulated by openEMS at the spec's own preset (fine, reference)
and by Palace at the presets given, 49 points over 34-46 GHz; each response judged against the
spec, and the skirt frequencies (|S21| = -20, -10, -3 dB) compared. Writes a Markdown table
and one Touchstone file per run (header: solver, preset, size, time) to
``benchmarks/results/palace_crosscheck/``.

Slow: openEMS fine/reference runs take 2-15 min, Palace draft 11-14 min and standard about
30 min each on one core of this machine. Results are cached (``$RFDESIGN_CACHE/results``), so
a rerun only computes what is missing::

    .venv/bin/python benchmarks/palace_crosscheck.py [draft standard]
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "palace_crosscheck"
SPECS = ("ka_highpass_channel", "ka_bandpass_channel")
F_GHZ = np.linspace(34.0, 46.0, 49)


def skirts(f: np.ndarray, s21_db: np.ndarray, f0: float) -> dict[str, float]:
    """Frequencies where |S21| crosses -20, -10, -3 dB below and above ``f0`` (GHz)."""
    out = {}
    below, above = f < f0, f > f0
    for lvl in (-20.0, -10.0, -3.0):
        out[f"low{lvl:g}"] = float(np.interp(lvl, s21_db[below], f[below]))
        if above.sum() > 2 and s21_db[above][-1] < lvl:
            out[f"high{lvl:g}"] = float(np.interp(-lvl, -s21_db[above], f[above]))
    return out


LOW = ("low-20", "low-10", "low-3")
HIGH = ("high-3", "high-10", "high-20")
HEAD = [
    "| design | solver, preset | cells / unknowns | s | lower skirt -20/-10/-3 dB (GHz) | "
    "upper skirt -3/-10/-20 dB (GHz) | lower / upper skirt vs openEMS | spec |",
    "|---|---|---|---|---|---|---|---|",
]


def row(name: str, run: str, size: str, wall: float, sk: dict, base: dict, verdict: str) -> str:
    """One table row: skirts, their mean shift against ``base`` (%), the verdict."""

    def cells(keys: tuple[str, ...]) -> str:
        return ", ".join(f"{sk[k]:.2f}" for k in keys if k in sk) or "-"

    def shift(keys: tuple[str, ...]) -> str:
        d = [100 * (sk[k] / base[k] - 1) for k in keys if k in sk and k in base]
        return f"{np.mean(d):+.2f} %" if d else "-"

    return (
        f"| {name} | {run} | {size} | {wall:.0f} | {cells(LOW)} | {cells(HIGH)} | "
        f"{shift(LOW)} / {shift(HIGH)} | {verdict} |"
    )


def run(palace_presets: list[str]) -> str:
    """Simulate, judge, write files; return the Markdown table."""
    from rfdesign.design.verify import default_cache_dir, verification_settings
    from rfdesign.evaluation import evaluate_response
    from rfdesign.layouts import Layout
    from rfdesign.solvers.base import ResultCache, get_solver_class
    from rfdesign.spec import load_spec

    OUT.mkdir(parents=True, exist_ok=True)
    cache = ResultCache(default_cache_dir())
    rows = []
    for name in SPECS:
        spec = load_spec(ROOT / "examples" / f"{name}.yaml")
        layout = Layout.from_bits(spec.pixel_grid(), spec.search.initial[0])
        runs = [("openems", spec.solver.preset)] + [("palace", p) for p in palace_presets]
        base = None
        for solver_name, preset in runs:
            settings = dataclasses.replace(verification_settings(spec, solver_name), preset=preset)
            solver = get_solver_class(solver_name)(settings, cache=cache)
            net = solver.simulate(layout, F_GHZ)
            info = net.rfdesign_info
            rep = evaluate_response(spec, F_GHZ, net.s[:, 0, 0], net.s[:, 1, 0])
            pb = spec.passbands[0]
            sk = skirts(F_GHZ, net.s_db[:, 1, 0], 0.5 * (pb.f_min_ghz + pb.f_max_ghz))
            base = base or sk
            size = info.get("cells") or info.get("unknowns")
            net.comments = (
                f"rfdesign palace_crosscheck: {name}, {solver_name} {preset}, "
                f"{info.get('solver_version')}, size {size}, wall {info.get('wall_s', 0):.0f} s"
            )
            net.write_touchstone(str(OUT / f"{name}_{solver_name}_{preset}"))
            verdict = f"{'meets' if rep.passed else 'fails'} ({rep.worst_margin_db:+.2f} dB)"
            unit = "cells" if solver_name == "openems" else "unknowns"
            rows.append(
                row(
                    name,
                    f"{solver_name} {preset}",
                    f"{size:,} {unit}",
                    info.get("wall_s", 0),
                    sk,
                    base,
                    verdict,
                )
            )
    table = "\n".join(HEAD + rows)
    (OUT / "table.md").write_text(table + "\n")
    return table


if __name__ == "__main__":
    print(run(sys.argv[1:] or ["draft", "standard"]))
