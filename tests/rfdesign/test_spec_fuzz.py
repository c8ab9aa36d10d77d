"""Property tests: whatever a user feeds the loader, it answers with a SpecError or a spec."""

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfdesign.spec import FilterSpec, SpecError, parse_spec

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "examples" / "ka_bandpass.yaml").read_text())
KEYS = [
    "name",
    "sweep",
    "bands",
    "w",
    "substrate",
    "grid",
    "solver",
    "search",
    "kind",
    "f_min_ghz",
    "f_max_ghz",
    "s21_min_db",
    "s11_max_db",
    "s21_max_db",
    "start_ghz",
    "stop_ghz",
    "points",
    "height_mm",
    "eps_r",
    "column_widths_mm",
    "row_heights_mm",
    "fixed",
    "row",
    "col",
    "metal",
    "pass",
    "stop",
    "preset",
    "threads",
    "population",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(KEYS),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=6
        ),
    ),
    max_leaves=30,
)


def check(text: str) -> None:
    try:
        result = parse_spec(text)
    except SpecError as exc:
        assert exc.issues and all(issue.path and issue.message for issue in exc.issues)
    else:
        assert isinstance(result, FilterSpec)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_yaml_documents(doc):
    check(yaml.safe_dump(doc))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text):
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data):
    check(data.decode("utf-8", errors="replace"))


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))
    yield prefix


PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), documents)
def test_one_field_of_a_valid_spec_replaced_by_garbage(path, value):
    import copy

    data = copy.deepcopy(BASE)
    target = data
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    check(yaml.safe_dump(data))
