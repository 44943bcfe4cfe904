"""Reading the data files shipped inside the package (tables, catalogue) as TOML."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any


def load_toml(path: str) -> dict[str, Any]:
    """The TOML file at ``path`` inside the ``dosing`` package (e.g. ``"data/renal.toml"``)."""
    text = resources.files("dosing").joinpath(path).read_text(encoding="utf-8")
    return tomllib.loads(text)
