"""Regimens: protocols written as data, expanded into every dose on every day."""

from dosing.regimens.builtin import combine, get_regimen, regimen_keys
from dosing.regimens.loader import load_regimen
from dosing.regimens.model import DoseLine, Regimen
from dosing.regimens.schedule import Basis, Row, Schedule

__all__ = [
    "Basis",
    "DoseLine",
    "Regimen",
    "Row",
    "Schedule",
    "combine",
    "get_regimen",
    "load_regimen",
    "regimen_keys",
]
