"""Tables in, tables out: a registry's rows, each its own patient and regimen, planned at once.

:func:`plan_frame` takes a table (pandas, or anything with the dataframe interchange protocol:
pyarrow, polars, ...) with one row per patient and returns a long table, one row per patient ×
administration. Rows are grouped by regimen (and by the units and facts they give) and each
group is expanded as one cohort, so the cost grows with the number of rows, not with a Python
loop over them. :func:`plan_batches` is the same for an iterator of pandas frames: the function
Spark's ``DataFrame.mapInPandas`` (with :data:`SPARK_SCHEMA`) and Dask's ``map_partitions``
expect. ``docs/registries.md`` shows both.

How rows map
------------
Input columns (any other column is ignored; join back on ``patient_id``):

==========================  ===================================================================
``patient_id``              required; any type, copied to every output row of the patient
``regimen``                 required; a regimen key (``dosing.regimen_keys()``), any case
``height``, ``weight``,     numbers, each with its UCUM unit column beside it:
``bsa``, ``age``,           ``height_unit`` (``cm``, ``m``, ``[in_i]``), ``weight_unit``
``serum_creatinine``,       (``kg``, ``g``, ``[lb_av]``), ``bsa_unit`` (``m2``), ``age_unit``
``creatinine_clearance``,   (``a``, ``mo``, ``wk``, ``d``), ``serum_creatinine_unit``
``cystatin_c``,             (``mg/dL``, ``umol/L``), ``creatinine_clearance_unit`` and
``glomerular_filtration_``  ``glomerular_filtration_rate_unit`` (``mL/min``,
``rate``                    ``mL/min/{1.73_m2}``), ``cystatin_c_unit`` (``mg/L``). An empty
                            value means the patient does not have that fact.
``sex``                     ``male`` or ``female`` (empty: not given)
``cycle_start`` or          the anchor date (a date or an ISO text) of cycle day 1 or of
``transplant_date``         transplant day 0, whichever the row's regimen counts from
==========================  ===================================================================

Output columns (:data:`COLUMNS`): ``patient_id``, ``regimen`` (as given), ``day``, ``date``,
``agent``, ``dose`` + ``dose_unit``, ``prescribed`` + ``prescribed_unit``, ``calculated`` (before
rounding), ``basis_kind``, ``basis_value``, ``basis_unit``, ``basis_method``, ``administration``
(of ``per_day`` on its day), ``flags`` (the policy flags of the dose, comma-separated, in the
order of the steps; empty: none), ``findings`` (the codes of :func:`dosing.check`'s findings
about this patient's dose of this agent on this day, or about the agent in the whole schedule,
comma-separated; empty: none), ``warnings`` (the warnings about this patient, ``Category: text``,
one to a line; empty: none) and ``error``. Units are UCUM codes; text columns are categorical.

How errors map
--------------
A row whose value is wrong (no unit, a unit that is not UCUM or not of the field's dimension, a
value outside its plausible range, a regimen that needs a fact the row does not give, an anchor
date of the wrong frame, ...) does not stop the table: it comes back as one row with its
``patient_id`` and ``regimen``, every other column empty, and ``error`` naming the field, the
value and the fix. Nothing else is dropped: every input row gives either its administrations or
its error row. With ``errors="raise"`` the first such error is raised instead (a
:class:`~dosing.DosingError`). A table without ``patient_id`` or ``regimen``, or with a value
column without its unit column, raises whatever ``errors`` says: that is the table's shape, not
a row's value.

How warnings map
----------------
Each row's ``warnings`` are those of its own patient, from any number of threads (each call
records its own, never through the process-wide ``warnings.catch_warnings``). A warning whose
text holds for each patient it concerns goes to them by the mask it carries; the patients a
cohort's summary concerns (a range of BMIs, "up to 31%") are planned again alone, so that each
row reads its own value. Through Python's :mod:`warnings` (and to the caller's recorders), each
text is given once per call, as for a cohort.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from pint import DimensionalityError

from dosing._warn import recording, warn
from dosing.checks import CODES, Finding, check
from dosing.errors import (
    DomainError,
    DosingError,
    UnitsError,
    UnusedPolicyWarning,
    safe_repr,
    show_value,
)
from dosing.expand import expand
from dosing.formats.pandas import frame_of, import_pandas
from dosing.patient import Patient
from dosing.plausibility import RANGES
from dosing.policy.policy import Policy
from dosing.regimens import get_regimen
from dosing.regimens.days import calendar_date
from dosing.regimens.lines import WeightBands
from dosing.schedule import Schedule
from dosing.units import KG, Q_, parse_quantity, ucum
from dosing.vocabulary import FLAGS

__all__ = [
    "COLUMNS",
    "FIELDS",
    "SPARK_SCHEMA",
    "plan_batches",
    "plan_frame",
    "plan_partition",
]

#: The patient's facts a table may give, each a value column with a ``<name>_unit`` column.
FIELDS: Final = (
    "height",
    "weight",
    "bsa",
    "age",
    "serum_creatinine",
    "creatinine_clearance",
    "cystatin_c",
    "glomerular_filtration_rate",
)
#: The anchor-date columns: cycle day 1, transplant day 0.
_ANCHORS: Final = {"cycle": "cycle_start", "transplant": "transplant_date"}
#: The output columns, in order.
COLUMNS: Final = (
    "patient_id",
    "regimen",
    "day",
    "date",
    "agent",
    "dose",
    "dose_unit",
    "prescribed",
    "prescribed_unit",
    "calculated",
    "basis_kind",
    "basis_value",
    "basis_unit",
    "basis_method",
    "administration",
    "flags",
    "findings",
    "warnings",
    "error",
)
#: The output schema as a Spark DDL string, for ``mapInPandas(plan_batches, SPARK_SCHEMA)``.
#: ``patient_id`` is written as text there (a Spark schema has one type per column).
SPARK_SCHEMA: Final = (
    "patient_id string, regimen string, day int, date date, agent string, dose double, "
    "dose_unit string, prescribed double, prescribed_unit string, calculated double, "
    "basis_kind string, basis_value double, basis_unit string, basis_method string, "
    "administration int, flags string, findings string, warnings string, error string"
)
#: UCUM codes pint does not read as they are, and what they are (UCUM: a = Julian year,
#: [in_i] = international inch, [lb_av] = avoirdupois pound).
_UCUM_CODES: Final = {
    "a": "year",
    "[in_i]": "inch",
    "[ft_i]": "foot",
    "[lb_av]": "pound",
    "[oz_av]": "ounce",
    "mL/min/{1.73_m2}": "mL/min/standard_bsa",
}
_SEXES: Final = ("male", "female")
_EPOCH: Final = dt.date(1970, 1, 1)
#: The first and last calendar days (as days since 1970-01-01) a date may fall on.
_FIRST_DAY: Final = (dt.date(1, 1, 1) - _EPOCH).days
_LAST_DAY: Final = (dt.date(9999, 12, 31) - _EPOCH).days
_NAT: Final = np.iinfo(np.int64).min


def _unit_of(code: str, column: str) -> Any:
    """The pint unit of a UCUM code, or a UnitsError naming the column."""
    text = _UCUM_CODES.get(code, code.replace(".", "*"))
    try:
        return parse_quantity(f"1 {text}").units
    except UnitsError:
        raise UnitsError(
            "is not a UCUM unit dosing reads",
            argument=column,
            value=code,
            shown=safe_repr(code),
            fix="write a UCUM code such as cm, [in_i], kg, [lb_av], m2, a, mg/dL, umol/L, mL/min",
        ) from None


@dataclass(slots=True)
class _Table:
    """The input, read once into numpy arrays."""

    count: int
    patient_id: Any
    regimen: _Text
    values: dict[str, Any]  # field -> float array (NaN: not given)
    units: dict[str, _Text]  # field -> its unit column
    sex: _Text | None
    anchors: dict[str, Any]  # anchor column -> int64 days since 1970 (NaT: not given)
    error: Any  # object array: the first error of each row (None: none yet)


@dataclass(slots=True)
class _Done:
    """One planned cohort: its rows' input positions, its schedule, its findings and the
    warnings of its patients (texts with the mask of whom each concerns, and the whole text of
    the patients planned again alone, by index in the cohort)."""

    positions: Any
    schedule: Schedule
    findings: list[Finding]
    warnings: _Warned


#: A warning with whom it concerns and whether its text holds for each of them (see _warn).
_Scoped = tuple[Warning, Any, bool]


@dataclass(slots=True)
class _Warned:
    texts: list[str]
    masks: list[Any]
    alone: dict[int, str]


def _as_pandas(pd: Any, frame: object) -> Any:
    if isinstance(frame, pd.DataFrame):
        return frame
    if hasattr(frame, "__dataframe__"):
        return pd.api.interchange.from_dataframe(frame)
    raise DomainError(
        "must be a pandas DataFrame or a table with the dataframe interchange protocol "
        "(pyarrow, polars, ...)",
        argument="frame",
        value=frame,
        shown=type(frame).__name__,
    )


def _read(pd: Any, frame: Any) -> _Table:
    columns = set(frame.columns)
    for name in ("patient_id", "regimen"):
        if name not in columns:
            raise DomainError(
                "is missing: the table needs patient_id and regimen columns",
                argument=name,
                message=f"the table has no {name!r} column; it needs patient_id and regimen "
                f"(see dosing.frames)",
            )
    count = len(frame)
    error = np.empty(count, dtype=object)  # None: no error
    values: dict[str, Any] = {}
    units: dict[str, Any] = {}
    for name in FIELDS:
        unit_column = f"{name}_unit"
        if name not in columns:
            if unit_column in columns:
                raise DomainError(
                    f"has no {name} column beside it",
                    argument=unit_column,
                    message=f"the table has {unit_column!r} but no {name!r} column",
                )
            continue
        if unit_column not in columns:
            raise UnitsError(
                f"has no {unit_column} column: a value without its unit is never guessed",
                argument=name,
                message=f"the table's {name!r} column has no {unit_column!r} column beside it; "
                f"add one with the UCUM unit of each value (e.g. cm, kg)",
            )
        raw = frame[name]
        number = _numbers(pd, raw)
        given = raw.notna().to_numpy()
        for i in _new(error, given & np.isnan(number)):
            cell = raw.iloc[i]
            whole = isinstance(cell, int | np.integer) and not isinstance(cell, bool)
            error[i] = (
                f"{name}={show_value(cell)} is "
                f"{'too large to compute with' if whole else 'not a number'}; write the number "
                f"in {name} and its unit in {name}_unit"
            )
        unit_text = _Text.of(pd, frame[unit_column])
        for i in _new(error, given & ~unit_text.given):
            error[i] = (
                f"{name}={number[i]:g} has no unit; write its UCUM unit in {name}_unit (e.g. "
                f"{_EXAMPLE_UNIT[name]})"
            )
        number[~given] = np.nan
        values[name] = number
        units[name] = _Text(np.where(given, unit_text.codes, -1), unit_text.values)
    sex = _Text.of(pd, frame["sex"]) if "sex" in columns else None
    anchors = {
        column: _days(pd, frame[column], column, error)
        for column in _ANCHORS.values()
        if column in columns
    }
    return _Table(
        count,
        frame["patient_id"].to_numpy(),
        _Text.of(pd, frame["regimen"]),
        values,
        units,
        sex,
        anchors,
        error,
    )


#: Cells pandas reads as numbers that are not one here: True as 1, 5+1j as 5, b"50" as 50.
_NOT_NUMBERS: Final = (bool, np.bool_, complex, np.complexfloating, bytes)


def _numbers(pd: Any, column: Any) -> Any:
    """A value column as floats (NaN: empty, or not a number).

    Vectorised (``pandas.to_numeric``), except that a boolean, complex or bytes cell and a
    column of dates or durations are not numbers (pandas would read True as 1, 5+1j as 5 and a
    date as its nanoseconds), and an integer beyond the largest float is not a number either
    (never an OverflowError).
    """
    dtype = column.dtype
    types = pd.api.types
    if (
        types.is_bool_dtype(dtype)
        or types.is_complex_dtype(dtype)
        or types.is_datetime64_any_dtype(dtype)
        or types.is_timedelta64_dtype(dtype)
    ):
        return np.full(len(column), np.nan)
    if isinstance(dtype, pd.CategoricalDtype):  # each category once; -1 (empty) reads the NaN
        categories = _numbers(pd, pd.Series(dtype.categories))
        return np.append(categories, np.nan)[column.cat.codes.to_numpy()]
    if types.is_object_dtype(dtype):  # (blanked first: pandas warns as it drops 1j's part)
        odd = np.fromiter(
            (isinstance(value, _NOT_NUMBERS) for value in column), dtype=bool, count=len(column)
        )
        column = column.mask(odd)
    try:
        return pd.to_numeric(column, errors="coerce").to_numpy(
            dtype=float, na_value=np.nan, copy=True
        )
    except (OverflowError, TypeError, ValueError):
        return np.array([_number(value) for value in column], dtype=float)


def _number(value: object) -> float:
    """One cell as a float: NaN for anything that is not a real number a float can hold (the
    cells of ``_NOT_NUMBERS`` are blanked before)."""
    if isinstance(value, str):
        value = value.strip()
    try:
        return float(value)  # type: ignore[arg-type]
    except (OverflowError, TypeError, ValueError):
        return math.nan


_EXAMPLE_UNIT: Final = {
    "height": "cm",
    "weight": "kg",
    "bsa": "m2",
    "age": "a",
    "serum_creatinine": "mg/dL",
    "creatinine_clearance": "mL/min",
    "cystatin_c": "mg/L",
    "glomerular_filtration_rate": "mL/min",
}


@dataclass(frozen=True, slots=True)
class _Text:
    """A text column as integer codes (-1: empty) into its distinct values, read vectorised."""

    codes: Any
    values: Any  # object array of the distinct texts

    @classmethod
    def of(cls, pd: Any, column: Any) -> _Text:
        try:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        except TypeError:  # a cell that cannot be hashed (a list, a dict): read as its text
            codes, uniques = pd.factorize(column.map(_hashable), use_na_sentinel=True)
        values = np.array([_cell_text(v) for v in uniques], dtype=object)
        codes = codes.astype(np.int64, copy=False)
        empty = np.flatnonzero(values == "")
        if empty.size:
            codes = np.where(np.isin(codes, empty), -1, codes)
        return cls(codes, values)

    @property
    def given(self) -> Any:
        return self.codes >= 0

    def at(self, row: int) -> str | None:
        code = int(self.codes[row])
        return None if code < 0 else str(self.values[code])

    def take(self, rows: Any) -> Any:
        """The texts of ``rows`` (all given)."""
        return self.values[self.codes[rows]]


def _hashable(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return _cell_text(value)
    return value


def _cell_text(value: object) -> str:
    """A cell of a text column as text, stripped (a value too large to print: as shown)."""
    if isinstance(value, str):
        return value.strip()
    try:
        return str(value).strip()
    except ValueError:  # an integer of more than 4,300 digits
        return show_value(value)


def _days(pd: Any, column: Any, name: str, error: Any) -> Any:
    """A date column as int64 days since 1970-01-01 (NaT's integer where empty)."""
    given = column.notna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        stamps = column
    else:
        stamps = pd.to_datetime(column, errors="coerce", format="ISO8601")
    nanos = stamps.to_numpy(dtype="datetime64[s]")
    bad = given & np.isnat(nanos)
    for i in _new(error, bad):
        error[i] = f"{name}={column.iloc[i]!r} is not a date; write an ISO date such as 2026-12-10"
    days = nanos.astype("datetime64[D]")
    timed = given & ~bad & (days.astype("datetime64[s]") != nanos)
    for i in _new(error, timed):
        error[i] = f"{name}={column.iloc[i]!r} is a date and time; write the date only"
    out = days.astype(np.int64)
    out[~given | bad] = _NAT
    return out


def _new(error: Any, mask: Any) -> list[int]:
    """The rows of ``mask`` that have no error yet (a row keeps its first error)."""
    return [int(i) for i in np.flatnonzero(mask) if error[i] is None]


def _groups(table: _Table) -> list[Any]:
    """The rows without an error, in groups alike in regimen, units, given facts and anchor."""
    key = np.zeros(table.count, dtype=np.int64)
    parts = [(table.regimen.codes, len(table.regimen.values))]
    parts.extend((text.codes, len(text.values)) for text in table.units.values())
    if table.sex is not None:
        parts.append((table.sex.given.astype(np.int64) - 1, 1))
    parts.extend(((days != _NAT).astype(np.int64) - 1, 1) for days in table.anchors.values())
    for codes, size in parts:
        key = key * (size + 1) + (codes + 1)
    ok = np.flatnonzero(table.error == None)  # noqa: E711  (elementwise)
    if ok.size == 0:
        return []
    _, inverse = np.unique(key[ok], return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return [ok[chunk] for chunk in np.split(order, bounds)]


def _patient(table: _Table, rows: Any, units: dict[str, Any], scalar: bool = False) -> Patient:
    kwargs: dict[str, Any] = {}
    for name, unit in units.items():
        values = table.values[name][rows]
        kwargs[name] = Q_(float(values[0]) if scalar else values, unit)
    if table.sex is not None and table.sex.at(rows[0]) is not None:
        sexes = table.sex.take(rows)
        kwargs["sex"] = str(sexes[0]) if scalar else sexes.astype(str)
    return Patient(**kwargs)


def _by_band(regimen: Any, table: _Table, rows: Any, unit: Any) -> list[Any]:
    """``rows`` split by the weight band of each of the regimen's band lines (a cohort is
    expanded within one band), or all together when it has none."""
    if rows.size == 0:
        return []
    tables = [line.rule for line in regimen.doses if isinstance(line.rule, WeightBands)]
    if not tables or unit is None or unit.dimensionality != KG.dimensionality:
        return [rows]  # (a weight in a unit that is no mass: the Patient refuses it by name)
    weight_kg = Q_(table.values["weight"][rows], unit).m_as(KG)
    key = np.zeros(rows.size, dtype=np.int64)
    for bands in tables:
        key = key * (len(bands.bands) + 1) + (np.asarray(bands.index(weight_kg)) + 1)
    return [rows[key == value] for value in np.unique(key)]


class _Planner:
    """Plans one group (one regimen, units, facts, anchor) as cohorts, isolating bad rows."""

    def __init__(self, table: _Table, policy: Policy | None, raise_errors: bool) -> None:
        self.table = table
        self.policy = policy
        self.raise_errors = raise_errors
        self.done: list[_Done] = []
        self.warnings: dict[str, Warning] = {}
        self.regimens: set[str] = set()

    def fail(self, rows: Any, message: str, exc: DosingError | None = None) -> None:
        if self.raise_errors:
            if exc is not None:
                raise exc
            raise DomainError(message, message=message)
        self.table.error[rows] = message

    def group(self, rows: Any) -> None:
        table = self.table
        first = rows[0]
        key = table.regimen.at(first)
        if key is None:
            self.fail(rows, "regimen: the row has no regimen; write a key of dosing.regimen_keys()")
            return
        try:
            regimen = get_regimen(key)
        except DosingError as exc:
            self.fail(rows, f"regimen: {exc}", exc)
            return
        units: dict[str, Any] = {}
        for name, text in table.units.items():
            code = text.at(first)
            if code is None:
                continue
            try:
                units[name] = _unit_of(code, f"{name}_unit")
            except UnitsError as exc:
                self.fail(rows, str(exc), exc)
                return
        wanted = _ANCHORS[regimen.frame]
        for column, days in table.anchors.items():
            if column != wanted and days[first] != _NAT:
                why = "transplant days (day 0 = graft infusion)"
                if regimen.frame == "cycle":
                    why = "cycle days (day 1 = first day of the cycle)"
                self.fail(
                    rows,
                    f"{column}: {regimen.key!r} counts {why}; give {wanted} instead "
                    f"(and leave {column} empty)",
                )
                return
        anchor = table.anchors.get(wanted)
        if anchor is not None and anchor[first] != _NAT:
            rows = self._calendar(regimen, rows, anchor[rows], wanted)
            if rows.size == 0:  # every row's dates fall outside the calendar
                return
        self.regimens.add(regimen.key)
        suspect = np.zeros(rows.size, dtype=bool)
        for name, unit in units.items():
            values = table.values[name][rows]
            suspect |= ~np.isfinite(values) | (values <= 0)
            normalised = "standard_bsa" in str(unit)
            limits = {
                "creatinine_clearance": "egfr" if normalised else "creatinine_clearance",
                "glomerular_filtration_rate": "egfr" if normalised else "gfr",
            }
            try:
                low, high = RANGES[limits.get(name, name)].bounds_in(unit)
            except DimensionalityError:  # µmol/L against mg/dL: the Patient converts it
                continue
            suspect |= (values < low) | (values > high)
        if table.sex is not None and table.sex.at(rows[0]) is not None:
            suspect |= ~np.isin(table.sex.take(rows), _SEXES)
        for row in rows[suspect]:
            self.solve(regimen, np.array([row]), units)
        for band in _by_band(regimen, table, rows[~suspect], units.get("weight")):
            self.solve(regimen, band, units)

    def _calendar(self, regimen: Any, rows: Any, anchor: Any, column: str) -> Any:
        """The rows whose every day falls on a calendar date (the others fail)."""
        days = [day for line in regimen.doses for day in line.days]
        low = (calendar_date(regimen.frame, min(days), _EPOCH) - _EPOCH).days
        high = (calendar_date(regimen.frame, max(days), _EPOCH) - _EPOCH).days
        outside = (anchor + low < _FIRST_DAY) | (anchor + high > _LAST_DAY)
        for row in rows[outside]:
            self.fail(
                np.array([row]),
                f"{column}: puts a day of {regimen.key!r} outside the calendar (years 1 to "
                f"9999); give the date the regimen starts from",
            )
        return rows[~outside]

    def attempt(
        self, regimen: Any, rows: Any, units: dict[str, Any], scalar: bool = False
    ) -> tuple[Schedule, list[Finding], list[_Scoped]]:
        # This call's warnings only (a context's recorder, not the process-wide
        # warnings.catch_warnings: safe from any number of threads), kept from the caller's
        # recorders: plan_frame gives them once, at the end.
        recorder = recording(emit=False, isolated=True)
        with recorder as caught:
            patient = _patient(self.table, rows, units, scalar)
            schedule = expand(regimen, patient, policy=self.policy)
            findings = check(schedule)
        scoped = [
            (item, where, each)
            for item, (where, each) in zip(caught, recorder.scopes, strict=True)
            if not isinstance(item, UnusedPolicyWarning)  # given once by plan_frame
        ]
        return schedule, findings, scoped

    def solve(self, regimen: Any, rows: Any, units: dict[str, Any]) -> None:
        """Plan ``rows`` as one cohort; when it fails, find the rows that make it fail."""
        try:
            schedule, findings, caught = self.attempt(regimen, rows, units)
        except DosingError as exc:
            if rows.size == 1:
                self._single(regimen, rows, units, exc)
                return
            first = self._message(regimen, rows[:1], units)
            last = self._message(regimen, rows[-1:], units)
            if first is not None and first == last == str(exc):
                # The error does not depend on the values (a fact the regimen needs and no row
                # gives): every row has it, and splitting further would only repeat it.
                self.fail(rows, _row_message(exc), exc)
                return
            half = rows.size // 2
            self.solve(regimen, rows[:half], units)
            self.solve(regimen, rows[half:], units)
            return
        for item, _, _ in caught:
            self.warnings.setdefault(_warning_text(item), item)
        warned = self._warned(regimen, rows, units, caught)
        self.done.append(_Done(rows, schedule, findings, warned))

    def _warned(
        self, regimen: Any, rows: Any, units: dict[str, Any], caught: list[_Scoped]
    ) -> _Warned:
        """Each patient's warnings: a warning whose text holds for each patient it concerns
        goes to them by its mask; the patients a summary concerns ("BMI 11.2–72.0", "up to
        31%") are planned again alone, for warnings in their own words."""
        count = rows.size
        texts: list[str] = []
        masks: list[Any] = []
        summarised = np.zeros(count, dtype=bool)
        for item, where, each in caught:
            mask = _concerns(where, count)
            if each:
                texts.append(_warning_text(item))
                masks.append(mask)
            else:
                summarised |= mask
        alone: dict[int, str] = {}
        for index in np.flatnonzero(summarised):
            try:
                _, _, own = self.attempt(regimen, rows[index : index + 1], units, scalar=True)
            except DosingError:  # planned in the cohort only: its warnings, summaries included
                own = [c for c in caught if _concerns(c[1], count)[index]]
            alone[int(index)] = "\n".join(dict.fromkeys(_warning_text(w) for w, _, _ in own))
        return _Warned(texts, masks, alone)

    def _message(self, regimen: Any, rows: Any, units: dict[str, Any]) -> str | None:
        try:
            self.attempt(regimen, rows, units)
        except DosingError as exc:
            return str(exc)
        return None

    def _single(self, regimen: Any, rows: Any, units: dict[str, Any], exc: DosingError) -> None:
        """The error of one row, in the words of one patient (not of a cohort of one)."""
        try:
            self.attempt(regimen, rows, units, scalar=True)
        except DosingError as single:
            self.fail(rows, _row_message(single), single)
            return
        self.fail(rows, _row_message(exc), exc)  # pragma: no cover  (fails as a cohort only)


def _concerns(where: Any, count: int) -> Any:
    """Whom of a cohort of ``count`` a warning concerns (``where`` None: all of them)."""
    return np.broadcast_to(np.asarray(True if where is None else where, dtype=bool), (count,))


def _warning_text(item: Warning) -> str:
    return f"{type(item).__name__}: {item}"


def _row_message(exc: DosingError) -> str:
    if exc.argument == "Patient":  # neither height and weight nor bsa: say it in columns
        return (
            f"height, weight, bsa: the row needs height and weight, or bsa (or all three); it "
            f"gives {exc.value}. Fill height + height_unit and weight + weight_unit, or bsa + "
            f"bsa_unit"
        )
    text = str(exc)
    if exc.argument and not text.startswith(exc.argument):
        return f"{exc.argument}: {text}"
    return text


class _Categories:
    """Category codes handed out as text is met (one table of categories per column)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, text: str) -> int:
        return self.codes.setdefault(text, len(self.codes))

    def column(self, pd: Any, codes: Any) -> Any:
        return pd.Categorical.from_codes(codes, list(self.codes))


def _combined(
    names: list[str], masks: list[Any], count: int, categories: _Categories, sep: str = ","
) -> Any:
    """Per patient, the category code of the ``sep``-joined ``names`` whose mask is true."""
    if all(np.ndim(mask) == 0 for mask in masks):  # the same names for every patient
        picked = (name for name, mask in zip(names, masks, strict=True) if mask)
        return np.full(count, categories.code(sep.join(dict.fromkeys(picked))), dtype=np.int32)
    # Each patient's choice of names as a row of bits, 63 names to a word
    words = np.zeros((count, (len(names) + 62) // 63), dtype=np.int64)
    for index, mask in enumerate(masks):
        chosen_bits = np.broadcast_to(np.asarray(mask, dtype=bool), (count,)).astype(np.int64)
        words[:, index // 63] |= chosen_bits << (index % 63)
    if words.shape[1] == 1:  # (a 1-D unique sorts integers; axis=0 sorts rows, far slower)
        present, inverse = np.unique(words[:, 0], return_inverse=True)
        present = present[:, None]
    else:
        present, inverse = np.unique(words, axis=0, return_inverse=True)
    lookup = np.empty(len(present), dtype=np.int32)
    for slot, row in enumerate(present):
        picked = (name for i, name in enumerate(names) if (int(row[i // 63]) >> (i % 63)) & 1)
        lookup[slot] = categories.code(sep.join(dict.fromkeys(picked)))
    return lookup[inverse.reshape(-1)]


def _flags(done: _Done, count: int, categories: _Categories) -> dict[int, Any]:
    """Per dose line (by id), each patient's flag-text code."""
    out: dict[int, Any] = {}
    for result in done.schedule.lines:
        flags = result.flags
        names = [flag for flag in FLAGS if flag in flags]
        masks = [flags[flag] if not isinstance(flags, frozenset) else True for flag in names]
        out[id(result)] = _combined(names, masks, count, categories)
    return out


_CODE_ORDER: Final = {code: index for index, code in enumerate(CODES)}


def _findings(done: _Done, count: int, categories: _Categories) -> list[Any]:
    """Per administration, each patient's finding-codes text code."""
    agents = set(done.schedule.agents)
    shape = done.schedule.patient.shape
    out = []
    for row in done.schedule.rows:
        about = [
            finding
            for finding in done.findings
            if (finding.agent == row.agent or finding.agent not in agents)
            and (finding.day is None or finding.day == row.day)
        ]
        about.sort(key=lambda f: _CODE_ORDER[f.code])
        names = [finding.code for finding in about]
        masks = [
            True if f.patients is None else np.broadcast_to(f.patients, shape).reshape(count)
            for f in about
        ]
        out.append(_combined(names, masks, count, categories))
    return out


def _warning_codes(done: _Done, count: int, categories: _Categories) -> Any:
    """Per patient, the code of the text of its own warnings, one to a line."""
    warned = done.warnings
    out = _combined(warned.texts, warned.masks, count, categories, sep="\n")
    for index, text in warned.alone.items():
        out[index] = categories.code(text)
    return out


def _line_values(values: Any, shape: tuple[int, ...], count: int) -> Any:
    return np.broadcast_to(np.asarray(values, dtype=float), shape).reshape(count)


def _assemble(pd: Any, table: _Table, done: list[_Done]) -> Any:
    """The long table: each input row's administrations (or its error row), in input order."""
    per_row = np.ones(table.count, dtype=np.int64)
    for item in done:
        per_row[item.positions] = len(item.schedule.rows)
    offsets = np.zeros(table.count + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    total = int(offsets[-1])
    # Every slot is written once: by its patient's cohort, or as an error row (empty).
    failed = np.flatnonzero(table.error != None)  # noqa: E711  (elementwise)
    bad = offsets[failed]
    empty = np.zeros(total, dtype=bool)
    empty[bad] = True
    day: Any = np.empty(total, dtype=np.int64)
    administration: Any = np.empty(total, dtype=np.int64)
    date: Any = np.empty(total, dtype=np.int64)
    floats = {name: np.empty(total) for name in _FLOATS}
    text = {name: _Categories() for name in _TEXTS}
    codes = {name: np.empty(total, dtype=np.int32) for name in _TEXTS}
    day[bad] = 0
    administration[bad] = 0
    date[bad] = _NAT
    for name in _FLOATS:
        floats[name][bad] = np.nan
    for name in _TEXTS:
        codes[name][bad] = -1
    for item in done:
        schedule = item.schedule
        rows = schedule.rows
        count = item.positions.size
        shape = schedule.patient.shape
        k = len(rows)
        dest = offsets[item.positions][:, None] + np.arange(k)[None, :]
        day[dest] = np.array([r.day for r in rows])
        administration[dest] = np.array([r.administration for r in rows])
        anchor_column = _ANCHORS[schedule.regimen.frame]
        anchor = table.anchors.get(anchor_column)
        if anchor is None or anchor[item.positions[0]] == _NAT:
            date[dest] = _NAT
        else:
            frame = schedule.regimen.frame
            offset = np.array([(calendar_date(frame, r.day, _EPOCH) - _EPOCH).days for r in rows])
            date[dest] = anchor[item.positions][:, None] + offset[None, :]
        lines = {id(result): result for result in schedule.lines}
        for name in ("dose", "calculated", "basis_value"):
            per_line = {
                key: _line_values(_line_column(result, name), shape, count)
                for key, result in lines.items()
            }
            floats[name][dest] = np.stack([per_line[id(r.result)] for r in rows], axis=1)
        floats["prescribed"][dest] = np.array([float(r.prescribed.magnitude) for r in rows])
        for name, value in (
            ("agent", lambda r: r.agent),
            ("dose_unit", lambda r: ucum(r.unit)),
            ("prescribed_unit", lambda r: ucum(r.prescribed.units)),
            ("basis_kind", lambda r: r.basis.kind),
            ("basis_unit", lambda r: "" if r.basis.unit is None else ucum(r.basis.unit)),
            ("basis_method", lambda r: r.basis.method),
        ):
            codes[name][dest] = np.array([text[name].code(value(r)) for r in rows], dtype=np.int32)
        flag_codes = _flags(item, count, text["flags"])
        codes["flags"][dest] = np.stack([flag_codes[id(r.result)] for r in rows], axis=1)
        codes["findings"][dest] = np.stack(_findings(item, count, text["findings"]), axis=1)
        codes["warnings"][dest] = _warning_codes(item, count, text["warnings"])[:, None]
    source = np.repeat(np.arange(table.count), per_row)
    error = _Categories()
    error_codes = np.full(total, -1, dtype=np.int32)
    error_codes[offsets[failed]] = [error.code(str(text)) for text in table.error[failed]]
    regimen = _Categories()
    lookup = np.array([regimen.code(text) for text in table.regimen.values] + [-1], np.int32)
    regimen_codes = lookup[table.regimen.codes]  # -1 (empty) reads the last entry, -1
    columns: dict[str, Any] = {
        "patient_id": table.patient_id[source],
        "regimen": regimen.column(pd, regimen_codes[source]),
        "day": pd.arrays.IntegerArray(day, empty),
        "date": date.view("datetime64[D]").astype("datetime64[s]"),
    }
    for name in COLUMNS[4:]:
        if name in floats:
            columns[name] = floats[name]
        elif name in codes:
            columns[name] = text[name].column(pd, codes[name])
        elif name == "administration":
            columns[name] = pd.arrays.IntegerArray(administration, empty)
    columns["error"] = error.column(pd, error_codes)
    return frame_of(pd, columns)


def _line_column(result: Any, name: str) -> Any:
    """A dose line's per-patient values of output column ``name``."""
    if name == "dose":
        return result.dose
    if name == "calculated":
        return result.calculated
    return np.nan if result.basis.value is None else result.basis.value


_FLOATS: Final = ("dose", "prescribed", "calculated", "basis_value")
_TEXTS: Final = (
    "agent",
    "dose_unit",
    "prescribed_unit",
    "basis_kind",
    "basis_unit",
    "basis_method",
    "flags",
    "findings",
    "warnings",
)


def plan_frame(frame: object, policy: Policy | None = None, errors: str = "collect") -> Any:
    """Plan every row of a table: one output row per patient × administration.

    Parameters
    ----------
    frame : pandas.DataFrame or a table with the dataframe interchange protocol
        One row per patient: ``patient_id``, ``regimen``, the patient's facts as value columns
        with UCUM unit columns (``height`` + ``height_unit``, ...), ``sex``, and an anchor date
        (``cycle_start`` or ``transplant_date``). See :mod:`dosing.frames` for every column.
    policy : Policy, optional
        Applied to every row, as in :meth:`dosing.Regimen.expand`.
    errors : {"collect", "raise"}
        ``"collect"`` (default): a row with a bad value comes back as one row whose ``error``
        names the field and the fix; ``"raise"``: the first such error is raised.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, in input row order, each patient's administrations in schedule order.

    Examples
    --------
    >>> import pandas as pd
    >>> import dosing
    >>> table = pd.DataFrame({
    ...     "patient_id": ["a", "b"],
    ...     "regimen": ["gvhd-mtx-10-7-7", "inotuzumab-cycle-1"],
    ...     "height": [150.0, 59.0], "height_unit": ["cm", "[in_i]"],
    ...     "weight": [40.0, 88.0], "weight_unit": ["kg", "[lb_av]"],
    ... })
    >>> out = dosing.plan_frame(table)
    >>> # b: 59 in = 149.86 cm, 88 lb = 39.916 kg, Mosteller √(149.86 × 39.916 / 3600) = 1.2890 m²;
    >>> # 0.8 mg/m² × 1.2890 = 1.031 mg on day 1, 0.5 mg/m² × 1.2890 = 0.645 mg on days 8 and 15
    >>> print(out[["patient_id", "day", "agent", "dose", "dose_unit"]].round(3).to_string())
      patient_id  day                  agent    dose dose_unit
    0          a    1           methotrexate  12.910        mg
    1          a    3           methotrexate   9.037        mg
    2          a    6           methotrexate   9.037        mg
    3          b    1  inotuzumab ozogamicin   1.031        mg
    4          b    8  inotuzumab ozogamicin   0.645        mg
    5          b   15  inotuzumab ozogamicin   0.645        mg
    """
    if errors not in ("collect", "raise"):
        raise DomainError(
            "must be 'collect' or 'raise'", argument="errors", value=errors, shown=safe_repr(errors)
        )
    if policy is not None and not isinstance(policy, Policy):
        raise DomainError(
            "must be a dosing.Policy", argument="policy", value=policy, shown=safe_repr(policy)
        )
    pd = import_pandas()
    table = _read(pd, _as_pandas(pd, frame))
    if errors == "raise":
        first = np.flatnonzero(table.error != None)  # noqa: E711
        if first.size:
            message = str(table.error[first[0]])
            raise DomainError(message, message=f"row {int(first[0])}: {message}")
    planner = _Planner(table, policy, errors == "raise")
    for rows in _groups(table):
        planner.group(rows)
    for item in planner.warnings.values():  # once per text, to the caller's recorders too
        warn(item, stacklevel=2)
    _warn_unused(policy, planner.regimens)
    return _assemble(pd, table, planner.done)


def _warn_unused(policy: Policy | None, regimens: set[str]) -> None:
    """A policy naming an agent no row's regimen gives warns once (a typo is never ignored)."""
    if policy is None or not regimens:
        return
    given = {agent for key in regimens for agent in get_regimen(key).agents}
    named = policy.named_agents()
    unused = sorted(agent for agent in named if agent not in given)
    if unused:
        warn(
            UnusedPolicyWarning(
                ((*named[agent], agent) for agent in unused),
                ", ".join(sorted(regimens)),
                sorted(given),
            ),
            stacklevel=3,
        )


def plan_batches(batches: Iterable[Any], policy: Policy | None = None) -> Iterator[Any]:
    """:func:`plan_frame` for each pandas frame of ``batches``: the function Spark's
    ``DataFrame.mapInPandas`` expects (output schema :data:`SPARK_SCHEMA`).

    Errors are collected (``errors="collect"``): a worker never stops on one row. Each output
    frame has :data:`COLUMNS` with plain (not categorical) text columns and ``patient_id`` as
    text, the types :data:`SPARK_SCHEMA` declares.

    Examples
    --------
    >>> import pandas as pd
    >>> import dosing.frames
    >>> table = pd.DataFrame({"patient_id": [7], "regimen": ["gvhd-mtx-10-7-7"],
    ...                       "bsa": [1.2], "bsa_unit": ["m2"]})
    >>> [len(out) for out in dosing.frames.plan_batches([table, table])]
    [3, 3]
    """
    pd = import_pandas()
    for batch in batches:
        out = plan_frame(batch, policy=policy)
        for name in out.columns:
            if isinstance(out[name].dtype, pd.CategoricalDtype):
                out[name] = out[name].astype(object)
        out["patient_id"] = out["patient_id"].astype(str)
        out["error"] = out["error"].astype(object)
        out["date"] = out["date"].astype("datetime64[ns]")
        yield out


def plan_partition(frame: Any, policy: Policy | None = None) -> Any:
    """One frame through :func:`plan_batches`: for Dask's ``map_partitions``.

    ``ddf.map_partitions(plan_partition, meta=plan_partition(ddf._meta))`` plans every
    partition of a Dask DataFrame (see ``docs/registries.md``).
    """
    return next(plan_batches([frame], policy=policy))
