"""Active learning: spend a full-wave budget on the layouts the surrogate is least sure of.

Query by committee (Seung, Opper and Sompolinsky, COLT 1992) with a deep ensemble as the
committee: the members' spread of |S11| and |S21| in dB, averaged over frequency, ranks the
candidates; the most uncertain ones are simulated, added to the training set, and the
ensemble is refitted. Candidates the optimiser wants (its current best designs) can be put
in front of the queue, so the model becomes accurate where the search goes.

The loop knows nothing about solvers or datasets: it takes a ``label`` callable
``bits (n x d) -> S (n x F x 2 x 2)`` (a solver run, or a lookup in a stored dataset) and a
``make_model`` callable returning an unfitted :class:`~rfdesign.surrogates.ensemble.CNNSurrogate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rfdesign.surrogates.ensemble import CNNSurrogate

QUERY_STRATEGIES = ("uncertainty", "random")


@dataclass
class ActiveLearningResult:
    """Outcome of :func:`active_learning`.

    Attributes:
        model: The ensemble fitted on every labelled layout.
        bits: Labelled layouts in the order they were simulated, ``n x d``.
        s: Their S-parameters, ``n x F x 2 x 2``.
        history: One dict per round: ``n_labelled``, ``queried`` (count), ``mean_std_db`` of
            the queried batch, and whatever ``evaluate`` returned for the refitted model.
    """

    model: CNNSurrogate
    bits: np.ndarray
    s: np.ndarray
    history: list[dict] = field(default_factory=list)


def uncertainty_scores(model: CNNSurrogate, bits: np.ndarray) -> np.ndarray:
    """Mean over frequency and over S11/S21 of the members' std of |S| in dB, shape ``n``."""
    _, std_db = model.predict_with_uncertainty(bits)
    return std_db.mean(axis=(1, 2))


def _distinct_rows(bits: np.ndarray) -> np.ndarray:
    _, idx = np.unique(np.asarray(bits, np.uint8), axis=0, return_index=True)
    return np.sort(idx)


def active_learning(
    make_model: Callable[[], CNNSurrogate],
    label: Callable[[np.ndarray], np.ndarray],
    pool: np.ndarray,
    *,
    initial: int,
    batch: int,
    budget: int,
    strategy: str = "uncertainty",
    seed: int = 0,
    init_bits: np.ndarray | None = None,
    init_s: np.ndarray | None = None,
    wanted: Callable[[CNNSurrogate], np.ndarray] | None = None,
    evaluate: Callable[[CNNSurrogate], dict] | None = None,
    fit_kwargs: dict | None = None,
) -> ActiveLearningResult:
    """Grow a training set within a simulation budget.

    Args:
        make_model: Returns a fresh, unfitted ensemble (>= 2 members for ``"uncertainty"``).
        label: Simulates layouts: ``bits (n x d) -> S (n x F x 2 x 2)``.
        pool: Candidate layouts, ``P x d`` (for example all layouts of a small grid, or a
            large random sample of a big one); duplicates are dropped.
        initial: Layouts drawn at random from the pool before the first fit.
        batch: Layouts simulated per round.
        budget: Total layouts simulated by this call (``initial`` included).
        strategy: ``"uncertainty"`` (query by committee) or ``"random"`` (the baseline).
        seed: Seeds the initial draw, random queries and the models.
        init_bits: Layouts already simulated (not counted in the budget), ``m x d``.
        init_s: Their S-parameters.
        wanted: Optional: given the current model, layouts to simulate first in the next
            round (for example the optimiser's best candidates).
        evaluate: Optional: metrics of each refitted model (e.g. on a test set).
        fit_kwargs: Passed to ``CNNSurrogate.fit`` (``executor``, ``init``, ...).

    Returns:
        The final model, the labelled data and the per-round history.
    """
    if strategy not in QUERY_STRATEGIES:
        raise ValueError(f"strategy: {strategy!r} is not one of {QUERY_STRATEGIES}")
    if not 0 < initial <= budget:
        raise ValueError(f"initial: must be between 1 and budget ({budget}), got {initial}")
    if batch < 1:
        raise ValueError(f"batch: must be >= 1, got {batch}")
    pool = np.asarray(pool, np.uint8)
    pool = pool[_distinct_rows(pool)]
    if len(pool) < budget:
        raise ValueError(f"pool: {len(pool)} distinct layouts, fewer than the budget {budget}")
    rng = np.random.default_rng(seed)
    fit_kwargs = fit_kwargs or {}

    have_bits = (
        np.zeros((0, pool.shape[1]), np.uint8)
        if init_bits is None
        else np.asarray(init_bits, np.uint8)
    )
    have_s = None if init_s is None else np.asarray(init_s)
    labelled = np.zeros(len(pool), bool)
    if len(have_bits):
        known = {r.tobytes() for r in have_bits}
        labelled |= np.array([r.tobytes() in known for r in pool])

    def add(idx: np.ndarray) -> None:
        nonlocal have_bits, have_s
        new_s = np.asarray(label(pool[idx]))
        if new_s.shape[0] != len(idx):
            raise ValueError(f"label: returned {new_s.shape[0]} results for {len(idx)} layouts")
        labelled[idx] = True
        have_bits = np.concatenate([have_bits, pool[idx]])
        have_s = new_s if have_s is None else np.concatenate([have_s, new_s])

    first = rng.choice(np.nonzero(~labelled)[0], size=initial, replace=False)
    add(first)
    spent = initial
    history: list[dict] = []
    model = make_model().fit(have_bits, have_s, **fit_kwargs)
    history.append(
        {"n_labelled": len(have_bits), "queried": initial, "mean_std_db": None}
        | (evaluate(model) if evaluate else {})
    )
    while spent < budget:
        k = min(batch, budget - spent)
        free = np.nonzero(~labelled)[0]
        chosen: list[int] = []
        if wanted is not None:
            want = np.asarray(wanted(model), np.uint8).reshape(-1, pool.shape[1])
            lookup = {pool[i].tobytes(): i for i in free}
            chosen = [lookup[w.tobytes()] for w in want if w.tobytes() in lookup][:k]
        rest = np.setdiff1d(free, chosen)
        n_more = k - len(chosen)
        if strategy == "random":
            extra = rng.choice(rest, size=n_more, replace=False)
            score = None
        else:
            scores = uncertainty_scores(model, pool[rest])
            top = np.argsort(-scores, kind="stable")[:n_more]
            extra, score = rest[top], float(scores[top].mean()) if n_more else None
        idx = np.concatenate([np.asarray(chosen, int), extra]).astype(int)
        add(idx)
        spent += len(idx)
        model = make_model().fit(have_bits, have_s, **fit_kwargs)
        history.append(
            {"n_labelled": len(have_bits), "queried": len(idx), "mean_std_db": score}
            | (evaluate(model) if evaluate else {})
        )
    return ActiveLearningResult(model=model, bits=have_bits, s=have_s, history=history)
