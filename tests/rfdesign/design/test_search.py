"""The search stage: a registry of methods whose names are the spec's."""

import typing

import pytest

from rfdesign.design.search import SEARCH_METHODS, choose_algorithm
from rfdesign.spec import SearchSettings


def test_the_spec_offers_exactly_the_registered_methods():
    names = typing.get_args(SearchSettings.model_fields["algorithm"].annotation)
    assert set(names) == {"auto", *SEARCH_METHODS.names()}


@pytest.mark.parametrize(
    ("n_bits", "on_solver", "expected"),
    [(15, False, "exhaustive"), (20, False, "exhaustive"), (21, False, "ga"), (15, True, "ga")],
)
def test_auto_is_exhaustive_where_the_space_fits_the_budget(n_bits, on_solver, expected):
    s = SearchSettings(population=16, generations=8)  # 128 evaluations on the solver: 2^7
    assert choose_algorithm(s, n_bits, on_solver) == expected
    assert choose_algorithm(s.model_copy(update={"algorithm": "random"}), 15, False) == "random"
    assert choose_algorithm(s, 7, True) == "exhaustive"
