"""Regimens: protocols written as data (day notation, the model, the loader, the catalogue)."""

from dosing.regimens.builtin import REGIMENS, combine, get_regimen, regimen_keys
from dosing.regimens.loader import load_regimen
from dosing.regimens.model import DoseLine, Regimen

__all__ = [
    "REGIMENS",
    "DoseLine",
    "Regimen",
    "combine",
    "get_regimen",
    "load_regimen",
    "regimen_keys",
]
