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


def plot_profiles(
    truth: np.ndarray, estimate: np.ndarray, half_width_m: float, path, title: str = ""
) -> None:
    """True and reconstructed relative permittivity side by side (PNG at ``path``).

    Args:
        truth: ``eps_r`` map ``n x n`` (``[iy, ix]``, row 0 at the bottom).
        estimate: Reconstruction, same shape.
        half_width_m: The domain is ``[-half_width_m, half_width_m]^2``.
        path: Output file.
        title: Name of the method for the right panel.
    """
    plot_profile_grid({"": {"true": truth, title or "estimate": estimate}}, half_width_m, path)


def plot_profile_grid(rows: dict[str, dict[str, np.ndarray]], half_width_m: float, path) -> None:
    """A grid of permittivity maps: one row per object, one column per map (PNG at ``path``).

    Args:
        rows: Row label -> (column label -> ``eps_r`` map ``n x n``, row 0 at the bottom); every
            row has the same columns. Each row shares one colour scale from 1 to its maximum.
        half_width_m: The domain is ``[-half_width_m, half_width_m]^2``.
        path: Output file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ext = (-half_width_m, half_width_m, -half_width_m, half_width_m)
    ncol = max(len(cols) for cols in rows.values())
    fig, axes = plt.subplots(
        len(rows),
        ncol,
        figsize=(3.3 * ncol + 0.8, 3.0 * len(rows)),
        squeeze=False,
        constrained_layout=True,
    )
    for r, (label, cols) in enumerate(rows.items()):
        hi = float(max(m.max() for m in cols.values()))
        for c, (name, img) in enumerate(cols.items()):
            ax = axes[r, c]
            im = ax.imshow(img, origin="lower", extent=ext, vmin=1.0, vmax=hi, cmap="viridis")
            ax.set_title(f"{label} {name} eps_r".strip(), fontsize=10)
            ax.set_xlabel("x (m)")
            if c == 0:
                ax.set_ylabel("y (m)")
        fig.colorbar(im, ax=axes[r].tolist(), shrink=0.9)
    fig.savefig(path, dpi=110)
    plt.close(fig)
