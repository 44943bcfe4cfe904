"""Estimated glomerular filtration rate (eGFR): every published equation, one kernel each.

Every equation here returns a filtration rate **normalised to 1.73 m²** of body-surface area, in
``mL/min/standard_bsa``; pint refuses it where an absolute clearance (mL/min) is needed until it
is multiplied by the patient's BSA. Cockcroft–Gault, an absolute creatinine clearance, is
:func:`dosing.creatinine_clearance` (:mod:`dosing.body.kidney`).

The functions named after their authors are the kernels: plain magnitudes in (creatinine in
mg/dL, cystatin C in mg/L, age in years, height in cm, ``male`` and ``black`` as booleans or
boolean arrays), eGFR out, vectorised and never rounded. :func:`egfr` calls one by key with
Quantities: it checks and strips the units once, refuses a missing input the equation needs, and
warns (``OutsidePopulationWarning``) for a patient outside the range the equation was derived or
validated in.

Each kernel is declared once with its name, equation, citation, derivation population and
validated ranges (``@_equation(...)``), which registers it in :data:`EGFR_FORMULAS` and writes its
docstring.

The 2009 and 2012 CKD-EPI equations and MDRD carry a race coefficient, which their 2021 refit
removed; they need ``black=True`` or ``False`` and are never chosen without it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, TypeVar

import numpy as np

from dosing._arrays import guard
from dosing._warn import warn
from dosing.body._sex import is_male
from dosing.body.kidney import creatinine_mg_per_dl, cystatin_c_mg_per_l
from dosing.errors import DomainError, Example, OutsidePopulationWarning, UnitsError, safe_repr
from dosing.plausibility import same_shape, strip
from dosing.references import REFERENCES, Reference, check_references
from dosing.registry import Registry
from dosing.units import CM, EGFR, Q_, YEAR, M, Magnitude

__all__ = [
    "EGFR_FORMULAS",
    "EGFRFormula",
    "ValidRange",
    "ckd_epi_2009",
    "ckd_epi_2021",
    "ckd_epi_cr_cys_2012",
    "ckd_epi_cr_cys_2021",
    "ckd_epi_cystatin_2012",
    "ckid_u25",
    "ckid_u25_cr_cys",
    "ckid_u25_cystatin",
    "egfr",
    "egfr_magnitude",
    "jelliffe",
    "mdrd",
    "schwartz_bedside",
    "schwartz_bedside_kernel",
    "schwartz_original",
]

#: What each kernel argument is, as ``egfr`` calls it: (egfr argument, kernel argument, unit).
INPUTS: Final = {
    "serum_creatinine": "creatinine",
    "cystatin_c": "cystatin",
    "age": "age",
    "sex": "male",
    "height": "height",
    "black": "black",
}

#: The :func:`egfr` argument each kernel argument comes from.
_ARGUMENTS: Final = {parameter: argument for argument, parameter in INPUTS.items()}


@dataclass(frozen=True, slots=True)
class ValidRange:
    """A range an equation was derived or validated in; outside it, a warning.

    ``low`` is inclusive; ``high`` is exclusive unless ``high_inclusive``. ``source`` says where
    the range comes from (or that no source sets it).
    """

    name: str
    low: float
    high: float
    unit: str
    source: str
    high_inclusive: bool = False
    below: str = ""

    def outside(self, values: Any) -> Any:
        """A boolean mask of the values outside the range."""
        values = np.asarray(values)
        above = values > self.high if self.high_inclusive else values >= self.high
        return (values < self.low) | above

    def describe(self) -> str:
        """The range in words: ``age 1 to < 17 years``."""
        high = f"{'' if self.high_inclusive else '< '}{self.high:g}"
        if np.isinf(self.high):
            return f"{self.name} from {self.low:g} {self.unit}"
        return f"{self.name} {self.low:g} to {high} {self.unit}"


@dataclass(frozen=True, slots=True)
class EGFRFormula:
    """One eGFR equation: its kernel, equation, citation, population and validated ranges.

    Call it with Quantities like :func:`egfr`: ``EGFR_FORMULAS["ckd_epi_2021"](serum_creatinine
    =..., age=..., sex=...)``.

    Attributes
    ----------
    key : str
        The ``method=`` key.
    name : str
        Human-readable name.
    kernel : callable
        The float kernel; its keyword arguments are the inputs it uses.
    equation : str
        The equation as published (SCr in mg/dL, cystatin C in mg/L, age in years, H in cm).
    reference : str
        Key into :data:`dosing.references.REFERENCES` (the equation's paper).
    population : str
        Who it was derived in.
    needs : tuple of str
        The :func:`egfr` arguments it needs (``serum_creatinine``, ``cystatin_c``, ``age``,
        ``sex``, ``height``, ``black``).
    ranges : tuple of ValidRange
        Where it was derived or validated; outside, :func:`egfr` warns.
    references : tuple of str
        Further sources: the text the coefficients were read from, the validated range.
    note : str
        A caveat beyond the equation (the creatinine assay it expects, a known pitfall).
    """

    key: str
    name: str
    kernel: Callable[..., Magnitude]
    equation: str
    reference: str
    population: str
    needs: tuple[str, ...]
    ranges: tuple[ValidRange, ...] = ()
    references: tuple[str, ...] = ()
    note: str = ""

    @property
    def citation(self) -> Reference:
        """The full :class:`~dosing.references.Reference` of the equation's paper."""
        return REFERENCES[self.reference]

    @property
    def race_based(self) -> bool:
        """Whether the equation has a race coefficient (it needs ``black``)."""
        return "black" in self.needs

    def __call__(self, **kwargs: Any) -> Any:
        return egfr(method=self.key, **kwargs)

    def docstring(self, examples: str | None) -> str:
        """The kernel's docstring, made from this metadata (and the kernel's own examples)."""
        parts = [
            f"{self.name}: {self.equation} [mL/min/1.73 m²].",
            f"Derived in: {self.population}",
        ]
        if self.ranges:
            parts.append(
                "Validated range (outside it, egfr() warns): "
                + "; ".join(f"{r.describe()} ({r.source})" for r in self.ranges)
                + "."
            )
        if self.note:
            parts.append(self.note)
        parts.append(f"References\n----------\n{', '.join((self.reference, *self.references))}")
        if examples:
            parts.append(inspect.cleandoc(examples))
        return "\n\n".join(parts) + "\n"


#: Read-only mapping: key -> :class:`EGFRFormula`.
EGFR_FORMULAS: Registry[EGFRFormula] = Registry("method", name="EGFR_FORMULAS")

K = TypeVar("K", bound=Callable[..., Any])


def _equation(
    key: str,
    name: str,
    equation: str,
    reference: str,
    population: str,
    **options: Any,
) -> Callable[[K], K]:
    """Declare the decorated kernel as equation ``key``: register it and write its docstring."""

    def register(kernel: K) -> K:
        check_references((reference, *options.get("references", ())), f"eGFR {key!r}")
        needs = tuple(
            argument
            for argument, parameter in INPUTS.items()
            if parameter in inspect.signature(kernel).parameters
        )
        formula = EGFRFormula(key, name, kernel, equation, reference, population, needs, **options)
        kernel.__doc__ = formula.docstring(kernel.__doc__)
        EGFR_FORMULAS.register(key, formula)
        return kernel

    return register


def _float(value: Any) -> Magnitude:
    return float(value) if np.ndim(value) == 0 else value


#: One centimetre in metres, from pint (CKiD U25 takes height in m).
_M_PER_CM: Final = float(Q_(1.0, CM).m_as(M))

_ADULTS_NIDDK: Final = ValidRange(
    "age",
    18.0,
    np.inf,
    "years",
    "NIDDK: the race-free CKD-EPI equations are for individuals ages 18 and older",
)


def _adults(source: str) -> ValidRange:
    return ValidRange("age", 18.0, np.inf, "years", source)


def _ckd_epi_creatinine(creatinine: Any, male: Any, alpha: tuple[float, float], beta: float) -> Any:
    """min(SCr/κ, 1)^α × max(SCr/κ, 1)^β with κ = 0.9 (men) or 0.7 (women); α per sex."""
    kappa = np.where(male, 0.9, 0.7)
    exponent = np.where(male, alpha[0], alpha[1])
    ratio = creatinine / kappa
    return np.power(np.minimum(ratio, 1.0), exponent) * np.power(np.maximum(ratio, 1.0), beta)


def _ckd_epi_cystatin(cystatin: Any, low: float, high: float) -> Any:
    """min(Scys/0.8, 1)^low × max(Scys/0.8, 1)^high."""
    ratio = cystatin / 0.8
    return np.power(np.minimum(ratio, 1.0), low) * np.power(np.maximum(ratio, 1.0), high)


# ---------------------------------------------------------------------------------------------
# Kernels: magnitudes in, mL/min/1.73 m² out. Never round here.


@_equation(
    "ckd_epi_2009",
    "CKD-EPI creatinine 2009",
    "eGFR = 141 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.209 × 0.993^age × 1.018 (female) × "
    "1.159 (Black); κ = 0.9 (male) or 0.7 (female), α = −0.411 (male) or −0.329 (female)",
    "levey2009",
    "8254 people in 10 studies (development), 3896 in 16 (validation); GFR measured by "
    "iothalamate and other exogenous markers; adults",
    ranges=(_adults("adults: the CKD-EPI development and validation cohorts"),),
    references=("kidney-org-ckd-epi",),
    note="Race-based: needs black=True or False; superseded by the race-free 2021 refit "
    "(ckd_epi_2021). The single-equation form (141 × 1.018 for women, kidney.org) is used; the "
    "published piecewise table writes 144 for women, 0.3% apart. For standardized "
    "(IDMS-traceable) creatinine.",
)
def ckd_epi_2009(creatinine: Any, age: Any, male: Any, black: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(ckd_epi_2009(creatinine=1.0, age=40.0, male=True, black=True)), 6)
    108.630476
    """
    result = (
        141.0
        * _ckd_epi_creatinine(creatinine, male, (-0.411, -0.329), -1.209)
        * np.power(0.993, age)
        * np.where(male, 1.0, 1.018)
        * np.where(black, 1.159, 1.0)
    )
    return _float(result)


@_equation(
    "ckd_epi_2021",
    "CKD-EPI creatinine 2021 (race-free)",
    "eGFR = 142 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.200 × 0.9938^age × 1.012 (female); "
    "κ = 0.9 (male) or 0.7 (female), α = −0.302 (male) or −0.241 (female)",
    "inker2021",
    "8254 participants in 10 studies (creatinine development set, 31.5% Black); validated in "
    "4050 participants in 12 studies; adults",
    ranges=(_ADULTS_NIDDK,),
    references=("kidney-org-ckd-epi", "niddk-egfr-adults", "delgado2021"),
    note="No race coefficient. For standardized (IDMS-traceable) creatinine. Recommended for US "
    "adults by the NKF-ASN Task Force (Delgado et al. 2021).",
)
def ckd_epi_2021(creatinine: Any, age: Any, male: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(ckd_epi_2021(creatinine=1.4, age=60.0, male=True)), 2)  # kidney.epi example
    57.54
    """
    result = (
        142.0
        * _ckd_epi_creatinine(creatinine, male, (-0.302, -0.241), -1.200)
        * np.power(0.9938, age)
        * np.where(male, 1.0, 1.012)
    )
    return _float(result)


@_equation(
    "ckd_epi_cystatin_2012",
    "CKD-EPI cystatin C 2012",
    "eGFR = 133 × min(Scys/0.8, 1)^−0.499 × max(Scys/0.8, 1)^−1.328 × 0.996^age × 0.932 (female)",
    "inker2012",
    "5352 participants in 13 studies (development), 1119 in 5 (validation); GFR measured; "
    "cystatin C and creatinine assays traceable to reference materials; adults",
    ranges=(_adults("adults: the CKD-EPI cohorts (18 is this library's reading of 'adults')"),),
    references=("kidney-org-ckd-epi",),
    note="No race coefficient. Cystatin C standardized (IFCC / ERM-DA471) in mg/L.",
)
def ckd_epi_cystatin_2012(cystatin: Any, age: Any, male: Any) -> Magnitude:
    result = (
        133.0
        * _ckd_epi_cystatin(cystatin, -0.499, -1.328)
        * np.power(0.996, age)
        * np.where(male, 1.0, 0.932)
    )
    return _float(result)


@_equation(
    "ckd_epi_cr_cys_2012",
    "CKD-EPI creatinine-cystatin C 2012",
    "eGFR = 135 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−0.601 × min(Scys/0.8, 1)^−0.375 × "
    "max(Scys/0.8, 1)^−0.711 × 0.995^age × 0.969 (female) × 1.08 (Black); κ = 0.9 (male) or "
    "0.7 (female), α = −0.207 (male) or −0.248 (female)",
    "inker2012",
    "5352 participants in 13 studies (development), 1119 in 5 (validation); adults",
    ranges=(_adults("adults: the CKD-EPI cohorts (18 is this library's reading of 'adults')"),),
    references=("nephro-r",),
    note="Race-based: needs black=True or False; superseded by ckd_epi_cr_cys_2021. The "
    "single-equation form (135 × 0.969 for women) is used; a published piecewise table writes "
    "130, 0.6% apart. Coefficients as in the R package nephro and a 2014 review table; no "
    "worked example was found, so its golden rows are hand arithmetic.",
)
def ckd_epi_cr_cys_2012(creatinine: Any, cystatin: Any, age: Any, male: Any, black: Any) -> Any:
    result = (
        135.0
        * _ckd_epi_creatinine(creatinine, male, (-0.207, -0.248), -0.601)
        * _ckd_epi_cystatin(cystatin, -0.375, -0.711)
        * np.power(0.995, age)
        * np.where(male, 1.0, 0.969)
        * np.where(black, 1.08, 1.0)
    )
    return _float(result)


@_equation(
    "ckd_epi_cr_cys_2021",
    "CKD-EPI creatinine-cystatin C 2021 (race-free)",
    "eGFR = 135 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−0.544 × min(Scys/0.8, 1)^−0.323 × "
    "max(Scys/0.8, 1)^−0.778 × 0.9961^age × 0.963 (female); κ = 0.9 (male) or 0.7 (female), "
    "α = −0.144 (male) or −0.219 (female)",
    "inker2021",
    "5352 participants in 13 studies with creatinine and cystatin C (39.7% Black); validated "
    "in 4050 participants in 12 studies; adults",
    ranges=(_adults("NIDDK (from 18); egfr.app gives a validated age range of 18 to 120 years"),),
    references=("egfr-app-cr-cys-2021", "niddk-egfr-adults"),
    note="No race coefficient. NIDDK prefers creatinine and cystatin C together, particularly "
    "near a decision value such as drug dosing.",
)
def ckd_epi_cr_cys_2021(creatinine: Any, cystatin: Any, age: Any, male: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(ckd_epi_cr_cys_2021(creatinine=1.4, cystatin=0.8, age=60.0, male=True)), 2)
    83.97
    """
    result = (
        135.0
        * _ckd_epi_creatinine(creatinine, male, (-0.144, -0.219), -0.544)
        * _ckd_epi_cystatin(cystatin, -0.323, -0.778)
        * np.power(0.9961, age)
        * np.where(male, 1.0, 0.963)
    )
    return _float(result)


@_equation(
    "mdrd",
    "MDRD Study (IDMS-traceable, 175)",
    "eGFR = 175 × SCr^−1.154 × age^−0.203 × 0.742 (female) × 1.212 (Black)",
    "levey2006",
    "1628 patients with chronic kidney disease in the MDRD Study (GFR by urinary "
    "125I-iothalamate clearance); re-expressed in 2005 for standardized creatinine",
    ranges=(_adults("adults with CKD (exact ages not verified; 18 is this library's reading)"),),
    references=("kidney-org-mdrd",),
    note="Race-based: needs black=True or False. The IDMS-traceable constant 175 (kidney.org); "
    "the original 186 is for non-standardized creatinine, 6.3% higher, and is not offered. "
    "Derived in CKD: it underestimates GFR in people with normal kidney function.",
)
def mdrd(creatinine: Any, age: Any, male: Any, black: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(mdrd(creatinine=1.09, age=55.0, male=True, black=False)), 1)  # admiral
    70.2
    """
    with np.errstate(divide="ignore"):
        result = (
            175.0
            * np.power(creatinine, -1.154)
            * np.power(age, -0.203)
            * np.where(male, 1.0, 0.742)
            * np.where(black, 1.212, 1.0)
        )
    return _float(result)


@_equation(
    "jelliffe",
    "Jelliffe (1973)",
    "eGFR = (98 − 0.8 × (age − 20)) / SCr × 0.9 (female)",
    "jelliffe1973",
    "adults (a bedside estimate published as a letter; its derivation population and "
    "validated range were not found)",
    ranges=(_adults("no source found: 18 is this library's convention for an adult equation"),),
    references=("clincalc-crcl",),
    note="A creatinine clearance per 1.73 m², from Jaffe-era creatinine; deprecated in favour "
    "of the CKD-EPI equations. Some software multiplies women by 0.99 instead of 0.9 (a 10% "
    "error, seen in clinPK): the factor here is 0.9, as in the clincalc worked example.",
)
def jelliffe(creatinine: Any, age: Any, male: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(jelliffe(creatinine=1.56, age=78.0, male=False)), 2)  # clincalc: 30
    29.77
    """
    result = (98.0 - 0.8 * (age - 20.0)) / creatinine * np.where(male, 1.0, 0.9)
    return _float(result)


#: Bedside Schwartz constant [mL/min/1.73 m² per (cm / (mg/dL))].
SCHWARTZ_BEDSIDE_K: Final = 0.413


@_equation(
    "schwartz_bedside",
    "Schwartz bedside (2009)",
    "eGFR = 0.413 × H / SCr",
    "schwartz2009",
    "349 children aged 1 to 16 years with chronic kidney disease (CKiD cohort; GFR by plasma "
    "iohexol disappearance, median 41.3 mL/min/1.73 m²)",
    ranges=(
        ValidRange(
            "age",
            1.0,
            17.0,
            "years",
            "Schwartz 2009: derived in children aged 1 to 16 years (read as up to the 17th "
            "birthday)",
        ),
    ),
    note="For enzymatic, IDMS-traceable creatinine. Age is used only to warn outside 1 to 16 "
    "years (under 1 year it is not validated); without age it does not warn.",
)
def schwartz_bedside_kernel(height: Any, creatinine: Any) -> Magnitude:
    """Examples
    --------
    >>> schwartz_bedside_kernel(height=150.0, creatinine=0.5)  # 0.413 × 150 / 0.5
    123.9
    """
    return _float(SCHWARTZ_BEDSIDE_K * height / creatinine)


#: Original Schwartz: the age from which a boy is an adolescent (k = 0.70) [years]. No primary
#: source settles it: calculators use 13 (cal53: "males 13-18"; clinPK switches above 13).
SCHWARTZ_ADOLESCENT_YEARS: Final = 13.0


@_equation(
    "schwartz_original",
    "Schwartz original (k by age and sex)",
    "eGFR = k × H / SCr; k = 0.45 (full-term infants under 1 year), 0.55 (children 1 to 12 "
    "years and adolescent girls), 0.70 (adolescent boys, from 13 years)",
    "schwartz1976",
    "children (k = 0.55; Schwartz 1976), full-term infants in the first year (k = 0.45; "
    "Schwartz 1984) and adolescent boys (k = 0.70; Schwartz & Gauthier 1985); GFR by "
    "creatinine clearance, Jaffe creatinine",
    ranges=(
        ValidRange(
            "age",
            1.0,
            18.0,
            "years",
            "unsourced: the ages of 'children' and 'adolescents' are not defined in the papers "
            "as seen here; calculators use up to 18",
            below="k = 0.45 is for full-term infants (Schwartz 1984); a preterm infant's k is "
            "0.33 (Brion 1986), which is not applied here: use a measured GFR",
        ),
    ),
    references=("schwartz1984", "schwartz1985", "brion1986", "clinpk"),
    note="For Jaffe (non-IDMS) creatinine: with today's enzymatic assays it overestimates GFR; "
    "prefer schwartz_bedside or ckid_u25. The age boundaries (1 year; 13 years for boys) are "
    "not settled by a primary source seen here: unsourced, taken from calculators.",
)
def schwartz_original(height: Any, creatinine: Any, age: Any, male: Any) -> Magnitude:
    """Examples
    --------
    >>> schwartz_original(height=50.0, creatinine=0.5, age=0.5, male=True)  # 0.45 × 50 / 0.5
    45.0
    """
    k = np.where(
        age < 1.0,
        0.45,
        np.where((age >= SCHWARTZ_ADOLESCENT_YEARS) & np.asarray(male, dtype=bool), 0.70, 0.55),
    )
    return _float(k * height / creatinine)


def _ckid_k_creatinine(age: Any, male: Any) -> Any:
    as_male = np.where(
        age < 12.0,
        39.0 * np.power(1.008, age - 12.0),
        np.where(age < 18.0, 39.0 * np.power(1.045, age - 12.0), 50.8),
    )
    as_female = np.where(
        age < 12.0,
        36.1 * np.power(1.008, age - 12.0),
        np.where(age < 18.0, 36.1 * np.power(1.023, age - 12.0), 41.4),
    )
    return np.where(male, as_male, as_female)


def _ckid_k_cystatin(age: Any, male: Any) -> Any:
    as_male = np.where(
        age < 15.0,
        87.2 * np.power(1.011, age - 15.0),
        np.where(age < 18.0, 87.2 * np.power(0.960, age - 15.0), 77.1),
    )
    as_female = np.where(
        age < 12.0,
        79.9 * np.power(1.004, age - 12.0),
        np.where(age < 18.0, 79.9 * np.power(0.974, age - 12.0), 68.3),
    )
    return np.where(male, as_male, as_female)


_CKID_AGES: Final = ValidRange(
    "age", 1.0, 25.0, "years", "the CKiD U25 code: age 1 to 25 years", high_inclusive=True
)
_CKID_HEIGHT: Final = ValidRange(
    "height", 60.0, 200.0, "cm", "the CKiD U25 code: 0.6 to 2 m", high_inclusive=True
)
_CKID_CREATININE: Final = ValidRange(
    "serum_creatinine", 0.1, 10.0, "mg/dL", "the CKiD U25 code", high_inclusive=True
)
_CKID_CYSTATIN: Final = ValidRange(
    "cystatin_c", 0.2, 8.0, "mg/L", "the CKiD U25 code (IFCC-calibrated)", high_inclusive=True
)
_CKID_POPULATION: Final = (
    "2655 observations of 928 children and young adults (1 to 25 years) with chronic kidney "
    "disease in the CKiD study; GFR by plasma iohexol disappearance"
)
_CKID_K_CR: Final = (
    "K = 39.0 × 1.008^(age−12) (male, < 12 y), 39.0 × 1.045^(age−12) (male, 12 to < 18), "
    "50.8 (male, ≥ 18); 36.1 × 1.008^(age−12) (female, < 12), 36.1 × 1.023^(age−12) "
    "(female, 12 to < 18), 41.4 (female, ≥ 18)"
)
_CKID_K_CYS: Final = (
    "K = 87.2 × 1.011^(age−15) (male, < 15 y), 87.2 × 0.960^(age−15) (male, 15 to < 18), "
    "77.1 (male, ≥ 18); 79.9 × 1.004^(age−12) (female, < 12), 79.9 × 0.974^(age−12) "
    "(female, 12 to < 18), 68.3 (female, ≥ 18)"
)


@_equation(
    "ckid_u25",
    "CKiD U25, creatinine (2021)",
    f"eGFR = K × H[m] / SCr, {_CKID_K_CR}",
    "pierce2021",
    _CKID_POPULATION,
    ranges=(_CKID_AGES, _CKID_HEIGHT, _CKID_CREATININE),
    references=("ckid-u25-code",),
    note="Coefficients from the CKiD study group's own code, whose official worked examples "
    "are the golden values. (One package uses the sex-only K of the abstract from 15 to 18 "
    "years, 10% low for a 16-year-old boy: not copied.)",
)
def ckid_u25(height: Any, creatinine: Any, age: Any, male: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(ckid_u25(height=120.0, creatinine=0.9, age=11.0, male=True)), 1)  # CKiD
    51.6
    """
    return _float(_ckid_k_creatinine(age, male) * (height * _M_PER_CM) / creatinine)


@_equation(
    "ckid_u25_cystatin",
    "CKiD U25, cystatin C (2021)",
    f"eGFR = K / Scys, {_CKID_K_CYS}",
    "pierce2021",
    _CKID_POPULATION,
    ranges=(_CKID_AGES, _CKID_CYSTATIN),
    references=("ckid-u25-code",),
    note="IFCC-calibrated cystatin C (a non-calibrated Siemens value × 1.17, per the CKiD code). "
    "(One package uses 41.4, the creatinine K, for women from 18 years, and one swaps the adult "
    "K by sex: neither is copied.)",
)
def ckid_u25_cystatin(cystatin: Any, age: Any, male: Any) -> Magnitude:
    """Examples
    --------
    >>> round(float(ckid_u25_cystatin(cystatin=1.3, age=11.0, male=True)), 1)  # CKiD
    64.2
    """
    return _float(_ckid_k_cystatin(age, male) / cystatin)


@_equation(
    "ckid_u25_cr_cys",
    "CKiD U25, creatinine and cystatin C (2021)",
    "eGFR = (eGFR_creatinine + eGFR_cystatin) / 2, the two CKiD U25 equations",
    "pierce2021",
    _CKID_POPULATION,
    ranges=(_CKID_AGES, _CKID_HEIGHT, _CKID_CREATININE, _CKID_CYSTATIN),
    references=("ckid-u25-code",),
    note="The average of the two, as the CKiD calculator reports it.",
)
def ckid_u25_cr_cys(height: Any, creatinine: Any, cystatin: Any, age: Any, male: Any) -> Any:
    """Examples
    --------
    >>> value = ckid_u25_cr_cys(height=120.0, creatinine=0.9, cystatin=1.3, age=11.0, male=True)
    >>> round(float(value), 1)  # CKiD
    57.9
    """
    by_creatinine = _ckid_k_creatinine(age, male) * (height * _M_PER_CM) / creatinine
    by_cystatin = _ckid_k_cystatin(age, male) / cystatin
    return _float((by_creatinine + by_cystatin) / 2.0)


# ---------------------------------------------------------------------------------------------
# Calling an equation with Quantities


def egfr(
    *,
    serum_creatinine: object = None,
    age: object = None,
    sex: object = None,
    method: str = "ckd_epi_2021",
    height: object = None,
    cystatin_c: object = None,
    black: object = None,
) -> Any:
    """Estimated GFR [mL/min per 1.73 m²] by a named published equation.

    Parameters
    ----------
    serum_creatinine : pint.Quantity
        Serum creatinine, mg/dL or µmol/L (converted through its molar mass); scalar or array.
    age : pint.Quantity
        Age [time].
    sex : {"male", "female"} or array of them
        There is no default.
    method : str
        A key of :data:`EGFR_FORMULAS`; CKD-EPI 2021 (race-free) by default.
    height : pint.Quantity, optional
        Height [length], for the Schwartz and CKiD U25 equations.
    cystatin_c : pint.Quantity, optional
        Serum cystatin C [mass concentration], mg/L, for the cystatin equations.
    black : bool or array of bool, optional
        Only for the race-based equations (``ckd_epi_2009``, ``ckd_epi_cr_cys_2012``,
        ``mdrd``), which need it; the race-free ones ignore it.

    Returns
    -------
    pint.Quantity
        eGFR in ``mL/min/standard_bsa`` (mL/min per 1.73 m²), unrounded. Multiply by the
        patient's BSA for an absolute clearance: ``(egfr * bsa).to("mL/min")``.

    Raises
    ------
    UnitsError
        A bare number or a wrong dimension.
    DomainError
        An input the equation needs is missing; an implausible input; a result that is not
        finite (MDRD at age 0).
    UnknownKeyError
        An unknown ``method``, listing the valid keys.

    Warns
    -----
    OutsidePopulationWarning
        A patient outside the range the equation was derived or validated in (see
        :data:`EGFR_FORMULAS`): an adult equation for a child, Schwartz under 1 year.

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> dosing.egfr(serum_creatinine=Q_(1.4, "mg/dL"), age=Q_(60, "year"), sex="male")
    <Quantity(57.5393906, 'milliliter / minute / standard_bsa')>
    >>> value = dosing.egfr(serum_creatinine=Q_(0.9, "mg/dL"), height=Q_(120, "cm"),
    ...                     age=Q_(11, "year"), sex="male", method="ckid_u25")
    >>> round(value.m_as("mL/min/standard_bsa"), 1)  # the CKiD calculator: 51.6
    51.6
    """
    formula = EGFR_FORMULAS[method]  # an unknown key fails before any input is read
    given = {
        "serum_creatinine": serum_creatinine,
        "age": age,
        "sex": sex,
        "height": height,
        "cystatin_c": cystatin_c,
        "black": black,
    }
    for name in formula.needs:
        if given[name] is None:
            raise _missing(formula, name)
    values: dict[str, Any] = {}
    if serum_creatinine is not None:
        values["creatinine"] = creatinine_mg_per_dl(serum_creatinine)
    if cystatin_c is not None:
        values["cystatin"] = cystatin_c_mg_per_l(cystatin_c)
    if age is not None:
        values["age"] = strip(age, "age", YEAR)
    if height is not None:
        values["height"] = strip(height, "height", CM)
    if sex is not None:
        values["male"] = is_male(sex, f"egfr(method={method!r})")
    if black is not None:
        values["black"] = _black(black)
    first = next(iter(values))
    for name, value in values.items():  # named as the caller wrote them: serum_creatinine, sex
        same_shape(_ARGUMENTS[first], values[first], _ARGUMENTS[name], value)
    return Q_(egfr_magnitude(method, values), EGFR)


def _missing(formula: EGFRFormula, name: str) -> DomainError:
    examples: dict[str, Any] = {
        "serum_creatinine": Q_(0.8, "mg/dL"),
        "age": Q_(40, "year"),
        "sex": "female",
        "height": Q_(150, "cm"),
        "cystatin_c": Q_(0.9, "mg/L"),
    }
    if name == "black":
        return DomainError(
            f"is needed by method={formula.key!r}, which has a race coefficient",
            argument="black",
            value=None,
            fix="pass black=True or black=False, or use a race-free equation "
            "(method='ckd_epi_2021' or 'ckd_epi_cr_cys_2021')",
        )
    return DomainError(
        f"is needed by method={formula.key!r} ({formula.name})",
        argument=name,
        value=None,
        fix=Example({name: examples[name]}, verb="give"),
    )


def _black(value: object) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    array = np.asarray(value)
    if isinstance(value, np.ma.MaskedArray) or array.dtype != np.bool_ or array.ndim == 0:
        raise UnitsError(
            "must be True or False (or a boolean array)",
            argument="black",
            value=value,
            shown=safe_repr(value),
        )
    return array


def egfr_magnitude(method: str, values: dict[str, Any], applies: Any = True) -> Magnitude:
    """The eGFR [mL/min/1.73 m²] of ``method`` on checked magnitudes, with its checks.

    ``values`` holds the kernel's arguments (``creatinine`` in mg/dL, ``cystatin`` in mg/L,
    ``age`` in years, ``height`` in cm, ``male``, ``black``). A result that is not finite
    raises; a patient outside the equation's validated ranges warns, where ``applies`` (True, or
    a mask of the patients the estimate is used for: a cohort's children only) is true. Lazy
    arrays are checked blockwise when computed. The shared core of :func:`egfr` and of the
    renal policy's kidney function (:mod:`dosing.basis`).
    """
    formula = EGFR_FORMULAS[method]
    result = formula.kernel(**{INPUTS[name]: values[INPUTS[name]] for name in formula.needs})
    ranges = tuple(r for r in formula.ranges if _RANGE_INPUT[r.name] in values)
    inputs = [values[_RANGE_INPUT[r.name]] for r in ranges]
    return guard(result, _checks(formula, ranges), result, applies, *inputs)  # type: ignore[no-any-return]


#: The kernel argument each validated range reads.
_RANGE_INPUT: Final = {
    "age": "age",
    "height": "height",
    "serum_creatinine": "creatinine",
    "cystatin_c": "cystatin",
}


@cache
def _checks(formula: EGFRFormula, ranges: tuple[ValidRange, ...]) -> Callable[..., None]:
    def check(result: Any, applies: Any, *inputs: Any) -> None:
        values = np.asarray(result)
        if not np.all(np.isfinite(values)):
            raise DomainError(
                f"gives an eGFR that is not finite for this patient ({formula.name} at age 0?)",
                argument="method",
                value=formula.key,
                fix="use an equation defined for this patient (for a child: "
                "method='schwartz_bedside' or 'ckid_u25')",
            )
        mask = np.asarray(applies, dtype=bool)
        for valid, block in zip(ranges, inputs, strict=True):
            outside = np.logical_and(valid.outside(block), mask)
            if np.any(outside):  # one warning for those under the range, one for those over
                values = np.broadcast_to(np.asarray(block, dtype=float), np.shape(outside))
                below = outside & (values < valid.low)
                for concerned, under in ((below, True), (outside & ~below, False)):
                    if np.any(concerned):
                        warn(_outside_message(formula, valid, under), **_WARN, where=concerned)

    return check


_WARN: Final[dict[str, Any]] = {"category": OutsidePopulationWarning, "stacklevel": 6}


def _outside_message(formula: EGFRFormula, valid: ValidRange, below: bool) -> str:
    unit = "year" if valid.unit == "years" and valid.low == 1 else valid.unit
    if below:
        where = f"under {valid.low:g} {unit}"
        extra = f": {valid.below}" if valid.below else ""
    else:
        where = f"{'over' if valid.high_inclusive else 'from'} {valid.high:g} {valid.unit}"
        extra = ""
    return (
        f"{formula.name} (method={formula.key!r}) is not validated for {valid.name} {where} "
        f"(validated: {valid.describe()}; {valid.source}){extra}"
    )


def schwartz_bedside(height: object, serum_creatinine: object, *, age: object = None) -> Any:
    """Bedside Schwartz eGFR, normalised to 1.73 m²: 0.413 × H [cm] / SCr [mg/dL].

    The result is in ``mL/min/standard_bsa`` (mL/min per 1.73 m²), so it cannot be passed where
    an absolute clearance is needed until multiplied by the patient's BSA. Derived in children
    aged 1 to 16 years: with ``age`` outside it (under 1 year, where it is not validated, or from
    17) it warns. The same as ``egfr(method="schwartz_bedside", ...)``.

    References
    ----------
    schwartz2009

    Examples
    --------
    >>> from dosing import Q_, schwartz_bedside
    >>> egfr = schwartz_bedside(Q_(150, "cm"), Q_(0.5, "mg/dL"))  # 0.413 × 150 / 0.5
    >>> egfr
    <Quantity(123.9, 'milliliter / minute / standard_bsa')>
    >>> (egfr * Q_(1.29, "m**2")).to("mL/min")  # 123.9 × 1.29 / 1.73
    <Quantity(92.3878613, 'milliliter / minute')>
    """
    return egfr(
        method="schwartz_bedside", height=height, serum_creatinine=serum_creatinine, age=age
    )
