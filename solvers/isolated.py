"""Run solver jobs in their own processes and folders, which live and die with the run.

openEMS and Meep run in-process, change the working directory, write their logs to file
descriptor 1 and may take every core (ENV.md), so every run goes through here: a fresh
interpreter (or an MPI launcher) in the job's folder, stdout and stderr into a log file, an
explicit thread count, and a timeout after which the whole process group is killed. A failure
raises :class:`~rfdesign.solvers.base.SolverError` carrying the log tail.

**Processes.** :func:`run_job` starts the job with ``start_new_session=True`` (its own process
group, so the timeout kills launcher and ranks together) and, on Linux, with the parent-death
signal set to SIGKILL (:func:`die_with_parent`): if the parent is killed (``kill -9``, the OOM
killer, a Dask worker exiting because its own parent died), the kernel kills the job at once
instead of letting it run on unobserved. Elsewhere, and for the ranks an MPI launcher starts
(only the launcher gets the signal), the job outlives a killed parent until it ends or hits
its timeout.

**Folders.** A solver runs one layout in :func:`run_folder`, a folder named by the run's
content (the solver's cache key): ``<cache root>/runs/<key>/`` when the solver has a cache,
else ``<temp dir>/rfdesign-<solver>-<key>/``; one sub-folder per job (``port1``, ...). The
folder is held by an ``fcntl.flock`` lock on its ``.lock`` file for the life of the run; the
kernel drops the lock when the holder dies, so a folder nobody holds is stale, whatever the
process that made it. The life cycle:

1. On entry, stale folders of the same kind are swept (:func:`sweep_stale_runs`): removed,
   unless one holds a finished job result younger than :data:`RESULT_MAX_AGE_S` (kept for
   the resume that will reuse it), or was kept on purpose (``keep``).
2. The run's folder is locked; if another live process holds it (the same layout running
   twice at once), the run uses a fresh folder ``<name>-<random>`` beside it instead.
3. :func:`run_job` reuses a job whose result file is there and whose ``job.json`` equals the
   job about to run (the job writes its result atomically: temporary file, then rename, so a
   result that exists is complete); otherwise it removes any old result, writes the job and
   runs it.
4. On exit the folder is removed, or, with ``keep``, marked kept and left in place. A run
   that fails leaves its folder only if it holds a finished job result (a retry reuses it).

Removal renames the folder to ``<name>.removing-<pid>-<random>`` while still holding its lock
and then deletes it, so a process claiming the same name never writes into a folder being
deleted. A killed parent therefore leaves no running job and, after the next run of any solver
of the same kind, no folder except finished job results waiting to be reused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from rfdesign.solvers.base import SolverError

if TYPE_CHECKING:
    from rfdesign.layouts.layout import Layout
    from rfdesign.solvers.base import Solver

LOCK_NAME = ".lock"
"""Lock file of a run folder; held with ``fcntl.flock`` while the run is alive."""

KEPT_NAME = "KEPT"
"""Marker file of a run folder kept on purpose (``keep_files``); sweeps leave it alone."""

REMOVING = ".removing-"
"""Infix of a run folder being deleted (renamed first, then removed)."""

RESULT_MAX_AGE_S = 2 * 24 * 3600.0
"""Age (s) after which a stale folder's finished job results are no longer kept for reuse."""


class JobResult(NamedTuple):
    """What :func:`run_job` returns.

    Attributes:
        arrays: The arrays of the job's result file.
        log: The job's full log text.
        reused: True if a finished result of the same job was reused and nothing was run.
    """

    arrays: dict[str, np.ndarray]
    log: str
    reused: bool


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file (or a note that there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ----------------------------------------------------------------------------------------------
# Processes
# ----------------------------------------------------------------------------------------------
# Run in a fresh interpreter between fork and the real command: ask for SIGKILL when the parent
# goes (PR_SET_PDEATHSIG = 1; the setting survives exec), then become the command.
_DIE_WITH_PARENT = """\
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0)
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    os.kill(os.getpid(), signal.SIGKILL)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def die_with_parent(cmd: list[str], parent_pid: int) -> list[str]:
    """``cmd`` wrapped so that, on Linux, it is killed when ``parent_pid`` dies.

    The wrapper is a bare interpreter (``python -I -c``, ~20 ms) that asks the kernel for
    SIGKILL when its parent goes (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``) and then
    execs ``cmd`` in its place: same process, same pid, so the parent's timeout and its
    process-group kill are unchanged. The kernel sends the signal when the *thread* that
    forked the child exits, not the whole process; :func:`run_job`'s forking thread blocks in
    ``proc.wait()`` until the child has ended, so this is safe in thread pools (Dask workers,
    ``ThreadPoolExecutor``) too. If the parent died between the fork and the ``prctl`` call,
    the child has already been re-parented and no signal will come: it sees a parent pid
    other than ``parent_pid`` and kills itself.

    A wrapper rather than ``Popen(preexec_fn=...)``: Python code between fork and exec can
    deadlock in a multi-threaded parent (Python's documentation), and the solver runs in
    Dask's threads. Elsewhere than Linux ``cmd`` is returned unchanged (no parent-death
    signal: the job runs on after a killed parent until it ends or times out).
    """
    if not sys.platform.startswith("linux"):
        return cmd
    return [sys.executable, "-I", "-c", _DIE_WITH_PARENT, str(parent_pid), *cmd]


def _read_result(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a result file, or None if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except Exception:  # missing, truncated, not a zip: run the job again
        return None


def _finished(workdir: Path, job: dict, result_name: str) -> dict[str, np.ndarray] | None:
    """The result of ``job`` if ``workdir`` holds it finished, else None."""
    result = workdir / result_name
    if not result.is_file():
        return None
    try:
        same = json.loads((workdir / "job.json").read_text()) == json.loads(json.dumps(job))
    except (OSError, ValueError):
        return None
    return _read_result(result) if same else None


def run_job(
    name: str,
    cmd: list[str],
    job: dict,
    workdir: Path,
    result_name: str,
    timeout_s: float,
    threads: int = 1,
) -> JobResult:
    """Run ``cmd + [workdir/job.json]`` for ``job`` in ``workdir`` and read its result.

    If ``workdir`` already holds a finished result of this very job (result file present,
    ``job.json`` equal to ``job``), it is returned without running anything. Otherwise any old
    result is removed, ``job`` is written as ``workdir/job.json`` and the command is run. The
    job must write its result atomically (temporary file, then rename).

    Args:
        name: Solver name for messages.
        cmd: Command without the job file, e.g. ``[python, "-m", "rfdesign.solvers._x"]``.
        job: The JSON-ready job.
        workdir: Folder of this job (the process's working directory), held by the caller
            (:func:`run_folder`) so that no other process writes into it.
        result_name: File the job writes into ``workdir`` (``.npz``).
        timeout_s: Wall-time limit in s.
        threads: Thread count exported as ``OMP_NUM_THREADS``.

    Returns:
        The result arrays, the full log text and whether a finished result was reused.

    Raises:
        SolverError: If the process cannot start, times out, fails or writes no result.
    """
    job_file = workdir / "job.json"
    log_file = workdir / f"{name}.log"
    result = workdir / result_name
    if (arrays := _finished(workdir, job, result_name)) is not None:
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        return JobResult(arrays, log, True)
    # The old result goes before the new job.json is written: a kill in between must never
    # leave a result beside a job it does not belong to.
    result.unlink(missing_ok=True)
    job_file.write_text(json.dumps(job))
    env = dict(os.environ)
    env.update(
        MPLBACKEND="Agg",
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    if shutil.which(cmd[0], path=env.get("PATH")) is None:
        raise SolverError(f"{name}: cannot start {cmd[0]!r}: not found or not executable")
    with open(log_file, "wb") as log:
        try:
            proc = subprocess.Popen(
                die_with_parent([*cmd, str(job_file)], os.getpid()),
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
    arrays = _read_result(result) if code == 0 else None
    if arrays is None:
        raise SolverError(f"{name}: run failed with exit code {code}", log_tail(log_file))
    return JobResult(arrays, log_file.read_text(errors="replace"), False)


# ----------------------------------------------------------------------------------------------
# Folders
# ----------------------------------------------------------------------------------------------
def _lock(folder: Path, create: bool) -> int | None:
    """Take ``folder``'s lock without waiting: its file descriptor, or None.

    None if another process holds the lock, the folder is gone (``create=False``) or is not
    ours to lock (another user's). The lock file is checked to still be the one in ``folder``
    after locking: a sweep may have renamed the folder away between our open and our lock.
    """
    for _ in range(5):
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            if create:
                continue  # removed between mkdir and open: make it again
            return None
        except (PermissionError, NotADirectoryError):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            st = os.stat(folder / LOCK_NAME)
            mine = os.fstat(fd)
            same = (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
        if not create:
            return None
    return None


def _remove(folder: Path, fd: int) -> None:
    """Delete ``folder``, whose lock ``fd`` we hold, and release the lock.

    The folder is renamed first, under the lock, so that nobody can open its lock file by its
    old name while it is being deleted.
    """
    doomed = folder.with_name(f"{folder.name}{REMOVING}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(folder, doomed)
    except OSError:
        doomed = folder  # cannot rename (vanished, odd file system): delete in place
    finally:
        os.close(fd)
    shutil.rmtree(doomed, ignore_errors=True)


def _has_results(folder: Path, newer_than: float = 0.0) -> bool:
    """True if a job in ``folder`` left a finished result (modified after ``newer_than``)."""
    for p in folder.glob("*/*.npz"):
        if p.name.endswith(".tmp.npz"):
            continue
        try:
            if p.stat().st_mtime > newer_than:
                return True
        except OSError:
            continue
    return False


def _worth_keeping(folder: Path, max_result_age_s: float) -> bool:
    """True for a folder kept on purpose or holding finished results young enough to reuse."""
    if (folder / KEPT_NAME).exists():
        return True
    return _has_results(folder, time.time() - max_result_age_s)


def sweep_stale_runs(
    root: Path,
    pattern: str,
    skip: Collection[Path] = (),
    max_result_age_s: float = RESULT_MAX_AGE_S,
) -> list[Path]:
    """Remove the run folders ``root/pattern`` that no live process holds.

    Kept: folders held by a live process (their lock cannot be taken), folders marked kept,
    folders holding a finished job result younger than ``max_result_age_s`` (a resume reuses
    it), and the folders in ``skip``. Leftovers of an interrupted removal are deleted.

    Args:
        root: Folder holding the run folders.
        pattern: Glob of the run folders in ``root`` (``rfdesign-openems-*``, ``*``).
        skip: Folders to leave alone (the one about to be used).
        max_result_age_s: Age (s) beyond which finished results are no longer kept.

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    skip = {Path(p) for p in skip}
    for folder in sorted(root.glob(pattern)):
        if folder in skip or folder.is_symlink() or not folder.is_dir():
            continue
        if REMOVING in folder.name:  # its remover died (or is at it: rmtree tolerates that)
            shutil.rmtree(folder, ignore_errors=True)
            continue
        if _worth_keeping(folder, max_result_age_s):
            continue
        fd = _lock(folder, create=False)
        if fd is None:
            continue  # alive, or not ours
        if _worth_keeping(folder, max_result_age_s):  # decided again under the lock
            os.close(fd)
            continue
        _remove(folder, fd)
        removed.append(folder)
    return removed


def run_location(solver_name: str, key: str, cache_root: Path | None) -> tuple[Path, str, str]:
    """Where the runs of ``key`` live: ``(root, folder name, glob of its kind in root)``.

    With a cache: ``<cache_root>/runs/<key>`` (every solver's runs in one place); without:
    ``<temp dir>/rfdesign-<solver_name>-<key>``.
    """
    if cache_root is not None:
        return Path(cache_root) / "runs", key, "*"
    prefix = f"rfdesign-{solver_name}-"
    return Path(tempfile.gettempdir()), prefix + key, prefix + "*"


@contextlib.contextmanager
def run_folder(
    solver_name: str, key: str, cache_root: Path | None = None, keep: bool = False
) -> Iterator[Path]:
    """The locked folder of one run, from the sweep on entry to its removal on exit.

    Args:
        solver_name: Solver name (names the folder when there is no cache).
        key: The run's content key (:meth:`rfdesign.solvers.base.Solver.cache_key`).
        cache_root: Root folder of the solver's result cache, if it has one.
        keep: Keep the folder afterwards (marked kept, never swept) instead of removing it.

    Yields:
        The run folder, held by this process until the ``with`` block ends.

    Raises:
        SolverError: If no run folder can be locked.
    """
    root, name, pattern = run_location(solver_name, key, cache_root)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    sweep_stale_runs(root, pattern, skip={folder})
    fd = _lock(folder, create=True)
    for _ in range(5):
        if fd is not None:
            break
        # Held by another live process (the same run twice at once): run beside it.
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        fd = _lock(folder, create=False)
    if fd is None:
        raise SolverError(f"{solver_name}: cannot lock a run folder in {root}")
    ok = False
    try:
        yield folder
        ok = True
    finally:
        if keep:
            (folder / KEPT_NAME).touch()
            os.close(fd)
        elif ok or not _has_results(folder):
            _remove(folder, fd)
        else:
            os.close(fd)  # a failed run's finished jobs stay for the retry (swept when stale)


def solver_run_folder(
    solver: Solver, layout: Layout, f_ghz: np.ndarray, keep: bool
) -> contextlib.AbstractContextManager[Path]:
    """:func:`run_folder` for ``solver`` simulating ``layout`` at ``f_ghz`` (GHz).

    The folder is named by ``solver.cache_key(layout, f_ghz)`` and placed in the solver's
    result cache (``solver.cache.root``) when it has one, else in the temporary directory.
    """
    root = solver.cache.root if solver.cache is not None else None
    return run_folder(solver.name, solver.cache_key(layout, f_ghz), root, keep)
