"""Reading regimen templates (TOML) strictly: anything not exactly right raises RegimenError.

The format is documented in ``docs/regimens.md``. In short::

    key = "flu-arac-mel-ric"
    name = "Fludarabine / cytarabine / melphalan reduced-intensity conditioning"
    frame = "transplant"           # or "cycle", which also needs cycle_length = "21 day"
    references = ["..."]           # keys of dosing.references.REFERENCES
    note = "..."                   # optional
    totals = { melphalan = "180 mg/m**2" }   # optional, checked per agent
    setting = "conditioning"       # optional: the use (its dose limits apply); per line too
    intensity = "RIC"              # optional: "MAC", "RIC" or "NMA", checked by dosing.check()
    population = "child"           # optional: "adult" (18 and over) or "child", as the source
                                   # gives it; dosing.check() warns outside_population otherwise
    response = "cr"                # optional: a later cycle for a patient in CR/CRi, or "no-cr"

    [[dose]]
    agent = "cytarabine"
    amount = "2 g/m**2"            # per administration
    per_day = 1                    # optional, default 1
    days = "-7..-5"                # or a list of integers
    total = "6 g/m**2"             # optional, checked for this line
    route = "IV"                   # optional
    cap = "2 mg"                   # optional, per administration
    note = "..."                   # optional
    unsourced = ["per-day split"]  # optional: details no source settles
    window = "2 day"               # optional: may move ±2 days when rescheduled
    min_interval = "6 day"         # optional: fewest days between this agent's doses
    product = "Thymoglobulin"      # the product, where products are dosed differently
    acknowledge = "..."            # optional: why an amount refused as a slip is meant
    duration = "2 hour"            # optional: infusion duration (event tables)
    start = "1 hour"               # optional: first administration of a day, after the day's
                                   # clock origin (event tables; e.g. after a 1-hour infusion)

Instead of ``amount``, a line may be by target AUC (``target_auc = "5 mg*min/mL"`` with
``gfr_formula = "calvert"`` or ``"newell"``) or by weight band (``weight_bands = [...]``); see
:mod:`dosing.regimens.lines`.

Every error names the file and the field (``dose[2].days``) and says what to write instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any, Final

from dosing._limits import check_size, read_toml_file
from dosing._warn import warn
from dosing.amounts import CANONICAL, DOSE_NUMERATORS, Kind, Measure, classify
from dosing.dose_limits import DOSE_LIMITS
from dosing.errors import (
    NO_VALUE,
    DomainError,
    RegimenError,
    UnitsError,
    UnknownKeyError,
    UnsourcedDefaultWarning,
    show_value,
)
from dosing.references import REFERENCES
from dosing.regimens.days import FRAMES, MAX_ABS_DAY, DayNotationError, parse_days
from dosing.regimens.lines import WeightBands
from dosing.regimens.model import DoseLine, Regimen, sum_course_totals
from dosing.regimens.read_lines import AmountSpec, read_amount, screen_bands
from dosing.regimens.screen import screen_course, screen_line
from dosing.units import DAY, GY, HOUR, is_per_weight, parse_quantity, short
from dosing.vocabulary import AGENTS, canonical_agent, identify, product_of

__all__ = ["load_regimen", "regimen_from_mapping"]

_TOP_FIELDS: Final = {
    "key",
    "name",
    "frame",
    "cycle_length",
    "references",
    "note",
    "totals",
    "dose",
    "setting",
    "intensity",
    "response",
    "population",
}
_DOSE_FIELDS: Final = {
    "agent",
    "amount",
    "per_day",
    "days",
    "total",
    "route",
    "cap",
    "note",
    "unsourced",
    "window",
    "min_interval",
    "product",
    "setting",
    "acknowledge",
    "target_auc",
    "gfr_formula",
    "weight_bands",
    "duration",
    "start",
}
#: Conditioning intensities a template may declare (Bacigalupo et al. 2009 working definitions).
INTENSITIES: Final = ("MAC", "RIC", "NMA")
#: The population a template may be written for: adults (18 years and over) or children.
POPULATIONS: Final = ("adult", "child")
#: The response a later cycle may be for: in complete remission (CR/CRi) or not.
RESPONSES: Final = ("cr", "no-cr")
#: Relative tolerance when checking that doses add up to a declared total.
TOTAL_RTOL: Final = 1e-9
#: Most administrations a line may have per day (a guard against typos such as 20 for 2).
MAX_PER_DAY: Final = 24
#: The longest cycle, window or interval in days: twice the largest |day| (±400) a day may be.
MAX_DURATION_DAYS: Final = 2 * MAX_ABS_DAY
#: Screening bounds on one administration, in the canonical unit of each kind of amount. They
#: catch slips of magnitude (1e6 g/m**2); no source sets them (library convention, documented in
#: docs/safety.md), so they are far above any dose in use.
AMOUNT_BOUNDS: Final[dict[tuple[str, str], float]] = {
    ("bsa", "mass"): 50_000.0,  # mg/m² (50 g/m²)
    ("weight", "mass"): 2_000.0,  # mg/kg
    ("flat", "mass"): 100_000.0,  # mg (100 g)
    ("bsa", "activity"): 1e7,  # IU/m²
    ("weight", "activity"): 1e7,  # IU/kg
    ("flat", "activity"): 1e9,  # IU
    ("radiation", "radiation"): 30.0,  # Gy
}


def load_regimen(path: str | Path) -> Regimen:
    """Read a regimen template from a TOML file.

    User files may leave ``references`` empty; that warns (:class:`~dosing.UnsourcedDefaultWarning`)
    since a protocol without a source cannot be checked.

    Raises
    ------
    RegimenError
        The file cannot be read, is not TOML, or any field is wrong (naming the field).

    Examples
    --------
    >>> import dosing, pathlib, tempfile, warnings
    >>> text = '''
    ... key = "my-mtx"
    ... name = "Methotrexate, my centre"
    ... frame = "transplant"
    ... references = ["storb1986"]
    ... setting = "gvhd-prophylaxis"
    ... [[dose]]
    ... agent = "methotrexate"
    ... amount = "10 mg/m**2"
    ... days = "1, 3, 6"
    ... total = "30 mg/m**2"
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "my-mtx.toml"
    >>> _ = path.write_text(text)
    >>> dosing.load_regimen(path).doses[0].days
    (1, 3, 6)
    """
    if not isinstance(path, str | PathLike):
        raise RegimenError(
            show_value(path), None, "give the path of a TOML file, e.g. 'my.toml'", value=path
        )
    file = Path(path)

    def fail(field: str | None, message: str) -> RegimenError:
        return RegimenError(file, field, message)

    data = read_toml_file(file, fail)
    return _from_mapping(data, str(file), False)


def regimen_from_mapping(
    data: Mapping[str, Any], *, source: str = "<mapping>", require_references: bool = False
) -> Regimen:
    """Build a :class:`Regimen` from a mapping with the template's fields, checking each."""
    return _from_mapping(data, source, require_references)


def _from_mapping(data: Mapping[str, Any], source: str, require_references: bool) -> Regimen:
    """The work of both entry points, one frame below each: a warning about the template points
    at the line that called :func:`load_regimen` or :func:`regimen_from_mapping`."""
    check_size(data, lambda field, message: RegimenError(source, field, message))
    reader = _Reader(source)
    return reader.regimen(data, require_references=require_references)


class _Reader:
    """Validation with the file name at hand for every error."""

    def __init__(self, source: str) -> None:
        self.source = source
        #: A built-in template: references, known agents and named products are required.
        self.strict = False

    def fail(self, field: str | None, message: str, value: object = NO_VALUE) -> RegimenError:
        return RegimenError(self.source, field, message, value=value)

    # -- top level -----------------------------------------------------------------------------

    def regimen(self, data: Mapping[str, Any], *, require_references: bool) -> Regimen:
        if not isinstance(data, Mapping):
            raise self.fail(None, "a template is a TOML table of fields")
        unknown = sorted(set(data) - _TOP_FIELDS)
        if unknown:
            raise self.fail(
                unknown[0],
                f"unknown field; the fields are {', '.join(sorted(_TOP_FIELDS))}",
            )
        key = self.text(data, "key", required=True)
        name = self.text(data, "name", required=True)
        frame = data.get("frame")
        if frame not in FRAMES:
            raise self.fail("frame", f'frame={frame!r}; write frame = "cycle" or "transplant"')
        cycle_length = self.cycle_length(data, frame)
        references = self.references(data, require_references)
        note = self.text(data, "note")
        setting = self.setting(data, "setting", None)
        intensity = self.choice(data, "intensity", INTENSITIES)
        response = self.choice(data, "response", RESPONSES)
        population = self.choice(data, "population", POPULATIONS)
        raw_doses = data.get("dose")
        if not isinstance(raw_doses, list) or not raw_doses:
            raise self.fail("dose", "a template needs at least one [[dose]] table")
        self.strict = require_references
        doses = tuple(
            self.dose(raw, f"dose[{index}]", index, key, frame, cycle_length, setting)
            for index, raw in enumerate(raw_doses)
        )
        self.check_agents(doses)
        screen_course(doses, DOSE_LIMITS, self.fail)
        totals = self.totals(data, doses)
        return Regimen(
            key=key,
            name=name,
            frame=frame,
            doses=doses,
            references=references,
            cycle_length=cycle_length,
            note=note,
            totals=totals,
            source=self.source,
            intensity=intensity,
            response=response,
            population=population,
        )

    def choice(self, data: Mapping[str, Any], field: str, allowed: tuple[str, ...]) -> Any:
        value = data.get(field)
        if value is not None and value not in allowed:
            raise self.fail(
                field, f"{field}={value!r}; write one of {', '.join(map(repr, allowed))}", value
            )
        return value

    def setting(self, data: Mapping[str, Any], label: str, default: str | None) -> str | None:
        value = data.get("setting", default)
        if value is not None and (not isinstance(value, str) or value not in DOSE_LIMITS.settings):
            raise self.fail(
                label,
                f"setting={value!r}; write one of "
                f"{', '.join(map(repr, sorted(DOSE_LIMITS.settings)))} (the uses the dose limits "
                f"know), or leave it out",
                value,
            )
        return value

    def text(
        self,
        data: Mapping[str, Any],
        field: str,
        *,
        required: bool = False,
        where: str | None = None,
    ) -> Any:
        label = f"{where}.{field}" if where else field
        value = data.get(field)
        if value is None:
            if required:
                raise self.fail(label, "missing; it is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(label, f"{field}={value!r} must be a non-empty string")
        return value.strip()

    def cycle_length(self, data: Mapping[str, Any], frame: str) -> int | None:
        raw = data.get("cycle_length")
        if frame == "transplant":
            if raw is not None:
                raise self.fail(
                    "cycle_length", "only a cycle-frame regimen has a cycle length; remove it"
                )
            return None
        if raw is None:
            raise self.fail("cycle_length", 'a cycle-frame regimen needs cycle_length = "21 day"')
        days = self.whole_days(raw, "cycle_length")
        if days < 1:
            raise self.fail("cycle_length", f"cycle_length={raw!r} must be at least 1 day")
        return days

    def whole_days(self, raw: object, label: str) -> int:
        quantity = self.quantity(raw, label, example_unit="day")
        if quantity.dimensionality != DAY.dimensionality:
            raise self.fail(label, f'{label}={raw!r} must be a duration such as "21 day"')
        days = float(quantity.m_as(DAY))
        if not math.isfinite(days) or days != round(days):
            raise self.fail(label, f"{label}={raw!r} must be a whole number of days")
        if abs(days) > MAX_DURATION_DAYS:
            raise self.fail(label, f"{label}={raw!r} is more than {MAX_DURATION_DAYS} days")
        return round(days)

    def references(self, data: Mapping[str, Any], required: bool) -> tuple[str, ...]:
        raw = data.get("references", [])
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise self.fail("references", "references must be a list of citation keys")
        for index, key in enumerate(raw):
            if key not in REFERENCES:
                raise self.fail(
                    f"references[{index}]",
                    f"{key!r} is not in dosing.references.REFERENCES; known keys include "
                    f"{', '.join(sorted(REFERENCES)[:6])}, ...",
                )
        if not raw:
            if required:
                raise self.fail("references", "a built-in regimen must cite its sources")
            warn(
                f"{self.source}: references is empty; a protocol without a source cannot be "
                f"checked against it",
                UnsourcedDefaultWarning,
                stacklevel=5,
            )
        return tuple(raw)

    # -- one [[dose]] --------------------------------------------------------------------------

    def dose(
        self,
        raw: object,
        where: str,
        order: int,
        regimen_key: str,
        frame: str,
        cycle_length: int | None,
        setting: str | None,
    ) -> DoseLine:
        if not isinstance(raw, Mapping):
            raise self.fail(where, "each [[dose]] must be a table")
        unknown = sorted(set(raw) - _DOSE_FIELDS)
        if unknown:
            raise self.fail(
                f"{where}.{unknown[0]}",
                f"unknown field; the fields are {', '.join(sorted(_DOSE_FIELDS))}",
            )
        agent, product, known = self.identity(raw, where)
        spec = read_amount(raw, where, self.fail, lambda: self.plain_amount(raw, where))
        kind, prescribed, amount_value = spec.kind, spec.prescribed, spec.amount_value
        amount_unit, dose_unit = spec.amount_unit, spec.dose_unit
        per_day = raw.get("per_day", 1)
        if (
            isinstance(per_day, bool)
            or not isinstance(per_day, int)
            or not (1 <= per_day <= MAX_PER_DAY)
        ):
            raise self.fail(
                f"{where}.per_day",
                f"per_day={per_day!r} must be a whole number from 1 to {MAX_PER_DAY}",
            )
        if "days" not in raw:
            raise self.fail(f"{where}.days", "missing; it is required")
        try:
            days = parse_days(raw["days"])
        except DayNotationError as exc:
            raise self.fail(f"{where}.days", str(exc), raw["days"]) from None
        self.check_days_in_frame(days, frame, cycle_length, f"{where}.days")
        cap, cap_value = self.cap(raw, where, dose_unit)
        line = DoseLine(
            agent=agent,
            prescribed=prescribed,
            kind=kind,
            amount_value=amount_value,
            amount_unit=amount_unit,
            dose_unit=dose_unit,
            days=days,
            per_day=per_day,
            route=self.text(raw, "route", where=where),
            note=self.text(raw, "note", where=where),
            cap=cap,
            cap_value=cap_value,
            unsourced=self.unsourced(raw, where),
            window=self.window(raw, where),
            min_interval=self.min_interval(raw, where),
            regimen=regimen_key,
            order=order,
            product=product,
            setting=self.setting(raw, f"{where}.setting", setting),
            acknowledge=self.text(raw, "acknowledge", where=where),
            known=known,
            rule=spec.rule,
            duration=self.duration(raw, where),
            start=self.start(raw, where),
        )
        if isinstance(spec.rule, WeightBands):
            self.check_band_bounds(spec.rule, where)
            if not line.acknowledge:
                screen_bands(line, where, self.fail)
        elif kind != "auc":  # a target AUC is screened against its plausible range when read
            screen_line(line, DOSE_LIMITS, where, self.fail)
        if "total" in raw and kind == "band":
            raise self.fail(
                f"{where}.total",
                "a line by weight band has no declared total: it depends on the patient's band",
            )
        if "total" in raw:
            total = self.quantity(raw["total"], f"{where}.total")
            self.check_total(line.course_total, total, f"{where}.total", raw["total"])
            line = replace(line, total=total)
        return line

    def plain_amount(self, raw: Mapping[str, Any], where: str) -> AmountSpec:
        """An ordinary ``amount`` (per m², per kg, flat or Gy), checked."""
        prescribed = self.quantity(raw["amount"], f"{where}.amount")
        kind, measure = self.kind_of(prescribed, f"{where}.amount", raw["amount"])
        amount_unit, dose_unit = CANONICAL[(kind, measure)]
        amount_value = float(prescribed.m_as(amount_unit))
        if not (math.isfinite(amount_value) and amount_value > 0):
            raise self.fail(f"{where}.amount", f"amount={raw['amount']!r} must be positive")
        bound = AMOUNT_BOUNDS[(kind, measure)]
        if amount_value > bound:
            raise self.fail(
                f"{where}.amount",
                f"amount={raw['amount']!r} is more than {bound:g} {short(amount_unit)} per "
                f"administration, the library's screening bound; check the number and its unit",
            )
        return AmountSpec(prescribed, kind, amount_value, amount_unit, dose_unit, None)

    def check_band_bounds(self, bands: WeightBands, where: str) -> None:
        """Each band's amount under the library's screening bound (a slip of magnitude)."""
        for index, band in enumerate(bands.bands):
            kind, measure = classify(band.amount)
            bound = AMOUNT_BOUNDS[(kind, measure)]
            if band.amount_value > bound:
                raise self.fail(
                    f"{where}.weight_bands[{index}].amount",
                    f"{band.amount.magnitude:g} {short(band.amount.units)} is more than "
                    f"{bound:g} {short(CANONICAL[(kind, measure)][0])} per administration, the "
                    f"library's screening bound; check the number and its unit",
                )

    def duration(self, raw: Mapping[str, Any], where: str) -> Any:
        """The infusion duration (``duration = "2 hour"``), positive, at most a day."""
        if "duration" not in raw:
            return None
        label = f"{where}.duration"
        quantity = self.quantity(raw["duration"], label, example_unit="hour")
        if quantity.dimensionality != HOUR.dimensionality:
            raise self.fail(label, f'duration={raw["duration"]!r} must be a time, e.g. "2 hour"')
        hours = float(quantity.m_as(HOUR))
        if not (math.isfinite(hours) and 0 < hours <= 24 / raw.get("per_day", 1)):
            raise self.fail(
                label,
                f"duration={raw['duration']!r} must be positive and fit between two "
                f"administrations of the day",
            )
        return quantity

    def start(self, raw: Mapping[str, Any], where: str) -> Any:
        """When the day's first administration starts after the day's clock origin (``start =
        "1 hour"``: after a 1-hour infusion given first), at least 0, under a day."""
        if "start" not in raw:
            return None
        label = f"{where}.start"
        quantity = self.quantity(raw["start"], label, example_unit="hour")
        if quantity.dimensionality != HOUR.dimensionality:
            raise self.fail(label, f'start={raw["start"]!r} must be a time, e.g. "1 hour"')
        hours = float(quantity.m_as(HOUR))
        if not (math.isfinite(hours) and 0 <= hours < 24 / raw.get("per_day", 1)):
            raise self.fail(
                label,
                f"start={raw['start']!r} must be at least 0 and before the day's next "
                f"administration",
            )
        return quantity

    def identity(self, raw: Mapping[str, Any], where: str) -> tuple[str, str | None, bool]:
        """The line's canonical agent, its product and whether the vocabulary knows it.

        A brand names its product (``"Thymoglobulin"``); ``product = "..."`` names it otherwise,
        and must agree. A built-in template names a known agent, and its product where the
        agent's products are dosed differently.
        """
        name = self.text(raw, "agent", required=True, where=where)
        try:
            identity = identify(name)
        except DomainError as exc:
            raise self.fail(f"{where}.agent", f"{name!r} {exc.reason}; {exc.fix_text}") from None
        product = identity.product
        if "product" in raw:
            if not identity.known:
                raise self.fail(
                    f"{where}.product",
                    f"{name!r} is not in the vocabulary (data/agents.toml), so it has no products",
                )
            try:
                named = product_of(identity.agent, raw["product"])
            except UnknownKeyError as exc:
                raise self.fail(f"{where}.product", str(exc), raw["product"]) from None
            if product is not None and named != product:
                raise self.fail(
                    f"{where}.product",
                    f"product={raw['product']!r} disagrees with the agent {name!r} ({product})",
                )
            product = named
        if self.strict and not identity.known:
            raise self.fail(f"{where}.agent", f"{name!r}: a built-in regimen names a known agent")
        if identity.known and product is None and AGENTS[identity.agent].needs_product:
            products = AGENTS[identity.agent].product_names
            raise self.fail(
                f"{where}.product",
                f"missing: {identity.agent} products are dosed differently "
                f"({', '.join(products)}), so a dose line names its product; write e.g. "
                f'product = "{products[0]}"',
            )
        return identity.agent, product, identity.known

    def quantity(self, raw: object, label: str, example_unit: str = "mg/m**2") -> Any:
        if isinstance(raw, int | float):  # bool is an int too
            raise self.fail(
                label, f'{raw!r} is a bare number; write the unit too, e.g. "{raw} {example_unit}"'
            )
        if not isinstance(raw, str):
            raise self.fail(label, f'{raw!r} must be a string with a unit, e.g. "2 g/m**2"')
        try:
            return parse_quantity(raw)
        except UnitsError as exc:
            raise self.fail(label, str(exc)) from None

    def kind_of(self, amount: Any, label: str, raw: object) -> tuple[Kind, Measure]:
        """Classify an amount by its units (:func:`dosing.amounts.classify`).

        Only the units of clinical doses are accepted: a typo such as ``Mg/m2`` (megagram) or
        ``mg/cm**2`` is refused, never scaled by a million.
        """
        try:
            return classify(amount)
        except UnitsError:
            raise self.fail(
                label,
                f"amount={raw!r}: {short(amount.units)} is not a unit of a clinical dose; write "
                f"µg, mg or g (or IU, kIU, MIU), per m**2 or per kg, or Gy",
                raw,
            ) from None

    def check_days_in_frame(
        self, days: tuple[int, ...], frame: str, cycle_length: int | None, label: str
    ) -> None:
        if frame == "cycle":
            if 0 in days:
                raise self.fail(label, "a cycle has no day 0; cycle days start at day 1")
            negative = [day for day in days if day < 0]
            if negative:
                raise self.fail(label, f"day {negative[0]} is before cycle day 1")
            assert cycle_length is not None
            late = [day for day in days if day > cycle_length]
            if late:
                raise self.fail(
                    label, f"day {late[0]} is after the end of the {cycle_length}-day cycle"
                )

    def cap(self, raw: Mapping[str, Any], where: str, dose_unit: Any) -> tuple[Any, float | None]:
        if "cap" not in raw:
            return None, None
        label = f"{where}.cap"
        cap = self.quantity(raw["cap"], label)
        names = [name for name, power in cap.units._units.items() if power != 0]
        if (
            len(names) != 1
            or names[0] not in DOSE_NUMERATORS
            or cap.dimensionality != dose_unit.dimensionality
            or dose_unit == GY
        ):
            raise self.fail(
                label,
                f"cap={raw['cap']!r} must be a flat amount per administration in the dose's "
                f'units ({short(dose_unit)}), e.g. "2 mg"',
            )
        value = float(cap.m_as(dose_unit))
        if not (math.isfinite(value) and value > 0):
            raise self.fail(label, f"cap={raw['cap']!r} must be positive")
        return cap, value

    def unsourced(self, raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
        value = raw.get("unsourced", [])
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise self.fail(f"{where}.unsourced", "unsourced must be a list of non-empty strings")
        return tuple(item.strip() for item in value)

    def window(self, raw: Mapping[str, Any], where: str) -> int:
        if "window" not in raw:
            return 0
        days = self.whole_days(raw["window"], f"{where}.window")
        if days < 0:
            raise self.fail(f"{where}.window", "window must not be negative")
        return days

    def min_interval(self, raw: Mapping[str, Any], where: str) -> int | None:
        if "min_interval" not in raw:
            return None
        days = self.whole_days(raw["min_interval"], f"{where}.min_interval")
        if days < 1:
            raise self.fail(f"{where}.min_interval", "min_interval must be at least 1 day")
        return days

    def check_total(self, actual: Any, declared: Any, label: str, raw: object) -> None:
        if actual.dimensionality != declared.dimensionality or (
            is_per_weight(actual.units) != is_per_weight(declared.units)
        ):
            raise self.fail(
                label, f"total={raw!r} is not in the units of the amounts ({actual.units:~P})"
            )
        got = float(actual.m_as(declared.units))
        want = float(declared.magnitude)
        if not math.isclose(got, want, rel_tol=TOTAL_RTOL, abs_tol=0.0):
            raise self.fail(
                label,
                f"the doses add up to {got:g} {short(declared.units)}, not the declared {raw}",
            )

    # -- across lines --------------------------------------------------------------------------

    def check_agents(self, doses: tuple[DoseLine, ...]) -> None:
        first: dict[str, DoseLine] = {}
        for index, line in enumerate(doses):
            seen = first.setdefault(line.agent, line)
            if seen.kind != line.kind or seen.dose_unit != line.dose_unit:
                raise self.fail(
                    f"dose[{index}].amount",
                    f"{line.agent} is dosed by {seen.kind} ({short(seen.prescribed.units)}) in "
                    f"an earlier line and by {line.kind} ({short(line.prescribed.units)}) here; "
                    f"one agent needs one kind of amount",
                )
        check_no_same_day_twice(doses, self.fail)

    def totals(self, data: Mapping[str, Any], doses: tuple[DoseLine, ...]) -> dict[str, Any]:
        raw = data.get("totals", {})
        if not isinstance(raw, Mapping):
            raise self.fail("totals", 'totals must be a table: agent = "amount"')
        agents = {line.agent for line in doses}
        out: dict[str, Any] = {}
        for name, value in raw.items():
            label = f"totals.{name}"
            try:
                agent = canonical_agent(name)
            except DomainError as exc:
                raise self.fail(label, f"{exc.reason}; {exc.fix_text}") from None
            if agent not in agents:
                raise self.fail(label, f"no [[dose]] gives {name!r}")
            declared = self.quantity(value, label)
            lines = [line for line in doses if line.agent == agent]
            if any(line.kind == "band" for line in lines):
                raise self.fail(label, f"{name} is dosed by weight band: its total depends on it")
            actual = sum_course_totals(lines)
            self.check_total(actual, declared, label, value)
            out[agent] = declared
        return out


def check_no_same_day_twice(doses: tuple[DoseLine, ...], fail: Any) -> None:
    """Two lines giving one agent on one day is almost always a slip (a doubled dose)."""
    seen: dict[tuple[str, int], int] = {}
    for index, line in enumerate(doses):
        for day in line.days:
            earlier = seen.setdefault((line.agent, day), index)
            if earlier != index:
                raise fail(
                    f"dose[{index}].days",
                    f"{line.agent} is already given on day {day} by dose[{earlier}]"
                    f"{_from(doses[earlier], line)}; for several administrations on one day use "
                    f"per_day",
                )


def _from(earlier: DoseLine, line: DoseLine) -> str:
    if earlier.regimen != line.regimen:
        return f" (regimen {earlier.regimen!r}, combined with {line.regimen!r})"
    return ""
