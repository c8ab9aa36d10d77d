"""Registries: name -> object tables filled by a decorator.

As gdsfactory's cells and botorch's input constructors: one :class:`Registry` per kind of thing (grid presets, solvers, surrogate kinds, search
methods, inversion methods). Names are unique (registering another object under a taken name
is an error), built-in entries may live in modules imported on first use so that importing
the registry stays cheap, and an unknown name is answered with the known ones and the closest
match.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


def unknown_name_message(kind: str, name: str, known: list[str]) -> str:
    """Message for an unknown registry name, with a 'did you mean' hint."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r} (known: {', '.join(known)}){hint}"


class Registry(Generic[T]):
    """A name -> object table of one kind.

    Args:
        kind: What the entries are, for messages (``"solver"``, ``"grid preset"``).
        lazy: Built-in names and the module whose import registers each, imported the first
            time the name is asked for.
    """

    def __init__(self, kind: str, lazy: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._lazy = dict(lazy or {})

    def add(self, name: str, obj: T) -> T:
        """Register ``obj`` as ``name``; a name taken by another object is an error."""
        if name in self._entries and self._entries[name] is not obj:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj
        return obj

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`: ``@REGISTRY.register("name")``."""
        return lambda obj: self.add(name, obj)

    def names(self) -> list[str]:
        """Every known name (registered or importable on demand), sorted."""
        return sorted(set(self._entries) | set(self._lazy))

    def get(self, name: str) -> T:
        """The entry ``name``.

        Raises:
            KeyError: For an unknown name, listing the known ones and the closest match.
        """
        if name not in self._entries and name in self._lazy:
            importlib.import_module(self._lazy[name])
        if name not in self._entries:
            raise KeyError(unknown_name_message(self.kind, name, self.names()))
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
