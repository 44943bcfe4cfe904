"""The citation catalogue: every formula, table, limit and protocol cites a key here.

The catalogue is data, ``dosing/data/references.toml``, read once by one validating loader.
Formulas carry their reference key; regimen templates, renal tables and dose limits list keys;
the docs render the catalogue. A key that is not here is an error wherever it is used.

Examples
--------
>>> from dosing.references import REFERENCES
>>> REFERENCES["mosteller1987"].doi
'10.1056/NEJM198710223171717'
>>> print(REFERENCES["mosteller1987"])
Mosteller RD. Simplified calculation of body-surface area. N Engl J Med. 1987;317(17):1098. \
doi:10.1056/NEJM198710223171717
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from dosing._data import load_toml
from dosing.errors import UnknownKeyError
from dosing.registry import Registry

__all__ = ["REFERENCES", "Reference", "check_references", "get_reference"]


@dataclass(frozen=True, slots=True)
class Reference:
    """One citation.

    Attributes
    ----------
    key : str
        Catalogue key, e.g. ``"mosteller1987"``.
    authors : str
        Authors in Vancouver style (``"Mosteller RD"``), or the issuing body for a label.
    title : str
        Title of the article, book or document.
    source : str
        Journal (abbreviated), book publisher or issuer, with year, volume and pages.
    year : int or None
        Year of publication (or of the label revision); None where it was not verified.
    doi : str or None
        DOI where one exists.
    pmid : str or None
        PubMed identifier where one exists.
    url : str or None
        A stable address for documents without a DOI (drug labels, software).
    """

    key: str
    authors: str
    title: str
    source: str
    year: int | None
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        text = f"{_sentence(self.authors)} {_sentence(self.title)} {_sentence(self.source)}"
        if self.doi:
            text += f" doi:{self.doi}"
        elif self.pmid:
            text += f" PMID:{self.pmid}"
        elif self.url:
            text += f" {self.url}"
        return text

    @property
    def link(self) -> str | None:
        """A resolvable address: the DOI link, else PubMed, else the URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url


def _sentence(text: str) -> str:
    """``text`` ending in one full stop (``et al.`` is not given a second; ``?`` is kept)."""
    return text if text.endswith((".", "?", "!")) else f"{text}."


_REQUIRED: Final = ("authors", "title", "source")
_OPTIONAL: Final = ("year", "doi", "pmid", "url")
_DOI: Final = re.compile(r"10\.\d{4,9}/\S+")


def _reference(key: str, raw: Mapping[str, Any]) -> Reference:
    """One validated entry; a packaging slip in the data file fails loudly on import."""
    where = f"data/references.toml [{key}]"
    unknown = set(raw) - {*_REQUIRED, *_OPTIONAL}
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
    for name in _REQUIRED:
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise ValueError(f"{where}: {name} must be a non-empty string")
    year = raw.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ValueError(f"{where}: year must be an integer")
    doi, pmid = raw.get("doi"), raw.get("pmid")
    if doi is not None and not _DOI.fullmatch(doi):
        raise ValueError(f"{where}: doi {doi!r} is not a DOI")
    if pmid is not None and not str(pmid).isdigit():
        raise ValueError(f"{where}: pmid {pmid!r} is not a PubMed identifier")
    return Reference(
        key=key,
        authors=raw["authors"],
        title=raw["title"],
        source=raw["source"],
        year=year,
        doi=doi,
        pmid=pmid,
        url=raw.get("url"),
    )


#: Read-only catalogue: key -> :class:`Reference`.
REFERENCES: Registry[Reference] = Registry("reference", name="REFERENCES")
for _key, _raw in load_toml("data/references.toml").items():
    REFERENCES.register(_key, _reference(_key, _raw))


def get_reference(key: str) -> Reference:
    """Return the reference for ``key``; an unknown key lists the known ones.

    Examples
    --------
    >>> get_reference("cockcroft1976").doi
    '10.1159/000180580'
    """
    return REFERENCES[key]


def check_references(keys: Iterable[str], where: str) -> tuple[str, ...]:
    """``keys`` as a tuple, each checked to be in the catalogue (for packaged data files).

    Raises
    ------
    UnknownKeyError
        A key that is not in :data:`REFERENCES`, naming ``where`` it was cited.
    """
    out = tuple(keys)
    for key in out:
        if key not in REFERENCES:
            raise UnknownKeyError(f"{where} reference", key, REFERENCES)
    return out
