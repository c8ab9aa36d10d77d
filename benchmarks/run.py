"""Run the benchmarks and write a Markdown table per benchmark to benchmarks/results/.

Each table states the machine (CPU, cores, memory) and the package versions.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def machine() -> str:
    """One line describing this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {sys.version.split()[0]}"


def timed(fn, repeat: int) -> float:
    """Best-of-3 seconds per call of ``fn`` over ``repeat`` calls."""
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def bench_layouts() -> str:
    """Layout operations on ka_pixel_4x5."""
    from rfdesign.layouts import Layout, get_grid
    from rfdesign.spec import load_spec

    grid = get_grid("ka_pixel_4x5")
    bits = np.array([list(map(int, format(i, "015b"))) for i in range(grid.n_layouts)])
    rows = []
    t = timed(lambda: grid.masks(bits), 3)
    rows.append(
        (
            "masks of all 32,768 layouts (vectorised)",
            f"{t * 1e3:.1f} ms",
            f"{grid.n_layouts / t:,.0f} layouts/s",
        )
    )
    lay = Layout.from_bits(grid, bits[12345])
    t = timed(lambda: Layout.from_bits(grid, bits[12345]).polygons(), 200)
    rows.append(("Layout + merged polygons", f"{t * 1e6:.0f} us", f"{1 / t:,.0f} /s"))
    t = timed(lambda: Layout.from_bits(grid, bits[12345]).connectivity, 200)
    rows.append(("Layout + connectivity", f"{t * 1e6:.0f} us", f"{1 / t:,.0f} /s"))
    t = timed(lambda: lay.key(), 1000)
    rows.append(("layout key (sha256)", f"{t * 1e6:.1f} us", f"{1 / t:,.0f} /s"))
    spec_path = Path(__file__).resolve().parents[1] / "examples" / "ka_bandpass.yaml"
    t = timed(lambda: load_spec(spec_path), 20)
    rows.append(("load + validate ka_bandpass.yaml", f"{t * 1e3:.2f} ms", f"{1 / t:,.0f} /s"))
    lines = ["| operation | time | rate |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def bench_openems() -> str:
    """openEMS presets and throughput (benchmarks/bench_openems.py)."""
    from bench_openems import bench_openems as run

    return run()


def bench_convergence() -> str:
    """openEMS mesh convergence on its preset ladder (benchmarks/bench_convergence.py)."""
    from bench_convergence import run

    return run()


def bench_canonical() -> str:
    """Canonical checks of openEMS and Palace (benchmarks/bench_canonical.py)."""
    from bench_canonical import run

    return run()


def bench_dataset() -> str:
    """Dataset generation throughput (benchmarks/bench_dataset.py)."""
    from bench_dataset import bench_dataset as run

    return run()


def bench_circuit() -> str:
    """The circuit model over all 32,768 ka_pixel_4x5 layouts (benchmarks/bench_circuit.py)."""
    from bench_circuit import bench_circuit as run

    return run()


def bench_gp() -> str:
    """GP surrogate vs scikit-learn on sized ka_pixel_4x5 designs (benchmarks/bench_gp.py)."""
    from bench_gp import run

    return run(RESULTS)


def bench_surrogates() -> str:
    """CNN learning curves vs openEMS and inference speed (benchmarks/bench_surrogates.py)."""
    from bench_surrogates import run

    return run(RESULTS)


def bench_search() -> str:
    """GA vs random vs exhaustive search on the shipped surrogate (benchmarks/bench_search.py)."""
    from bench_search import run

    return run()


def bench_feasibility() -> str:
    """Best margins of N lossy coupled resonators on the paper's specs (bench_feasibility.py)."""
    from bench_feasibility import run

    return run()


def bench_synthesis() -> str:
    """Synthesis of the example specs, and sec. 4's feasibility redone (bench_synthesis.py)."""
    from bench_synthesis import run

    return run()


def bench_comb() -> str:
    """`rfdesign design` on dimension-free specs: comb and stepped (benchmarks/bench_comb.py)."""
    from bench_comb import run

    return run()


def bench_antenna() -> str:
    """Antennas: openEMS against references, SADEA against DE (benchmarks/bench_antenna.py)."""
    from bench_antenna import run

    return run()


def bench_direct() -> str:
    """Plain Nelder-Mead on openEMS with the tool's budget (benchmarks/bench_direct.py)."""
    from bench_direct import run

    return run()


def bench_space_mapping() -> str:
    """Space mapping vs direct optimisation on openEMS (benchmarks/bench_space_mapping.py)."""
    from bench_space_mapping import run

    return run()


def bench_mom2d() -> str:
    """2-D MoM accuracy vs the series solution and FFT vs dense speed (bench_mom2d.py)."""
    from bench_mom2d import run

    return run()


def bench_scatter() -> str:
    """Inverse-scattering methods and FICLM (scattering/bench.py)."""
    from bench_scatter import run

    return run()


def bench_ficlm() -> str:
    """FICLM widths: accuracy against speed, and the MoM's cost vs contrast (bench_ficlm.py)."""
    from bench_ficlm import run

    return run()


def bench_inverse() -> str:
    """GAN proposals and GAN-seeded GA on ka_pixel_8x8 (benchmarks/bench_inverse.py)."""
    from bench_inverse import run

    return run(RESULTS)


BENCHES = {
    "layouts": bench_layouts,
    "circuit": bench_circuit,
    "dataset": bench_dataset,
    "openems": bench_openems,
    "convergence": bench_convergence,
    "canonical": bench_canonical,
    "gp": bench_gp,
    "surrogates": bench_surrogates,
    "search": bench_search,
    "feasibility": bench_feasibility,
    "synthesis": bench_synthesis,
    "comb": bench_comb,
    "direct": bench_direct,
    "antenna": bench_antenna,
    "space_mapping": bench_space_mapping,
    "mom2d": bench_mom2d,
    "scatter": bench_scatter,
    "ficlm": bench_ficlm,
    "inverse": bench_inverse,
}


def main(names: list[str]) -> None:
    """Run the named benchmarks (all by default)."""
    from rfdesign.core.version import __version__

    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in names or list(BENCHES):
        table = BENCHES[name]()
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            f"# benchmark: {name}\n\nrfdesign {__version__}, {stamp}\n\n"
            f"Machine: {machine()}\n\n{table}\n"
        )
        (RESULTS / f"{name}.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
