"""The one registry helper: unique names, lazy built-ins, 'did you mean'."""

import sys

import pytest

from rfdesign.core.registry import Registry


def test_names_are_unique_but_re_registering_the_same_object_is_harmless():
    reg = Registry("widget")

    @reg.register("a")
    def a():
        return 1

    reg.add("a", a)  # a module imported twice registers the same object again
    with pytest.raises(ValueError, match="widget 'a' is already registered"):
        reg.add("a", lambda: 2)
    assert reg.get("a") is a and "a" in reg and list(reg) == ["a"]


def test_unknown_names_list_the_known_ones_and_the_closest():
    reg = Registry("widget")
    reg.add("openems", object())
    with pytest.raises(KeyError, match=r"unknown widget 'openem' \(known: openems\); did you mean"):
        reg.get("openem")


def test_lazy_entries_are_imported_on_first_use():
    from rfdesign.scattering.inversion import METHODS

    sys.modules.pop("rfdesign.scattering.csi", None)
    assert "csi" in METHODS.names()
    assert METHODS.get("csi").__module__ == "rfdesign.scattering.csi"


def test_every_registry_of_the_package_is_one():
    from rfdesign.design.search import SEARCH_METHODS
    from rfdesign.layouts.presets import GRIDS
    from rfdesign.scattering.inversion import METHODS
    from rfdesign.solvers.base import SOLVERS
    from rfdesign.surrogates.base import SURROGATES

    for reg in (GRIDS, SOLVERS, SURROGATES, METHODS, SEARCH_METHODS):
        assert isinstance(reg, Registry)
    assert {"circuit", "openems", "meep"} <= set(SOLVERS.names())
    assert {"cnn", "gp"} <= set(SURROGATES.names())
