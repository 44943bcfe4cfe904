"""Dose limits: the most any patient should get of an agent, and its usual range, with sources.

The limits are data (``dosing/data/dose_limits.toml``), one record per number, read once by one
validating loader into :data:`DOSE_LIMITS`. ``dosing.check()`` compares every schedule with them,
and the template loader uses them to refuse a slip where it is written (an amount in g for mg,
per kg for per m², a forgotten ``/m**2``).

Two tiers:

* a **hard** limit is the most any patient should get, per administration, per day, per course or
  over a lifetime; a dose over it is an error;
* a **usual** range is what the sources give; a dose outside it is a warning.

A limit may be for one product (the rabbit ATGs are dosed differently), one setting (methotrexate
for GVHD prophylaxis) or one age group (daunorubicin in children). What is known and deliberately
not checked is recorded as :class:`Unchecked`, with its reason, so that ``check()`` can say why.

An institution with other limits passes its own :class:`LimitTable` to ``dosing.check()``
(:func:`load_limits` reads one from a file in the same format).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from types import MappingProxyType
from typing import Any, Final, Literal

from dosing._data import load_toml
from dosing._limits import check_size, read_toml_file
from dosing._text import given_text
from dosing.amounts import AMOUNT_KINDS, CANONICAL, Kind, classify
from dosing.errors import DomainError, UnitsError
from dosing.references import REFERENCES
from dosing.units import YEAR, parse_quantity
from dosing.vocabulary import AGENTS, canonical_agent

__all__ = [
    "DOSE_LIMITS",
    "PERIODS",
    "DoseLimit",
    "LimitTable",
    "Unchecked",
    "load_limits",
]

Tier = Literal["hard", "usual"]
Period = Literal["administration", "day", "course", "lifetime"]

#: The periods a limit may be for, in order.
PERIODS: Final[tuple[Period, ...]] = ("administration", "day", "course", "lifetime")
_TIERS: Final = ("hard", "usual")


@dataclass(frozen=True, slots=True)
class DoseLimit:
    """One number of the limits table: a hard limit, or one end of a usual range.

    Attributes
    ----------
    agent : str
        Canonical agent name.
    tier : {"hard", "usual"}
        An error over a hard limit; a warning outside a usual range.
    per : {"administration", "day", "course", "lifetime"}
        What the amount is compared with.
    kind : {"bsa", "weight", "flat", "radiation"}
        Per m², per kg, flat or Gy.
    low, high : float or None
        The bounds in :attr:`unit` (a hard limit has only ``high``).
    unit : pint.Unit
        The canonical unit of the kind (mg/m², mg/kg, mg, IU..., Gy).
    product, setting : str or None
        The product and the setting it is for (None: every one).
    age_from, age_below : float or None
        The ages [years] it is for (None: every age).
    references : tuple of str
        Citation keys; empty when the number is the library's own, unsourced choice.
    quote : str
        The words of the source the number comes from.
    unsourced : str
        Why no source settles the number ("" when sourced).
    note : str
        What a pharmacist should know about it.
    """

    agent: str
    tier: Tier
    per: Period
    kind: Kind
    low: float | None
    high: float | None
    unit: Any
    product: str | None = None
    setting: str | None = None
    age_from: float | None = None
    age_below: float | None = None
    references: tuple[str, ...] = ()
    quote: str = ""
    unsourced: str = ""
    note: str = ""

    @property
    def sources(self) -> str:
        """``[key, key]`` for a message, or ``[unsourced]``."""
        return f"[{', '.join(self.references)}]" if self.references else "[unsourced]"

    def amount_text(self, value: float | None) -> str:
        """A bound as written: ``200 mg/m²``."""
        assert value is not None
        return given_text(value, self.unit)

    def describe(self) -> str:
        """``hard limit of 200 mg/m² per course`` or ``usual range 16-100 mg/m² per day``."""
        period = "lifetime" if self.per == "lifetime" else f"per {self.per}"
        if self.tier == "hard":
            return f"hard limit of {self.amount_text(self.high)} {period}"
        if self.low is not None and self.high is not None:
            shown = f"{given_text(self.low, self.unit).split()[0]}–{self.amount_text(self.high)}"
        elif self.low is not None:
            shown = f"at least {self.amount_text(self.low)}"
        else:
            shown = f"at most {self.amount_text(self.high)}"
        return f"usual range {shown} {period}"

    def for_age(self, age_years: float | None) -> bool | None:
        """Whether the limit is for a patient of this age; None when the age is unknown."""
        if self.age_from is None and self.age_below is None:
            return True
        if age_years is None:
            return None
        if self.age_from is not None and age_years < self.age_from:
            return False
        return not (self.age_below is not None and age_years >= self.age_below)


@dataclass(frozen=True, slots=True)
class Unchecked:
    """Something known and deliberately not checked, and why (an agent, product, setting, kind)."""

    agent: str
    why: str
    product: str | None = None
    setting: str | None = None
    kind: Kind | None = None


@dataclass(frozen=True, slots=True)
class LimitTable:
    """A table of dose limits: every number by agent, what is not checked, and the settings."""

    limits: Mapping[str, tuple[DoseLimit, ...]]
    unchecked: Mapping[str, tuple[Unchecked, ...]]
    settings: Mapping[str, str]
    source: str = "<packaged>"
    #: Settings the limits without a setting do not apply to (intrathecal: a systemic limit says
    #: nothing of an intrathecal dose).
    separate: frozenset[str] = frozenset()
    #: Agents whose lines must say their setting, with why (their doses span settings so far
    #: apart that no limit can tell a slip without it).
    requires_setting: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: A dose more than this many times the top of a usual range is an error in ``check()`` and
    #: refused at load (a convention of this library, unsourced).
    error_above_usual: float = 2.0

    def applies(
        self, limit: DoseLimit | Unchecked, product: str | None, setting: str | None
    ) -> bool:
        """Whether ``limit`` is for a line of this product and setting."""
        if limit.product is not None and limit.product != product:
            return False
        if limit.setting is None:
            return setting not in self.separate
        return limit.setting == setting

    def for_agent(self, agent: str) -> tuple[DoseLimit, ...]:
        """Every limit of ``agent`` (canonical name), of every product, setting and age."""
        return self.limits.get(agent, ())

    def unchecked_for(self, agent: str) -> tuple[Unchecked, ...]:
        """What is recorded as not checked for ``agent``."""
        return self.unchecked.get(agent, ())

    def kinds(
        self, agent: str, product: str | None = None, setting: str | None = None
    ) -> frozenset[str]:
        """The kinds of amount ``agent`` is known in, for a line of this product and setting:
        those of its limits and unchecked records that apply to it.

        A product that is not checked does not open every kind for the products that are, nor
        an intrathecal record for a systemic line.
        """
        kinds: set[str] = {
            limit.kind for limit in self.for_agent(agent) if self.applies(limit, product, setting)
        }
        for record in self.unchecked_for(agent):
            if not self.applies(record, product, setting):
                continue
            if record.kind is None:  # not checked in any kind: every kind is in use
                kinds.update(AMOUNT_KINDS)
            else:
                kinds.add(record.kind)
        return frozenset(kinds)

    def knows(self, agent: str) -> bool:
        """Whether the table has anything on ``agent`` (a limit or an unchecked record)."""
        return agent in self.limits or agent in self.unchecked


_LIMIT_FIELDS: Final = {
    "agent",
    "product",
    "setting",
    "tier",
    "per",
    "amount",
    "low",
    "high",
    "age_from",
    "age_below",
    "references",
    "quote",
    "unsourced",
    "note",
}
_UNCHECKED_FIELDS: Final = {"agent", "product", "setting", "kind", "why"}


class _RefusalError(ValueError):
    """A wrong limits file: one message naming the record and the field."""


def _read(data: Mapping[str, Any], source: str) -> LimitTable:
    def fail(where: str, message: str) -> _RefusalError:
        return _RefusalError(f"{source}: {where}: {message}")

    settings = data.get("settings", {})
    if not isinstance(settings, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in settings.items()
    ):
        raise fail("settings", "a table of setting = description")
    known_top = {
        "settings",
        "separate_settings",
        "requires_setting",
        "error_above_usual",
        "limit",
        "unchecked",
    }
    unknown_top = set(data) - known_top
    if unknown_top:
        raise fail(
            sorted(unknown_top)[0], f"unknown table; the tables are {', '.join(sorted(known_top))}"
        )
    separate = data.get("separate_settings", [])
    if not isinstance(separate, list) or not all(
        isinstance(name, str) and name in settings for name in separate
    ):
        raise fail("separate_settings", f"a list of settings, each one of {sorted(settings)}")
    factor = data.get("error_above_usual", 2.0)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 1:
        raise fail("error_above_usual", "a number above 1 (how many times a usual top is an error)")
    requires = data.get("requires_setting", {})
    if not isinstance(requires, Mapping) or not all(
        isinstance(why, str)
        and isinstance(name, str)
        and name.strip()
        and canonical_agent(name) in AGENTS
        for name, why in requires.items()
    ):
        raise fail("requires_setting", "a table of agent = why its lines must name a setting")
    for table in ("limit", "unchecked"):
        if not isinstance(data.get(table, []), list):
            raise fail(table, f"write [[{table}]] tables")
    limits: dict[str, list[DoseLimit]] = {}
    for index, raw in enumerate(data.get("limit", [])):
        limit = _limit(raw, f"limit[{index}]", settings, fail)
        limits.setdefault(limit.agent, []).append(limit)
    unchecked: dict[str, list[Unchecked]] = {}
    for index, raw in enumerate(data.get("unchecked", [])):
        record = _unchecked(raw, f"unchecked[{index}]", settings, fail)
        unchecked.setdefault(record.agent, []).append(record)
    return LimitTable(
        limits=MappingProxyType({k: tuple(v) for k, v in limits.items()}),
        unchecked=MappingProxyType({k: tuple(v) for k, v in unchecked.items()}),
        settings=MappingProxyType(dict(settings)),
        source=source,
        separate=frozenset(separate),
        error_above_usual=float(factor),
        requires_setting=MappingProxyType(
            {canonical_agent(name): " ".join(why.split()) for name, why in requires.items()}
        ),
    )


def _agent(raw: Mapping[str, Any], where: str, fail: Any) -> tuple[str, str | None]:
    name = raw.get("agent")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"{where}.agent", "missing; give the agent's canonical name")
    agent = canonical_agent(name)
    if agent not in AGENTS:
        raise fail(f"{where}.agent", f"{name!r} is not in data/agents.toml")
    product = raw.get("product")
    if product is not None:
        known = AGENTS[agent].product_names
        if not isinstance(product, str) or product not in known:
            raise fail(f"{where}.product", f"{product!r} is not a product of {agent}: {known}")
    return agent, product


def _setting(raw: Mapping[str, Any], where: str, settings: Mapping[str, str], fail: Any) -> Any:
    setting = raw.get("setting")
    if setting is not None and (not isinstance(setting, str) or setting not in settings):
        raise fail(f"{where}.setting", f"{setting!r} is not one of {sorted(settings)}")
    return setting


def _limit(raw: Mapping[str, Any], where: str, settings: Mapping[str, str], fail: Any) -> DoseLimit:
    if not isinstance(raw, Mapping):
        raise fail(where, "each [[limit]] is a table")
    unknown = set(raw) - _LIMIT_FIELDS
    if unknown:
        raise fail(f"{where}.{sorted(unknown)[0]}", "unknown field")
    agent, product = _agent(raw, where, fail)
    tier, per = raw.get("tier"), raw.get("per")
    if tier not in _TIERS:
        raise fail(f"{where}.tier", f"{tier!r}: write 'hard' or 'usual'")
    if per not in PERIODS:
        raise fail(f"{where}.per", f"{per!r}: write one of {', '.join(PERIODS)}")
    names = ("amount",) if tier == "hard" else ("low", "high")
    wrong = [name for name in ("amount", "low", "high") if name in raw and name not in names]
    if wrong or not any(name in raw for name in names):
        raise fail(where, f"a {tier} limit has {' and/or '.join(names)}")
    kind = unit = None
    bounds: dict[str, float] = {}
    for name in names:
        if name not in raw:
            continue
        try:
            quantity = parse_quantity(raw[name])
            this_kind, measure = classify(quantity)
        except (UnitsError, TypeError) as exc:
            raise fail(f"{where}.{name}", f"{raw[name]!r}: {exc}") from None
        this_unit = CANONICAL[(this_kind, measure)][0]
        if kind is not None and (this_kind, this_unit) != (kind, unit):
            raise fail(f"{where}.{name}", "low and high must be in the same kind of amount")
        kind, unit = this_kind, this_unit
        value = float(quantity.m_as(this_unit))
        if not (math.isfinite(value) and value > 0):
            raise fail(f"{where}.{name}", "must be positive")
        bounds[name] = value
    low = bounds.get("low")
    high = bounds.get("amount", bounds.get("high"))
    if low is not None and high is not None and low > high:
        raise fail(where, "low is above high")
    references = raw.get("references", [])
    unsourced = raw.get("unsourced", "")
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise fail(f"{where}.references", "a list of citation keys")
    for key in references:
        if key not in REFERENCES:
            raise fail(f"{where}.references", f"{key!r} is not in data/references.toml")
    if bool(references) == bool(unsourced):
        raise fail(where, "give references (with a quote) or unsourced (why), not both or neither")
    if references and not raw.get("quote"):
        raise fail(f"{where}.quote", "a sourced number quotes its source")
    ages = {}
    for name in ("age_from", "age_below"):
        if name in raw:
            try:
                ages[name] = float(parse_quantity(raw[name]).m_as(YEAR))
            except (UnitsError, TypeError, AttributeError) as exc:
                raise fail(f"{where}.{name}", f"{raw[name]!r}: {exc}") from None
    assert kind is not None
    return DoseLimit(
        agent=agent,
        tier=tier,
        per=per,
        kind=kind,
        low=low,
        high=high,
        unit=unit,
        product=product,
        setting=_setting(raw, where, settings, fail),
        age_from=ages.get("age_from"),
        age_below=ages.get("age_below"),
        references=tuple(references),
        quote=" ".join(str(raw.get("quote", "")).split()),
        unsourced=" ".join(str(unsourced).split()),
        note=" ".join(str(raw.get("note", "")).split()),
    )


def _unchecked(
    raw: Mapping[str, Any], where: str, settings: Mapping[str, str], fail: Any
) -> Unchecked:
    if not isinstance(raw, Mapping):
        raise fail(where, "each [[unchecked]] is a table")
    unknown = set(raw) - _UNCHECKED_FIELDS
    if unknown:
        raise fail(f"{where}.{sorted(unknown)[0]}", "unknown field")
    agent, product = _agent(raw, where, fail)
    why = raw.get("why")
    if not isinstance(why, str) or not why.strip():
        raise fail(f"{where}.why", "say why it is not checked")
    kind = raw.get("kind")
    if kind is not None and (not isinstance(kind, str) or kind not in AMOUNT_KINDS):
        raise fail(f"{where}.kind", f"{kind!r}: write one of {', '.join(AMOUNT_KINDS)}")
    return Unchecked(
        agent=agent,
        why=" ".join(why.split()),
        product=product,
        setting=_setting(raw, where, settings, fail),
        kind=raw.get("kind"),  # checked against KIND_WORDS above
    )


def load_limits(path: str | PathLike[str]) -> LimitTable:
    """Read a limits table from a TOML file in the format of ``data/dose_limits.toml``.

    Raises
    ------
    DomainError
        The file cannot be read, or a record is wrong (naming the record and the field).
    """
    if not isinstance(path, str | PathLike):
        raise DomainError("must be the path of a TOML file", argument="path", value=path)

    def refuse(field: str | None, message: str) -> DomainError:
        where = f"{path}: {field}: " if field else f"{path}: cannot be read: "
        return DomainError(
            message,
            argument="path",
            value=str(path),
            message=f"path={str(path)!r}: {where}{message}",
        )

    data = read_toml_file(path, refuse)
    check_size(data, refuse)
    try:
        return _read(data, str(path))
    except _RefusalError as exc:
        raise DomainError(str(exc), argument="path", value=str(path), message=str(exc)) from None


def _packaged() -> LimitTable:
    return _read(load_toml("data/dose_limits.toml"), "data/dose_limits.toml")


#: The packaged limits (read-only), used by ``dosing.check()`` unless it is given others.
DOSE_LIMITS: Final = _packaged()
