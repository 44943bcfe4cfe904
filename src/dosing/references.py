"""The citation catalogue: every formula, table and protocol in :mod:`dosing` cites a key here.

Formulas carry their reference key; regimen templates list keys in ``references``; the docs
render this catalogue. A key that is not here is an error wherever it is used.

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

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dosing.errors import UnknownMethodError

__all__ = ["REFERENCES", "Reference", "get_reference"]


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
    year : int
        Year of publication (or of the label revision).
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
    year: int
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        text = f"{self.authors}. {self.title}. {self.source}."
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


_ALL = (
    # --- body-surface area -------------------------------------------------------------------
    Reference(
        "mosteller1987",
        "Mosteller RD",
        "Simplified calculation of body-surface area",
        "N Engl J Med. 1987;317(17):1098",
        1987,
        doi="10.1056/NEJM198710223171717",
    ),
    Reference(
        "dubois1916",
        "Du Bois D, Du Bois EF",
        "A formula to estimate the approximate surface area if height and weight be known",
        "Arch Intern Med. 1916;17(6_2):863-871",
        1916,
        doi="10.1001/archinte.1916.00080130010002",
    ),
    Reference(
        "haycock1978",
        "Haycock GB, Schwartz GJ, Wisotsky DH",
        "Geometric method for measuring body surface area: a height-weight formula validated "
        "in infants, children, and adults",
        "J Pediatr. 1978;93(1):62-66",
        1978,
        doi="10.1016/S0022-3476(78)80601-5",
    ),
    Reference(
        "gehan1970",
        "Gehan EA, George SL",
        "Estimation of human body surface area from height and weight",
        "Cancer Chemother Rep. 1970;54(4):225-235",
        1970,
        pmid="5527019",
    ),
    Reference(
        "boyd1935",
        "Boyd E",
        "The Growth of the Surface Area of the Human Body",
        "Minneapolis: University of Minnesota Press; 1935",
        1935,
    ),
    Reference(
        "fujimoto1968",
        "Fujimoto S, Watanabe T, Sakamoto A, Yukawa K, Morimoto K",
        "Studies on the physical surface area of Japanese. 18. Calculation formulas in three "
        "stages over all ages",
        "Nippon Eiseigaku Zasshi (Jpn J Hyg). 1968;23(5):443-450",
        1968,
        doi="10.1265/jjh.23.443",
    ),
    Reference(
        "takahira1925",
        "Takahira H",
        "Estimation of the body surface area of the Japanese (as cited by Fujimoto et al. 1968)",
        "Report of the Imperial Government Institute for Nutrition. 1925",
        1925,
    ),
    Reference(
        "shuter2000",
        "Shuter B, Aslani A",
        "Body surface area: Du Bois and Du Bois revisited",
        "Eur J Appl Physiol. 2000;82(3):250-254",
        2000,
        doi="10.1007/s004210050679",
    ),
    Reference(
        "schlich2010",
        "Schlich E, Schumm M, Schlich M",
        "3-D-Body-Scan als anthropometrisches Verfahren zur Bestimmung der spezifischen "
        "Körperoberfläche",
        "Ernährungs Umschau. 2010;57:178-183",
        2010,
    ),
    Reference(
        "livingston2001",
        "Livingston EH, Lee S",
        "Body surface area prediction in normal-weight and obese patients",
        "Am J Physiol Endocrinol Metab. 2001;281(3):E586-E591",
        2001,
        doi="10.1152/ajpendo.2001.281.3.E586",
    ),
    Reference(
        "yu2010",
        "Yu CY, Lin CH, Yang YH",
        "Human body surface area database and estimation formula",
        "Burns. 2010;36(5):616-629",
        2010,
        doi="10.1016/j.burns.2009.05.013",
    ),
    Reference(
        "clinpk",
        "Keizer RJ",
        "clinPK: Clinical Pharmacokinetics Toolkit (R package); test suite values for BSA, IBW "
        "and Cockcroft-Gault",
        "InsightRX; CRAN",
        2023,
        url="https://CRAN.R-project.org/package=clinPK",
    ),
    # --- weight ------------------------------------------------------------------------------
    Reference(
        "devine1974",
        "McCarron MM, Devine BJ",
        "Clinical pharmacy: case studies. Case number 25: gentamicin therapy",
        "Drug Intell Clin Pharm. 1974;8:650-655",
        1974,
    ),
    Reference(
        "robinson1983",
        "Robinson JD, Lupkiewicz SM, Palenik L, Lopez LM, Ariet M",
        "Determination of ideal body weight for drug dosage calculations",
        "Am J Hosp Pharm. 1983;40(6):1016-1019",
        1983,
        pmid="6869387",
    ),
    Reference(
        "miller1983",
        "Miller DR, Carlson JD, Lloyd BJ, Day BJ",
        "Determining ideal body weight (and mass)",
        "Am J Hosp Pharm. 1983;40(10):1622-1625",
        1983,
    ),
    Reference(
        "hamwi1964",
        "Hamwi GJ",
        "Therapy: changing dietary concepts",
        "In: Danowski TS, ed. Diabetes Mellitus: Diagnosis and Treatment. Vol 1. New York: "
        "American Diabetes Association; 1964:73-78",
        1964,
    ),
    Reference(
        "james1976",
        "James WPT",
        "Research on Obesity: a report of the DHSS/MRC group",
        "London: Her Majesty's Stationery Office; 1976",
        1976,
    ),
    Reference(
        "janmahasatian2005",
        "Janmahasatian S, Duffull SB, Ash S, Ward LC, Byrne NM, Green B",
        "Quantification of lean bodyweight",
        "Clin Pharmacokinet. 2005;44(10):1051-1065",
        2005,
        doi="10.2165/00003088-200544100-00004",
    ),
    # --- renal -------------------------------------------------------------------------------
    Reference(
        "cockcroft1976",
        "Cockcroft DW, Gault MH",
        "Prediction of creatinine clearance from serum creatinine",
        "Nephron. 1976;16(1):31-41",
        1976,
        doi="10.1159/000180580",
    ),
    Reference(
        "schwartz2009",
        "Schwartz GJ, Muñoz A, Schneider MF, et al.",
        "New equations to estimate GFR in children with CKD",
        "J Am Soc Nephrol. 2009;20(3):629-637",
        2009,
        doi="10.1681/ASN.2008030287",
    ),
    Reference(
        "calvert1989",
        "Calvert AH, Newell DR, Gumbrell LA, et al.",
        "Carboplatin dosage: prospective evaluation of a simple formula based on renal function",
        "J Clin Oncol. 1989;7(11):1748-1756",
        1989,
        doi="10.1200/JCO.1989.7.11.1748",
    ),
    Reference(
        "fda-carboplatin-gfr-cap",
        "U.S. Food and Drug Administration",
        "Carboplatin dosing: cap the estimated GFR at 125 mL/min in the Calvert formula "
        "(communication to oncologists, 2010; adopted by NCCN)",
        "FDA Center for Drug Evaluation and Research; 2010",
        2010,
        url="https://www.fda.gov/AboutFDA/CentersOffices/OfficeofMedicalProductsandTobacco/"
        "CDER/ucm228974.htm",
    ),
)

#: Read-only catalogue: key -> :class:`Reference`.
REFERENCES: Mapping[str, Reference] = MappingProxyType({ref.key: ref for ref in _ALL})


def get_reference(key: str) -> Reference:
    """Return the reference for ``key``; an unknown key lists the known ones.

    Examples
    --------
    >>> get_reference("cockcroft1976").doi
    '10.1159/000180580'
    """
    try:
        return REFERENCES[key]
    except KeyError:
        raise UnknownMethodError("reference", key, sorted(REFERENCES)) from None
