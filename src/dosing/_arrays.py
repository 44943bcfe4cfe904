"""Array helpers shared by the formulas and expansion: eager numpy or lazy (dask) alike.

Every check in :mod:`dosing` that looks at values (a plausibility limit, a warning about the
derivation population, a rounding that moves a dose too far) goes through :func:`guard`. For floats
and numpy arrays it runs at once. For a lazy array (anything with ``map_blocks``, such as a dask
array) it is added to the array's graph and runs blockwise when the array is computed, raising the
same error, so that a cohort of 10^8 patients is never pulled into memory to be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Derived", "derived_slot", "guard", "is_lazy", "keep_checks", "may_any"]


def is_lazy(value: object) -> bool:
    """True for a lazy array (dask): not a float or numpy array, but it has ``map_blocks``."""
    return not isinstance(value, float | int | np.ndarray | np.generic) and hasattr(
        value, "map_blocks"
    )


def may_any(mask: Any) -> bool:
    """Whether any element of ``mask`` is true; for a lazy mask, True (it may be)."""
    if is_lazy(mask):
        return True
    return bool(np.any(mask))


def guard(result: Any, check: Callable[..., None], *inputs: Any) -> Any:
    """Run ``check(*inputs)`` and return ``result``; for lazy arrays, run it blockwise on compute.

    ``check`` raises (or warns) on bad values. When ``result`` or an input is lazy, the check runs
    on each block of the lazy inputs (non-lazy inputs are passed whole), and the returned result
    carries it in its graph.
    """
    if not is_lazy(result):
        check(*(np.asarray(value) if is_lazy(value) else value for value in inputs))
        return result

    def block(first: Any, *blocks: Any) -> Any:
        check(*blocks)
        return first

    return result.map_blocks(
        block, *(_aligned(value, result) for value in inputs), dtype=result.dtype
    )


def _aligned(value: Any, like: Any) -> Any:
    """``value`` as a lazy array chunked like ``like``, so each block gets its own slice: a numpy
    array is wrapped, a lazy one of the same shape chunked otherwise is rechunked (a height in
    chunks of 2 and a weight in chunks of 1 gave dask's "Shapes do not align" on compute)."""
    if np.ndim(value) == 0:
        return value
    if is_lazy(value):
        same = value.shape == like.shape and value.chunks != like.chunks
        return value.rechunk(like.chunks) if same else value
    import dask.array as da  # only reached with lazy arrays, so dask is installed

    array = np.broadcast_to(np.asarray(value), like.shape)
    return da.from_array(array, chunks=like.chunks)  # type: ignore[no-untyped-call]


def keep_checks(result: Any, *checked: Any) -> Any:
    """Carry the checks of lazy ``checked`` arrays in ``result``'s graph (numpy: unchanged).

    A lazy input's plausibility check runs only when something computes it; a value that a
    result does not use (an age no policy needs) would never be checked. This ties them in.
    """
    lazy = [value for value in checked if is_lazy(value)]
    if not lazy:
        return result
    if not is_lazy(result):
        # A result that reads none of the lazy inputs (a weight-only BSA of a lazy height) is
        # made lazy too: returned eager, the inputs' checks would never run.
        import dask.array as da  # only reached with lazy arrays, so dask is installed

        like = next((value for value in lazy if value.shape == np.shape(result)), None)
        result = (
            _aligned(result, like)
            if like is not None
            else da.from_array(np.asarray(result), chunks=-1)  # type: ignore[no-untyped-call]
        )
    return guard(result, _nothing, *lazy)


def _nothing(*blocks: Any) -> None:
    """The blocks' own checks ran when they were computed; nothing more to do."""


class Derived:
    """``factor × base``, multiplied when read: a cohort's dose kept as its recipe.

    The rows of a dose line hold a dose per patient, and the policy steps record the dose before
    and after each change. For a cohort many of those arrays are one number times an array that
    is kept anyway (a per-m² amount times the BSA, or times the capped BSA): holding the recipe
    instead of the product keeps a cohort's memory to the arrays that carry information. Reading
    it gives a new read-only array, computed exactly as ``factor * base`` would be.
    """

    __slots__ = ("base", "factor")

    def __init__(self, factor: float, base: np.ndarray) -> None:
        self.factor = factor
        self.base = base

    def value(self) -> np.ndarray:
        """The product, as a read-only float64 array."""
        out: np.ndarray = np.multiply(self.factor, self.base)
        out.flags.writeable = False
        return out

    def block(self, start: int, stop: int) -> np.ndarray:
        """The product over ``[start, stop)`` of a 1-D cohort."""
        out: np.ndarray = np.multiply(self.factor, self.base[start:stop])
        return out


def derived_slot(cls: type, name: str) -> None:
    """Let the slot ``name`` of a (frozen, slotted) dataclass hold a :class:`Derived` recipe,
    which reading the attribute multiplies out; everything else about the class is unchanged."""
    slot = cls.__dict__[name]

    def read(self: Any) -> Any:
        value = slot.__get__(self, cls)
        return value.value() if value.__class__ is Derived else value

    setattr(cls, name, property(read, slot.__set__, doc=f"``{name}`` (see :class:`Derived`)"))
    setattr(cls, f"_{name}_slot", slot)
