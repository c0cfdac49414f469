"""The BDD backend, typed: ``dd.cudd`` (CUDD, C) when its binary wheel is installed.

``dd`` 0.6.0 ships CUDD compiled into its manylinux wheel. If the extension cannot be loaded the
pure-Python ``dd.autoref`` takes over (same API, much slower); :data:`BACKEND` says which one
runs and every report prints it. Dynamic variable reordering is switched off: the engine lays out
its variables itself (``space.py``) and relies on that order when it reads sets back.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from types import ModuleType
from typing import Protocol, cast

__all__ = ["BACKEND", "Manager", "Node", "new_manager"]


class Node(Protocol):
    """A BDD node (a Boolean function) of the backend."""

    def __and__(self, other: Node) -> Node: ...

    def __or__(self, other: Node) -> Node: ...

    def __invert__(self) -> Node: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __hash__(self) -> int: ...

    def __le__(self, other: Node) -> bool:
        """Return whether ``self`` implies ``other`` (no new node is built)."""
        ...

    @property
    def dag_size(self) -> int: ...

    @property
    def level(self) -> int:
        """The level of the top variable (constants sit below every variable)."""
        ...

    @property
    def low(self) -> Node:
        """The else-child, not complemented by this node's :attr:`negated` mark."""
        ...

    @property
    def high(self) -> Node:
        """The then-child, not complemented by this node's :attr:`negated` mark."""
        ...

    @property
    def negated(self) -> bool:
        """Whether this is a complemented edge (its children then read complemented)."""
        ...


class Manager(Protocol):
    """The operations of a BDD manager that the engine uses."""

    @property
    def true(self) -> Node: ...

    @property
    def false(self) -> Node: ...

    def declare(self, *names: str) -> None: ...

    def var(self, name: str) -> Node: ...

    def level_of_var(self, name: str) -> int: ...

    def cube(self, assignment: Mapping[str, bool]) -> Node: ...

    def exist(self, names: Iterable[str], u: Node) -> Node: ...

    def let(self, definitions: Mapping[str, bool], u: Node) -> Node: ...

    def ite(self, g: Node, u: Node, v: Node) -> Node: ...

    def pick_iter(
        self, u: Node, care_vars: Iterable[str] | None = None
    ) -> Iterator[dict[str, bool]]: ...

    def configure(self, **settings: object) -> dict[str, object]: ...

    def __len__(self) -> int: ...


def _load() -> tuple[ModuleType, str]:
    try:
        return importlib.import_module("dd.cudd"), "dd.cudd"
    except ImportError:  # pragma: no cover - exercised only where the wheel is missing
        return importlib.import_module("dd.autoref"), "dd.autoref"


_MODULE, BACKEND = _load()


def new_manager() -> Manager:
    """Return a fresh manager with automatic reordering switched off."""
    manager = cast(Manager, _MODULE.BDD())
    manager.configure(reordering=False)
    return manager
