"""Plots of permittivity maps: true objects beside their reconstructions (matplotlib)."""

from __future__ import annotations

import numpy as np


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
