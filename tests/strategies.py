"""Shared hypothesis strategies: plausible patients and sizes in the units clinicians use."""

from __future__ import annotations

from hypothesis import strategies as st

from dosing import Q_, get_regimen, regimen_keys

#: Heights [cm] and weights [kg] within Patient's plausibility limits (20–260 cm, 0.3–400 kg).
heights_cm = st.floats(min_value=20.0, max_value=260.0, allow_nan=False)
weights_kg = st.floats(min_value=0.3, max_value=400.0, allow_nan=False)

#: Adults of ordinary build, where all adult BSA formulas are meant to apply.
adult_heights_cm = st.floats(min_value=150.0, max_value=200.0)
adult_weights_kg = st.floats(min_value=45.0, max_value=110.0)

#: Children from infancy to adolescence, a loose band used for pediatric properties.
child_heights_cm = st.floats(min_value=50.0, max_value=170.0)
child_weights_kg = st.floats(min_value=3.0, max_value=70.0)

sexes = st.sampled_from(["male", "female"])


@st.composite
def size_pairs(draw: st.DrawFn) -> tuple[float, float]:
    """A (height cm, weight kg) pair of a plausible human: BMI roughly 10–60 kg/m²."""
    height = draw(st.floats(min_value=45.0, max_value=220.0))
    height_m = height / 100.0
    bmi = draw(st.floats(min_value=11.0, max_value=55.0))
    weight = min(max(bmi * height_m * height_m, 0.3), 400.0)
    return height, weight


@st.composite
def patients_kwargs(draw: st.DrawFn) -> dict[str, object]:
    """Keyword arguments for a plausible single Patient (height, weight, age, sex)."""
    height, weight = draw(size_pairs())
    return {
        "height": Q_(height, "cm"),
        "weight": Q_(weight, "kg"),
        "age": Q_(draw(st.floats(min_value=1.0, max_value=90.0)), "year"),
        "sex": draw(sexes),
    }


#: Values every checked input must refuse: non-finite, zero, negative.
bad_numbers = st.sampled_from([float("nan"), float("inf"), float("-inf"), 0.0, -1.0, -150.0])


def _by_amount(key: str) -> bool:
    return all(
        line.kind in ("bsa", "weight", "flat", "radiation") for line in get_regimen(key).doses
    )


#: The built-in regimens whose every line is an amount × a basis (per m², per kg, flat, Gy).
#: Lines by target AUC need a GFR, lines by weight band one band per cohort: those regimens are
#: tested in tests/test_exposure_lines.py.
AMOUNT_REGIMENS = tuple(key for key in regimen_keys() if _by_amount(key))
