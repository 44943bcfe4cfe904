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
    # --- regimens -----------------------------------------------------------------------------
    Reference(
        "pbc28980",
        "Kyoto University Hospital (letter to the editor; author list not recorded here)",
        "Inotuzumab ozogamicin following allogeneic hematopoietic stem cell transplantation "
        "successfully rescued relapse of CD19-negative acute lymphoblastic leukemia after "
        "CAR-T cell therapy",
        "Pediatr Blood Cancer. 2021;68:e28980",
        2021,
        doi="10.1002/pbc.28980",
    ),
    Reference(
        "besponsa-label-2024",
        "Wyeth Pharmaceuticals (Pfizer)",
        "BESPONSA (inotuzumab ozogamicin) for injection, for intravenous use: US prescribing "
        "information (adults and pediatric patients 1 year and older)",
        "Revised 3/2024",
        2024,
        url="https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid="
        "cc7014b1-c775-411d-b374-8113248b4077",
    ),
    Reference(
        "kawasaki2021",
        "Kawasaki Medical Journal (author list not recorded here)",
        "Total body irradiation in Japan: 12 Gy in 6 fractions over 3 days as the most used "
        "schedule (title not verified; cited as in the project's clinical facts)",
        "Kawasaki Med J. 2021;47:139-146",
        2021,
    ),
    Reference(
        "storb1986",
        "Storb R, Deeg HJ, Whitehead J, et al.",
        "Methotrexate and cyclosporine compared with cyclosporine alone for prophylaxis of acute "
        "graft versus host disease after marrow transplantation for leukemia",
        "N Engl J Med. 1986;314(12):729-735",
        1986,
        doi="10.1056/NEJM198603203141201",
    ),
    Reference(
        "adachi2019",
        "Adachi Y, et al.",
        "Short-term methotrexate doses for GVHD prophylaxis in Japan: 15/10/10 and 10/7/7 mg/m² "
        "variants (title not verified; see the DOI)",
        "Int J Hematol. 2019",
        2019,
        doi="10.1007/s12185-019-02598-x",
    ),
    Reference(
        "bubalo2014",
        "Bubalo J, Carpenter PA, Majhail N, et al.",
        "Conditioning chemotherapy dose adjustment in obese patients: a review and position "
        "statement by the American Society for Blood and Marrow Transplantation Practice "
        "Guideline Committee",
        "Biol Blood Marrow Transplant. 2014;20(5):600-616",
        2014,
        doi="10.1016/j.bbmt.2014.01.019",
    ),
    Reference(
        "griggs2012",
        "Griggs JJ, Mangu PB, Anderson H, et al.",
        "Appropriate chemotherapy dosing for obese adult patients with cancer: American Society "
        "of Clinical Oncology clinical practice guideline",
        "J Clin Oncol. 2012;30(13):1553-1561",
        2012,
        doi="10.1200/JCO.2011.39.9436",
    ),
    Reference(
        "fahrenbruch2018",
        "Fahrenbruch R, Kintzel P, Bott AM, Gilmore S, Markham R",
        "Dose rounding of biologic and cytotoxic anticancer agents: a position statement of the "
        "Hematology/Oncology Pharmacy Association",
        "J Oncol Pract. 2018;14(3):e130-e136",
        2018,
        doi="10.1200/JOP.2017.025411",
    ),
    Reference(
        "ccaustralia-paediatric-dosing",
        "Cancer Council Australia",
        "How is dosage of cancer therapy calculated for paediatric patients? (BSA dosing above "
        "10 kg; per-kg dosing below)",
        "Cancer Council Australia wiki (revision year not verified)",
        None,
        url="https://wiki.cancer.org.au/australia/Clinical_question:How_is_dosage_of_cancer_"
        "therapy_calculated_for_paediatric_patients%3F",
    ),
    Reference(
        "fludara-label",
        "Bayer HealthCare Pharmaceuticals",
        "FLUDARA (fludarabine phosphate) for injection: US prescribing information, renal "
        "impairment dosing",
        "US label (archived on DailyMed; revision year not verified)",
        None,
        url="https://dailymed.nlm.nih.gov/dailymed/archives/fdaDrugInfo.cfm?archiveid=9590",
    ),
    Reference(
        "fludarabine-generic-label",
        "Hospira (Pfizer)",
        "Fludarabine phosphate for injection, USP: US prescribing information, renal impairment "
        "dosing",
        "US label (archived on DailyMed; revision year not verified)",
        None,
        url="https://dailymed.nlm.nih.gov/dailymed/archives/fdaDrugInfo.cfm?archiveid=8363",
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
