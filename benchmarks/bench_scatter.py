"""Inverse scattering: BP, CSI, BPS, cGAN on circles, digits and Austria; FICLM vs the MoM.

The benchmark itself lives in :mod:`rfdesign.scattering.bench` (also ``rfdesign scatter bench``);
datasets and trained networks are cached in ``$RFDESIGN_CACHE/scatter``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def run() -> str:
    """The Markdown tables (figures also in benchmarks/results/scatter.json)."""
    from rfdesign.scattering.bench import BenchConfig, default_root, run_bench

    table, figures = run_bench(
        BenchConfig(root=default_root()),
        log=lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", flush=True),
    )
    out = Path(__file__).resolve().parent / "results" / "scatter.json"
    out.write_text(json.dumps(figures, indent=2))
    return table
