"""The patient's history: what they were already given, for lifetime limits and repeat courses.

An :class:`Exposure` records one agent the patient had before (a course of melphalan, 12 Gy of
total body irradiation, anthracyclines of an earlier treatment). ``dosing.check(*schedules,
prior=[...])`` adds them to the planned doses for lifetime limits, says how much allowance is
left, refuses a second course of total body irradiation unless it is said to be intended, and
warns of a repeat high-dose alkylator with the cumulative amount.

The amount is written in the kind the agent's limits need: per m² (``"180 mg/m**2"``), per kg,
flat or Gy. A flat amount (``"232 mg"``) of an agent whose limits are per m² cannot be compared
without the BSA it was given at: give ``bsa=`` with it (or ``weight=`` for per-kg limits).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dosing.amounts import CANONICAL, Kind, classify
from dosing.dose_limits import DOSE_LIMITS
from dosing.errors import DomainError, Example, UnitsError, safe_repr
from dosing.plausibility import strip
from dosing.units import KG, M2, Q_, as_quantity, magnitude, parse_quantity
from dosing.vocabulary import identify

__all__ = ["Exposure"]


@dataclass(frozen=True, slots=True)
class Exposure:
    """An agent the patient was already given.

    Parameters
    ----------
    agent : str
        The agent, by any name the vocabulary knows (``"Mel"``, ``"TBI"``, ``"Thymoglobulin"``).
    amount : pint.Quantity or str
        How much, in total: per m², per kg, flat or Gy (``Q_(180, "mg/m**2")``, ``"12 Gy"``).
    date : datetime.date or ISO string, optional
        When (the last dose), for the intervals between doses.
    note : str
        Free text (the regimen, the centre).
    bsa, weight : pint.Quantity, optional
        The patient's BSA or weight at the time, to compare a flat amount with limits per m² or
        per kg.
    cycles : int, optional
        How many cycles the exposure was, for agents whose label limits the cycles (inotuzumab
        ozogamicin).

    Raises
    ------
    DomainError
        An unknown kind of amount for the agent's limits, a flat amount of an agent limited per m²
        (or per kg) without the BSA (or weight) it was given at, or a bad date or cycle count.

    Examples
    --------
    >>> from dosing import Exposure, Q_
    >>> Exposure("Mel", Q_(180, "mg/m**2"), note="MAC, first transplant")
    Exposure(agent='melphalan', amount=Q_(180, 'mg/m**2'), note='MAC, first transplant')
    """

    agent: str
    amount: Any
    date: dt.date | None = None
    note: str = ""
    bsa: Any = None
    weight: Any = None
    cycles: int | None = None
    #: The product, when the agent was named by a brand (set from ``agent``).
    product: str | None = None
    #: Whether the vocabulary knows the agent (set from ``agent``).
    known: bool = True

    def __post_init__(self) -> None:
        put = object.__setattr__
        identity = identify(self.agent)
        put(self, "agent", identity.agent)
        put(self, "product", identity.product)
        put(self, "known", identity.known)
        quantity = self.amount
        example = Example({"amount": Q_(180, "mg/m**2")})
        if isinstance(quantity, str):
            try:
                quantity = parse_quantity(quantity)
            except UnitsError as exc:
                raise UnitsError(
                    f"cannot be read: {exc}", argument="amount", value=self.amount, fix=example
                ) from None
        elif not hasattr(quantity, "units"):
            raise UnitsError("has no unit", argument="amount", value=self.amount, fix=example)
        try:
            classify(quantity)
        except UnitsError as exc:
            raise UnitsError(
                exc.reason, argument="amount", value=self.amount, fix=exc.fix_text
            ) from None
        magnitude_ = np.asarray(quantity.magnitude)
        if magnitude_.ndim != 0 or magnitude_.dtype.kind not in "iuf":  # no complex, no text
            raise DomainError(
                "must be one amount (a number with its unit), not an array",
                argument="amount",
                value=self.amount,
                fix=example,
            )
        if not (math.isfinite(float(magnitude_)) and float(magnitude_) > 0):
            raise DomainError(
                "must be a positive, finite amount",
                argument="amount",
                value=self.amount,
                fix=example,
            )
        put(self, "amount", quantity)
        if self.bsa is not None:
            put(self, "bsa", as_quantity(self.bsa, M2, "bsa"))
            strip(self.bsa, "bsa", M2)
        if self.weight is not None:
            put(self, "weight", as_quantity(self.weight, KG, "weight"))
            strip(self.weight, "weight", KG)
        given: object = self.date  # a str is accepted too, as an ISO date
        if isinstance(given, str):
            try:
                put(self, "date", dt.date.fromisoformat(given))
            except ValueError:
                raise DomainError(
                    "must be a date", argument="date", value=self.date, shown=safe_repr(self.date)
                ) from None
        if self.date is not None and (
            not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime)
        ):
            raise DomainError(
                "must be a date, e.g. datetime.date(2024, 3, 1)",
                argument="date",
                value=self.date,
                shown=safe_repr(self.date),
            )
        if self.cycles is not None and (
            isinstance(self.cycles, bool) or not isinstance(self.cycles, int) or self.cycles < 1
        ):
            raise DomainError(
                "must be a whole number of cycles, at least 1",
                argument="cycles",
                value=self.cycles,
                shown=safe_repr(self.cycles),
            )
        self._check_comparable()

    @property
    def kind(self) -> Kind:
        """Per m², per kg, flat or radiation."""
        return classify(self.amount)[0]

    def in_kind(self, kind: str, unit: Any) -> float | None:
        """The amount in ``kind`` and its canonical ``unit``, or None when it cannot be converted.

        A flat amount converts per m² with :attr:`bsa` and per kg with :attr:`weight`; an amount
        per m² converts per kg (and back) with both.
        """
        own_kind, measure = classify(self.amount)
        own_unit = CANONICAL[(own_kind, measure)][0]
        value = float(self.amount.m_as(own_unit))
        if own_kind == kind:
            return value if own_unit == unit else None
        if own_kind == "flat" and kind == "bsa" and self.bsa is not None:
            per_m2 = value / magnitude(self.bsa, M2, "bsa")
            return float(per_m2) if CANONICAL[("bsa", measure)][0] == unit else None
        if own_kind == "flat" and kind == "weight" and self.weight is not None:
            per_kg = value / magnitude(self.weight, KG, "weight")
            return float(per_kg) if CANONICAL[("weight", measure)][0] == unit else None
        if (
            {own_kind, kind} == {"bsa", "weight"}
            and self.bsa is not None
            and self.weight is not None
        ):
            # through the absolute amount: per m² × BSA = per kg × weight
            bsa = float(magnitude(self.bsa, M2, "bsa"))
            weight = float(magnitude(self.weight, KG, "weight"))
            converted = value * bsa / weight if own_kind == "bsa" else value * weight / bsa
            return converted if CANONICAL[(kind, measure)][0] == unit else None
        return None

    def _check_comparable(self) -> None:
        """A flat amount of an agent limited per m² (or per kg) needs the size it was given at."""
        kinds = {limit.kind for limit in DOSE_LIMITS.for_agent(self.agent)}
        if self.kind != "flat" or not kinds or "flat" in kinds:
            return
        if ("bsa" in kinds and self.bsa is not None) or ("weight" in kinds and self.weight):
            return
        size = "bsa" if "bsa" in kinds else "weight"
        example = {"bsa": Q_(1.29, "m**2")} if size == "bsa" else {"weight": Q_(40, "kg")}
        raise DomainError(
            f"is a flat amount, but the limits of {self.agent} are "
            f"{'per m²' if size == 'bsa' else 'per kg'}: give the {size} it was given at",
            argument="amount",
            value=self.amount,
            fix=Example(example, verb="give"),
        )

    def __repr__(self) -> str:
        amount = self.amount
        parts = [f"agent={self.agent!r}", f"amount=Q_({amount.magnitude!r}, '{amount.units:~C}')"]
        if self.date is not None:
            parts.append(f"date={self.date!r}")
        if self.note:
            parts.append(f"note={self.note!r}")
        if self.cycles is not None:
            parts.append(f"cycles={self.cycles!r}")
        return f"Exposure({', '.join(parts)})"
