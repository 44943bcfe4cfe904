"""Products: the vials a pharmacy prepares a dose from, per agent, each with its source.

A calculated dose (38.73 mg of fludarabine) is drawn up from a product: a vial of a stated
content (50 mg) at a stated concentration (25 mg/mL, as supplied or after the reconstitution the
label states). The presentations are data (``dosing/data/products.toml``), one record per vial
size and concentration, each with the label's words and its citation, read once by one
validating loader into :data:`PRODUCTS`: agent -> its presentations. Agent names resolve through
:mod:`dosing.vocabulary`; a brand must be one of the agent's products there.

A :class:`Presentation` answers the two questions of preparation: the volume of a dose
(:meth:`Presentation.volume`, dose ÷ concentration, so that volume × concentration = dose) and
the vials doses need (:meth:`Presentation.vials`, whole vials, with the waste; a single-dose
vial serves one administration, see :meth:`dosing.Schedule.vials`). Which presentation an
agent is prepared from is a policy choice (``Policy(products={agent: key})``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np

from dosing._data import load_toml
from dosing.errors import DomainError, UnknownKeyError, safe_repr
from dosing.references import REFERENCES
from dosing.registry import Registry
from dosing.units import MG, Magnitude, parse_quantity, ureg
from dosing.vocabulary import AGENTS, canonical_agent, product_of

__all__ = ["PRESENTATIONS", "PRODUCTS", "Presentation", "check_brand", "presentation"]

ML: Final = ureg.Unit("mL")
MG_PER_ML: Final = ureg.Unit("mg/mL")
Form = Literal["solution", "concentrate", "powder"]
_FORMS: Final = ("solution", "concentrate", "powder")
#: Relative tolerance of content = concentration × volume in the data (labels print 3.6 mL).
_CONTENT_RTOL: Final = 1e-6


@dataclass(frozen=True, slots=True)
class Presentation:
    """One presentation of an agent: a vial of ``content`` at ``concentration``.

    Attributes
    ----------
    key : str
        Its key in :data:`PRESENTATIONS` (``"fludarabine-25mg-ml-2ml"``).
    agent : str
        The canonical agent.
    name : str
        The presentation as a pharmacist names it.
    brand : str or None
        The brand (a product of the agent in the vocabulary), if the source names one.
    form : {"solution", "concentrate", "powder"}
        As supplied.
    content : pint.Quantity
        Agent per vial [mass].
    concentration : pint.Quantity
        Concentration drawn up [mass/volume]: as supplied, or after reconstitution.
    volume : pint.Quantity
        The volume holding ``content`` at ``concentration`` [volume].
    single_dose : bool
        A single-dose vial: what is not drawn up is waste.
    reconstitution, dilution : str
        The label's reconstitution and final dilution, as text ("" when it says none).
    references : tuple of str
        Citation keys.
    quote : str
        The label's words the numbers were read from.
    """

    key: str
    agent: str
    name: str
    brand: str | None
    form: Form
    content: Any
    concentration: Any
    volume: Any
    single_dose: bool
    reconstitution: str
    dilution: str
    references: tuple[str, ...]
    quote: str

    def __repr__(self) -> str:
        return f"Presentation({self.key!r})"

    @property
    def content_mg(self) -> float:
        """Agent per vial, in mg."""
        return float(self.content.m_as(MG))

    @property
    def concentration_mg_per_ml(self) -> float:
        """Concentration drawn up, in mg/mL."""
        return float(self.concentration.m_as(MG_PER_ML))

    def volume_of(self, dose: Any) -> Any:
        """The volume of ``dose`` [mass] to draw up: dose ÷ concentration, in mL.

        Examples
        --------
        >>> from dosing import Q_
        >>> PRESENTATIONS["fludarabine-25mg-ml-2ml"].volume_of(Q_(38.73, "mg"))
        <Quantity(1.5492, 'milliliter')>
        """
        return (dose / self.concentration).to(ML)

    def vials(self, dose_mg: Magnitude) -> tuple[Magnitude, Magnitude]:
        """Whole vials for ``dose_mg`` [mg] drawn from fresh vials, and the waste [mg].

        Vials = ⌈dose ÷ content⌉ (a dose within 1e-9 of a whole number of vials needs that
        number); waste = vials × content − dose. A dose of 0 needs no vial.

        Examples
        --------
        >>> PRESENTATIONS["fludarabine-25mg-ml-2ml"].vials(77.46)
        (2.0, 22.54)
        """
        content = self.content_mg
        count = np.ceil(np.round(np.asarray(dose_mg, dtype=float) / content, 9))
        waste = np.round(count * content - np.asarray(dose_mg, dtype=float), 9)
        if np.ndim(count) == 0:
            return float(count), float(waste)
        return count, waste


def _quantity(where: str, raw: dict[str, Any], name: str, unit: Any) -> Any:
    text = raw.get(name)
    if not isinstance(text, str):
        raise ValueError(f"{where}: {name} must be a quantity written as text, e.g. '50 mg'")
    value = parse_quantity(text)
    if value.dimensionality != ureg.Unit(unit).dimensionality:
        raise ValueError(f"{where}: {name} = {text!r} is not in {unit}")
    if not (math.isfinite(float(value.magnitude)) and value.magnitude > 0):
        raise ValueError(f"{where}: {name} = {text!r} must be positive")
    return value


_FIELDS: Final = frozenset(
    {
        "agent",
        "name",
        "brand",
        "form",
        "content",
        "concentration",
        "volume",
        "reconstitution",
        "dilution",
        "single_dose",
        "references",
        "quote",
    }
)


def _presentation(key: str, raw: dict[str, Any]) -> Presentation:
    where = f"data/products.toml [product.{key!r}]"
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
    agent = canonical_agent(raw["agent"])
    if agent not in AGENTS:
        raise ValueError(f"{where}: agent {raw['agent']!r} is not in data/agents.toml")
    brand = raw.get("brand")
    if brand is not None:
        brand = product_of(agent, brand, "brand")
    form = raw.get("form")
    if form not in _FORMS:
        raise ValueError(f"{where}: form {form!r} is not one of {_FORMS}")
    content = _quantity(where, raw, "content", "mg")
    concentration = _quantity(where, raw, "concentration", "mg/mL")
    derived = (content / concentration).to(ML)
    if "volume" in raw:
        volume = _quantity(where, raw, "volume", "mL")
        if not math.isclose(
            float(volume.m_as(ML)), float(derived.magnitude), rel_tol=_CONTENT_RTOL
        ):
            raise ValueError(
                f"{where}: content {raw['content']} is not concentration {raw['concentration']} "
                f"× volume {raw['volume']}"
            )
    else:
        volume = derived
    references = tuple(raw.get("references", ()))
    if not references:
        raise ValueError(f"{where}: every product cites its source (references = [...])")
    for reference in references:
        REFERENCES[reference]  # an unknown key raises
    if not isinstance(raw.get("single_dose"), bool):
        raise ValueError(f"{where}: single_dose must be true or false")
    if not raw.get("quote"):
        raise ValueError(f"{where}: quote the label's words the numbers were read from")
    return Presentation(
        key=key,
        agent=agent,
        name=raw["name"],
        brand=brand,
        form=form,
        content=content,
        concentration=concentration,
        volume=volume,
        single_dose=raw["single_dose"],
        reconstitution=raw.get("reconstitution", ""),
        dilution=raw.get("dilution", ""),
        references=references,
        quote=raw["quote"],
    )


def _load() -> tuple[Registry[Presentation], Mapping[str, tuple[Presentation, ...]]]:
    presentations: Registry[Presentation] = Registry("product", name="PRESENTATIONS")
    by_agent: dict[str, list[Presentation]] = {}
    for key, raw in load_toml("data/products.toml")["product"].items():
        item = _presentation(key, raw)
        presentations.register(key, item)
        by_agent.setdefault(item.agent, []).append(item)
    return presentations, MappingProxyType({k: tuple(v) for k, v in by_agent.items()})


#: Every presentation, by key (``"fludarabine-25mg-ml-2ml"``).
PRESENTATIONS: Registry[Presentation]
#: Agent (canonical name) -> its presentations, in the order of the data file.
PRODUCTS: Mapping[str, tuple[Presentation, ...]]
PRESENTATIONS, PRODUCTS = _load()


def presentation(agent: str, key: object, argument: str = "products") -> Presentation:
    """The presentation ``key`` of ``agent``; an unknown key, or another agent's, raises.

    Examples
    --------
    >>> presentation("Flu", "fludarabine-25mg-ml-2ml").concentration
    <Quantity(25, 'milligram / milliliter')>
    """
    agent = canonical_agent(agent)
    own = tuple(item.key for item in PRODUCTS.get(agent, ()))
    if not isinstance(key, str) or key not in own:
        if isinstance(key, str) and key in PRESENTATIONS:
            raise DomainError(
                f"is a product of {PRESENTATIONS[key].agent}, not of {agent}",
                argument=f"{argument}[{agent!r}]",
                value=key,
                shown=safe_repr(key),
                fix=f"use one of: {', '.join(map(repr, own))}" if own else "name no product",
            )
        raise UnknownKeyError(f"{argument}[{agent!r}]", key, own)
    return PRESENTATIONS[key]


def check_brand(item: Presentation, agent: str, product: str | None, argument: str) -> None:
    """Refuse a presentation of another brand than the distinct product a dose line names.

    An agent whose products are dosed differently (``distinct`` in ``data/agents.toml``: rabbit
    ATG as Thymoglobulin or Grafalon) has its product named on every dose line; a dose computed
    for one is never drawn from a vial of the other.

    Raises
    ------
    DomainError
        Naming the line's product and the presentation's brand.
    """
    if product is None or agent not in AGENTS:
        return
    distinct = {p.name for p in AGENTS[agent].products if p.distinct}
    if product not in distinct or item.brand == product:
        return
    own = [p.key for p in PRODUCTS.get(agent, ()) if p.brand == product]
    raise DomainError(
        f"is {item.key} ({item.brand or 'no brand named'}), but the dose line is for {product}; "
        f"{agent} products are dosed differently, so the dose is drawn from {product} only",
        argument=argument,
        value=item.key,
        shown=safe_repr(item.key),
        fix=f"name a {product} presentation: {', '.join(map(repr, own))}"
        if own
        else f"dosing has no {product} presentation: name none",
    )
