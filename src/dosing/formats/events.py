"""An event table for pharmacokinetic tools: NONMEM / rxode2-style dosing records.

One row per administration (per patient for a cohort), sorted by patient and time:

=========  ===============================================================================
column     meaning
=========  ===============================================================================
``ID``     the patient: 1 for one patient, 1..n for a cohort
``TIME``   hours from the first administration of the whole schedule (every agent), also
           when ``agent=`` picks one drug
``AMT``    the dose [mg] after every policy step (0 for a dose withheld by a renal table)
``DUR``    infusion duration [h] where the template gives it (``duration``); NaN otherwise
``RATE``   AMT ÷ DUR [mg/h]; NaN where the duration is not known (never 0: not a bolus)
``EVID``   1 (a dosing event)
``CMT``    1 (the dosing compartment of the one drug the table holds)
``DAY``    the day in the regimen's frame; ``AGENT`` the canonical agent name
covariates ``WT`` [kg], ``HT`` [cm], ``BSA`` [m², the BSA the doses used], ``AGE`` [years],
           ``SEX`` (1 male, 0 female), ``SCR`` [mg/dL], ``GFR`` [mL/min, the GFR of a dose by
           target AUC as obtained, before a floor or cap]: those the patient has
=========  ===============================================================================

**The clock.** Times assume what a template can say: every day's clock origin at the same
time (TIME 0 is day one's), a line's first administration of a day at that origin plus its
``start`` (``start = "1 hour"``: after another drug's 1-hour infusion; 0 where the template gives
none), and the ``per_day`` administrations of a day evenly spaced (every 6 hours for 4 a day).
Times are a plan, not a record: real clock times come from the administration record.

**One drug per table.** An event table for a pharmacokinetic model holds one drug: with two or
more drugs in mass units the table is refused unless ``agent=`` picks one (every drug in one
compartment and one ID would sum amounts of different drugs). Only doses in mass units are
written: a schedule with radiation (Gy) or activity (IU) doses raises unless ``agent=`` picks the
drug to model. Requires the ``pandas`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing.errors import DomainError, safe_repr
from dosing.formats._registry import register_format
from dosing.units import DAY, HOUR, MG, Q_
from dosing.vocabulary import canonical_agent

if TYPE_CHECKING:
    from dosing.schedule import Schedule

__all__ = ["to_events"]

_HOURS_PER_DAY: Final = float(Q_(1.0, DAY).m_as(HOUR))


@register_format(
    "events",
    description="a NONMEM/rxode2-style event table (ID, TIME, AMT, DUR, RATE, EVID, CMT, ...)",
    text=False,
)
def to_events(schedule: Schedule, agent: str | None = None) -> Any:
    """The planned administrations as a pandas DataFrame of dosing events (see the module).

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> child = dosing.Patient(height=Q_(110, "cm"), weight=Q_(18, "kg"), age=Q_(5, "year"))
    >>> plan = dosing.get_regimen("bu-cy4-paediatric-eu").expand(child)
    >>> events = plan.to_events(agent="busulfan")
    >>> print(events[["ID", "TIME", "AMT", "DUR", "RATE", "EVID"]].head(3).to_string(index=False))
     ID  TIME  AMT  DUR  RATE  EVID
      1   0.0 19.8  2.0   9.9     1
      1   6.0 19.8  2.0   9.9     1
      1  12.0 19.8  2.0   9.9     1
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover  (the pandas extra is installed in CI)
        raise ImportError(
            "Schedule.to_events() needs pandas: pip install 'dosing[pandas]'"
        ) from None
    rows = list(schedule.rows)
    if agent is not None:
        wanted = canonical_agent(agent)
        rows = [row for row in rows if row.agent == wanted]
        if not rows:
            raise DomainError(
                f"is not given in {schedule.regimen.key}",
                argument="agent",
                value=agent,
                shown=safe_repr(agent),
                fix=f"use one of {', '.join(map(repr, schedule.agents))}",
            )
    masses = sorted({row.agent for row in rows if row.unit.dimensionality == MG.dimensionality})
    if agent is None and len(masses) > 1:
        raise DomainError(
            f"is needed: {schedule.regimen.key} gives {len(masses)} drugs "
            f"({', '.join(masses)}), and an event table holds one (one compartment, one ID)",
            argument="agent",
            value=None,
            fix=f"pick the drug to model, to_events(agent={masses[0]!r}), one table per drug",
        )
    others = sorted({row.agent for row in rows if row.unit.dimensionality != MG.dimensionality})
    if others:
        raise DomainError(
            f"has doses that are not a mass ({', '.join(others)}), which an event table of "
            f"amounts in mg cannot hold",
            argument="schedule",
            value=schedule.regimen.key,
            shown=safe_repr(schedule.regimen.key),
            fix="pick the drug to model with to_events(agent=...)",
        )
    patient = schedule.patient
    count = int(np.prod(patient.shape)) if patient.is_cohort else 1
    # The origin is the schedule's first administration, of any agent (the module's clock).
    first = min(row.day for row in schedule.rows)
    times = np.array(
        [
            (row.day - first) * _HOURS_PER_DAY
            + _start_hours(row)
            + (row.administration - 1) * _HOURS_PER_DAY / row.per_day
            for row in rows
        ]
    )
    durations = np.array(
        [
            np.nan
            if row.result.line.duration is None
            else float(row.result.line.duration.m_as(HOUR))
            for row in rows
        ]
    )

    def per_patient(values: Any) -> Any:
        return np.broadcast_to(np.asarray(values, dtype=float), patient.shape).reshape(count)

    amounts = np.stack([per_patient(row.result.dose) for row in rows]) if rows else np.empty(0)
    columns: dict[str, Any] = {
        "ID": np.repeat(np.arange(1, count + 1), len(rows)),
        "TIME": np.tile(times, count),
        "AMT": amounts.T.ravel(),
        "DUR": np.tile(durations, count),
    }
    with np.errstate(invalid="ignore"):
        columns["RATE"] = columns["AMT"] / columns["DUR"]
    columns["EVID"] = np.ones(count * len(rows), dtype=int)
    columns["CMT"] = np.ones(count * len(rows), dtype=int)
    columns["DAY"] = np.tile(np.array([row.day for row in rows]), count)
    columns["AGENT"] = np.tile(np.array([row.agent for row in rows], dtype=object), count)
    for name, values in _covariates(schedule, rows).items():
        columns[name] = np.repeat(per_patient(values), len(rows))
    frame = pd.DataFrame(columns)
    return frame.sort_values(["ID", "TIME"], kind="stable").reset_index(drop=True)


def _start_hours(row: Any) -> float:
    start = row.result.line.start
    return 0.0 if start is None else float(start.m_as(HOUR))


def _covariates(schedule: Schedule, rows: list[Any]) -> dict[str, Any]:
    values = schedule.patient.magnitudes
    out: dict[str, Any] = {}
    for name, value in (
        ("WT", values.weight_kg),
        ("HT", values.height_cm),
        ("BSA", None if schedule.bsa is None else schedule.bsa.value),
        ("AGE", values.age_years),
        ("SCR", values.serum_creatinine_mg_dl),
    ):
        if value is not None:
            out[name] = value
    sex = schedule.patient.sex
    if sex is not None:
        out["SEX"] = np.where(np.asarray(sex) == "male", 1.0, 0.0)
    gfr = next((row.basis.value for row in rows if row.basis.kind == "gfr"), None)
    if gfr is not None:
        out["GFR"] = gfr
    return out
