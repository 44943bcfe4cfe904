"""The shared words of :mod:`dosing`: agent names and the flags a dose can carry.

Everything that names an agent (templates, policies, limits, renal tables, the command line)
matches it through :func:`canonical_agent`, and everything that flags a dose uses a name from
:data:`FLAGS`, so that no module spells either on its own.

Each flag is declared by the policy step that sets it, next to that step
(:func:`dosing.policy.steps.pipeline_step`), into :data:`FLAGS` here, where every module may
read it: flag name -> its meaning, in the order of the steps.
"""

from __future__ import annotations

from typing import Final

from dosing.errors import DomainError, Example
from dosing.registry import Registry

__all__ = ["ALL_AGENTS", "FLAGS", "canonical_agent"]

#: The key that applies a per-agent policy setting to every agent.
ALL_AGENTS: Final = "*"

#: Every flag a row can carry, and what it means, in the order of the steps that set them.
FLAGS: Registry[str] = Registry("flag", name="FLAGS")


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
