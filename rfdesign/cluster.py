"""One factory for the executors that run simulations: local Dask, a scheduler, SLURM/PBS.

Core modules never import Dask: they take a ``concurrent.futures``-style executor. This
module makes one (Dask's ``Client.get_executor()``), so the same command runs on a laptop and
on a cluster:

* ``none``: no executor, everything runs in this process, one after another;
* ``local``: a :class:`distributed.LocalCluster` of worker processes, sized by the cores and
  the threads each simulation uses;
* ``slurm`` / ``pbs``: ``dask_jobqueue.SLURMCluster`` / ``PBSCluster`` configured from the
  user's Dask configuration (``~/.config/dask/jobqueue.yaml``, see docs/cluster.md);
* ``tcp://host:port`` (or ``host:port``): an existing Dask scheduler.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

KINDS = ("none", "local", "slurm", "pbs")


def _require_dask():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ImportError(
            "cluster execution needs dask[distributed]: pip install 'dask[distributed]'"
        ) from exc
    return distributed


def local_workers(threads_per_task: int = 1, cores: int | None = None) -> int:
    """Worker processes for a local cluster: the cores divided by threads per simulation."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, threads_per_task))


@contextmanager
def executor_for(
    cluster: str = "local",
    workers: int | None = None,
    threads_per_task: int = 1,
) -> Iterator[Executor | None]:
    """Yield an executor for ``cluster`` and shut it down afterwards.

    Args:
        cluster: ``none``, ``local``, ``slurm``, ``pbs`` or a scheduler address.
        workers: Worker processes (local) or jobs (SLURM/PBS); default: from the cores.
        threads_per_task: Threads each simulation uses (sizes the local cluster).

    Yields:
        A ``concurrent.futures.Executor`` (``None`` for ``none``).

    Raises:
        ValueError: For an unknown kind that is not an address.
    """
    if cluster == "none":
        yield None
        return
    distributed = _require_dask()
    if cluster == "local":
        n = workers or local_workers(threads_per_task)
        with (
            distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            ) as lc,
            distributed.Client(lc) as client,
        ):
            yield client.get_executor()
        return
    if cluster in ("slurm", "pbs"):
        import dask_jobqueue

        cls = dask_jobqueue.SLURMCluster if cluster == "slurm" else dask_jobqueue.PBSCluster
        with cls() as jq:
            jq.scale(jobs=workers or 1)
            with distributed.Client(jq) as client:
                yield client.get_executor()
        return
    if "://" in cluster or ":" in cluster:
        address = cluster if "://" in cluster else f"tcp://{cluster}"
        with distributed.Client(address) as client:
            yield client.get_executor()
        return
    raise ValueError(
        f"cluster: {cluster!r} is not one of {', '.join(KINDS)} nor a scheduler address"
    )
