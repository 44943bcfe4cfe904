"""Units: the shared registry, foreign registries, IU, parsing text, and the boundary checks."""

from __future__ import annotations

import numpy as np
import pint
import pytest

import dosing
from dosing import Q_, UnitsError
from dosing.units import (
    AUC,
    CM,
    EGFR,
    IU,
    KG,
    MG_PER_KG,
    MG_PER_M2,
    as_quantity,
    is_per_bsa,
    is_per_weight,
    magnitude,
    parse_quantity,
    ucum,
    ureg,
)


def test_registry_is_pints_application_registry() -> None:
    assert ureg is pint.get_application_registry().get()
    a = pint.Quantity(150, "cm")
    b = Q_(150, "cm")
    assert (a + b).m_as("cm") == 300
    assert dosing.bsa(pint.Quantity(150, "cm"), pint.Quantity(40, "kg")) == dosing.bsa(
        b, Q_(40, "kg")
    )


def test_foreign_registry_is_converted_correctly() -> None:
    other = pint.UnitRegistry()
    got = magnitude(other.Quantity(1.5, "m"), CM, "height")
    assert got == pytest.approx(150.0, rel=1e-15)
    area = dosing.bsa(other.Quantity(59, "inch"), other.Quantity(88, "lb"))
    # 59 in = 149.86 cm, 88 lb = 39.916 kg: sqrt(149.86 × 39.91613 / 3600)
    assert area.m_as("m**2") == pytest.approx((149.86 * 39.91613 / 3600) ** 0.5, rel=1e-6)


def test_foreign_registry_with_unknown_unit_is_refused() -> None:
    other = pint.UnitRegistry()
    other.define("smoot = 170.18 cm")
    with pytest.raises(UnitsError, match="height=.*another pint UnitRegistry"):
        magnitude(other.Quantity(1, "smoot"), CM, "height")


def test_foreign_registry_defining_a_unit_differently_is_refused() -> None:
    other = pint.UnitRegistry()
    other.define("IU = 1e-6 * mole")  # a registry that takes IU for micromoles
    with pytest.raises(UnitsError, match="differently"):
        as_quantity(other.Quantity(10, "IU"), IU, "amount")


def test_iu_is_its_own_dimension_and_not_the_enzyme_unit() -> None:
    assert IU.dimensionality != ureg.Unit("U").dimensionality
    with pytest.raises(pint.DimensionalityError):
        Q_(1, "IU").to("U")
    assert Q_(1000, "IU").to("kIU").magnitude == pytest.approx(1.0)


def test_auc_unit_is_mass_time_per_volume() -> None:
    assert Q_(5, AUC).to("mg*h/L").magnitude == pytest.approx(5 * 1000 / 60)


def test_egfr_times_bsa_is_an_absolute_clearance() -> None:
    # 100 mL/min per 1.73 m², for a patient of 1.29 m²: 100 × 1.29 / 1.73
    absolute = (Q_(100, EGFR) * Q_(1.29, "m**2")).to("mL/min")
    assert absolute.magnitude == pytest.approx(100 * 1.29 / 1.73, rel=1e-12)
    with pytest.raises(pint.DimensionalityError):
        Q_(100, EGFR).to("mL/min")


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("150cm", 150, "cm"),
        ("150 cm", 150, "cm"),
        ("59in", 59, "inch"),
        ("88lb", 88, "lb"),
        ("1.2mg/dL", 1.2, "mg/dL"),
        ("1.29m2", 1.29, "m**2"),
        ("1.29 m²", 1.29, "m**2"),
        ("12y", 12, "year"),
        ("12 yr", 12, "year"),
        ("6 mo", 6, "month"),
        ("2 g/m2", 2, "g/m**2"),
        ("1.5 mg/kg", 1.5, "mg/kg"),
        ("60 µmol/L", 60, "umol/L"),
        ("100 IU/m2", 100, "IU/m**2"),
        ("90mL/min/1.73m2", 90, "mL/min/standard_bsa"),
        ("2 mg/m^2", 2, "mg/m**2"),
        ("100 iu/m2", 100, "IU/m**2"),
        ("5 ng/kg", 5, "ng/kg"),
        ("90 mL/min/1.73 m²", 90, "mL/min/standard_bsa"),
        ("90 mL/min/(1.73 m**2)", 90, "mL/min/standard_bsa"),
        ("1e3 mg", 1000, "mg"),
        (".5 mg", 0.5, "mg"),
    ],
)
def test_parse_quantity_reads_clinical_shorthand(text: str, value: float, unit: str) -> None:
    q = parse_quantity(text)
    assert q.units == ureg.Unit(unit)
    assert q.magnitude == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    ["40", "", "cm", "150 smoots", "1.2.3 cm", "150 cm cm!", "١٥٠ cm", "150 (cm", "100 units/m2"],
)
def test_parse_quantity_refuses_text_without_a_known_unit(text: str) -> None:
    with pytest.raises(UnitsError):
        parse_quantity(text)


def test_bare_number_names_the_argument_and_shows_the_fix() -> None:
    with pytest.raises(UnitsError, match=r'weight=40 has no unit; write weight=Q_\(40, "kg"\)'):
        magnitude(40, KG, "weight")


def test_per_kg_amount_is_refused_where_a_mass_is_needed() -> None:
    """mg/kg is dimensionless to pint; it must not pass as a weight or a bare number."""
    with pytest.raises(UnitsError, match="weight="):
        magnitude(Q_(1, "mg/kg"), KG, "weight")


def test_wrong_dimension_names_both_dimensions() -> None:
    with pytest.raises(UnitsError, match=r"height=.*\[mass\].*\[length\]"):
        magnitude(Q_(40, "kg"), CM, "height")


def test_string_with_unit_is_accepted_and_without_is_refused() -> None:
    assert magnitude("1.5 m", CM, "height") == pytest.approx(150.0)
    with pytest.raises(UnitsError, match="height='150'"):
        magnitude("150", CM, "height")


def test_magnitude_returns_float64_arrays_and_floats() -> None:
    arr = magnitude(Q_(np.array([150, 160]), "cm"), CM, "height")
    assert isinstance(arr, np.ndarray)
    assert arr.dtype == np.float64
    assert isinstance(magnitude(Q_(150, "cm"), CM, "height"), float)
    assert isinstance(magnitude(Q_(np.float32(1.5), "m"), CM, "height"), float)
    assert isinstance(magnitude(Q_(np.array(150.0), "cm"), CM, "height"), float)


def test_magnitude_refuses_a_non_numeric_magnitude() -> None:
    with pytest.raises(UnitsError, match="magnitude of type"):
        magnitude(_odd_quantity(), CM, "height")


def _odd_quantity() -> object:
    q = Q_(1.0, "cm")
    q._magnitude = "150"  # a string magnitude cannot be computed on
    return q


def test_per_weight_and_per_bsa_are_told_apart_by_units() -> None:
    assert is_per_weight(MG_PER_KG)
    assert is_per_weight(ureg.Unit("IU/kg"))
    assert is_per_weight(ureg.Unit("ug/kg"))
    assert not is_per_weight(ureg.Unit(""))
    assert not is_per_weight(MG_PER_M2)
    assert is_per_bsa(MG_PER_M2)
    assert is_per_bsa(ureg.Unit("g/m**2"))
    assert is_per_bsa(ureg.Unit("IU/m**2"))
    assert not is_per_bsa(MG_PER_KG)
    assert not is_per_bsa(ureg.Unit("Gy"))


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ("mg/m**2", "mg/m2"),
        ("g/m**2", "g/m2"),
        ("mg/kg", "mg/kg"),
        ("mg", "mg"),
        ("Gy", "Gy"),
        ("IU", "[iU]"),
        ("IU/m**2", "[iU]/m2"),
        ("mL/min", "mL/min"),
        ("mg/dL", "mg/dL"),
        ("umol/L", "umol/L"),
        ("mL/min/standard_bsa", "mL/min/{1.73_m2}"),
        ("kg/m**2", "kg/m2"),
        ("mg*min/mL", "mg.min/mL"),
        ("mg/hour", "mg/h"),
    ],
)
def test_ucum_codes(unit: str, code: str) -> None:
    assert ucum(unit) == code


@pytest.mark.parametrize(
    ("definition", "imports"),
    [
        ("standard_bsa = 1.73 * meter ** 2", True),  # the same unit: kept
        ("international_unit = [international_unit] = IU", True),
        # another size of standard_bsa would silently change every normalised eGFR: refused
        ("standard_bsa = 1.8 * meter ** 2", False),
        ("international_unit = 1e-6 * mole = IU", False),
    ],
)
def test_a_unit_the_application_defined_first_must_mean_what_dosing_means(
    definition: str, imports: bool
) -> None:
    import subprocess
    import sys

    code = (
        "import pint\n"
        f"pint.get_application_registry().get().define({definition!r})\n"
        "import dosing\n"
        "print(dosing.Q_(1, 'standard_bsa').m_as('m**2'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if imports:
        assert done.returncode == 0, done.stderr
        assert float(done.stdout) == 1.73
    else:
        assert done.returncode != 0
        assert "UnitsError" in done.stderr
        assert "is already defined in pint's application registry" in done.stderr


def test_defining_a_unit_dosing_already_defined_checks_it_in_process() -> None:
    from dosing.units import _define_once

    # standard_bsa is defined (on import) as 1.73 m²: the same definition again is kept ...
    _define_once("standard_bsa = 1.73 * meter ** 2", "[length] ** 2", 1.73)
    assert Q_(1, "standard_bsa").m_as("m**2") == 1.73
    # ... and another meaning is refused, naming the unit
    with pytest.raises(UnitsError, match="'standard_bsa' is already defined .* as 1.73 m"):
        _define_once("standard_bsa = 1.8 * meter ** 2", "[length] ** 2", 1.8)
