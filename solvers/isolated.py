"""Run one solver job in its own process: JSON in, ``.npz`` out, log to a file, timeout.

openEMS and Meep run in-process, change the working directory, write their logs to file
descriptor 1 and may take every core (ENV.md), so every run goes through here: a fresh
interpreter (or an MPI launcher) in the job's folder, stdout and stderr into a log file, an
explicit thread count, and a timeout after which the whole process group is killed. A failure
raises :class:`~rfdesign.solvers.base.SolverError` carrying the log tail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np

from rfdesign.solvers.base import SolverError


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file (or a note that there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_job(
    name: str,
    cmd: list[str],
    job: dict,
    workdir: Path,
    result_name: str,
    timeout_s: float,
    threads: int = 1,
) -> tuple[dict[str, np.ndarray], str]:
    """Write ``job`` as ``workdir/job.json``, run ``cmd + [job.json]``, read the result.

    Args:
        name: Solver name for messages.
        cmd: Command without the job file, e.g. ``[python, "-m", "rfdesign.solvers._x"]``.
        job: The JSON-ready job.
        workdir: Folder of this run (the process's working directory).
        result_name: File the job writes into ``workdir`` (``.npz``).
        timeout_s: Wall-time limit in s.
        threads: Thread count exported as ``OMP_NUM_THREADS``.

    Returns:
        The arrays of the result file and the full log text.

    Raises:
        SolverError: If the process cannot start, times out, fails or writes no result.
    """
    job_file = workdir / "job.json"
    job_file.write_text(json.dumps(job))
    log_file = workdir / f"{name}.log"
    env = dict(os.environ)
    env.update(
        MPLBACKEND="Agg",
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    with open(log_file, "wb") as log:
        try:
            proc = subprocess.Popen(
                [*cmd, str(job_file)],
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # its own process group: the timeout kills it all
            )
        except OSError as exc:
            raise SolverError(f"{name}: cannot start {cmd[0]!r}: {exc}") from exc
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise SolverError(
                f"{name}: run exceeded timeout_s={timeout_s:g} s", log_tail(log_file)
            ) from None
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    result = workdir / result_name
    if code != 0 or not result.exists():
        raise SolverError(f"{name}: run failed with exit code {code}", log_tail(log_file))
    with np.load(result) as data:
        arrays = {k: data[k] for k in data.files}
    return arrays, log_file.read_text(errors="replace")
