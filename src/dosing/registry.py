"""One registry type for everything :mod:`dosing` looks up by key.

BSA, weight and kidney formulas, renal tables, regimens, references, output formats and policy
steps are each a :class:`Registry`: a read-only mapping from key to entry, filled by the module
that defines the entries (with :meth:`Registry.register`, usually as a decorator), in which an
unknown key raises :class:`~dosing.UnknownKeyError` listing the valid keys.

An entry may be registered *lazily*, as a function that builds it on first use (the regimen
catalogue reads a template file only when that regimen is asked for); the built entry is kept, so
every lookup of a key returns the same object.

Examples
--------
>>> colours = Registry("colour")
>>> @colours.register("red")
... def red() -> str:
...     return "#f00"
>>> colours["red"]()
'#f00'
>>> colours["blue"]
Traceback (most recent call last):
...
dosing.errors.UnknownKeyError: colour='blue' is not known; use one of: 'red'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from threading import Lock
from typing import Any, Generic, TypeVar, overload

from dosing.errors import UnknownKeyError

__all__ = ["Registry"]

T = TypeVar("T")
F = TypeVar("F")

_PENDING = object()


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping of key to entry whose failed lookups list the valid keys.

    Parameters
    ----------
    argument : str
        The argument name an unknown key is reported under (``"method"``, ``"regimen"``).
    name : str, optional
        The registry's own name, shown by ``repr`` (``BSA_FORMULAS(mosteller, ...)``).
    normalise : callable, optional
        Applied to a key before lookup (e.g. lower-casing regimen keys).
    """

    __slots__ = ("_argument", "_factories", "_items", "_lock", "_name", "_normalise")

    def __init__(
        self,
        argument: str,
        *,
        name: str | None = None,
        normalise: Callable[[str], str] | None = None,
    ) -> None:
        self._argument = argument
        self._name = name or f"Registry[{argument}]"
        self._items: dict[str, Any] = {}
        self._factories: dict[str, Callable[[], T]] = {}
        self._normalise = normalise
        self._lock = Lock()

    # -- filling ---------------------------------------------------------------------------------

    @overload
    def register(self, key: str) -> Callable[[F], F]: ...

    @overload
    def register(self, key: str, entry: T) -> T: ...

    def register(self, key: str, entry: Any = _PENDING) -> Any:
        """Add ``entry`` under ``key``; without ``entry``, a decorator that adds what it wraps.

        A key is registered once: a second registration raises ``KeyError`` (a packaging slip,
        never a user's input).
        """
        if entry is _PENDING:

            def decorator(function: F) -> F:
                self.register(key, function)  # type: ignore[arg-type]
                return function

            return decorator
        self._claim(key)
        self._items[key] = entry
        return entry

    def register_lazy(self, key: str, factory: Callable[[], T]) -> None:
        """Add an entry built by ``factory()`` on its first lookup, then kept."""
        self._claim(key)
        self._items[key] = _PENDING
        self._factories[key] = factory

    def _claim(self, key: str) -> None:
        if not isinstance(key, str) or not key:
            raise KeyError(f"{self._argument} registry keys are non-empty strings; got {key!r}")
        if key in self._items:
            raise KeyError(f"{self._argument}={key!r} is registered twice")

    # -- reading ---------------------------------------------------------------------------------

    def key_for(self, key: object) -> str:
        """The registered key that ``key`` names; an unknown key raises, listing the valid ones."""
        if isinstance(key, str):
            if key in self._items:
                return key
            if self._normalise is not None:
                normal = self._normalise(key)
                if normal in self._items:
                    return normal
        raise UnknownKeyError(self._argument, key, self._items)

    def __getitem__(self, key: str) -> T:
        key = self.key_for(key)
        entry = self._items[key]
        if entry is _PENDING:
            with self._lock:  # one build per key, even from several threads
                entry = self._items[key]
                if entry is _PENDING:
                    entry = self._factories[key]()
                    self._items[key] = entry
        return entry  # type: ignore[no-any-return]

    def get(self, key: str, default: Any = None) -> Any:
        """The entry of ``key``, or ``default`` when it is not registered."""
        try:
            return self[key]
        except UnknownKeyError:
            return default

    def __contains__(self, key: object) -> bool:
        try:
            self.key_for(key)
        except UnknownKeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"{self._name}({', '.join(self._items)})"

    @property
    def argument(self) -> str:
        """The argument name unknown keys are reported under."""
        return self._argument
