"""The course rules and check thresholds, read once from ``dosing/data/course_rules.toml``."""

from __future__ import annotations

from typing import Final

from dosing._data import load_toml

__all__ = ["FAR_ABOVE_USUAL", "ROUNDING_WARNING", "RULES"]

#: Every rule of the data file, as read.
RULES: Final = load_toml("data/course_rules.toml")
#: A rounding that moved a dose by more than this fraction is a warning (convention, unsourced).
ROUNDING_WARNING: Final = float(RULES["rounding"]["warn_above"])
#: A dose more than this many times the top of a usual range is an error, not a warning
#: (convention, unsourced): no usual range is a hard limit, but twice its top is an overdose to
#: stop at, not to read past.
FAR_ABOVE_USUAL: Final = float(RULES["usual"]["error_above"])
