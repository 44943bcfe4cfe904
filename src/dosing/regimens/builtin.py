"""The built-in catalogue (``regimens/catalogue/*.toml``) and combining regimens.

Each built-in protocol is one TOML file with its references; the catalogue is read lazily, once
per key, and the same frozen :class:`~dosing.Regimen` is returned on every lookup.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from importlib import resources

from dosing._data import load_toml
from dosing.errors import RegimenError, show_value
from dosing.regimens.loader import check_no_same_day_twice, regimen_from_mapping
from dosing.regimens.model import DoseLine, Regimen
from dosing.registry import Registry

__all__ = ["REGIMENS", "combine", "get_regimen", "regimen_keys"]

_FOLDER = "regimens/catalogue"


def _load(key: str) -> Regimen:
    """Read and check the catalogue file of ``key`` (once, on its first lookup)."""
    source = f"<catalogue:{key}>"
    data = load_toml(f"{_FOLDER}/{key}.toml")
    regimen = regimen_from_mapping(data, source=source, require_references=True)
    if regimen.key != key:  # pragma: no cover  (a packaging slip, caught by the tests)
        raise RegimenError(source, "key", f"the file is named {key!r} but says {regimen.key!r}")
    return regimen


#: Read-only: the built-in regimens by key (lower case; a key in other case finds its regimen).
#: Each template file is read on the first lookup of its key.
REGIMENS: Registry[Regimen] = Registry("regimen", name="REGIMENS", normalise=str.lower)
for _name in sorted(
    item.name.removesuffix(".toml")
    for item in resources.files("dosing").joinpath(_FOLDER).iterdir()
    if item.name.endswith(".toml")
):
    REGIMENS.register_lazy(_name, partial(_load, _name))


def regimen_keys() -> tuple[str, ...]:
    """The keys of the built-in regimens, sorted.

    Examples
    --------
    >>> import dosing
    >>> dosing.regimen_keys()[:3]
    ('bu-cy4-paediatric-eu', 'flu-arac-mel-ric', 'flu-bu2-eu')
    """
    return tuple(REGIMENS)


def get_regimen(key: str) -> Regimen:
    """A built-in regimen by key; an unknown key lists the built-in keys.

    Keys are lower case; ``"Flu-AraC-Mel-RIC"`` finds the same regimen. The same frozen
    :class:`~dosing.Regimen` is returned on every lookup.

    Examples
    --------
    >>> import dosing
    >>> dosing.get_regimen("gvhd-mtx-standard").frame
    'transplant'
    """
    return REGIMENS[key]


def combine(*regimens: Regimen, key: str | None = None, name: str | None = None) -> Regimen:
    """Put several regimens of one frame on one calendar, as one :class:`~dosing.Regimen`.

    The seed's transplant is ``combine(ric, atg, mtx)``: conditioning, rabbit ATG and
    methotrexate around one day 0. Every line keeps the key of the regimen it came from.

    Raises
    ------
    RegimenError
        Regimens of different frames (cycle and transplant days cannot share a calendar), cycles
        of different lengths, or one agent given on the same day by two regimens (almost always
        a doubled dose).

    Examples
    --------
    >>> import dosing
    >>> plan = dosing.combine(dosing.get_regimen("flu-arac-mel-ric"),
    ...                       dosing.get_regimen("rabbit-atg"),
    ...                       dosing.get_regimen("gvhd-mtx-standard"))
    >>> plan.key, plan.agents
    ('flu-arac-mel-ric+rabbit-atg+gvhd-mtx-standard', ('fludarabine', 'cytarabine', \
'melphalan', 'anti-thymocyte globulin (rabbit)', 'methotrexate'))
    """
    if not regimens:
        raise RegimenError("<combine>", None, "give at least one regimen")
    for index, regimen in enumerate(regimens):
        if not isinstance(regimen, Regimen):
            raise RegimenError(
                "<combine>", f"regimens[{index}]", f"{show_value(regimen)} is not a dosing.Regimen"
            )
    first = regimens[0]
    for regimen in regimens[1:]:
        if regimen.frame != first.frame:
            raise RegimenError(
                "<combine>",
                "frame",
                f"{first.key!r} counts {first.frame} days and {regimen.key!r} counts "
                f"{regimen.frame} days; only regimens of one frame share a calendar",
            )
        if regimen.cycle_length != first.cycle_length:
            raise RegimenError(
                "<combine>",
                "cycle_length",
                f"{first.key!r} has a {first.cycle_length}-day cycle and {regimen.key!r} a "
                f"{regimen.cycle_length}-day cycle",
            )
    combined_key = key or "+".join(r.key for r in regimens)
    lines: list[DoseLine] = []
    for regimen in regimens:
        for line in regimen.doses:
            lines.append(replace(line, order=len(lines)))
    doses = tuple(lines)

    def fail(field: str | None, message: str) -> RegimenError:
        return RegimenError("<combine>", field, message)

    check_no_same_day_twice(doses, fail)
    notes = [f"{r.key}: {r.note}" for r in regimens if r.note]
    totals: dict[str, object] = {}
    for regimen in regimens:
        for agent, total in regimen.totals.items():
            if agent in totals:
                # The same agent in two regimens: the per-regimen totals no longer apply.
                totals.pop(agent)
            else:
                totals[agent] = total
    return Regimen(
        key=combined_key,
        name=name or " + ".join(r.name for r in regimens),
        frame=first.frame,
        doses=doses,
        references=tuple(dict.fromkeys(ref for r in regimens for ref in r.references)),
        cycle_length=first.cycle_length,
        note="\n".join(notes) or None,
        totals=totals,
        source="<combine:" + ",".join(r.source for r in regimens) + ">",
    )
