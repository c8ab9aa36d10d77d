"""Active learning spends its budget on layouts the ensemble disagrees about."""

import numpy as np
import pytest

from rfdesign.surrogates.active import active_learning, uncertainty_scores
from rfdesign.surrogates.ensemble import CNNSurrogate
from rfdesign.surrogates.training import TrainConfig

F_GHZ = np.linspace(34, 46, 51)


@pytest.fixture(scope="module")
def loop(circuit_data):
    grid, bits, s = circuit_data
    lookup = {b.tobytes(): i for i, b in enumerate(bits.astype(np.uint8))}
    calls = []

    def label(query):
        calls.append(len(query))
        return s[[lookup[q.tobytes()] for q in query.astype(np.uint8)]]

    def make():
        return CNNSurrogate(grid, F_GHZ, train_config=TrainConfig(max_epochs=8), n_members=3)

    res = active_learning(make, label, bits[:600], initial=40, batch=30, budget=100, seed=2)
    return res, calls, bits, s


def test_budget_is_respected_and_nothing_is_simulated_twice(loop):
    res, calls, _, _ = loop
    assert sum(calls) == 100 and calls == [40, 30, 30]
    assert len(np.unique(res.bits, axis=0)) == 100
    assert [h["n_labelled"] for h in res.history] == [40, 70, 100]


def test_queried_layouts_are_the_uncertain_ones(loop):
    # The second round's 30 queries were the top of the first model's uncertainty ranking,
    # so a model refitted on the first 40 (same seed) ranks them above random candidates.
    res, _, bits, _ = loop
    first40, next30 = res.bits[:40], res.bits[40:70]
    model = CNNSurrogate(res.model.grid, F_GHZ, train_config=TrainConfig(max_epochs=8), n_members=3)
    model.fit(first40, res.s[:40])
    rest = np.array([b for b in bits[:600] if not any((b == q).all() for q in res.bits[:70])])
    assert uncertainty_scores(model, next30).mean() > uncertainty_scores(model, rest).mean()


def test_wanted_layouts_go_first(circuit_data):
    grid, bits, s = circuit_data
    lookup = {b.tobytes(): i for i, b in enumerate(bits.astype(np.uint8))}
    res = active_learning(
        lambda: CNNSurrogate(grid, F_GHZ, train_config=TrainConfig(max_epochs=2), n_members=2),
        lambda q: s[[lookup[b.tobytes()] for b in q.astype(np.uint8)]],
        bits[:200],
        initial=10,
        batch=5,
        budget=15,
        strategy="random",
        wanted=lambda model: bits[190:193],
    )
    np.testing.assert_array_equal(res.bits[10:13], bits[190:193])


def test_bad_arguments_are_named(circuit_data):
    bits = circuit_data[1]
    with pytest.raises(ValueError, match="strategy"):
        active_learning(None, None, bits, initial=5, batch=5, budget=10, strategy="greedy")
    with pytest.raises(ValueError, match="pool: 20 distinct layouts"):
        active_learning(None, None, bits[:20], initial=5, batch=5, budget=30)
