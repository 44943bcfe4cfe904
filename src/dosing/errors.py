"""Errors and warnings raised by :mod:`dosing`.

Every error is a :class:`DosingError` and also subclasses the builtin exception a caller would
naturally catch (``TypeError`` for a value of the wrong kind, ``ValueError`` for a value out of its
domain), the way pint's ``DimensionalityError`` is a ``TypeError``. Every message names the
argument, shows the value that was refused and says what to write instead.

Warnings are :class:`DosingWarning` subclasses, so that ``warnings.simplefilter("error",
dosing.DosingWarning)`` turns every one of them into an error in a strict pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

__all__ = [
    "DomainError",
    "DosingError",
    "DosingWarning",
    "ImplausibleInputWarning",
    "OutsidePopulationWarning",
    "RegimenError",
    "UnitsError",
    "UnknownMethodError",
    "UnsourcedDefaultWarning",
]


class DosingError(Exception):
    """Base class of every error raised by :mod:`dosing`."""


class UnitsError(DosingError, TypeError):
    """A value without units, with units of the wrong dimension, or from an unusable registry."""


class DomainError(DosingError, ValueError):
    """A value with the right units but outside the range where a calculation is meaningful.

    NaN, infinity, zero or negative sizes, implausible values and results that are not physical.
    """


class UnknownMethodError(DosingError, ValueError):
    """A formula, method, table or regimen key that is not known; the message lists valid keys."""

    def __init__(self, argument: str, value: object, valid: Iterable[str]) -> None:
        self.argument = argument
        self.value = value
        self.valid = tuple(valid)
        super().__init__(
            f"{argument}={value!r} is not known; use one of: {', '.join(map(repr, self.valid))}"
        )


class RegimenError(DosingError, ValueError):
    """A regimen template (TOML file or mapping) that cannot be read exactly as written.

    ``file`` is the template's path (or ``"<catalogue:KEY>"`` / ``"<mapping>"``) and ``field`` the
    offending field, e.g. ``"dose[2].days"``.
    """

    def __init__(self, file: str | PathLike[str], field: str | None, message: str) -> None:
        self.file = str(file)
        self.field = field
        self.reason = message
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: {message}")


class DosingWarning(UserWarning):
    """Base class of every warning issued by :mod:`dosing`."""


class OutsidePopulationWarning(DosingWarning):
    """A formula applied outside the population it was derived in (an adult formula, a child)."""


class ImplausibleInputWarning(DosingWarning):
    """Inputs that are each plausible but odd together (e.g. an extreme body-mass index)."""


class UnsourcedDefaultWarning(DosingWarning):
    """A template or choice that relies on a detail no cited source settles."""
