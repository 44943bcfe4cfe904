"""The shared words of :mod:`dosing`: agent names and the flags a dose can carry.

Everything that names an agent (templates, policies, limits, renal tables, prior exposures, the
command line) resolves it here, through the vocabulary in ``dosing/data/agents.toml``: canonical
names (lowercase INN) with their abbreviations, brands, salts and spellings. Matching ignores
case, spaces and punctuation, so ``"Ara-C"``, ``"ara c"`` and ``"AraC"`` are all cytarabine. A
brand resolves to its agent and product (``"Thymoglobulin"``: rabbit anti-thymocyte globulin,
product Thymoglobulin). A name the vocabulary does not know is kept as written (lower case, single
spaces) and reported as unknown by ``dosing.check()``: it is never matched by guess. A name that
means more than one agent (``"ATG"``) is refused with the candidates.

Every flag a dose can carry is declared by the policy step that sets it
(:func:`dosing.policy.steps.pipeline_step`) into :data:`FLAGS` here, where every module may read
it: flag name -> its meaning, in the order of the steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from dosing._data import load_toml
from dosing.errors import DomainError, Example, UnknownKeyError, safe_repr
from dosing.registry import Registry

__all__ = [
    "AGENTS",
    "ALL_AGENTS",
    "FLAGS",
    "Agent",
    "Identity",
    "Product",
    "canonical_agent",
    "identify",
    "name_key",
]

#: The key that applies a per-agent policy setting to every agent.
ALL_AGENTS: Final = "*"

#: Every flag a row can carry, and what it means, in the order of the steps that set them.
FLAGS: Registry[str] = Registry("flag", name="FLAGS")


@dataclass(frozen=True, slots=True)
class Product:
    """A product (brand) of an agent; ``distinct`` when it is dosed differently from the others."""

    name: str
    synonyms: tuple[str, ...] = ()
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent of the vocabulary: its canonical name, other names, classes and products."""

    name: str
    synonyms: tuple[str, ...]
    classes: frozenset[str]
    products: tuple[Product, ...]
    source: str

    @property
    def product_names(self) -> tuple[str, ...]:
        """The canonical names of its products."""
        return tuple(product.name for product in self.products)

    @property
    def needs_product(self) -> bool:
        """Whether its products are dosed differently, so that a dose must name its product."""
        return any(product.distinct for product in self.products)


@dataclass(frozen=True, slots=True)
class Identity:
    """What a name resolves to: a canonical agent, its product if the name was a brand, and
    whether the vocabulary knows it."""

    agent: str
    product: str | None
    known: bool


_NON_ALNUM: Final = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """The form names are matched in: lower case, letters and digits only (``Ara-C`` -> ``arac``).

    Examples
    --------
    >>> name_key("  Anti-Thymocyte  Globulin (Rabbit) ")
    'antithymocyteglobulinrabbit'
    """
    return _NON_ALNUM.sub("", name.casefold())


def _load() -> tuple[Registry[Agent], Mapping[str, Identity], Mapping[str, tuple[str, ...]]]:
    data = load_toml("data/agents.toml")
    agents: Registry[Agent] = Registry("agent", name="AGENTS")
    names: dict[str, Identity] = {}

    def claim(name: str, identity: Identity) -> None:
        key = name_key(name)
        if not key:  # pragma: no cover  (a packaging slip, caught on import)
            raise ValueError(f"data/agents.toml: {name!r} has no letters or digits")
        if key in names and names[key] != identity:  # pragma: no cover  (a packaging slip)
            raise ValueError(f"data/agents.toml: {name!r} names {names[key]} and {identity}")
        names[key] = identity

    for canonical, raw in data["agent"].items():
        # Never reached: a packaging slip (the shipped names are canonical), caught on import
        if canonical != " ".join(canonical.split()).casefold():  # pragma: no cover
            raise ValueError(f"data/agents.toml: {canonical!r} is not in canonical form")
        products = tuple(
            Product(
                name=item["name"],
                synonyms=tuple(item.get("synonyms", ())),
                distinct=bool(item.get("distinct", False)),
            )
            for item in raw.get("products", ())
        )
        if sum(product.distinct for product in products) == 1:  # pragma: no cover  (data slip)
            raise ValueError(
                f"data/agents.toml: {canonical!r} has one distinct product; distinct products "
                f"come in twos or more (another form is another agent)"
            )
        agent = Agent(
            name=canonical,
            synonyms=tuple(raw.get("synonyms", ())),
            classes=frozenset(raw.get("classes", ())),
            products=products,
            source=raw["source"],
        )
        agents.register(canonical, agent)
        claim(canonical, Identity(canonical, None, True))
        for synonym in agent.synonyms:
            claim(synonym, Identity(canonical, None, True))
        for product in products:
            for name in (product.name, *product.synonyms):
                claim(name, Identity(canonical, product.name, True))
    ambiguous = {}
    for name, candidates in data.get("ambiguous", {}).items():
        for candidate in candidates:
            if candidate not in agents:  # pragma: no cover  (a packaging slip)
                raise ValueError(f"data/agents.toml: ambiguous {name!r} names {candidate!r}")
        ambiguous[name_key(name)] = tuple(candidates)
    return agents, MappingProxyType(names), MappingProxyType(ambiguous)


#: Read-only: every agent of the vocabulary, by canonical name.
AGENTS: Registry[Agent]
AGENTS, _NAMES, _AMBIGUOUS = _load()


def identify(name: object) -> Identity:
    """What an agent's name means: its canonical agent, its product, and whether it is known.

    Raises
    ------
    DomainError
        ``name`` is not a name, or it names more than one agent (``"ATG"``).

    Examples
    --------
    >>> identify("Ara-C")
    Identity(agent='cytarabine', product=None, known=True)
    >>> identify("Thymoglobuline")
    Identity(agent='anti-thymocyte globulin (rabbit)', product='Thymoglobulin', known=True)
    >>> identify("Frobnicate")
    Identity(agent='frobnicate', product=None, known=False)
    """
    if not isinstance(name, str) or not name.strip():
        raise DomainError(
            "must be an agent's name",
            argument="agent",
            value=name,
            fix=Example({"agent": "melphalan"}),
        )
    key = name_key(name)
    candidates = _AMBIGUOUS.get(key)
    if candidates is not None:
        raise DomainError(
            f"names more than one agent ({', '.join(candidates)}), dosed differently",
            argument="agent",
            value=name,
            shown=safe_repr(name),
            fix=f"write one of: {', '.join(map(repr, candidates))}",
        )
    identity = _NAMES.get(key)
    if identity is not None:
        return identity
    return Identity(" ".join(name.split()).casefold(), None, False)


def canonical_agent(name: object) -> str:
    """The canonical name of an agent: its lowercase INN, through synonyms and brands.

    A name the vocabulary does not know is kept as written, in lower case with single spaces.

    Examples
    --------
    >>> canonical_agent("  Anti-Thymocyte  Globulin (Rabbit) ")
    'anti-thymocyte globulin (rabbit)'
    >>> canonical_agent("MTX"), canonical_agent("Busulphan"), canonical_agent("Besponsa")
    ('methotrexate', 'busulfan', 'inotuzumab ozogamicin')
    """
    return identify(name).agent


def product_of(agent: str, name: object, argument: str = "product") -> str:
    """The canonical name of a product of ``agent`` (matched like agent names).

    Raises
    ------
    UnknownKeyError
        ``name`` is not a product of ``agent``; the error lists its products.
    """
    if isinstance(name, str):
        identity = _NAMES.get(name_key(name))
        if identity is not None and identity.agent == agent and identity.product is not None:
            return identity.product
    known: Any = AGENTS[agent].product_names if agent in AGENTS else ()
    raise UnknownKeyError(argument, name, known)
