"""Dose-band tables: calculated doses grouped into bands, each given as one fixed dose.

Many hospitals band BSA-dosed drugs (NHS England's national dose-banding tables): a table, for one
agent and product concentration, gives bands of calculated dose, each with the fixed dose every
calculated dose in it is given as. NICE (KTT22) says "the discrete dose bands lie within 6% of the
patient's calculated dose for standard chemotherapy drugs and 10% for biological drugs".

A :class:`BandTable` is read from a file by :func:`load_band_table` (the format is in
``docs/banding.md``; the shipped tables are in ``dosing/data/bands/`` and :data:`BAND_TABLES`) or
made by :func:`make_band_table`. Either way one validator guarantees, before a table is used:

* **contiguous**: bands in ascending order, each starting where the one before ends (no gap, no
  overlap); band doses never fall as the calculated dose rises;
* **within tolerance**: for every calculated dose ``x`` in a band, the realised variance
  ``(band dose − x) / x`` is within ± the tolerance the table declares. The variance is monotone
  in ``x``, so it is checked at both boundaries of every band, as published (rounded);
  :attr:`BandTable.worst_variance` is the largest;
* **one boundary rule** (the published tables' columns "To (A) <" and "To (B) ≤"): with rule
  ``"A"`` a dose at a boundary goes to the band above (bands are ``[lower, upper)``). With rule
  ``"B"`` on a printed To (B) column (``to_b`` with a ``resolution``) a dose is read down to the
  resolution grid and banded by From ≤ dose ≤ To (B), as the table prints it: at full precision
  ``[From, To (B) + resolution)``. Rule ``"B"`` on bands given as ``from``/``to`` (no To (B)
  column) sends a dose at a boundary to the band below (``(lower, upper]``).

A table whose band dose is outside its tolerance is refused unless it is accepted explicitly
(``accept_out_of_tolerance``, with a reason); every row banded by it then says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from importlib import resources
from os import PathLike
from typing import Any, Final, Literal, TypeGuard

import numpy as np

from dosing._limits import MAX_FILE_BYTES, Fail, check_size, parse_toml, read_toml_file
from dosing.errors import (
    NO_VALUE,
    DomainError,
    DosingError,
    UnitsError,
    UnknownKeyError,
    safe_repr,
    show_value,
)
from dosing.products import MG_PER_ML, PRODUCTS, Presentation, presentation
from dosing.references import REFERENCES
from dosing.registry import Registry
from dosing.units import (
    MAX_QUANTITY_TEXT,
    MG,
    Q_,
    as_quantity,
    magnitude,
    parse_quantity,
    read_quantity,
    short,
    ureg,
)
from dosing.vocabulary import canonical_agent

__all__ = [
    "BAND_TABLES",
    "FORMAT_VERSION",
    "Band",
    "BandTable",
    "build_table",
    "check_product",
    "load_band_table",
    "make_band_table",
]

Boundary = Literal["A", "B"]
#: The version of the band-table file format this module reads and writes.
FORMAT_VERSION: Final = 1
#: Slack for floating point in the tolerance check (a variance of 6% computed as 6.0000000001%).
_TOLERANCE_RTOL: Final = 1e-9
#: A dose within this relative distance of a boundary is at the boundary (0.1 × 2.3 is 0.23).
_BOUNDARY_RTOL: Final = 1e-9
#: Generated tables are refused past this many bands (an increment too fine for the range).
_MAX_BANDS: Final = 5000


@dataclass(frozen=True, slots=True)
class Band:
    """One band: calculated doses from ``lower`` to ``upper`` are given as ``dose``.

    Attributes
    ----------
    lower, upper, dose : pint.Quantity
        The band's boundaries and its dose [mass]; which boundary belongs to the band is the
        table's :attr:`BandTable.boundary` rule.
    below, above : float
        The realised variance (band dose − calculated) / calculated at ``lower`` and at
        ``upper``: the extremes over the band (a fraction; positive when the band dose is more).
    """

    lower: Any
    upper: Any
    dose: Any
    below: float
    above: float

    def __repr__(self) -> str:
        unit = short(self.dose.units)
        return (
            f"Band({self.lower.magnitude:g}–{self.upper.magnitude:g} {unit} -> "
            f"{self.dose.magnitude:g} {unit})"
        )


@dataclass(frozen=True, slots=True, eq=False)
class BandTable:
    """A validated dose-band table for one agent (and product concentration).

    Make one with :func:`load_band_table`, :func:`make_band_table` or :func:`build_table`, which
    check every guarantee of the module and raise :class:`~dosing.DomainError` for a table that
    breaks one; the bare constructor is refused, so that no table escapes them.

    Attributes
    ----------
    key : str
        The table's name (``"nhs-1mg-ml-vincristine"``).
    agent : str
        The canonical agent it bands (resolved through :mod:`dosing.vocabulary`; a name it does
        not know is kept, in lower case).
    tolerance : float
        The largest variance it declares, as a fraction (0.06).
    boundary : {"A", "B"}
        "A": a dose at a boundary goes to the band above; "B": to the band below, or, with a
        :attr:`resolution`, From ≤ dose ≤ To (B) on that grid (see the module's docstring).
    bands : tuple of Band
        In ascending order.
    worst_variance : float
        The largest |variance| over every dose of every band (a fraction).
    unit : pint.Unit
        The unit its doses are in.
    version : str
        The table's own version (its source's, or the institution's).
    references : tuple of str
        Citation keys of its source (empty for an institution's own table).
    source : str
        Its source in words, or how it was generated.
    product : str or None
        A key of :data:`dosing.products.PRESENTATIONS`, when the table is for one product.
    concentration : pint.Quantity or None
        The product concentration the table is for, when it says.
    example : bool
        An example table (no source gives it): never for clinical use as it is.
    accepted : str or None
        Why a table outside its tolerance was accepted (None: it is within it).
    note : str
        Anything else its source says.
    resolution : float or None
        With rule "B", the dose grid of a printed To (B) column (0.01, in :attr:`unit`): a dose
        is read down to this grid, then banded by From ≤ dose ≤ To (B); at full precision that
        is [From, To (B) + resolution), the published bands. None: rule "B" is (lower, upper].
    """

    key: str
    agent: str
    tolerance: float
    boundary: Boundary
    bands: tuple[Band, ...]
    worst_variance: float
    unit: Any
    version: str
    references: tuple[str, ...] = ()
    source: str = ""
    product: str | None = None
    concentration: Any = None
    example: bool = False
    accepted: str | None = None
    note: str = ""
    resolution: float | None = None
    _lower: Any = field(default=None, repr=False)
    _upper: Any = field(default=None, repr=False)
    _dose: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._lower is None or self._upper is None or self._dose is None:
            raise DomainError(
                "is made by load_band_table, make_band_table or build_table, which check it",
                argument="BandTable",
                fix="use dosing.load_band_table(path) or dosing.make_band_table(...)",
            )
        # Validated again here, whoever calls the constructor (dataclasses.replace too): every
        # guarantee holds for the fields as they are, and the derived ones agree with them.
        checked = _validate(
            agent=self.agent,
            tolerance=self.tolerance,
            boundary=self.boundary,
            lower=self._lower,
            upper=self._upper,
            dose=self._dose,
            unit=self.unit,
            references=self.references,
            product=self.product,
            concentration=self.concentration,
            accept_out_of_tolerance=self.accepted,
            resolution=self.resolution,
            where=f"BandTable({self.key!r})",
        )
        if (
            checked["agent"] != self.agent
            or checked["worst"] != self.worst_variance
            or checked["accepted"] != self.accepted
            or checked["bands"] != self.bands
            or checked["concentration"] != self.concentration
        ):
            raise DomainError(
                "has fields that disagree with its bands (agent, bands, worst_variance, accepted "
                "or concentration changed by hand)",
                argument=f"BandTable({self.key!r})",
                fix="make the table again with build_table, load_band_table or make_band_table",
            )

    def __repr__(self) -> str:
        return f"BandTable({self.key!r})"

    @property
    def low(self) -> Any:
        """The lowest calculated dose the table bands (inclusive with rule A)."""
        return Q_(float(self._lower[0]), self.unit)

    @property
    def high(self) -> Any:
        """The highest calculated dose the table bands (inclusive with rule B)."""
        return Q_(float(self._upper[-1]), self.unit)

    def band_for(self, dose: Any) -> Any:
        """The band dose for a calculated ``dose`` [mass]; a dose outside every band raises.

        Raises
        ------
        DomainError
            ``dose`` is outside the table (it is never clamped to the nearest band).

        Examples
        --------
        >>> from dosing import Q_
        >>> table = BAND_TABLES["nhs-1mg-ml-vincristine"]
        >>> table.band_for(Q_(1.43, "mg")), table.band_for(Q_(1.45, "mg"))  # rule A at 1.45
        (<Quantity(1.4, 'milligram')>, <Quantity(1.5, 'milligram')>)
        >>> table.band_for(Q_(20, "mg"))
        Traceback (most recent call last):
        ...
        dosing.errors.DomainError: dose=20 mg is outside every band of nhs-1mg-ml-vincristine \
(0.21 mg to 16.97 mg, rule A); it is not banded
        """
        quantity = as_quantity(dose, self.unit, "dose")
        value = np.asarray(quantity.m_as(self.unit), dtype=float)
        band, _, _, inside = self.lookup(value)
        if not np.all(inside):
            shown = value if value.ndim == 0 else value[~np.asarray(inside)][0]
            raise DomainError(
                f"is outside every band of {self.key} ({self.range_text()}); it is not banded",
                argument="dose",
                value=dose,
                shown=f"{_num(float(shown))} {short(self.unit)}",
            )
        return Q_(float(band) if np.ndim(band) == 0 else band, self.unit)

    def range_text(self) -> str:
        """``0.21 mg to 16.97 mg, rule A``."""
        unit = short(self.unit)
        low, high = _num(self._lower[0]), _num(self._upper[-1])
        if self.resolution is not None:
            to_b = _num(float(f"{self._upper[-1] - self.resolution:.12g}"))
            return (
                f"{low} {unit} to {to_b} {unit} read down to {_num(self.resolution)} {unit}, rule B"
            )
        return f"{low} {unit} to {high} {unit}, rule {self.boundary}"

    def lookup(self, values: Any) -> tuple[Any, Any, Any, Any]:
        """Band dose, band lower and upper boundary, and whether inside, for each value.

        ``values`` are magnitudes in :attr:`unit` (a float or an array); outside the table the
        band dose and boundaries are NaN. Vectorised: one ``searchsorted`` per call.
        """
        x = np.asarray(values, dtype=float)
        lower, upper, dose = self._lower, self._upper, self._dose
        edges = np.append(lower, upper[-1])
        # A dose within floating-point noise of a boundary is at it.
        near = np.clip(np.searchsorted(edges, x), 0, len(edges) - 1)
        for candidate in (near, np.clip(near - 1, 0, len(edges) - 1)):
            at = np.abs(x - edges[candidate]) <= _BOUNDARY_RTOL * edges[candidate]
            x = np.where(at, edges[candidate], x)
        # Rule B with a To (B) resolution: From <= (dose read down to the grid) <= To (B), which
        # is [From, To (B) + resolution) at full precision: rule A's lookup on those bands.
        if self.boundary == "A" or self.resolution is not None:
            index = np.searchsorted(lower, x, side="right") - 1
            safe = np.clip(index, 0, len(lower) - 1)
            inside = (index >= 0) & (x < upper[safe])
        else:
            index = np.searchsorted(upper, x, side="left")
            safe = np.clip(index, 0, len(upper) - 1)
            inside = (index < len(upper)) & (x > lower[safe])
        nan = np.nan
        out = (
            np.where(inside, dose[safe], nan),
            np.where(inside, lower[safe], nan),
            np.where(inside, upper[safe], nan),
            inside,
        )
        if np.ndim(values) == 0:
            return float(out[0]), float(out[1]), float(out[2]), bool(out[3])
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The table as printed: from, to, band dose, variance below and above (percent)."""
        unit = short(self.unit)
        return [
            {
                "from": float(band.lower.magnitude),
                "to": float(band.upper.magnitude),
                "dose": float(band.dose.magnitude),
                "unit": unit,
                "below_percent": round(100 * band.below, 2),
                "above_percent": round(100 * band.above, 2),
            }
            for band in self.bands
        ]

    def to_toml(self) -> str:
        """The table in the file format :func:`load_band_table` reads (see ``docs/banding.md``)."""
        lines = [
            "# A dose-band table (dosing band-table format 1; see docs/banding.md).",
            f"format = {FORMAT_VERSION}",
            f"key = {_toml_string(self.key)}",
            f"agent = {_toml_string(self.agent)}",
        ]
        if self.product is not None:
            lines.append(f"product = {_toml_string(self.product)}")
        if self.concentration is not None:
            text = f"{self.concentration.magnitude:g} {short(self.concentration.units)}"
            lines.append(f"concentration = {_toml_string(text)}")
        lines += [
            f"unit = {_toml_string(short(self.unit))}",
            f"tolerance = {self.tolerance!r}",
            f"boundary = {_toml_string(self.boundary)}",
            f"version = {_toml_string(self.version)}",
            f"references = [{', '.join(_toml_string(r) for r in self.references)}]",
            f"source = {_toml_string(self.source)}",
            f"example = {'true' if self.example else 'false'}",
        ]
        if self.accepted is not None:
            lines.append(f"accept_out_of_tolerance = {_toml_string(self.accepted)}")
        if self.note:
            lines.append(f"note = {_toml_string(self.note)}")
        if self.resolution is not None:
            lines.append(f"resolution = {self.resolution!r}")
            lines.append('columns = ["from", "to_b", "dose"]')
        else:
            lines.append('columns = ["from", "to", "dose"]')
        lines.append("bands = [")
        for band in self.bands:
            upper = float(band.upper.magnitude)
            if self.resolution is not None:
                upper = float(f"{upper - self.resolution:.12g}")
            lines.append(f"    [{band.lower.magnitude!r}, {upper!r}, {band.dose.magnitude!r}],")
        lines.append("]")
        return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _refuse(
    where: str, reason: str, value: object = NO_VALUE, fix: str | None = None
) -> DomainError:
    """The refusal of ``where``; without a value the message names the field alone (never
    ``bands=None``, which reads as if None had been given)."""
    if value is NO_VALUE:
        return DomainError(reason, argument=where, fix=fix)
    if isinstance(value, tuple):
        value = tuple(float(v) for v in value)
    elif isinstance(value, np.floating):
        value = float(value)
    shown = _show_quantity(value) if hasattr(value, "units") else show_value(value)
    return DomainError(reason, argument=where, value=value, shown=shown, fix=fix)


def _show_quantity(value: Any) -> str:
    """``0.1 mL``, not ``<Quantity(0.1, 'milliliter')>``, in messages (an array as pint and
    show_value write it)."""
    if np.ndim(value.magnitude) != 0:
        return show_value(value)
    return f"{_num(float(value.magnitude))} {short(value.units)}"


def _num(value: float) -> str:
    """A dose in a message with every digit that matters (0.2099999, not 0.21)."""
    return f"{float(value):.12g}"


def build_table(
    *,
    key: str,
    agent: str,
    tolerance: float,
    boundary: str,
    lower: Sequence[float],
    upper: Sequence[float],
    dose: Sequence[float],
    unit: Any,
    version: str,
    references: Sequence[str] = (),
    source: str = "",
    product: str | None = None,
    concentration: Any = None,
    example: bool = False,
    accept_out_of_tolerance: str | None = None,
    note: str = "",
    resolution: float | None = None,
    where: str = "table",
) -> BandTable:
    """Validate bands and make a :class:`BandTable`; every guarantee of the module is checked.

    ``resolution`` (rule "B" only) is the grid of a printed To (B) column: ``upper`` is then
    To (B) + resolution, and a dose is read down to the grid before it is banded.

    Raises
    ------
    DomainError
        No band; a band that is empty, out of order, overlapping or leaving a gap; a band dose
        that falls; a band dose outside the declared tolerance (unless accepted, with a reason);
        a product whose concentration is not the table's.
    """
    if not isinstance(where, str):
        raise _refuse("where", "must be text naming the table in messages", where)
    for name, text in (("key", key), ("version", version), ("source", source), ("note", note)):
        if not isinstance(text, str):
            raise _refuse(f"{where}.{name}", "must be text", text)
    if not isinstance(example, bool):
        raise _refuse(f"{where}.example", "must be True or False", example)
    checked = _validate(
        agent=agent,
        tolerance=tolerance,
        boundary=boundary,
        lower=lower,
        upper=upper,
        dose=dose,
        unit=unit,
        references=references,
        product=product,
        concentration=concentration,
        accept_out_of_tolerance=accept_out_of_tolerance,
        resolution=resolution,
        where=where,
    )
    return BandTable(
        key=key,
        agent=checked["agent"],
        tolerance=float(tolerance),
        boundary=boundary,  # type: ignore[arg-type]
        bands=checked["bands"],
        worst_variance=checked["worst"],
        unit=ureg.Unit(unit),
        version=version,
        references=tuple(references),
        source=source,
        product=product,
        concentration=checked["concentration"],
        example=bool(example),
        accepted=checked["accepted"],
        note=note,
        resolution=None if resolution is None else float(resolution),
        _lower=checked["lower"],
        _upper=checked["upper"],
        _dose=checked["dose"],
    )


def _validate(
    *,
    agent: str,
    tolerance: float,
    boundary: str,
    lower: Sequence[float],
    upper: Sequence[float],
    dose: Sequence[float],
    unit: Any,
    references: Sequence[str],
    product: str | None,
    concentration: Any,
    accept_out_of_tolerance: str | None,
    resolution: float | None,
    where: str,
) -> dict[str, Any]:
    """Every guarantee of the module; the derived values (bands, worst variance, acceptance)."""
    # Through the vocabulary: a synonym or brand is its agent, an ambiguous name ("ATG") is
    # refused; a name it does not know is kept as written (lower case), as in a template, so
    # that an institution's table for an agent dosing has no data on (gemcitabine) still works.
    canonical = canonical_agent(agent)
    if not _number(tolerance):
        raise _refuse(f"{where}.tolerance", "must be a fraction such as 0.06", tolerance)
    tolerance = float(tolerance)
    if not (0.0 < tolerance < 1.0):
        raise _refuse(
            f"{where}.tolerance", "must be a fraction in (0, 1), e.g. 0.06 for 6%", tolerance
        )
    if boundary not in ("A", "B"):
        raise _refuse(
            f"{where}.boundary",
            "must be 'A' (a dose at a boundary goes to the band above) or 'B' (to the band below)",
            boundary,
        )
    unit = _unit(unit, f"{where}.unit")
    if unit.dimensionality != MG.dimensionality:
        raise UnitsError(
            f"is {short(unit)}; band tables are in a unit of mass such as mg",
            argument=f"{where}.unit",
            value=unit,
        )
    try:
        lows = np.array([float(v) for v in lower], dtype=float)
        highs = np.array([float(v) for v in upper], dtype=float)
        doses = np.array([float(v) for v in dose], dtype=float)
    except (TypeError, ValueError, OverflowError):  # text, an object, an int beyond any float
        raise _refuse(f"{where}.bands", "must hold positive, finite doses only") from None
    if lows.size == 0:
        raise _refuse(f"{where}.bands", "has no band", [])
    if not lows.size == highs.size == doses.size:
        raise _refuse(
            f"{where}.bands",
            f"has {lows.size} lower boundaries, {highs.size} upper ones and {doses.size} doses; "
            "each band needs one of each",
        )
    values = np.concatenate([lows, highs, doses])
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise _refuse(f"{where}.bands", "must hold positive, finite doses only")
    unit_text = short(unit)
    for i in range(lows.size):
        if not lows[i] < highs[i]:
            raise _refuse(
                f"{where}.bands[{i}]",
                f"is empty or reversed ({lows[i]:g} to {highs[i]:g} {unit_text})",
                (lows[i], highs[i]),
            )
    for i in range(1, lows.size):
        what = f"{where}.bands[{i}]"
        if lows[i] <= lows[i - 1]:
            raise _refuse(
                what,
                f"is not in order: it starts at {lows[i]:g} {unit_text}, at or below the band "
                f"before it ({lows[i - 1]:g} {unit_text})",
                lows[i],
                fix="list the bands from the lowest dose up",
            )
        if lows[i] < highs[i - 1]:
            raise _refuse(
                what,
                f"overlaps the band before it: it starts at {lows[i]:g} {unit_text}, before that "
                f"band ends at {highs[i - 1]:g} {unit_text}",
                lows[i],
            )
        if lows[i] > highs[i - 1]:
            raise _refuse(
                what,
                f"leaves a gap: the band before it ends at {highs[i - 1]:g} {unit_text} and it "
                f"starts at {lows[i]:g} {unit_text}",
                lows[i],
                fix="each band starts where the one before it ends (the boundary rule says "
                "which band a dose at the boundary is in)",
            )
        if doses[i] < doses[i - 1]:
            raise _refuse(
                what,
                f"has a band dose ({doses[i]:g} {unit_text}) below the band before it "
                f"({doses[i - 1]:g} {unit_text}): a larger calculated dose would get less",
                doses[i],
            )
    below = (doses - lows) / lows
    above = (doses - highs) / highs
    variance = np.maximum(np.abs(below), np.abs(above))
    worst_index = int(np.argmax(variance))
    worst = float(variance[worst_index])
    if worst > tolerance * (1 + _TOLERANCE_RTOL) and not accept_out_of_tolerance:
        at_low = abs(below[worst_index]) >= abs(above[worst_index])
        at = lows[worst_index] if at_low else highs[worst_index]
        raise _refuse(
            f"{where}.bands[{worst_index}]",
            f"gives {doses[worst_index]:g} {unit_text} for a calculated dose of {at:g} "
            f"{unit_text}, a variance of {worst:.2%}, outside the table's tolerance of "
            f"{tolerance:.2%} (worst variance of the table: {worst:.2%})",
            (lows[worst_index], highs[worst_index], doses[worst_index]),
            fix="correct the band, or accept the table explicitly "
            "(accept_out_of_tolerance = 'why'); every row it bands then says so",
        )
    if accept_out_of_tolerance is not None and (
        not isinstance(accept_out_of_tolerance, str) or not accept_out_of_tolerance.strip()
    ):
        raise _refuse(
            f"{where}.accept_out_of_tolerance",
            "must be the reason the table is accepted, in words",
            accept_out_of_tolerance,
        )
    if not isinstance(references, list | tuple) or not all(
        isinstance(reference, str) for reference in references
    ):
        raise _refuse(f"{where}.references", "must be a sequence of citation keys", references)
    for reference in references:
        if reference not in REFERENCES:
            raise UnknownKeyError(f"{where}.references", reference, REFERENCES)
    if resolution is not None and (boundary != "B" or not (_number(resolution) and resolution > 0)):
        raise _refuse(
            f"{where}.resolution",
            "is the positive dose grid of a To (B) column, for rule 'B' only",
            resolution,
        )
    if concentration is not None and (
        not hasattr(concentration, "units")
        or concentration.dimensionality != MG_PER_ML.dimensionality
    ):
        raise UnitsError(
            "must be a concentration such as '1 mg/mL'",
            argument=f"{where}.concentration",
            value=concentration,
        )
    if product is not None:
        item = presentation(canonical, product, f"{where}.product")
        if concentration is None:
            concentration = item.concentration
        elif not math.isclose(
            float(concentration.m_as(MG_PER_ML)), item.concentration_mg_per_ml, rel_tol=1e-9
        ):
            raise DomainError(
                f"is {_show_quantity(concentration)}, but its product {product} is "
                f"{_show_quantity(item.concentration)}: a table is for one concentration",
                argument=f"{where}.concentration",
                value=concentration,
                shown=_show_quantity(concentration),
                fix="name the product the table was made for, or correct the concentration",
            )
    accepted = accept_out_of_tolerance if worst > tolerance * (1 + _TOLERANCE_RTOL) else None
    bands = tuple(
        Band(
            Q_(float(lows[i]), unit),
            Q_(float(highs[i]), unit),
            Q_(float(doses[i]), unit),
            float(below[i]),
            float(above[i]),
        )
        for i in range(lows.size)
    )
    for array in (lows, highs, doses):
        array.flags.writeable = False
    return {
        "agent": canonical,
        "bands": bands,
        "worst": worst,
        "accepted": accepted,
        "concentration": concentration,
        "lower": lows,
        "upper": highs,
        "dose": doses,
    }


_FIELDS: Final = frozenset(
    {
        "format",
        "key",
        "agent",
        "product",
        "concentration",
        "unit",
        "tolerance",
        "boundary",
        "version",
        "references",
        "source",
        "example",
        "accept_out_of_tolerance",
        "note",
        "resolution",
        "columns",
        "bands",
    }
)
_REQUIRED: Final = ("format", "key", "agent", "unit", "tolerance", "boundary", "version", "bands")
_COLUMNS: Final = ("from", "to", "dose")
#: Every column a table may print, in any order: "to" (To (A) <, also written "to_a") or
#: "to_b" (To (B) ≤, with `resolution`) is needed, and "from" and "dose".
_KNOWN_COLUMNS: Final = ("from", "to", "to_a", "to_b", "dose", "below", "above")


def load_band_table(
    path: str | PathLike[str], *, accept_out_of_tolerance: str | None = None
) -> BandTable:
    """Read and validate a dose-band table file (TOML; the format is in ``docs/banding.md``).

    Parameters
    ----------
    path : str or path-like
        The file.
    accept_out_of_tolerance : str, optional
        Accept a table whose band dose is outside its tolerance, giving the reason (the file may
        say so itself, in ``accept_out_of_tolerance``). Every row it bands then says so.

    Returns
    -------
    BandTable

    Raises
    ------
    DomainError
        A field missing or unknown, a format version this library does not read, bands out of
        order, overlapping or leaving a gap, a printed column (``to_b``, ``below``, ``above``)
        that disagrees with the bands, or a band dose outside the tolerance (not accepted).

    Examples
    --------
    >>> from importlib import resources
    >>> path = resources.files("dosing") / "data/bands/nhs-1mg-ml-vincristine.toml"
    >>> table = load_band_table(path)
    >>> table.agent, table.tolerance, table.boundary, len(table.bands)
    ('vincristine', 0.06, 'A', 49)
    >>> f"{table.worst_variance:.2%}"
    '6.25%'
    """
    if not isinstance(path, str | PathLike):
        raise DomainError(
            "must be the path of a band-table file",
            argument="path",
            value=path,
            shown=safe_repr(path),
        )
    name = str(path)
    raw = read_toml_file(path, _refusal(name, "cannot be read: "))
    return _from_mapping(raw, name, accept_out_of_tolerance)


def _refusal(where: str, prefix: str = "") -> Fail:
    """``fail(field, message)`` for a band-table file: a DomainError naming it and the field."""

    def fail(field_name: str | None, message: str) -> DomainError:
        at = f"{where}: {field_name}" if field_name else where
        return DomainError(message, argument=at, value=where, message=f"{at}: {prefix}{message}")

    return fail


def _parse(text: str, where: str, accept: str | None) -> BandTable:
    """A band table from the text of a file; ``where`` names it in messages."""
    fail = _refusal(where, "cannot be read: ")
    if len(text) > MAX_FILE_BYTES:
        raise fail(None, f"{len(text)} characters, more than the {MAX_FILE_BYTES} allowed")
    return _from_mapping(parse_toml(text, fail), where, accept)


def _text_field(raw: dict[str, Any], name: str, fail: Fail, *, numbers: bool = False) -> str:
    """A field written as text (or, with ``numbers``, a version such as ``2`` or ``1.1``)."""
    value = raw[name]
    if isinstance(value, str):
        return value
    if (
        numbers
        and not isinstance(value, bool)
        and (
            (isinstance(value, int) and abs(value) < 10**18)
            or (isinstance(value, float) and math.isfinite(value))
        )
    ):
        return str(value)
    raise fail(name, f"must be text, not {show_value(value)}")


def _number(value: object) -> TypeGuard[int | float]:
    """A number a band table may hold: an int or float that is a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond the largest float
        return False


def _from_mapping(raw: dict[str, Any], where: str, accept: str | None) -> BandTable:
    fail = _refusal(where)
    check_size(raw, fail)
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise _refuse(
            where, f"has unknown field(s) {unknown}", unknown, fix=f"use: {sorted(_FIELDS)}"
        )
    missing = [name for name in _REQUIRED if name not in raw]
    if missing:
        raise _refuse(where, f"lacks the field(s) {missing}", missing)
    if isinstance(raw["format"], bool) or raw["format"] != FORMAT_VERSION:
        raise _refuse(
            f"{where}: format",
            f"is {show_value(raw['format'])}; this version of dosing reads band-table format "
            f"{FORMAT_VERSION}",
            raw["format"],
        )
    key = _text_field(raw, "key", fail)
    version = _text_field(raw, "version", fail, numbers=True)
    source = _text_field(raw, "source", fail) if "source" in raw else ""
    note = _text_field(raw, "note", fail) if "note" in raw else ""
    agent = _text_field(raw, "agent", fail)
    try:
        canonical_agent(agent)
    except DosingError as exc:  # an ambiguous name ("ATG")
        raise fail("agent", str(exc)) from None
    example = raw.get("example", False)
    if not isinstance(example, bool):
        raise fail("example", f"must be true or false, not {show_value(example)}")
    references = raw.get("references", [])
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise fail("references", f"must be a list of citation keys, not {show_value(references)}")
    for reference in references:
        if reference not in REFERENCES:
            raise UnknownKeyError(f"{where}: references", reference, REFERENCES)
    concentration = None
    if "concentration" in raw:
        try:
            concentration = parse_quantity(raw["concentration"])
        except DosingError as exc:
            raise UnitsError(
                f"{exc}; write e.g. '1 mg/mL'",
                argument=f"{where}: concentration",
                value=raw["concentration"],
            ) from None
    columns = raw.get("columns", list(_COLUMNS))
    if not isinstance(columns, list) or not all(isinstance(name, str) for name in columns):
        raise fail("columns", f"must be a list of column names, not {show_value(columns)}")
    columns = tuple("to" if name == "to_a" else name for name in columns)
    if (
        not set(columns) <= set(_KNOWN_COLUMNS)
        or len(set(columns)) != len(columns)
        or not {"from", "dose"} <= set(columns)
        or not ({"to", "to_b"} & set(columns))
    ):
        raise _refuse(
            f"{where}: columns",
            "must name each column once, from: 'from', 'to' (To (A) <, or 'to_a'), 'to_b' "
            "(To (B) <=), 'dose', 'below', 'above'; 'from', 'dose' and 'to' or 'to_b' are needed",
            list(columns),
        )
    rows = raw["bands"]
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and len(row) == len(columns) and all(_number(v) for v in row)
        for row in rows
    ):
        raise _refuse(
            f"{where}: bands",
            f"must be a list of rows of {len(columns)} numbers ({', '.join(columns)}), each finite",
        )
    resolution = raw.get("resolution")
    step = float(resolution) if _number(resolution) else math.nan
    if ("to_b" in columns or resolution is not None) and not step > 0:
        raise _refuse(
            f"{where}: resolution",
            "must give the dose resolution of the To (B) column (e.g. 0.01) when the table "
            "prints it",
            resolution,
        )
    column = {name: [float(row[columns.index(name)]) for row in rows] for name in columns}
    if "to" not in column:
        # To (A) is To (B) plus the resolution: 0.22 + 0.01 = 0.23, on the table's decimal grid.
        column["to"] = [float(f"{value + step:.12g}") for value in column["to_b"]]
    unit = _unit(raw["unit"], f"{where}: unit")
    table = build_table(
        key=key,
        agent=agent,
        tolerance=raw["tolerance"],
        boundary=raw["boundary"],
        lower=column["from"],
        upper=column["to"],
        dose=column["dose"],
        unit=unit,
        version=version,
        references=tuple(references),
        source=source,
        product=raw.get("product"),
        concentration=concentration,
        example=example,
        accept_out_of_tolerance=accept or raw.get("accept_out_of_tolerance"),
        note=note,
        # Rule B on a printed To (B) column: From <= dose <= To (B) on the resolution grid.
        resolution=step if raw["boundary"] == "B" and "to_b" in column else None,
        where=where,
    )
    _check_printed(table, column, step, where)
    return table


def _unit(text: object, argument: str) -> Any:
    """A pint Unit, or one written as text of at most 200 characters (pint's parser is
    quadratic in the length: 10,000 characters took 1 s, 50,000 took 25 s); ``argument`` names
    it in refusals (``table.unit`` for :func:`build_table`, ``path: unit`` in a file)."""
    if isinstance(text, str) and len(text) > MAX_QUANTITY_TEXT:
        raise UnitsError(
            f"is {len(text)} characters long, more than the {MAX_QUANTITY_TEXT} a unit may have",
            argument=argument,
            value=text,
            shown=safe_repr(text[:40] + "..."),
        )
    if not isinstance(text, str | ureg.Unit):
        raise UnitsError(
            "must be a unit of mass written as text, such as 'mg'",
            argument=argument,
            value=text,
        )
    try:
        unit = ureg.Unit(text)
    except Exception:  # pint raises many types for unreadable text
        raise UnitsError("is not a unit pint knows", argument=argument, value=text) from None
    return unit


def _check_printed(
    table: BandTable, column: dict[str, list[float]], resolution: Any, where: str
) -> None:
    """The printed columns (To (B), variance below and above) agree with the bands.

    They are a transcription check: a slip in one column of a copied table is caught.
    """
    if "to_b" in column:
        for i, (upper, printed) in enumerate(zip(column["to"], column["to_b"], strict=True)):
            if not math.isclose(upper - resolution, printed, abs_tol=1e-9 * upper):
                raise _refuse(
                    f"{where}: bands[{i}]",
                    f"prints To (B) {printed:g}, not To (A) {upper:g} less the resolution "
                    f"{resolution:g}",
                    printed,
                )
    for name in ("below", "above"):
        for i, printed in enumerate(column.get(name, ())):
            computed = 100 * getattr(table.bands[i], name)
            # The printed value is the computed one rounded to a whole percent, up or down (the
            # NHS tables round some rows up: 6.25% printed 7); anything else is a slip.
            if not (
                math.floor(computed + 1e-9) <= printed <= math.ceil(computed - 1e-9)
                or math.isclose(computed, printed, abs_tol=1e-9)
            ):
                raise _refuse(
                    f"{where}: bands[{i}]",
                    f"prints a variance {name} of {printed:g}%, but its band gives "
                    f"{computed:.2f}% (the printed value must be it rounded up or down to a "
                    "whole percent)",
                    printed,
                )


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _grid(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return (value / step).to_integral_value(rounding=rounding) * step


def make_band_table(
    agent: str,
    low: Any,
    high: Any,
    *,
    tolerance: float,
    increment: Any,
    boundary: str = "A",
    resolution: Any = None,
    product: str | None = None,
    key: str | None = None,
    version: str = "generated",
) -> BandTable:
    """Make a band table from ``low`` to ``high`` whose every band meets ``tolerance``.

    Going up from ``low``, each band's dose is the largest measurable dose (a multiple of
    ``increment``) within ``tolerance`` above the band's lower boundary, and the band ends at the
    largest boundary (a multiple of ``resolution``) at which that dose is still within
    ``tolerance`` below the calculated dose: D = ⌊L(1 + t)⌋ on the increment grid,
    U = ⌊D / (1 − t)⌋ on the boundary grid. Exact decimal arithmetic, so the published
    boundaries are the ones checked. The table is then validated like a loaded one (every band
    within tolerance at its rounded boundaries) and its worst variance reported.

    Parameters
    ----------
    agent : str
        The agent (resolved through the vocabulary).
    low, high : pint.Quantity
        The range of calculated doses to cover [mass].
    tolerance : float
        The largest variance, a fraction (0.06 for 6%).
    increment : pint.Quantity
        The smallest measurable dose of the product: a mass, or a volume (a syringe's
        graduation) with ``product`` to convert it at the product's concentration.
    boundary : {"A", "B"}
        The boundary rule (default "A": a dose at a boundary goes to the band above).
    resolution : pint.Quantity, optional
        The grid of the band boundaries as published (default: two powers of ten below the
        increment: 0.01 mg for an increment of 2.5 mg, 0.001 mg for 0.1 mg).
    product : str, optional
        A key of :data:`dosing.products.PRESENTATIONS` for the agent.
    key, version : str
        The table's name and version.

    Raises
    ------
    DomainError
        Bad arguments, or an increment too coarse for the tolerance at some dose (no measurable
        dose within it), named with that dose.

    Examples
    --------
    >>> from dosing import Q_
    >>> table = make_band_table("fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=0.06,
    ...                         increment=Q_(0.1, "mL"), product="fludarabine-25mg-ml-2ml")
    >>> table.bands[0]
    Band(20–21.27 mg -> 20 mg)
    >>> table.worst_variance <= 0.06
    True
    """
    canonical = canonical_agent(agent)
    low_q = as_quantity(low, MG, "low")
    high_q = as_quantity(high, MG, "high")
    if not _number(tolerance):
        raise _refuse("tolerance", "must be a fraction such as 0.06", tolerance)
    if not (0.0 < float(tolerance) < 0.5):
        raise _refuse("tolerance", "must be a fraction in (0, 0.5), e.g. 0.06 for 6%", tolerance)
    item: Presentation | None = (
        None if product is None else presentation(canonical, product, "product")
    )
    step_mg = _measurable(increment, item, "increment", canonical)
    grid_mg = (
        _decade_below(step_mg)
        if resolution is None
        else _measurable(resolution, item, "resolution", canonical)
    )
    lo: Any = magnitude(low_q, MG, "low")  # a real number (or refused by name)
    hi: Any = magnitude(high_q, MG, "high")
    for name, given, value in (("low", low, lo), ("high", high, hi)):
        if not isinstance(value, float):
            raise _refuse(name, "must be one mass, not an array", given)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise _refuse("low", f"must be positive and below high ({hi:g} mg)", low)
    t = _decimal(float(tolerance))
    step = _decimal(step_mg)
    grid = _decimal(grid_mg)
    one = Decimal(1)
    snap = Decimal(repr(_BOUNDARY_RTOL))
    lower = _grid(_decimal(lo), grid, ROUND_FLOOR)
    if boundary == "B" and _decimal(lo) <= lower * (one + snap):
        # Rule B: a band is (lower, upper], and a dose within the lookup's snap of a boundary is
        # at it, so start below low when low is at (or within the snap of) the edge: at the
        # first edge twice the snap below low. That is at least a grid step below (low ÷ (1 +
        # 2 snap) < lower here, and lower is on the grid), and on a grid finer than the snap,
        # more steps.
        lower = _grid(_decimal(lo) / (one + 2 * snap), grid, ROUND_FLOOR)
    if lower <= 0:
        raise _refuse("resolution", f"is too coarse for low={lo:g} mg", resolution or increment)
    lows: list[float] = []
    highs: list[float] = []
    doses: list[float] = []
    high_d = _decimal(hi)
    while True:
        dose = _grid(lower * (one + t), step, ROUND_FLOOR)
        if dose < lower * (one - t) or dose <= 0:
            raise _refuse(
                "increment",
                f"is too coarse for a {float(tolerance):.0%} tolerance at {float(lower):g} mg: "
                f"no multiple of {step_mg:g} mg lies within it",
                increment,
                fix="use a finer increment (a smaller syringe graduation) or a higher low",
            )
        upper = _grid(dose / (one - t), grid, ROUND_FLOOR)
        if upper <= lower:
            raise _refuse(
                "increment",
                f"is too coarse for a {float(tolerance):.0%} tolerance just above "
                f"{float(lower):g} mg: no multiple of {step_mg:g} mg covers the next "
                f"{grid_mg:g} mg step of the boundaries",
                increment,
                fix="use a finer increment, or a finer resolution for the boundaries",
            )
        lows.append(float(lower))
        highs.append(float(upper))
        doses.append(float(dose))
        # The last band holds high, beyond the lookup's snap (rule A: [lower, upper)).
        if upper > high_d * (one + snap) or (boundary == "B" and upper >= high_d * (one - snap)):
            break
        if len(lows) >= _MAX_BANDS:
            raise _refuse(
                "increment", f"gives more than {_MAX_BANDS} bands from {lo:g} to {hi:g} mg"
            )
        lower = upper
    source = (
        f"generated by dosing.make_band_table from {lo:g} to {hi:g} mg, tolerance "
        f"{float(tolerance):g}, increment {step_mg:g} mg, boundaries on a {grid_mg:g} mg grid"
    )
    return build_table(
        key=key or f"{canonical}-generated",
        agent=canonical,
        tolerance=float(tolerance),
        boundary=boundary,
        lower=lows,
        upper=highs,
        dose=doses,
        unit=MG,
        version=version,
        source=source,
        product=product,
        where="make_band_table",
    )


def _measurable(value: Any, item: Presentation | None, name: str, agent: str) -> float:
    """A measurable step in mg: a mass, or a volume at the product's concentration."""
    quantity = read_quantity(value, MG, name)
    if not hasattr(quantity, "units"):
        shown = show_value(value)
        raise UnitsError(
            "has no unit",
            argument=name,
            value=value,
            shown=shown,
            fix=f"write {name}=Q_({shown}, 'mg')"
            if isinstance(value, int | float) and len(shown) < 40
            else f"write {name}=Q_(..., 'mg')",
        )
    # one real amount: magnitude() refuses text, objects, huge integers and masked arrays
    if not isinstance(magnitude(quantity, quantity.units, name), float):
        raise _refuse(name, "must be one amount, not an array", value)
    if quantity.dimensionality == MG.dimensionality:
        step = float(quantity.m_as(MG))
    elif quantity.dimensionality == ureg.Unit("mL").dimensionality:
        if item is None:
            own = [item.key for item in PRODUCTS.get(agent, ())]
            raise _refuse(
                name,
                f"is a volume; name the {agent} product whose concentration converts it, or "
                "give a mass",
                value,
                fix=(
                    f"product={own[0]!r} (or one of {', '.join(map(repr, own))})"
                    if own
                    else f"dosing has no {agent} product: give a mass such as Q_(0.1, 'mg')"
                ),
            )
        step = float((quantity * item.concentration).m_as(MG))
    else:
        raise UnitsError(
            "must be a mass (Q_(0.1, 'mg')) or a volume with a product (Q_(0.01, 'mL'))",
            argument=name,
            value=value,
        )
    if not (math.isfinite(step) and step > 0):
        raise _refuse(name, "must be positive", value)
    # The step on a clean decimal grid: 0.1 mL × 25 mg/mL is 2.5 mg, not 2.5000000000000004.
    return float(f"{step:.12g}")


def _decade_below(step: float) -> float:
    """Two powers of ten below ``step`` (2.5 -> 0.01, 0.1 -> 0.001, 1.0 -> 0.01)."""
    return float(Decimal(1).scaleb(math.floor(math.log10(step)) - 2))


def _shipped() -> Registry[BandTable]:
    tables: Registry[BandTable] = Registry("band_table", name="BAND_TABLES")
    folder = resources.files("dosing").joinpath("data/bands")
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".toml"):
            continue
        table = _parse(entry.read_text(encoding="utf-8"), f"data/bands/{entry.name}", None)
        if table.key != entry.name.removesuffix(".toml"):  # a packaging slip
            raise ValueError(f"data/bands/{entry.name}: key {table.key!r} is not the file name")
        tables.register(table.key, table)
    return tables


#: The shipped tables, by key: those a public source gives, and clearly marked examples.
BAND_TABLES: Registry[BandTable] = _shipped()


def check_product(table: BandTable, item: Presentation, argument: str) -> None:
    """Refuse a product a band table is not for: another product than the table names, or
    another concentration than the table's (its band doses are measured at that concentration).

    Raises
    ------
    DomainError
        Naming the table, its product or concentration, and the product given.
    """
    if table.product is not None and item.key != table.product:
        raise DomainError(
            f"is {item.key}, but the band table {table.key} is for {table.product}",
            argument=argument,
            value=item.key,
            shown=safe_repr(item.key),
            fix=f"name {table.product!r} (or no product: the table supplies it), or use a table "
            f"for {item.key}",
        )
    if table.concentration is not None and not math.isclose(
        float(table.concentration.m_as(MG_PER_ML)), item.concentration_mg_per_ml, rel_tol=1e-9
    ):
        raise DomainError(
            f"is {item.key} at {_show_quantity(item.concentration)}, but the band table "
            f"{table.key} is for {_show_quantity(table.concentration)}",
            argument=argument,
            value=item.key,
            shown=safe_repr(item.key),
            fix="name a product at the table's concentration, or use a table for this product",
        )
