"""The registry of output formats (kept apart so that writers can register without a cycle)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from dosing.registry import Registry

__all__ = ["FORMATS", "Format", "register_format"]


@dataclass(frozen=True, slots=True)
class Format:
    """One way to write a schedule out.

    Attributes
    ----------
    key : str
        The name ``dosing.formats.write`` and ``dosing plan --format`` take.
    write : callable
        ``write(schedule, **options)``: the output (text, or an object such as a DataFrame).
    description : str
        One line for ``--help`` and the docs.
    text : bool
        Whether it writes text, and so is a ``--format`` choice of the command line.
    """

    key: str
    write: Callable[..., Any]
    description: str
    text: bool


#: Read-only: format key -> :class:`Format`.
FORMATS: Registry[Format] = Registry("format", name="FORMATS")

W = TypeVar("W", bound=Callable[..., Any])


def register_format(key: str, *, description: str, text: bool) -> Callable[[W], W]:
    """Register the decorated writer as output format ``key``."""

    def register(write: W) -> W:
        FORMATS.register(key, Format(key, write, description, text))
        return write

    return register
