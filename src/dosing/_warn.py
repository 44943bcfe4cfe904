"""Warnings that belong to the call that raised them, in any number of threads.

``warnings.catch_warnings`` changes process-wide state, so two threads that each record their
warnings lose or swap them (issue 16: the command line's ``main()`` from 8 threads showed one
patient's warning on another's plan). Every warning of :mod:`dosing` goes through :func:`warn`,
which hands it to the recorders of the *current context* (a :class:`contextvars.ContextVar`: each
thread has its own), then emits it through :mod:`warnings` as usual for interactive use.

A recorder opened with ``emit=False`` keeps its warnings to itself (the command line prints them
its own way); one opened with ``raise_on=(SomeWarning,)`` raises that warning as an error instead
(the command line treats a policy that names an unused agent as a wrong input); one opened with
``isolated=True`` keeps them from the recorders it is nested in (``plan_frame`` plans a cohort,
then some of its rows again: the outer recorders get its warnings once, at the end); one opened
with ``only=mask`` narrows the warnings raised within it to the patients of ``mask``, and drops
those that concern none of them (the Cockcroft–Gault weight of the renal policy is computed for
the whole cohort, but used for the adults only).

A warning about some patients of a cohort says which: ``where`` is the boolean array of the
patients it concerns (broadcastable to the cohort; ``None``: all of them), and ``each`` whether
its text holds for each of them alone (``False``: it summarises them, a range or a maximum).
``plan_frame`` reads them to give each row the warnings of its own patient.
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar
from typing import Any

import numpy as np

__all__ = ["recording", "warn"]


class _Recorder:
    __slots__ = ("caught", "emit", "frames", "isolated", "only", "parent", "raise_on", "scopes")

    def __init__(
        self,
        emit: bool,
        raise_on: tuple[type[Warning], ...],
        frames: int,
        isolated: bool,
        only: Any,
    ) -> None:
        self.parent: _Recorder | None = None
        self.only = only
        self.emit = emit
        self.raise_on = raise_on
        self.frames = frames
        self.isolated = isolated
        self.caught: list[Warning] = []
        self.scopes: list[tuple[Any, bool]] = []


_CURRENT: ContextVar[_Recorder | None] = ContextVar("dosing_warning_recorder", default=None)


def warn(
    message: str | Warning,
    category: type[Warning] | None = None,
    stacklevel: int = 1,
    *,
    where: Any = None,
    each: bool = True,
) -> None:
    """Record ``message`` in the current context's recorders, then emit it (see the module).

    ``stacklevel`` counts as for :func:`warnings.warn` from the caller of this function;
    ``where`` and ``each`` say which patients it concerns (see the module).
    """
    instance = message if isinstance(message, Warning) else (category or UserWarning)(message)
    emit = True
    recorder = _CURRENT.get()
    while recorder is not None:
        if recorder.only is not None and not _lazy(recorder.only, where):
            where = recorder.only if where is None else np.logical_and(where, recorder.only)
            if not np.any(where):
                return  # about none of the patients the code within computes for
        if isinstance(instance, recorder.raise_on):
            raise instance
        recorder.caught.append(instance)
        recorder.scopes.append((where, each))
        emit = emit and recorder.emit
        stacklevel += recorder.frames
        recorder = None if recorder.isolated else recorder.parent
    if emit:
        warnings.warn(instance, stacklevel=stacklevel + 1)


class recording:  # noqa: N801  (used as a function: ``with recording() as caught``)
    """Record the warnings :func:`warn` gives in this context (this thread) while open.

    Recorders nest: an inner one's warnings reach the outer ones too. ``frames`` is the number
    of helper frames the recording function adds between its caller and the code that warns
    (added to each warning's ``stacklevel``, so a warning still points at the caller's line).
    A class rather than a generator: it is entered on every patient and every expansion.

    Examples
    --------
    >>> with recording(emit=False) as caught:
    ...     warn("odd", UserWarning)
    >>> [str(w) for w in caught]
    ['odd']
    """

    __slots__ = ("_recorder", "_token")

    def __init__(
        self,
        *,
        emit: bool = True,
        raise_on: tuple[type[Warning], ...] = (),
        frames: int = 0,
        isolated: bool = False,
        only: Any = None,
    ) -> None:
        self._recorder = _Recorder(emit, raise_on, frames, isolated, only)

    @property
    def scopes(self) -> list[tuple[Any, bool]]:
        """Each recorded warning's ``(where, each)``, in the order of the warnings."""
        return self._recorder.scopes

    def __enter__(self) -> list[Warning]:
        self._recorder.parent = _CURRENT.get()
        self._token = _CURRENT.set(self._recorder)
        return self._recorder.caught

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)


def _lazy(*masks: Any) -> bool:
    """Whether a mask is lazy (dask): whom it holds is known only when computed."""
    return any(hasattr(mask, "map_blocks") and not isinstance(mask, np.ndarray) for mask in masks)
