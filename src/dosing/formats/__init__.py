"""Output formats: every way a schedule is written out, in one registry.

====================  ============================================================
key                   what it writes
====================  ============================================================
``table``             the text table a pharmacist reads (``str(schedule)``)
``csv``               CSV text, one line per administration (per patient)
``json``              the JSON document of ``dosing plan --format json``
``records``           JSON-safe dicts, one per administration (``to_records()``)
``pandas``            a pandas DataFrame built from the arrays (``to_frame()``)
``events``            a NONMEM/rxode2-style event table, a DataFrame (``to_events()``)
``fhir``              a FHIR R4 Bundle as JSON text (``to_fhir()`` gives the dict)
``html``              a printable, self-contained HTML order sheet for a pharmacist
====================  ============================================================

``dosing.formats.write(schedule, key, **options)`` writes one; the command line's ``--format``
choices are the keys of the text formats. Adding a format is one module here whose writer is
decorated with :func:`~dosing.formats._registry.register_format`, imported below, and its tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dosing.formats import csv, events, fhir, html, pandas, records, text
from dosing.formats._registry import FORMATS, Format, register_format

if TYPE_CHECKING:
    from dosing.schedule import Schedule

__all__ = [
    "FORMATS",
    "Format",
    "csv",
    "events",
    "fhir",
    "html",
    "pandas",
    "records",
    "register_format",
    "text",
    "write",
]


def write(schedule: Schedule, key: str = "table", **options: Any) -> Any:
    """Write ``schedule`` in format ``key`` (an unknown key lists the valid ones).

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    >>> schedule = dosing.get_regimen("gvhd-mtx-10-7-7").expand(child)
    >>> print(dosing.formats.write(schedule, "csv").splitlines()[0][:40])
    day,date,agent,dose,unit,calculated,pres
    """
    return FORMATS[key].write(schedule, **options)
