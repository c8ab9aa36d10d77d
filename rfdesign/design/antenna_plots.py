"""Pictures of a designed antenna: layout, |S11| with its masks, E- and H-plane patterns."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rfdesign.antenna_spec import AntennaSpec
from rfdesign.layouts.antenna import RectPatch
from rfdesign.solvers.openems_antenna import AntennaResult


def _figure(**kw):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.figure(**kw)


def _save(plt, fig, path: str | Path, dpi: int = 120) -> Path:
    """Lay out, write and close ``fig``."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Path(path)


def plot_layout(patch: RectPatch, path: str | Path) -> Path:
    """Top view: ground plane (grey) and metal (gold), mm; the port marked."""
    from matplotlib.patches import Rectangle

    plt, fig = _figure(figsize=(5, 5))
    ax = fig.add_subplot(111)
    gx0, gy0, gx1, gy1 = patch.ground_rect()
    ax.add_patch(Rectangle((gx0, gy0), gx1 - gx0, gy1 - gy0, color="0.85"))
    for x0, y0, x1, y1 in patch.metal_rects():
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, color="goldenrod"))
    ax.plot([patch.port_x_mm], [0.0], "r^", label="port")
    ax.set_xlim(gx0 - 0.2, gx1 + 0.2)
    ax.set_ylim(gy0 - 0.2, gy1 + 0.2)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.legend(loc="upper right")
    ax.set_title(f"patch {patch.length_mm} x {patch.width_mm} mm")
    return _save(plt, fig, path)


def plot_response(spec: AntennaSpec, result: AntennaResult, path: str | Path) -> Path:
    """|S11| (dB) over the sweep with each band's limit."""
    plt, fig = _figure(figsize=(6, 4))
    ax = fig.add_subplot(111)
    ax.plot(result.f_ghz, 20 * np.log10(np.maximum(np.abs(result.s11), 1e-12)), label="|S11|")
    for b in spec.bands:
        ax.plot([b.f_min_ghz, b.f_max_ghz], [b.s11_max_db] * 2, "r-", lw=3, label=b.name)
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylabel("|S11| (dB)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title(f"{spec.name}: openEMS")
    return _save(plt, fig, path)


def plot_pattern(result: AntennaResult, path: str | Path) -> Path:
    """Polar directivity cuts: E-plane (phi = 0, along the resonant length) and H-plane."""
    plt, fig = _figure(figsize=(9, 4.5))
    for k, (phi, name) in enumerate(((0.0, "E-plane (phi = 0)"), (90.0, "H-plane (phi = 90)"))):
        ax = fig.add_subplot(1, 2, k + 1, projection="polar")
        ax.set_theta_zero_location("N")
        for f in result.ff_ghz:
            ang, d = result.cut_dbi(float(f), phi)
            ax.plot(np.radians(ang), np.maximum(d, -30), label=f"{f:g} GHz")
        ax.set_rlim(-30, None)
        ax.set_title(name + ", dBi")
        ax.legend(loc="lower right", fontsize=7)
    return _save(plt, fig, path)


def plot_gain_3d(result: AntennaResult, f_ghz: float, path: str | Path) -> Path:
    """The realised-gain pattern at ``f_ghz`` as a 3-D surface (radius: dB above -20 dBi)."""
    plt, fig = _figure(figsize=(6, 5))
    ax = fig.add_subplot(111, projection="3d")
    i = int(np.argmin(np.abs(result.ff_ghz - f_ghz)))
    # realised gain = directivity x radiated / incident power, the same factor everywhere
    scale = 10 ** ((result.realised_gain_dbi(f_ghz) - result.directivity_dbi(f_ghz)) / 10)
    g_db = 10 * np.log10(np.maximum(result.directivity[i] * scale, 1e-3))
    r = np.maximum(g_db + 20.0, 0.0)
    th, ph = np.meshgrid(np.radians(result.theta_deg), np.radians(result.phi_deg), indexing="ij")
    x, y, z = r * np.sin(th) * np.cos(ph), r * np.sin(th) * np.sin(ph), r * np.cos(th)
    colours = plt.cm.viridis((g_db - g_db.min()) / max(np.ptp(g_db), 1e-9))
    ax.plot_surface(x, y, z, facecolors=colours, rstride=1, cstride=1, linewidth=0)
    ax.set_title(f"realised gain at {f_ghz:g} GHz: peak {g_db.max():.1f} dBi (radius: dBi + 20)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("z")
    return _save(plt, fig, path, dpi=110)
