"""Generate datasets: sample layouts, simulate the missing ones on an executor, journal each.

Nothing computed is lost: every finished chunk is written to the dataset's journal at once
(atomic file), failures are recorded with their error, and a rerun skips what is stored.
"""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass

import numpy as np

from rfdesign.datasets.store import STATUS_FAILED, STATUS_OK, Chunk, Dataset
from rfdesign.layouts.grid import PixelGrid
from rfdesign.layouts.layout import Layout

SAMPLERS = ("all", "random", "sobol")
MAX_ENUMERATED_BITS = 24


def sample_bits(grid: PixelGrid, sampler: str, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Bit vectors to simulate, ``N x n_bits`` (uint8), unique.

    Args:
        grid: The design space.
        sampler: ``all`` (every layout, in enumeration order), ``random`` (``n`` distinct
            layouts, uniform), ``sobol`` (``n`` distinct layouts from a scrambled Sobol
            sequence thresholded at 0.5; better spread than random for small ``n``).
        n: Number of layouts (``random``, ``sobol``; for ``all``, optional cap).
        seed: Seed of the random and Sobol samplers.
    """
    d = grid.n_bits
    if sampler == "all":
        if d > MAX_ENUMERATED_BITS:
            raise ValueError(f"sampler: 'all' enumerates 2^{d} layouts; use random or sobol")
        total = 2**d if n is None else min(n, 2**d)
        idx = np.arange(total, dtype=np.int64)
        return ((idx[:, None] >> np.arange(d - 1, -1, -1)) & 1).astype(np.uint8)
    if n is None or n < 1:
        raise ValueError(f"n: sampler {sampler!r} needs a positive number of layouts")
    if d <= 62 and n > 2**d:
        raise ValueError(f"n: {n} exceeds the {2**d} layouts of the grid")
    rng = np.random.default_rng(seed)
    if sampler == "random":
        if d <= 30:
            idx = rng.choice(2**d, size=n, replace=False)
            return ((idx[:, None] >> np.arange(d - 1, -1, -1)) & 1).astype(np.uint8)
        out: dict[bytes, np.ndarray] = {}
        while len(out) < n:
            b = (rng.random(d) < 0.5).astype(np.uint8)
            out.setdefault(b.tobytes(), b)
        return np.array(list(out.values()))
    if sampler == "sobol":
        from scipy.stats import qmc

        engine = qmc.Sobol(d=d, scramble=True, seed=rng)
        out = {}
        while len(out) < n:
            m = int(np.ceil(np.log2(max(64, 2 * n))))  # powers of two keep Sobol's balance
            pts = (engine.random_base2(m) >= 0.5).astype(np.uint8)
            for b in pts:
                out.setdefault(b.tobytes(), b)
                if len(out) == n:
                    break
        return np.array(list(out.values()))
    raise ValueError(f"sampler: {sampler!r} is not one of {', '.join(SAMPLERS)}")


def simulate_chunk(
    solver, grid: PixelGrid, bits: np.ndarray, f_ghz: np.ndarray, retries: int = 0
) -> Chunk:
    """Simulate a few layouts (runs on a worker); a failing layout becomes a failure record.

    Solvers with a vectorised ``simulate_bits`` (the circuit model) get the whole chunk at
    once; if that raises, the chunk is redone layout by layout so the failing ones are named.
    """
    layouts = [Layout(grid, b) for b in bits]
    batch = getattr(solver, "simulate_bits", None)
    if batch is not None and len(layouts) > 1:
        try:
            t0 = time.perf_counter()
            s_all = np.asarray(batch(grid, bits, f_ghz, n_threads=1))
            wall = (time.perf_counter() - t0) / len(layouts)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            common = {
                "solver": solver.name,
                "solver_version": solver.version,
                "settings": solver.settings_dict(results_only=False),
                "wall_s": wall,
                "finished_utc": stamp,
                "host": socket.gethostname(),
                "attempts": 1,
            }
            return Chunk(
                keys=[lay.key() for lay in layouts],
                bits=bits,
                s=s_all,
                status=np.zeros(len(layouts), np.uint8),
                info=[common | {"bits": lay.bit_string} for lay in layouts],
            )
        except Exception:
            pass
    nf = len(f_ghz)
    s = np.full((len(layouts), nf, 2, 2), np.nan + 0j)
    status = np.zeros(len(layouts), np.uint8)
    infos: list[dict] = []
    for i, lay in enumerate(layouts):
        for attempt in range(retries + 1):
            try:
                net = solver.simulate(lay, f_ghz)
                s[i] = net.s
                info = dict(net.rfdesign_info)
                info["attempts"] = attempt + 1
                status[i] = STATUS_OK
                break
            except Exception as exc:
                info = {
                    "bits": lay.bit_string,
                    "error": f"{type(exc).__name__}: {exc}"[:4000],
                    "traceback": traceback.format_exc()[-2000:],
                    "attempts": attempt + 1,
                    "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
                status[i] = STATUS_FAILED
        infos.append(info)
    return Chunk(keys=[lay.key() for lay in layouts], bits=bits, s=s, status=status, info=infos)


@dataclass
class GenerationReport:
    """What a generation run did.

    Attributes:
        requested: Layouts asked for.
        skipped: Already stored (successfully), not simulated again.
        computed: Simulated successfully in this run.
        failed: Failed in this run (recorded with their error).
        wall_s: Wall time of the run in s.
    """

    requested: int
    skipped: int
    computed: int
    failed: int
    wall_s: float

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return dict(self.__dict__)


def generate(
    dataset: Dataset,
    solver,
    grid: PixelGrid,
    bits: np.ndarray,
    executor: Executor | None = None,
    chunk_size: int = 1,
    retries: int = 0,
    consolidate_every_s: float = 30.0,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationReport:
    """Simulate every layout of ``bits`` that ``dataset`` lacks and store the results.

    Args:
        dataset: Where results go (journal first, then consolidated).
        solver: A :class:`rfdesign.solvers.base.Solver`.
        grid: The grid of the layouts.
        bits: Layouts to have, ``N x n_bits``.
        executor: Runs the chunks (``concurrent.futures`` API); None runs them here.
        chunk_size: Layouts per task (1 for full-wave solvers; hundreds for the circuit model).
        retries: Extra attempts for a layout whose simulation raised, and for a chunk whose
            worker died.
        consolidate_every_s: Merge the journal into the zarr arrays this often.
        progress: Called as ``progress(done, total)`` after each chunk.

    Returns:
        A :class:`GenerationReport`.
    """
    t0 = time.perf_counter()
    f = dataset.f_ghz
    done = dataset.keys()
    keys = [Layout(grid, b).key() for b in bits]
    todo = np.array([i for i, k in enumerate(keys) if k not in done], dtype=int)
    skipped = len(bits) - len(todo)
    chunks = [bits[todo[i : i + chunk_size]] for i in range(0, len(todo), chunk_size)]
    computed = failed = finished = 0
    last_merge = time.perf_counter()

    def record(chunk: Chunk) -> None:
        nonlocal computed, failed, finished, last_merge
        dataset.write_chunk(chunk)
        computed += int((chunk.status == STATUS_OK).sum())
        failed += int((chunk.status == STATUS_FAILED).sum())
        finished += len(chunk.keys)
        if progress:
            progress(finished, len(todo))
        if time.perf_counter() - last_merge > consolidate_every_s:
            dataset.consolidate()
            last_merge = time.perf_counter()

    try:
        if executor is None:
            for c in chunks:
                record(simulate_chunk(solver, grid, c, f, retries))
        else:
            attempts: dict[Future, tuple[np.ndarray, int]] = {}
            for c in chunks:
                attempts[executor.submit(simulate_chunk, solver, grid, c, f, retries)] = (c, 0)
            pending = set(attempts)
            while pending:
                for fut in as_completed(list(pending)):
                    pending.discard(fut)
                    c, tries = attempts.pop(fut)
                    try:
                        record(fut.result())
                    except Exception as exc:
                        if tries < retries:
                            nf = executor.submit(simulate_chunk, solver, grid, c, f, retries)
                            attempts[nf] = (c, tries + 1)
                            pending.add(nf)
                        else:
                            record(_failed_chunk(grid, c, f, exc))
                    break  # re-enter as_completed with the updated pending set
    finally:
        dataset.consolidate()
    return GenerationReport(
        requested=len(bits),
        skipped=skipped,
        computed=computed,
        failed=failed,
        wall_s=time.perf_counter() - t0,
    )


def _failed_chunk(grid: PixelGrid, bits: np.ndarray, f: np.ndarray, exc: BaseException) -> Chunk:
    layouts = [Layout(grid, b) for b in bits]
    return Chunk(
        keys=[lay.key() for lay in layouts],
        bits=bits,
        s=np.full((len(layouts), len(f), 2, 2), np.nan + 0j),
        status=np.full(len(layouts), STATUS_FAILED, np.uint8),
        info=[
            {"bits": lay.bit_string, "error": f"task lost: {type(exc).__name__}: {exc}"[:4000]}
            for lay in layouts
        ],
    )
