"""The Schedule: every administration of an expanded regimen, each row explaining itself.

A row holds its dose as a plain magnitude and its unit; ``row.dose``, ``row.calculated`` and
``row.basis.quantity`` build Quantities only when asked, so that a schedule is cheap to make.
For a cohort, every dose is an array over patients and ``row.flags`` maps each flag to the
boolean array of the patients it applies to.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing.errors import DomainError, UnknownMethodError
from dosing.regimens.days import calendar_date, format_days
from dosing.regimens.model import canonical_agent
from dosing.units import Q_, Magnitude, short, ucum

if TYPE_CHECKING:
    from dosing.patient import Patient
    from dosing.policies import Policy
    from dosing.regimens.model import Regimen

__all__ = ["Basis", "Row", "Schedule"]

#: The table is meant to be read in an 80-column terminal.
TABLE_WIDTH: Final = 80


@dataclass(frozen=True, slots=True)
class Basis:
    """What a per-m² or per-kg amount was multiplied by, and how that number was obtained.

    Attributes
    ----------
    kind : {"bsa", "weight", "flat", "radiation"}
        BSA [m²], a weight [kg], or nothing (flat and radiation doses do not scale).
    value : float or ndarray or None
        The multiplier's magnitude in :attr:`unit`.
    unit : pint.Unit or None
        m² or kg.
    method : str
        A BSA formula key or ``"given"``; or which weight (``actual body weight``, ...).
    inputs : tuple of (str, Quantity)
        The patient values it came from (height and weight, a given BSA, ...).
    notes : tuple of str
        What else changed it: a BSA cap, the infant rule, the renal function used.
    """

    kind: str
    value: Any
    unit: Any
    method: str
    inputs: tuple[tuple[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def quantity(self) -> Any:
        """The multiplier as a Quantity (None for flat and radiation doses)."""
        return None if self.value is None else Q_(self.value, self.unit)

    def with_note(self, note: str) -> Basis:
        return replace(self, notes=(*self.notes, note))

    def __str__(self) -> str:
        if self.value is None:
            return self.method
        shown = _value_text(
            self.value, self.unit, given=self.method in ("given", "actual body weight")
        )
        if self.kind == "bsa":
            if self.method == "given":
                text = f"BSA {shown} (given)"
            else:
                from dosing.body.bsa import BSA_FORMULAS

                formula = BSA_FORMULAS[self.method].name
                inputs = " and ".join(
                    f"{name} {_given_text(q.magnitude, q.units)}" for name, q in self.inputs
                )
                text = f"BSA {shown} ({formula}, from {inputs})"
        else:
            text = f"weight {shown} ({self.method})"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text

    def to_record(self, index: int | None = None) -> dict[str, Any]:
        """A JSON-safe description (for patient ``index`` of a cohort)."""
        record: dict[str, Any] = {"kind": self.kind, "method": self.method}
        if self.value is not None:
            record["value"] = {"value": _pick(self.value, index), "unit": ucum(self.unit)}
        if self.inputs:
            record["inputs"] = {
                name: _quantity_record(q, index) if hasattr(q, "units") else _pick_text(q, index)
                for name, q in self.inputs
            }
        if self.notes:
            record["notes"] = list(self.notes)
        record["text"] = str(self) if index is None else _basis_text_for(self, index)
        return record


def _basis_text_for(basis: Basis, index: int) -> str:
    value = None if basis.value is None else _pick(basis.value, index)
    inputs = tuple(
        (name, Q_(_pick(q.magnitude, index), q.units) if hasattr(q, "units") else q)
        for name, q in basis.inputs
    )
    return str(replace(basis, value=value, inputs=inputs))


@dataclass(frozen=True, slots=True)
class Row:
    """One administration: a dose of one agent on one day.

    Attributes
    ----------
    day : int
        Day in the regimen's frame (cycle day from 1; transplant day from 0).
    date : datetime.date or None
        Calendar date, when the expansion had an anchor date.
    agent : str
        Canonical (lower-case) agent name.
    prescribed : pint.Quantity
        The template's amount per administration (e.g. 2 g/m²).
    basis : Basis
        What the amount was multiplied by.
    flags : frozenset of str, or mapping of str to boolean array (a cohort)
        The policy steps that changed this dose; empty with the default policy.
    route : str or None
        Route of administration from the template.
    administration, per_day : int
        This is administration ``administration`` of ``per_day`` on its day.
    regimen : str
        The key of the regimen this row came from (kept through :func:`~dosing.combine`).
    planned_day : int
        The day the template planned; differs from :attr:`day` after a reschedule.
    """

    day: int
    date: dt.date | None
    agent: str
    dose_value: Magnitude
    calculated_value: Magnitude
    unit: Any
    prescribed: Any
    basis: Basis
    flags: Any
    route: str | None
    administration: int
    per_day: int
    regimen: str
    planned_day: int
    line: int

    @property
    def dose(self) -> Any:
        """The final dose (mg, IU or Gy) after every policy step."""
        return Q_(self.dose_value, self.unit)

    @property
    def calculated(self) -> Any:
        """The dose before rounding (equal to :attr:`dose` without a rounding policy)."""
        return Q_(self.calculated_value, self.unit)

    def __repr__(self) -> str:
        flags = f", flags={sorted(self.flags)}" if self.flags else ""
        dose = _value_text(self.dose_value, self.unit)
        prescribed = _given_text(self.prescribed.magnitude, self.prescribed.units)
        return (
            f"Row(day={self.day}, agent={self.agent!r}, dose={dose}, prescribed={prescribed}"
            f"{flags})"
        )

    def to_record(self, index: int | None = None) -> dict[str, Any]:
        """A JSON-safe dict; quantities as ``{"value": ..., "unit": ...}`` with UCUM units."""
        flags = (
            sorted(self.flags)
            if isinstance(self.flags, frozenset)
            else sorted(name for name, mask in self.flags.items() if index is None or mask[index])
        )
        return {
            "day": self.day,
            "date": None if self.date is None else self.date.isoformat(),
            "agent": self.agent,
            "dose": {"value": _pick(self.dose_value, index), "unit": ucum(self.unit)},
            "calculated": {"value": _pick(self.calculated_value, index), "unit": ucum(self.unit)},
            "prescribed": _quantity_record(self.prescribed),
            "basis": self.basis.to_record(index),
            "flags": flags,
            "route": self.route,
            "administration": self.administration,
            "per_day": self.per_day,
            "regimen": self.regimen,
            "planned_day": self.planned_day,
        }


def _pick(value: Any, index: int | None) -> Any:
    if index is None or np.ndim(value) == 0:
        return (
            _json_number(value)
            if np.ndim(value) == 0
            else [_json_number(v) for v in np.asarray(value).ravel()]
        )
    return _json_number(np.asarray(value).ravel()[index])


def _pick_text(value: Any, index: int | None) -> Any:
    if isinstance(value, str) or value is None:
        return value
    array = np.asarray(value)
    return str(array.ravel()[index]) if index is not None else array.tolist()


def _json_number(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):  # pragma: no cover  (inputs are checked finite)
        raise DomainError(f"cannot write a non-finite number ({number}) to a record")
    return number


def _quantity_record(quantity: Any, index: int | None = None) -> dict[str, Any]:
    return {"value": _pick(quantity.magnitude, index), "unit": ucum(quantity.units)}


def _given_text(value: Any, unit: Any) -> str:
    """A value as written by the user or the template (150 cm, 0.8 mg/m²): no added zeros."""
    return _value_text(value, unit, given=True)


def _value_text(value: Any, unit: Any, *, given: bool = False) -> str:
    """Four significant figures for display only (records keep full precision)."""
    array = np.asarray(value, dtype=float)
    symbol = _display_unit(unit)
    if array.ndim == 0:
        return f"{_number_text(float(array), given)} {symbol}"
    low, high = _number_text(float(array.min()), given), _number_text(float(array.max()), given)
    return f"{low}–{high} {symbol}"


def _number_text(number: float, given: bool = False) -> str:
    if number == 0:
        return "0"
    if given:
        return f"{number:g}"
    if abs(number) >= 1000:
        return f"{number:.0f}"
    # Four significant figures, trailing zeros kept (39.00 mg, not 39 mg, for 38.998 mg), so
    # that a displayed value never looks more exact than it is.
    return f"{number:#.4g}".rstrip(".")


def _wrap(line: str) -> list[str]:
    return textwrap.wrap(line, width=TABLE_WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def _display_unit(unit: Any) -> str:
    return short(unit).replace("**2", "²").replace("standard_bsa", "1.73 m²")


class Schedule:
    """Every administration of a regimen for a patient (or a cohort), sorted by day.

    Iterate it for :class:`Row` objects (sorted by day, then by the order of the template's
    lines, then by administration within the day).

    Attributes
    ----------
    regimen : Regimen
        What was expanded (unchanged by expansion).
    patient : Patient
        For whom.
    rows : tuple of Row
        Every administration.
    policy : Policy
        The policy applied (the default changes nothing).
    anchor : datetime.date or None
        The date of cycle day 1 or of transplant day 0, when given.
    bsa : Basis or None
        The patient's BSA and how it was obtained.
    """

    __slots__ = ("anchor", "bsa", "patient", "policy", "regimen", "rows")

    def __init__(
        self,
        *,
        regimen: Regimen,
        patient: Patient,
        rows: tuple[Row, ...],
        policy: Policy,
        anchor: dt.date | None,
        bsa: Basis | None,
    ) -> None:
        self.regimen = regimen
        self.patient = patient
        self.rows = rows
        self.policy = policy
        self.anchor = anchor
        self.bsa = bsa

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Row:
        return self.rows[index]

    @property
    def agents(self) -> tuple[str, ...]:
        """Agents in order of first administration."""
        return tuple(dict.fromkeys(row.agent for row in self.rows))

    @property
    def days(self) -> tuple[int, ...]:
        """The days with at least one administration, ascending."""
        return tuple(sorted({row.day for row in self.rows}))

    def rows_for(self, agent: str) -> tuple[Row, ...]:
        """The rows of ``agent`` (matched case-insensitively); an unknown agent raises."""
        wanted = canonical_agent(agent)
        rows = tuple(row for row in self.rows if row.agent == wanted)
        if not rows:
            raise UnknownMethodError("agent", agent, self.agents)
        return rows

    def total(self, agent: str) -> Any:
        """The total dose of ``agent`` over the schedule (an array over patients for a cohort).

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> ric = dosing.get_regimen("flu-arac-mel-ric").expand(child)
        >>> ric.total("Melphalan")  # 180 mg/m² × 1.29099 m²
        <Quantity(232.379001, 'milligram')>
        """
        rows = self.rows_for(agent)
        total: Any = rows[0].dose_value
        for row in rows[1:]:
            total = total + row.dose_value
        return Q_(total, rows[0].unit)

    def by_day(self) -> dict[int, tuple[Row, ...]]:
        """Rows grouped by day, days ascending, rows in schedule order."""
        grouped: dict[int, list[Row]] = {}
        for row in self.rows:
            grouped.setdefault(row.day, []).append(row)
        return {day: tuple(rows) for day, rows in grouped.items()}

    def totals(self) -> dict[str, Any]:
        """Every agent's total, in order of first administration."""
        return {agent: self.total(agent) for agent in self.agents}

    # -- output --------------------------------------------------------------------------------

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-safe dicts, one per administration (per patient for a cohort, with ``patient``).

        Quantities are ``{"value": float, "unit": UCUM code}``; dates are ISO strings.
        """
        if not self.patient.is_cohort:
            return [row.to_record() for row in self.rows]
        records = []
        for index in range(int(np.prod(self.patient.shape))):
            for row in self.rows:
                records.append({"patient": index, **row.to_record(index)})
        return records

    def to_csv(self) -> str:
        """CSV text with a header: day, date, agent, dose, unit and the other row fields."""
        buffer = io.StringIO()
        cohort = self.patient.is_cohort
        fields = [
            *(["patient"] if cohort else []),
            "day",
            "date",
            "agent",
            "dose",
            "unit",
            "calculated",
            "prescribed",
            "prescribed_unit",
            "basis",
            "flags",
            "route",
            "administration",
            "per_day",
            "regimen",
            "planned_day",
        ]
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for record in self.to_records():
            writer.writerow(
                {
                    **({"patient": record["patient"]} if cohort else {}),
                    "day": record["day"],
                    "date": record["date"] or "",
                    "agent": record["agent"],
                    "dose": repr(record["dose"]["value"]),
                    "unit": record["dose"]["unit"],
                    "calculated": repr(record["calculated"]["value"]),
                    "prescribed": repr(record["prescribed"]["value"]),
                    "prescribed_unit": record["prescribed"]["unit"],
                    "basis": record["basis"]["text"],
                    "flags": " ".join(record["flags"]),
                    "route": record["route"] or "",
                    "administration": record["administration"],
                    "per_day": record["per_day"],
                    "regimen": record["regimen"],
                    "planned_day": record["planned_day"],
                }
            )
        return buffer.getvalue()

    def to_frame(self) -> Any:
        """A pandas DataFrame: one row per administration (per patient for a cohort).

        Doses of one schedule can be in different units (mg for drugs, Gy for TBI), so each
        quantity is a float column beside a UCUM unit column (``dose``, ``unit``; ``calculated``;
        ``prescribed``, ``prescribed_unit``; ``basis_value``, ``basis_unit``), as a tidy pandas
        table expects. Each flag is a boolean column. For a cohort the frame is built from numpy
        arrays directly (no per-row Python objects) and starts with a ``patient`` column.

        Requires the ``pandas`` extra (``pip install "dosing[pandas]"``).

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> frame = dosing.get_regimen("gvhd-mtx-10-7-7").expand(child).to_frame()
        >>> print(frame[["day", "agent", "dose", "unit"]].round(3).to_string(index=False))
         day        agent   dose unit
           1 methotrexate 12.910   mg
           3 methotrexate  9.037   mg
           6 methotrexate  9.037   mg
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover  (the pandas extra is installed in CI)
            raise ImportError(
                "Schedule.to_frame() needs pandas: pip install 'dosing[pandas]'"
            ) from None
        from dosing.policies import FLAGS

        count = int(np.prod(self.patient.shape)) if self.patient.is_cohort else 1
        rows = self.rows

        def per_patient(arrays: list[Any]) -> Any:
            """(rows × patients) values, patient-major like to_records()."""
            shape = self.patient.shape
            stacked = np.stack(
                [np.broadcast_to(np.asarray(a, dtype=float), shape).reshape(count) for a in arrays]
            )
            return stacked.T.ravel()

        columns: dict[str, Any] = {}
        if self.patient.is_cohort:
            columns["patient"] = np.repeat(np.arange(count), len(rows))

        def tile(values: list[Any]) -> Any:
            return np.tile(np.asarray(values, dtype=object), count)

        columns["day"] = np.tile(np.array([r.day for r in rows]), count)
        columns["date"] = pd.to_datetime(tile([r.date for r in rows]))
        columns["agent"] = tile([r.agent for r in rows])
        columns["dose"] = per_patient([r.dose_value for r in rows])
        columns["unit"] = tile([ucum(r.unit) for r in rows])
        columns["calculated"] = per_patient([r.calculated_value for r in rows])
        columns["prescribed"] = np.tile(
            np.array([float(r.prescribed.magnitude) for r in rows]), count
        )
        columns["prescribed_unit"] = tile([ucum(r.prescribed.units) for r in rows])
        columns["basis_value"] = per_patient(
            [np.nan if r.basis.value is None else r.basis.value for r in rows]
        )
        columns["basis_unit"] = tile(
            ["" if r.basis.unit is None else ucum(r.basis.unit) for r in rows]
        )
        columns["basis"] = tile([r.basis.method for r in rows])
        for flag in FLAGS:
            masks = []
            for row in rows:
                if isinstance(row.flags, frozenset):
                    masks.append(flag in row.flags)
                else:
                    masks.append(row.flags.get(flag, False))
            columns[flag] = per_patient(masks).astype(bool)
        columns["route"] = tile([r.route for r in rows])
        columns["administration"] = np.tile(np.array([r.administration for r in rows]), count)
        columns["per_day"] = np.tile(np.array([r.per_day for r in rows]), count)
        columns["planned_day"] = np.tile(np.array([r.planned_day for r in rows]), count)
        columns["regimen"] = tile([r.regimen for r in rows])
        return pd.DataFrame(columns)

    def header(self) -> list[str]:
        """The lines above the table: regimen, patient, BSA and how it was computed, policy."""
        lines = [f"{self.regimen.key}: {self.regimen.name}"]
        patient = self.patient
        size = []
        if patient.height is not None:
            size.append(f"height {_given_text(patient.height.magnitude, patient.height.units)}")
        if patient.weight is not None:
            size.append(f"weight {_given_text(patient.weight.magnitude, patient.weight.units)}")
        if patient.age is not None:
            size.append(f"age {_given_text(patient.age.magnitude, patient.age.units)}")
        if isinstance(patient.sex, str):
            size.append(patient.sex)
        if patient.is_cohort:
            size.insert(0, f"{int(np.prod(patient.shape))} patients")
        lines.append("Patient: " + (", ".join(size) if size else "BSA only"))
        if self.bsa is not None:
            lines.append(str(self.bsa))
        # Every other basis the doses used (a dosing weight, a capped BSA, the infant rule, the
        # renal function), once each, so that a pharmacist can check each number in the table.
        shown = {str(self.bsa)} if self.bsa is not None else set()
        for row in self.rows:
            if row.basis.value is None:
                continue
            text = str(row.basis)
            if text not in shown:
                shown.add(text)
                lines.append(f"{row.agent}: {text}")
        frame = "Cycle days" if self.regimen.frame == "cycle" else "Transplant days"
        anchor = ""
        if self.anchor is not None:
            what = "day 1" if self.regimen.frame == "cycle" else "day 0"
            anchor = f"; {what} = {self.anchor.isoformat()}"
        lines.append(f"{frame}{anchor}. Doses shown to 4 significant figures.")
        policy = repr(self.policy)
        if policy != "Policy()":
            lines.append(f"Policy: {policy}")
        return lines

    def __str__(self) -> str:
        lines = [wrapped for line in self.header() for wrapped in _wrap(line)]
        cells = [self._cells(row) for row in self.rows]
        table = self._table(cells)
        if max(len(line) for line in table) > TABLE_WIDTH:
            # Too wide for 80 columns: the flags move to numbered notes under the table.
            combos = list(dict.fromkeys(row[-1] for row in cells if row[-1]))
            cells = [
                (*row[:-1], f"[{combos.index(row[-1]) + 1}]" if row[-1] else "") for row in cells
            ]
            table = self._table(cells)
            table += [f"[{index}] {combo}" for index, combo in enumerate(combos, start=1)]
        lines += table
        totals = "; ".join(
            f"{agent} {_value_text(total.magnitude, total.units)}"
            for agent, total in self.totals().items()
        )
        lines += _wrap(f"Totals: {totals}")
        return "\n".join(lines)

    def _cells(self, row: Row) -> tuple[str, ...]:
        per_day = f" ({row.administration}/{row.per_day})" if row.per_day > 1 else ""
        return (
            f"{row.day:+d}" if self.regimen.frame == "transplant" else str(row.day),
            row.date.isoformat() if row.date else "",
            row.agent + per_day,
            _value_text(row.dose_value, row.unit),
            _given_text(row.prescribed.magnitude, row.prescribed.units),
            ", ".join(sorted(row.flags)) if row.flags else "",
        )

    def _table(self, cells: list[tuple[str, ...]]) -> list[str]:
        header = ("Day", "Date", "Agent", "Dose", "Prescribed", "Flags")
        rows = [header, *cells]
        keep = [i for i in range(len(header)) if i != 1 or self.anchor is not None]
        widths = {i: max(len(r[i]) for r in rows) for i in keep}
        out = []
        for index, row in enumerate(rows):
            out.append(
                "  ".join(
                    row[i].rjust(widths[i]) if i in (0, 3) else row[i].ljust(widths[i])
                    for i in keep
                ).rstrip()
            )
            if index == 0:
                out.append("  ".join("-" * widths[i] for i in keep))
        return out

    def __repr__(self) -> str:
        days = format_days(self.days) if self.rows else "none"
        who = (
            f"{int(np.prod(self.patient.shape))} patients"
            if self.patient.is_cohort
            else "1 patient"
        )
        bsa = ""
        if self.bsa is not None and not self.patient.is_cohort:
            bsa = f", BSA {_value_text(self.bsa.value, self.bsa.unit)}"
        return (
            f"<Schedule {self.regimen.key}: {len(self.rows)} administrations on days {days}, "
            f"{who}{bsa}>"
        )

    def with_rows(self, rows: tuple[Row, ...]) -> Schedule:
        """A copy with other rows (sorted), for rescheduling."""
        ordered = tuple(sorted(rows, key=lambda r: (r.day, r.line, r.administration)))
        return Schedule(
            regimen=self.regimen,
            patient=self.patient,
            rows=ordered,
            policy=self.policy,
            anchor=self.anchor,
            bsa=self.bsa,
        )

    def date_of(self, day: int) -> dt.date | None:
        """The calendar date of ``day`` (None without an anchor date)."""
        if self.anchor is None:
            return None
        return calendar_date(self.regimen.frame, day, self.anchor)
