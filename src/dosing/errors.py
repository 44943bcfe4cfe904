"""Errors and warnings raised by :mod:`dosing`.

Every error is a :class:`DosingError` and also subclasses the builtin exception a caller would
naturally catch (``TypeError`` for a value of the wrong kind, ``ValueError`` for a value out of its
domain), the way pint's ``DimensionalityError`` is a ``TypeError``.

Every error carries its parts as attributes, so that software can act on it without parsing the
message: :attr:`~DosingError.argument` (the argument's name, e.g. ``"weight"`` or
``"rounding['fludarabine']"``), :attr:`~DosingError.value` (what was refused),
:attr:`~DosingError.reason` (what is wrong with it) and :attr:`~DosingError.fix` (what to write
instead: an :class:`Example` of the arguments to give, or words). The message is made from them:
``weight=40 has no unit; write weight=Q_(40, "kg")``. The command line formats the same parts in
its own terms (``--weight 40kg``).

Warnings are :class:`DosingWarning` subclasses, so that ``warnings.simplefilter("error",
dosing.DosingWarning)`` turns every one of them into an error in a strict pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any, Final

__all__ = [
    "NO_VALUE",
    "Code",
    "DomainError",
    "DosingError",
    "DosingWarning",
    "Example",
    "ImplausibleExposureWarning",
    "ImplausibleInputWarning",
    "OutsidePopulationWarning",
    "RegimenError",
    "UnitsError",
    "UnknownKeyError",
    "UnknownMethodError",
    "UnsourcedDefaultWarning",
    "UnusedPolicyWarning",
    "join_message",
    "safe_repr",
    "show_value",
]


class _NoValue:
    """The marker for "no value was given" (``None`` can be a refused value)."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


#: An error's :attr:`~DosingError.value` when it concerns no single value.
NO_VALUE: Final = _NoValue()


def safe_repr(value: object) -> str:
    """``repr(value)``, or a placeholder where ``repr`` itself fails (an int of 5,000 digits, a
    list nested 1,000 deep), so that an error about a value can always be raised."""
    try:
        return repr(value)
    except (ValueError, RecursionError):
        return f"<a {type(value).__name__} too large or deep to show>"


def show_value(value: object) -> str:
    """A value as the message shows it: a Quantity as ``40 kg``, anything else by ``repr``."""
    try:
        if hasattr(value, "units") and hasattr(value, "magnitude"):
            magnitude = value.magnitude
            text = f"{value!r}" if _is_array(magnitude) else f"{magnitude!r} {_unit(value)}"
        else:
            text = repr(value)
    except (ValueError, RecursionError):  # an int of 5,000 digits; a list nested 1,000 deep
        text = f"<a {type(value).__name__} too large or deep to show>"
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


#: The longest value shown in a message (characters); a longer one is cut with "...".
_MAX_SHOWN: Final = 200


def _is_array(magnitude: object) -> bool:
    return hasattr(magnitude, "shape") and getattr(magnitude, "ndim", 0) > 0


def _unit(quantity: Any) -> str:
    return f"{quantity.units:~P}"


@dataclass(frozen=True, slots=True)
class Code:
    """A piece of Python shown as written in an :class:`Example` (``Q_(..., "kg")``)."""

    text: str

    def __str__(self) -> str:
        return self.text


def _python(value: object) -> str:
    """A value written as Python code: ``Q_(40, "kg")``, ``'male'``, ``0.4``."""
    if isinstance(value, Code):
        return value.text
    if hasattr(value, "units") and hasattr(value, "magnitude"):
        return f'Q_({value.magnitude!r}, "{value.units:~C}")'
    return repr(value)


@dataclass(frozen=True, slots=True)
class Example:
    """What to write instead: example values for one or more arguments.

    ``call`` names the constructor they belong to (``"Patient"``), when there is one; ``verb``
    is how the fix reads (``"write"`` a value in place of a wrong one, ``"give"`` a missing one).

    Examples
    --------
    >>> from dosing import Q_
    >>> print(Example({"weight": Q_(40, "kg")}))
    weight=Q_(40, "kg")
    >>> print(Example({"height": Q_(150, "cm"), "weight": Q_(40, "kg")}, call="Patient"))
    Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    """

    arguments: Mapping[str, object]
    call: str | None = None
    verb: str = "write"

    def __str__(self) -> str:
        inner = ", ".join(f"{name}={_python(value)}" for name, value in self.arguments.items())
        return f"{self.call}({inner})" if self.call else inner


class DosingError(Exception):
    """Base class of every error raised by :mod:`dosing`.

    Parameters
    ----------
    reason : str
        What is wrong, in words that follow the argument and its value (``"has no unit"``).
    argument : str, optional
        The argument (or field) that was refused.
    value : object, optional
        The value that was refused (:data:`NO_VALUE` when the error concerns no single value).
    fix : str or Example, optional
        What to write instead.
    shown : str, optional
        How to show the value in the message, when not by :func:`show_value`.
    mentions : mapping, optional
        Other arguments the reason names, as ``{name}`` fields in ``reason``: shown as
        ``name=value`` here, and in its own terms by the command line (``--name value``).
    message : str, optional
        The whole message, where it does not read as "argument=value reason; fix" (a missing
        input named inside a sentence); the parts are still kept as attributes.

    Examples
    --------
    >>> from dosing import Q_
    >>> error = DosingError("has no unit", argument="weight", value=40,
    ...                     fix=Example({"weight": Q_(40, "kg")}))
    >>> print(error)
    weight=40 has no unit; write weight=Q_(40, "kg")
    >>> error.argument, error.value, error.reason
    ('weight', 40, 'has no unit')
    """

    def __init__(
        self,
        reason: str,
        *,
        argument: str | None = None,
        value: object = NO_VALUE,
        fix: str | Example | None = None,
        shown: str | None = None,
        mentions: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> None:
        self.reason = reason
        self.argument = argument
        self.value = value
        self.fix = fix
        self.shown = shown
        self.mentions: Mapping[str, object] = dict(mentions or {})
        super().__init__(message if message is not None else self._message())

    @property
    def fix_text(self) -> str | None:
        """The fix in words: ``write weight=Q_(40, "kg")`` for an :class:`Example`."""
        if isinstance(self.fix, Example):
            return f"{self.fix.verb} {self.fix}"
        return None if self.fix is None else self.filled(self.fix)

    def reason_text(self) -> str:
        """The reason with the arguments it mentions filled in as ``name=value``."""
        return self.filled(self.reason)

    def filled(self, text: str, mention: Callable[[str, object], str] | None = None) -> str:
        """``text`` with its ``{name}`` fields filled from :attr:`mentions`.

        By default a mention reads ``name=value`` (``name=`` when it has no value); the command
        line passes its own ``mention`` to write ``--name value``.
        """
        if not self.mentions:
            return text
        show = mention or _python_mention
        return text.format(**{name: show(name, v) for name, v in self.mentions.items()})

    def _head(self) -> str:
        if self.argument is None:
            return ""
        if self.value is NO_VALUE:
            return self.argument
        shown = self.shown if self.shown is not None else show_value(self.value)
        return f"{self.argument}={shown}"

    def _message(self) -> str:
        return join_message(self._head(), self.reason_text(), self.fix_text)


def _python_mention(name: str, value: object) -> str:
    return f"{name}=" if value is NO_VALUE else f"{name}={show_value(value)}"


def join_message(head: str, reason: str, fix: str | None) -> str:
    """``head reason; fix``: a reason that starts with punctuation follows the head directly."""
    joiner = "" if reason[:1] in ":;," else " "
    text = f"{head}{joiner}{reason}" if head else reason
    return f"{text}; {fix}" if fix else text


class UnitsError(DosingError, TypeError):
    """A value without units, with units of the wrong dimension, or of the wrong type."""


class DomainError(DosingError, ValueError):
    """A value with the right units but outside the range where a calculation is meaningful.

    NaN, infinity, zero or negative sizes, implausible values and results that are not physical.
    """


class UnknownKeyError(DosingError, ValueError):
    """A formula, method, table, regimen, format or agent key that is not known.

    The message lists the valid keys; :attr:`valid` holds them.

    Examples
    --------
    >>> print(UnknownKeyError("method", "mostelar", ["mosteller", "dubois"]))
    method='mostelar' is not known; use one of: 'mosteller', 'dubois'
    """

    def __init__(self, argument: str, value: object, valid: Iterable[str]) -> None:
        self.valid = tuple(valid)
        super().__init__(
            "is not known",
            argument=argument,
            value=value,
            shown=show_value(value),
            fix=f"use one of: {', '.join(map(repr, self.valid))}",
        )


#: The name of :class:`UnknownKeyError` before version 0.2, kept for compatibility.
UnknownMethodError = UnknownKeyError


class RegimenError(DosingError, ValueError):
    """A regimen template (TOML file or mapping) that cannot be read exactly as written.

    ``file`` is the template's path (or ``"<catalogue:KEY>"`` / ``"<mapping>"``) and ``field`` the
    offending field, e.g. ``"dose[2].days"`` (also the error's :attr:`argument`).
    """

    def __init__(
        self,
        file: str | PathLike[str],
        field: str | None,
        message: str,
        *,
        value: object = NO_VALUE,
    ) -> None:
        self.file = str(file)
        self.field = field
        super().__init__(message, argument=field, value=value)

    def _message(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.reason}"


class DosingWarning(UserWarning):
    """Base class of every warning issued by :mod:`dosing`."""


class OutsidePopulationWarning(DosingWarning):
    """A formula applied outside the population it was derived in (an adult formula, a child)."""


class ImplausibleInputWarning(DosingWarning):
    """Inputs that are each plausible but odd together (e.g. an extreme body-mass index)."""


class ImplausibleExposureWarning(DosingWarning):
    """A dose scaled to a target exposure by a ratio outside the plausible range the caller
    allows (``plausible_ratio``, a library convention): a measurement or unit slip, or a change
    too large to make without review (:func:`dosing.adjust_to_target`,
    :func:`dosing.remaining_doses`)."""


class UnsourcedDefaultWarning(DosingWarning):
    """A template or choice that relies on a detail no cited source settles."""


class UnusedPolicyWarning(DosingWarning):
    """A policy names an agent that the regimen does not give (a typo is never ignored).

    Attributes
    ----------
    unused : tuple of (str, str, str)
        For each agent the regimen does not give: the policy field, the item in it (the agent, or
        a renal table's key) and the agent.
    regimen : str
        The regimen's key.
    agents : tuple of str
        The agents the regimen gives.
    """

    def __init__(
        self,
        unused: Iterable[tuple[str, str, str]],
        regimen: str,
        agents: Iterable[str],
        where: Callable[[str, str], str] | None = None,
    ) -> None:
        self.unused = tuple(unused)
        self.regimen = regimen
        self.agents = tuple(agents)
        super().__init__(self.text(where or policy_field))

    def text(self, where: Callable[[str, str], str]) -> str:
        """The message, with each policy field written by ``where(field, item)``."""
        fields = ", ".join(where(field, item) for field, item, _ in self.unused)
        names = ", ".join(repr(agent) for _, _, agent in self.unused)
        return (
            f"the policy's {fields} names {names}, which {self.regimen!r} does not give (agents: "
            f"{', '.join(self.agents)}); check the spelling"
        )


def policy_field(field: str, item: str) -> str:
    """A policy field and its item as Python: ``dose_factors['fludarabine']``, ``renal='x'``."""
    return f"{field}={item!r}" if field == "renal" else f"{field}[{item!r}]"
