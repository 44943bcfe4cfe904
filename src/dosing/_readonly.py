"""A read-only mapping that, unlike :class:`types.MappingProxyType`, copies and pickles.

Cached, shared values (a built-in regimen's totals) must not be changed by one caller under
another; they must still deep-copy and pickle (a cohort sent to worker processes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["ReadOnlyMapping"]

K = TypeVar("K")
V = TypeVar("V")


class ReadOnlyMapping(Mapping[K, V], Generic[K, V]):
    """A mapping with no way to change it: no ``__setitem__``, ``pop``, ``update`` or ``clear``.

    Examples
    --------
    >>> totals = ReadOnlyMapping({"melphalan": 180})
    >>> totals["melphalan"]
    180
    >>> totals["melphalan"] = 200
    Traceback (most recent call last):
    ...
    TypeError: 'ReadOnlyMapping' object does not support item assignment
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))
