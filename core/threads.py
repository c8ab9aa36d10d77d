"""One BLAS thread for the design loops.

The design loops solve thousands of tiny linear systems (a coupling matrix's response at a
few hundred frequencies, ``numpy.linalg.solve`` on ``F x (N + 2) x (N + 2)`` stacks), never a
large one, while openEMS runs beside them on the machine's cores. OpenBLAS's threads then
wait for cores at every call: measured on the project VM (2 cores, two openEMS runs and two
design processes), one 9 x 9 response at 481 frequencies took 1,470 ms with OpenBLAS's
default two threads and 0.83 ms with one, and a comb's order-escalation retarget ran for over
30 minutes instead of seconds. threadpoolctl (Pedregosa et al.'s scikit-learn project) sets
the limit for the libraries loaded in this process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def one_blas_thread(func: F) -> F:
    """Run ``func`` with the BLAS libraries of this process limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
