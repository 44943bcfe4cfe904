"""The course rules and check thresholds, read once from ``dosing/data/course_rules.toml``."""

from __future__ import annotations

from typing import Final

from dosing._data import load_toml

__all__ = ["ROUNDING_WARNING", "RULES"]

#: Every rule of the data file, as read.
RULES: Final = load_toml("data/course_rules.toml")
#: A rounding that moved a dose by more than this fraction is a warning (convention, unsourced).
ROUNDING_WARNING: Final = float(RULES["rounding"]["warn_above"])
