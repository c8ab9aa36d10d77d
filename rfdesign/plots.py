"""Plots of responses over the spec masks (matplotlib, scikit-rf's vocabulary: |S| in dB)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rfdesign.spec import FilterSpec, PassBand

DB_FLOOR = -60.0
"""Lowest |S| in dB drawn."""


def plot_response(
    networks: Mapping[str, Any],
    path: str | Path,
    spec: FilterSpec | None = None,
    title: str = "",
) -> Path:
    """Draw |S11| and |S21| in dB of one or more two-port networks, with the spec's masks.

    Args:
        networks: Label -> :class:`skrf.Network` (two-port).
        path: Output PNG file.
        spec: If given, its band masks are drawn (grey: passband |S21| minimum and |S11|
            maximum; red: stopband |S21| maximum).
        title: Figure title.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8))
    styles = ["-", "--", ":", "-."]
    for i, (label, net) in enumerate(networks.items()):
        f = net.frequency.f / 1e9
        ls = styles[i % len(styles)]
        ax.plot(
            f, np.maximum(net.s_db[:, 1, 0], DB_FLOOR), ls, color="tab:blue", label=f"|S21| {label}"
        )
        ax.plot(
            f,
            np.maximum(net.s_db[:, 0, 0], DB_FLOOR),
            ls,
            color="tab:orange",
            label=f"|S11| {label}",
        )
    if spec is not None:
        for i, band in enumerate(spec.bands):
            lo, hi = band.f_min_ghz, band.f_max_ghz
            name = spec.band_label(i)
            if isinstance(band, PassBand):
                ax.axvspan(lo, hi, color="tab:green", alpha=0.07)
                if band.s21_min_db is not None:
                    ax.plot([lo, hi], [band.s21_min_db] * 2, color="k", lw=2)
                if band.s11_max_db is not None:
                    ax.plot([lo, hi], [band.s11_max_db] * 2, color="0.4", lw=2)
            else:
                ax.plot([lo, hi], [band.s21_max_db] * 2, color="tab:red", lw=2)
            ax.text((lo + hi) / 2, 1.0, name, ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylabel("|S| (dB)")
    ax.set_ylim(DB_FLOOR, 3)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    if title:
        ax.set_title(title, fontsize=9)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
