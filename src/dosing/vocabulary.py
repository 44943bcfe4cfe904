"""The shared words of :mod:`dosing`: agent names and the flags a dose can carry.

Everything that names an agent (templates, policies, limits, renal tables, the command line)
matches it through :func:`canonical_agent`, and everything that flags a dose uses a name from
:data:`FLAGS`, so that no module spells either on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from dosing.errors import DomainError, Example

__all__ = ["ALL_AGENTS", "FLAGS", "FLAG_MEANINGS", "canonical_agent"]

#: The key that applies a per-agent policy setting to every agent.
ALL_AGENTS: Final = "*"

#: Every flag a row can carry, in the order of the policy steps that set them, with its meaning.
FLAG_MEANINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "bsa_capped": "a per-m² dose computed on the policy's BSA cap instead of the patient's BSA",
        "dosing_weight": "a per-kg dose computed on ideal or adjusted body weight, not actual",
        "infant_rule": "a per-m² amount given per kg by the policy's infant rule",
        "reduced": "a fraction of the full dose, by the policy's dose factor",
        "renal_adjusted": "changed by a renal dose-adjustment table",
        "withheld": "not to be given (dose 0) by a renal dose-adjustment table",
        "dose_capped": "limited by the template's cap per administration",
        "rounded": "rounded half-up to the policy's increment",
    }
)

#: Every flag a row can carry, and nothing else.
FLAGS: Final = tuple(FLAG_MEANINGS)


def canonical_agent(name: object) -> str:
    """The form agent names are stored and matched in: lower case, single spaces.

    Examples
    --------
    >>> canonical_agent("  Anti-Thymocyte  Globulin (Rabbit) ")
    'anti-thymocyte globulin (rabbit)'
    """
    if not isinstance(name, str) or not name.strip():
        raise DomainError(
            "must be an agent's name",
            argument="agent",
            value=name,
            fix=Example({"agent": "melphalan"}),
        )
    return " ".join(name.split()).casefold()
