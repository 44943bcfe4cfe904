"""Reading a ``[[dose]]``'s amount: ``amount``, ``target_auc`` + ``gfr_formula``, or
``weight_bands`` (see :mod:`dosing.regimens.lines`), each checked, every error naming the field.

Also screened here, where they are written: a line by target AUC against the plausibility range
``target_auc`` (a unit slip: ``"5 mg*min/L"``), and each band of a weight-band line as if it were
an ordinary line of its amount, against the agent's dose limits (:mod:`dosing.regimens.screen`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from dosing.amounts import CANONICAL, Kind, Measure, classify
from dosing.dose_limits import DOSE_LIMITS
from dosing.errors import DomainError, RegimenError, UnitsError, UnknownKeyError
from dosing.exposure import GFR_FORMULAS
from dosing.plausibility import strip
from dosing.regimens.lines import TargetAUC, WeightBand, WeightBands
from dosing.regimens.screen import screen_course, screen_line
from dosing.units import AUC, KG, MG, parse_quantity
from dosing.vocabulary import canonical_agent

if TYPE_CHECKING:
    from dosing.regimens.model import DoseLine

__all__ = ["AmountSpec", "read_amount", "screen_bands", "with_band"]

Fail = Callable[..., RegimenError]

#: The fields that say how much: exactly one per line.
AMOUNT_FIELDS: Final = ("amount", "target_auc", "weight_bands")
_LOWER: Final = {"from": True, "above": False}
_UPPER: Final = {"to": True, "below": False}


@dataclass(frozen=True, slots=True)
class AmountSpec:
    """What a line gives: its amount as written, kind, canonical value and units, and rule."""

    prescribed: Any
    kind: Kind
    amount_value: float
    amount_unit: Any
    dose_unit: Any
    rule: TargetAUC | WeightBands | None


def read_amount(
    raw: Mapping[str, Any],
    where: str,
    fail: Fail,
    plain: Callable[[], AmountSpec],
) -> AmountSpec:
    """The amount of one ``[[dose]]``: ``plain()`` reads an ordinary ``amount``."""
    given = [name for name in AMOUNT_FIELDS if name in raw]
    if not given:
        raise fail(
            f"{where}.amount",
            "missing; it is required (or, instead, target_auc with gfr_formula, or weight_bands)",
        )
    if len(given) > 1:
        raise fail(
            f"{where}.{given[1]}",
            f"a dose line gives one of amount, target_auc (with gfr_formula) or weight_bands; "
            f"this one gives {' and '.join(given)}",
        )
    if "gfr_formula" in raw and given[0] != "target_auc":
        raise fail(f"{where}.gfr_formula", "gfr_formula belongs to a line by target_auc")
    if given[0] == "amount":
        return plain()
    if given[0] == "target_auc":
        return _target_auc(raw, where, fail)
    return _weight_bands(raw["weight_bands"], f"{where}.weight_bands", fail)


def _quantity(raw: object, label: str, fail: Fail, example: str) -> Any:
    if not isinstance(raw, str):
        raise fail(label, f'{raw!r} must be a string with a unit, e.g. "{example}"')
    try:
        return parse_quantity(raw)
    except UnitsError as exc:
        raise fail(label, str(exc)) from None


def _target_auc(raw: Mapping[str, Any], where: str, fail: Fail) -> AmountSpec:
    label = f"{where}.target_auc"
    target = _quantity(raw["target_auc"], label, fail, "5 mg*min/mL")
    if target.dimensionality != AUC.dimensionality:
        raise fail(
            label,
            f'target_auc={raw["target_auc"]!r} is not an AUC; write e.g. "5 mg*min/mL"',
            raw["target_auc"],
        )
    try:
        value = float(strip(target, "target_auc", AUC))
    except DomainError as exc:
        raise fail(label, f"{exc}", raw["target_auc"]) from None
    formula = raw.get("gfr_formula")
    if formula is None:
        raise fail(
            f"{where}.gfr_formula",
            f"missing: a line by target_auc names its formula, one of "
            f"{', '.join(map(repr, GFR_FORMULAS))}",
        )
    try:
        GFR_FORMULAS[formula]
    except (UnknownKeyError, TypeError):
        raise fail(
            f"{where}.gfr_formula",
            f"gfr_formula={formula!r}; write one of {', '.join(map(repr, GFR_FORMULAS))}",
            formula,
        ) from None
    entry = GFR_FORMULAS[formula]
    agent = canonical_agent(raw["agent"]) if isinstance(raw.get("agent"), str) else None
    if agent not in entry.agents:
        raise fail(
            f"{where}.gfr_formula",
            f"gfr_formula={formula!r} is a {' or '.join(entry.agents)} clearance formula; "
            f"agent={raw.get('agent')!r} cannot be dosed by it: give the agent's amount "
            f"(amount = ...) or a formula derived for it",
            formula,
        )
    rule = TargetAUC(target, value, formula)
    return AmountSpec(target, "auc", value, AUC, MG, rule)


def _weight_bands(raw: object, label: str, fail: Fail) -> AmountSpec:
    if not isinstance(raw, list) or len(raw) < 2:
        raise fail(label, "weight_bands is a list of at least two bands, lightest first")
    bands: list[WeightBand] = []
    kinds: set[tuple[Kind, Measure]] = set()
    for index, entry in enumerate(raw):
        where = f"{label}[{index}]"
        if not isinstance(entry, Mapping):
            raise fail(where, 'each band is a table, e.g. { below = "9 kg", amount = "1 mg/kg" }')
        unknown = sorted(set(entry) - {"from", "above", "to", "below", "amount"})
        if unknown:
            raise fail(
                f"{where}.{unknown[0]}",
                "unknown field; a band has from or above, to or below, and amount",
            )
        low, low_inclusive = _edge(entry, _LOWER, where, fail)
        high, high_inclusive = _edge(entry, _UPPER, where, fail)
        if "amount" not in entry:
            raise fail(f"{where}.amount", "missing; it is required")
        amount = _quantity(entry["amount"], f"{where}.amount", fail, "1.1 mg/kg")
        try:
            kind, measure = classify(amount)
        except UnitsError as exc:
            raise fail(f"{where}.amount", str(exc), entry["amount"]) from None
        if kind not in ("weight", "flat"):
            raise fail(
                f"{where}.amount",
                f"amount={entry['amount']!r}: a band's amount is per kg or flat",
                entry["amount"],
            )
        kinds.add((kind, measure))
        unit = CANONICAL[(kind, measure)][0]
        value = float(amount.m_as(unit))
        if not (math.isfinite(value) and value > 0):
            raise fail(f"{where}.amount", f"amount={entry['amount']!r} must be positive")
        if low is not None and high is not None and not low < high:
            raise fail(where, f"the band's lower edge {low:g} kg is not below its upper {high:g}")
        bands.append(WeightBand(low, low_inclusive, high, high_inclusive, amount, value))
    if len(kinds) != 1:
        raise fail(label, "every band of one table gives one kind of amount (all per kg, or flat)")
    _check_contiguous(bands, label, fail)
    kind, measure = kinds.pop()
    amount_unit, dose_unit = CANONICAL[(kind, measure)]
    first = bands[0]
    rule = WeightBands(tuple(bands))
    return AmountSpec(first.amount, "band", first.amount_value, amount_unit, dose_unit, rule)


def _edge(
    entry: Mapping[str, Any], names: Mapping[str, bool], where: str, fail: Fail
) -> tuple[float | None, bool]:
    given = [name for name in names if name in entry]
    if len(given) > 1:
        raise fail(f"{where}.{given[1]}", f"a band has one of {' or '.join(names)}, not both")
    if not given:
        return None, False
    name = given[0]
    edge = _quantity(entry[name], f"{where}.{name}", fail, "16 kg")
    if edge.dimensionality != KG.dimensionality:
        raise fail(f"{where}.{name}", f'{name}={entry[name]!r} must be a weight, e.g. "16 kg"')
    value = float(edge.m_as(KG))
    if not (math.isfinite(value) and value >= 0):
        raise fail(f"{where}.{name}", f"{name}={entry[name]!r} must not be negative")
    return value, names[name]


def _check_contiguous(bands: list[WeightBand], label: str, fail: Fail) -> None:
    """No gap and no overlap: each lower edge is the previous upper edge, from the other side."""
    for index, band in enumerate(bands):
        where = f"{label}[{index}]"
        if index == 0:
            continue
        previous = bands[index - 1]
        if previous.high is None:
            raise fail(f"{label}[{index - 1}]", "only the last band may be open above")
        if band.low is None:
            raise fail(where, "only the first band may be open below")
        if band.low != previous.high or band.low_inclusive == previous.high_inclusive:
            side = "above" if previous.high_inclusive else "from"
            raise fail(
                where,
                f"the bands must meet with no gap or overlap: the previous band ends "
                f"{'at' if previous.high_inclusive else 'below'} {previous.high:g} kg, so this "
                f'one starts with {side} = "{previous.high:g} kg"',
            )


def with_band(line: DoseLine, band: WeightBand) -> DoseLine:
    """The ordinary per-kg (or flat) line a weight-band line is for a patient in ``band``."""
    kind, measure = classify(band.amount)
    amount_unit, dose_unit = CANONICAL[(kind, measure)]
    return replace(
        line,
        kind=kind,
        prescribed=band.amount,
        amount_value=band.amount_value,
        amount_unit=amount_unit,
        dose_unit=dose_unit,
    )


def screen_bands(line: DoseLine, where: str, fail: Fail) -> None:
    """Screen every band of a weight-band line as an ordinary line of its amount, alone and as
    a course (the agent's dose limits, :mod:`dosing.regimens.screen`)."""
    assert isinstance(line.rule, WeightBands)
    for index, band in enumerate(line.rule.bands):
        fail_band = _band_failure(fail, f"{where}.weight_bands[{index}].amount", band)
        banded = with_band(line, band)
        screen_line(banded, DOSE_LIMITS, where, fail_band)
        screen_course((banded,), DOSE_LIMITS, fail_band)


def _band_failure(fail: Fail, label: str, band: WeightBand) -> Fail:
    """A ``fail`` that names the band's field and edges."""

    def fail_band(field: str | None, message: str, *args: Any) -> RegimenError:
        return fail(label, f"band {band.describe()}: {message}", *args)

    return fail_band
