"""Weight bands at expansion: the band each patient is in, and the line it makes.

A template line by weight band (:mod:`dosing.regimens.lines`) is resolved for the patient when a
regimen is expanded: the patient's actual body weight picks the band (edges as the source gives
them), and the line becomes an ordinary per-kg (or flat) line of that band's amount, whose
``rule`` is the band, so that the row's basis names it. Everything downstream (policy steps,
limits, output) sees an ordinary line.

A cohort is resolved when every patient falls in one band; patients in different bands are
refused (expand each band's patients apart), as is a weight outside every band.

**The band's weight is the dose's weight.** A band is chosen on actual body weight (the EU label's
"Actual body weight (kg)") and its per-kg amount is multiplied by actual body weight. A policy
that would multiply it by another weight (``Policy(dosing_weight={"busulfan": "ideal"})``, or
``"*"``) is refused for a line by weight band: choosing the band on one weight and dosing on
another mixes two rules no source gives. Name the agent ``"actual"`` in the policy to dose it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from dosing._arrays import is_lazy
from dosing.errors import DomainError, Example, safe_repr
from dosing.regimens.lines import WeightBand, WeightBands
from dosing.regimens.read_lines import with_band
from dosing.units import Q_

if TYPE_CHECKING:
    from dosing.patient import Patient
    from dosing.policy.policy import Policy
    from dosing.regimens.model import DoseLine

__all__ = ["band_note", "resolve_band"]


def resolve_band(line: DoseLine, patient: Patient, policy: Policy) -> DoseLine:
    """``line`` as the per-kg (or flat) line of ``patient``'s band; any other line unchanged.

    A policy (the expansion's, default or not) whose dosing weight for the agent is not actual
    body weight is refused (the band is chosen on actual weight: see the module)."""
    if not isinstance(line.rule, WeightBands) or line.kind != "band":
        return line
    table = line.rule
    choice = policy.weight_for(line.agent)
    if choice.kind != "actual" and with_band(line, table.bands[0]).kind == "weight":
        raise DomainError(
            f"doses {line.agent} by {choice.describe()}, but {line.agent} is dosed by "
            f"actual-weight band ({table.describe()}): the band is chosen on actual body "
            f"weight, and its amount is for actual body weight",
            argument=f"dosing_weight[{line.agent!r}]",
            value=choice.describe(),
            shown=safe_repr(choice.describe()),
            fix=f"dose {line.agent} on actual body weight: dosing_weight={{..., "
            f"{line.agent!r}: 'actual'}}",
        )
    weight = patient.magnitudes.weight_kg
    if weight is None:
        raise DomainError(
            f"is needed: {line.agent} is dosed by actual-weight band ({table.describe()})",
            argument="weight",
            value=None,
            fix=Example({"weight": Q_(20, "kg")}, call="Patient", verb="give"),
        )
    if is_lazy(weight):
        raise DomainError(
            f"is a lazy array: {line.agent} is dosed by weight band, and the band of each "
            f"patient must be known to build the schedule",
            argument="weight",
            value=None,
            fix="compute the weights first (weight.compute()), or group patients by band",
        )
    index = np.atleast_1d(table.index(weight))
    if np.any(index < 0):
        outside = float(np.atleast_1d(weight)[index < 0][0])
        raise DomainError(
            f"{outside:g} kg is in no weight band of {line.agent} ({table.describe()})",
            argument="weight",
            value=outside,
            shown=f"{outside:g} kg",
            fix="check the weight, or add a band for it to the template",
        )
    chosen = np.unique(index)
    if chosen.size > 1:
        names = ", ".join(table.bands[int(i)].describe() for i in chosen)
        raise DomainError(
            f"spans several weight bands of {line.agent} ({names})",
            argument="patient",
            value=None,
            shown="a cohort",
            fix="expand each band's patients apart (dosing.regimens.lines.WeightBands.index "
            "gives each patient's band)",
        )
    band = table.bands[int(chosen[0])]
    return replace(with_band(line, band), rule=band)


def band_note(line: DoseLine) -> str:
    """``weight band 16 to 23 kg (actual body weight): 1.1 mg/kg``."""
    band = line.rule
    assert isinstance(band, WeightBand)
    return (
        f"weight band {band.describe()} (actual body weight): "
        f"{band.amount.magnitude:g} {band.amount.units:~P}"
    )
