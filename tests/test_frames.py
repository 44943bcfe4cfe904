"""Tables in and out: plan_frame, plan_batches (Spark, Dask), to_frame, and whom findings concern.

Expected doses are hand arithmetic shown beside each test (Mosteller BSA = √(H[cm] × W[kg] /
3600), Mosteller 1987; amounts from the built-in templates' sources as written in them).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dosing
import dosing.frames
from dosing import Q_, Patient, Policy
from dosing.errors import DomainError, DosingError, UnitsError, UnusedPolicyWarning

pd = pytest.importorskip("pandas")


def mosteller(height_cm: float, weight_kg: float) -> float:
    return math.sqrt(height_cm * weight_kg / 3600.0)


def table(**columns: object) -> object:
    base: dict[str, object] = {
        "patient_id": ["a", "b", "c"],
        "regimen": ["gvhd-mtx-10-7-7", "inotuzumab-cycle-1", "rabbit-atg"],
        "height": [150.0, 59.0, 170.0],
        "height_unit": ["cm", "[in_i]", "cm"],
        "weight": [40.0, 88.0, 70.0],
        "weight_unit": ["kg", "[lb_av]", "kg"],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_rows_come_out_per_patient_and_administration_in_input_order() -> None:
    out = dosing.plan_frame(table())
    assert tuple(out.columns) == dosing.frames.COLUMNS
    assert out["patient_id"].tolist() == ["a"] * 3 + ["b"] * 3 + ["c"] * 2
    assert out["day"].tolist() == [1, 3, 6, 1, 8, 15, -2, -1]
    # a: 150 cm, 40 kg -> BSA √(6000/3600) = 1.290994 m²; MTX 10, 7, 7 mg/m².
    bsa_a = mosteller(150, 40)
    np.testing.assert_allclose(out["dose"][:3], [10 * bsa_a, 7 * bsa_a, 7 * bsa_a], rtol=1e-12)
    # b: 59 in = 149.86 cm (59 × 2.54), 88 lb = 39.916 kg (88 × 0.45359237); inotuzumab 0.8 then
    # 0.5 mg/m².
    bsa_b = mosteller(59 * 2.54, 88 * 0.45359237)
    np.testing.assert_allclose(out["dose"][3:6], [0.8 * bsa_b, 0.5 * bsa_b, 0.5 * bsa_b])
    np.testing.assert_allclose(out["basis_value"][3], bsa_b)
    # c: rabbit ATG 1.25 mg/kg of actual weight, 70 kg -> 87.5 mg on days -2 and -1.
    np.testing.assert_allclose(out["dose"][6:], [87.5, 87.5])
    assert out["basis_kind"].tolist() == ["bsa"] * 6 + ["weight"] * 2
    assert out["basis_unit"].tolist() == ["m2"] * 6 + ["kg"] * 2
    assert out["dose_unit"].tolist() == ["mg"] * 8
    assert out["prescribed_unit"].tolist() == ["mg/m2"] * 6 + ["mg/kg"] * 2
    assert out["prescribed"].tolist() == [10, 7, 7, 0.8, 0.5, 0.5, 1.25, 1.25]
    assert out["error"].isna().all()
    assert out["flags"].tolist() == [""] * 8
    for name in ("agent", "dose_unit", "basis_method", "flags", "findings", "regimen"):
        assert isinstance(out[name].dtype, pd.CategoricalDtype), name


def test_anchor_dates_follow_each_regimens_frame() -> None:
    frame = table(
        transplant_date=[dt.date(2026, 12, 10), None, "2026-12-10"],
        cycle_start=[None, "2026-01-05", None],
    )
    out = dosing.plan_frame(frame)
    dates = [d.date() if not pd.isna(d) else None for d in out["date"]]
    # Transplant day 1 = day 0 + 1; cycle day 8 = day 1 + 7; transplant day -2 = day 0 - 2.
    assert dates == [
        dt.date(2026, 12, 11),
        dt.date(2026, 12, 13),
        dt.date(2026, 12, 16),
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 12),
        dt.date(2026, 1, 19),
        dt.date(2026, 12, 8),
        dt.date(2026, 12, 9),
    ]


def test_a_date_column_of_datetimes_is_read_as_dates() -> None:
    # the same dates as above, in a datetime64 column (pandas' own dates) rather than text
    frame = table(
        transplant_date=pd.to_datetime(["2026-12-10", None, "2026-12-10"]),
        cycle_start=[None, "2026-01-05", None],
    )
    dates = [d.date() for d in dosing.plan_frame(frame)["date"]]
    # transplant day 1 = 10 December + 1; cycle day 8 = 5 January + 7; day -2 = 10 December - 2
    assert dates[0] == dt.date(2026, 12, 11)
    assert dates[4] == dt.date(2026, 1, 12)
    assert dates[6] == dt.date(2026, 12, 8)


def test_an_error_that_does_not_start_with_its_field_is_prefixed_with_it() -> None:
    # the renal policy's message names no field first: the row's error says which one it is
    frame = table(regimen=["flu-arac-mel-ric"] * 3)
    out = dosing.plan_frame(frame, policy=Policy(renal="fludarabine-fludara-label"))
    assert (
        out["error"]
        .str.startswith("serum_creatinine: the renal policy needs the patient's renal function")
        .all()
    )


BAD_ROWS = [
    ({"height": [150.0, 900.0, 170.0]}, "height", "plausible range"),
    ({"weight_unit": ["kg", None, "kg"]}, "weight", "weight_unit"),
    ({"weight_unit": ["kg", "stone-ish", "kg"]}, "weight_unit", "UCUM"),
    ({"height_unit": ["cm", "kg", "cm"]}, "height", "length"),
    ({"regimen": ["gvhd-mtx-10-7-7", "no-such-regimen", "rabbit-atg"]}, "regimen", "one of"),
    ({"regimen": ["gvhd-mtx-10-7-7", None, "rabbit-atg"]}, "regimen", "regimen_keys"),
    ({"height": [150.0, "tall", 170.0]}, "height", "not a number"),
    ({"sex": [None, "unknown", None]}, "sex", "male"),
    ({"weight": [40.0, None, 70.0]}, "weight", "height and weight, or bsa"),
    ({"transplant_date": [None, "2026-12-10", None]}, "transplant_date", "cycle_start"),
    ({"cycle_start": [None, "10/12/2026", None]}, "cycle_start", "ISO date"),
    (
        {"regimen": ["gvhd-mtx-10-7-7", "rabbit-atg", "rabbit-atg"]}
        | {"cycle_start": [None, "2026-12-10", None]},
        "cycle_start",
        "counts transplant days (day 0 = graft infusion); give transplant_date instead",
    ),
]


@pytest.mark.parametrize(("change", "field", "fix"), BAD_ROWS)
def test_a_bad_row_comes_back_with_its_error_and_nothing_else_is_dropped(
    change: dict[str, object], field: str, fix: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.DosingWarning)
        out = dosing.plan_frame(table(**change))
    # a (3 MTX doses) and c (2 ATG doses) as before; b is one error row.
    assert out["patient_id"].tolist() == ["a", "a", "a", "b", "c", "c"]
    error = out.loc[3, "error"]
    assert field in error
    assert fix in error
    assert out.loc[3, ["dose", "day", "agent"]].isna().all()
    assert out["error"].isna().sum() == 5
    np.testing.assert_allclose(out["dose"][4:], [87.5, 87.5])
    with pytest.raises(DosingError, match=field):
        dosing.plan_frame(table(**change), errors="raise")


def test_a_regimen_needing_a_fact_no_row_gives_fails_every_row_once() -> None:
    # gvhd-mtx needs a BSA; none of these rows has height and weight or bsa.
    frame = pd.DataFrame(
        {"patient_id": range(40), "regimen": "gvhd-mtx-10-7-7", "age": 30.0, "age_unit": "a"}
    )
    out = dosing.plan_frame(frame)
    assert len(out) == 40
    assert out["error"].str.contains("height and weight").all()


def test_the_tables_shape_raises_whatever_errors_says() -> None:
    with pytest.raises(DomainError, match="patient_id"):
        dosing.plan_frame(pd.DataFrame({"regimen": ["rabbit-atg"]}))
    with pytest.raises(UnitsError, match="height_unit"):
        dosing.plan_frame(pd.DataFrame({"patient_id": [1], "regimen": ["x"], "height": [1.0]}))
    with pytest.raises(DomainError, match="no 'weight' column"):
        dosing.plan_frame(
            pd.DataFrame({"patient_id": [1], "regimen": ["x"], "weight_unit": ["kg"]})
        )
    with pytest.raises(DomainError, match="collect"):
        dosing.plan_frame(table(), errors="ignore")
    with pytest.raises(DomainError, match="Policy"):
        dosing.plan_frame(table(), policy="strict")  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="interchange"):
        dosing.plan_frame([{"patient_id": 1}])


def test_flags_and_findings_are_per_patient() -> None:
    # BSA cap 1.5 m²: 150 cm/40 kg (1.291 m²) is not capped, 190 cm/90 kg (√4.75 = 2.179 m²) is.
    frame = pd.DataFrame(
        {
            "patient_id": [1, 2],
            "regimen": "gvhd-mtx-10-7-7",
            "height": [150.0, 190.0],
            "height_unit": "cm",
            "weight": [40.0, 90.0],
            "weight_unit": "kg",
        }
    )
    out = dosing.plan_frame(frame, policy=Policy(bsa_cap=Q_(1.5, "m**2")))
    assert out["flags"].tolist() == [""] * 3 + ["bsa_capped"] * 3
    assert out["findings"].tolist() == [""] * 3 + ["capped"] * 3
    np.testing.assert_allclose(out["dose"][3:], [15.0, 10.5, 10.5])  # 10, 7, 7 mg/m² × 1.5 m²


def test_a_finding_about_the_whole_schedule_reaches_every_row_of_its_agent() -> None:
    # flu-arac-mel-ric declares RIC, but melphalan 180 mg/m² is over the 140 mg/m² working
    # definition of myeloablative: an intensity warning about melphalan, for every patient.
    frame = pd.DataFrame(
        {
            "patient_id": [1],
            "regimen": "flu-arac-mel-ric",
            "bsa": [1.2],
            "bsa_unit": "m2",
        }
    )
    out = dosing.plan_frame(frame)
    melphalan = out[out["agent"] == "melphalan"]
    assert (melphalan["findings"] == "intensity").all()
    assert (out[out["agent"] == "fludarabine"]["findings"] == "").all()


def test_finding_masks_say_whom_a_cohort_finding_concerns() -> None:
    cohort = Patient(
        height=Q_(np.array([150.0, 190.0]), "cm"), weight=Q_(np.array([40.0, 90.0]), "kg")
    )
    schedule = dosing.get_regimen("gvhd-mtx-10-7-7").expand(
        cohort, policy=Policy(bsa_cap=Q_(1.5, "m**2"))
    )
    capped = [f for f in dosing.check(schedule) if f.code == "capped"]
    assert capped
    for finding in capped:
        assert finding.patients.tolist() == [False, True]
        assert not finding.patients.flags.writeable


def test_a_policy_naming_an_agent_no_regimen_gives_warns_once() -> None:
    with pytest.warns(UnusedPolicyWarning, match="'busulfan'") as caught:
        dosing.plan_frame(table(), policy=Policy(dose_factors={"busulfan": 0.8}))
    assert len([w for w in caught if issubclass(w.category, UnusedPolicyWarning)]) == 1
    # Methotrexate is in one row's regimen only: no warning for the others.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedPolicyWarning)
        out = dosing.plan_frame(table(), policy=Policy(dose_factors={"methotrexate": 0.8}))
    assert "reduced" in out["flags"].tolist()[0]


def test_an_implausible_bmi_warns_as_for_a_cohort() -> None:
    with pytest.warns(dosing.ImplausibleInputWarning, match="BMI"):
        out = dosing.plan_frame(table(weight=[40.0, 88.0, 10.0]))
    assert out["error"].isna().all()


def test_a_date_with_a_time_and_a_date_outside_the_calendar_are_errors() -> None:
    frame = table(transplant_date=[pd.Timestamp("2026-12-10 08:00"), None, "0001-01-01"])
    out = dosing.plan_frame(frame)
    errors = out["error"].dropna().tolist()
    assert "date and time" in errors[0]
    assert "outside the calendar" in errors[1]


def test_a_table_through_the_interchange_protocol() -> None:
    pa = pytest.importorskip("pyarrow")
    arrow = pa.Table.from_pandas(table())
    out = dosing.plan_frame(arrow)
    pd.testing.assert_frame_equal(out, dosing.plan_frame(table()))


def test_an_empty_table_gives_an_empty_long_table() -> None:
    out = dosing.plan_frame(table().iloc[:0])
    assert tuple(out.columns) == dosing.frames.COLUMNS
    assert len(out) == 0


#: The built-in regimens whose every line is an amount × BSA, × actual weight, or flat.
REGIMENS = [
    key
    for key in dosing.regimen_keys()
    if all(
        line.kind in ("bsa", "weight", "flat", "radiation")
        for line in dosing.get_regimen(key).doses
    )
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(REGIMENS),
            st.floats(100.0, 200.0),
            st.floats(16.0, 32.0),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_a_row_in_a_table_gets_the_dose_it_gets_alone(rows: list[tuple[str, float, float]]) -> None:
    """Every row is planned as if it were the only patient: Mosteller by hand × the amount."""
    regimens = [r for r, _, _ in rows]
    heights = np.array([h for _, h, _ in rows])
    weights = (heights / 100.0) ** 2 * np.array([b for _, _, b in rows])  # BMI 16–32
    frame = pd.DataFrame(
        {
            "patient_id": range(len(rows)),
            "regimen": regimens,
            "height": heights,
            "height_unit": "cm",
            "weight": weights,
            "weight_unit": "kg",
        }
    )
    out = dosing.plan_frame(frame)
    expected_rows = 0
    for index, key in enumerate(regimens):
        regimen = dosing.get_regimen(key)
        mine = out[out["patient_id"] == index]
        assert mine["error"].isna().all()
        expected_rows += sum(len(line.days) * line.per_day for line in regimen.doses)
        for _, row in mine.iterrows():
            line = next(
                ln for ln in regimen.doses if ln.agent == row["agent"] and row["day"] in ln.days
            )
            basis = {"bsa": mosteller(heights[index], weights[index]), "weight": weights[index]}
            factor = basis.get(line.kind, 1.0)
            assert row["dose"] == pytest.approx(line.amount_value * factor, rel=1e-12)
    assert len(out) == expected_rows


def test_plan_batches_gives_spark_types_batch_by_batch() -> None:
    batches = list(dosing.frames.plan_batches([table(), table().iloc[:1]]))
    assert [len(b) for b in batches] == [8, 3]
    first = batches[0]
    assert tuple(first.columns) == dosing.frames.COLUMNS
    assert first["patient_id"].tolist()[0] == "a"
    assert first["agent"].dtype == object
    assert str(first["date"].dtype) == "datetime64[ns]"


def test_the_spark_schema_names_every_column_in_order() -> None:
    names = [part.strip().split(" ")[0] for part in dosing.frames.SPARK_SCHEMA.split(",")]
    assert tuple(names) == dosing.frames.COLUMNS


def test_the_dask_recipe_gives_the_same_rows() -> None:
    dd = pytest.importorskip("dask.dataframe")
    frame = table()
    ddf = dd.from_pandas(frame, npartitions=2)
    part = dosing.frames.plan_partition
    got = ddf.map_partitions(part, meta=part(frame.iloc[:0])).compute()
    expected = dosing.plan_frame(frame)
    np.testing.assert_array_equal(got["dose"].to_numpy(), expected["dose"].to_numpy())
    assert got["patient_id"].tolist() == expected["patient_id"].tolist()


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_the_spark_recipe_gives_the_same_rows_as_plan_frame() -> None:
    """mapInPandas(plan_batches, SPARK_SCHEMA) on a local Spark session."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    frame = table(
        transplant_date=["2026-12-10", None, "2026-12-10"], cycle_start=[None, "2026-01-05", None]
    )
    frame.loc[3] = ["d", "rabbit-atg", 900.0, "cm", 70.0, "kg", "2026-12-10", None]
    spark = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas 3
            source = spark.createDataFrame(frame)
            got = source.mapInPandas(
                dosing.frames.plan_batches, dosing.frames.SPARK_SCHEMA
            ).toPandas()
    finally:
        spark.stop()
    expected = dosing.plan_frame(frame)
    assert len(got) == len(expected) == 9
    assert got["patient_id"].tolist() == expected["patient_id"].astype(str).tolist()
    np.testing.assert_array_equal(got["dose"].to_numpy(), expected["dose"].to_numpy())
    assert got["agent"].tolist()[:3] == ["methotrexate"] * 3
    assert got["error"].iloc[-1] == expected["error"].iloc[-1]
    assert got["date"].iloc[0] == dt.date(2026, 12, 11)


def test_to_frame_text_columns_are_categorical_and_match_the_records() -> None:
    cohort = Patient(
        height=Q_(np.array([150.0, 190.0, 120.0]), "cm"),
        weight=Q_(np.array([40.0, 90.0, 25.0]), "kg"),
    )
    schedule = dosing.get_regimen("mel-tbi-mac").expand(cohort, transplant_date="2026-12-10")
    frame = schedule.to_frame()
    records = schedule.to_records()
    assert len(frame) == len(records) == 3 * 8
    assert frame["agent"].tolist() == [r["agent"] for r in records]
    assert frame["unit"].tolist() == [r["dose"]["unit"] for r in records]
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [r["date"] for r in records]
    routes = [None if pd.isna(v) else v for v in frame["route"].tolist()]
    assert routes == [r["route"] for r in records]
    assert isinstance(frame["agent"].dtype, pd.CategoricalDtype)
    # TBI 2 Gy per fraction for everyone; melphalan 90 mg/m² × each BSA.
    tbi = frame[frame["agent"] == "total body irradiation"]
    assert (tbi["dose"] == 2.0).all()
    mel = frame[frame["agent"] == "melphalan"]["dose"].to_numpy().reshape(3, 2)[:, 0]
    np.testing.assert_allclose(
        mel, [90 * mosteller(150, 40), 90 * mosteller(190, 90), 90 * mosteller(120, 25)]
    )


def test_plan_frame_in_the_package_namespace() -> None:
    assert dosing.plan_frame is dosing.frames.plan_frame


def test_a_row_failing_only_inside_its_cohort_is_found_and_the_others_planned() -> None:
    # The FLUDARA label's renal table is for adults: the 12-year-old among ten adults is refused
    # (naming the way out) and the adults are planned. Adults: Cockcroft–Gault (140 − 50) × 70 /
    # (72 × 1.0) = 87.5 mL/min for men, over the label's 70 mL/min: no reduction.
    ages = [50.0] * 10 + [12.0]
    ages[3], ages[10] = 12.0, 50.0
    frame = pd.DataFrame(
        {
            "patient_id": range(11),
            "regimen": "flu-arac-mel-ric",
            "height": 170.0,
            "height_unit": "cm",
            "weight": 70.0,
            "weight_unit": "kg",
            "age": ages,
            "age_unit": "a",
            "sex": "male",
            "serum_creatinine": 1.0,
            "serum_creatinine_unit": "mg/dL",
        }
    )
    out = dosing.plan_frame(frame, policy=Policy(renal="fludarabine-fludara-label"))
    failed = out[out["error"].notna()]
    assert failed["patient_id"].tolist() == [3]
    assert "renal_outside_population" in failed["error"].iloc[0]
    assert len(out) == 10 * 9 + 1
    fludarabine = out[out["agent"] == "fludarabine"]["dose"].to_numpy()
    np.testing.assert_allclose(fludarabine, 30 * mosteller(170, 70))


def test_an_empty_unit_text_is_no_unit() -> None:
    out = dosing.plan_frame(table(weight_unit=["kg", "  ", "kg"]))
    assert "weight_unit" in out.loc[3, "error"]


def test_weight_bands_and_target_auc_lines_through_a_table() -> None:
    # Busulfan EU bands (mg/kg per dose, q6h × 16): 8 kg -> 1.0, 20 kg -> 1.1, 40 kg -> 0.8
    # (Busilvex SmPC, as in the template); the three children span three bands.
    # Carboplatin AUC 5 by Calvert: 5 × (100 + 25) = 625 mg.
    frame = pd.DataFrame(
        {
            "patient_id": ["infant", "child", "teen", "adult"],
            "regimen": ["bu-cy4-paediatric-eu"] * 3 + ["gem-carbo-kdn5"],
            "height": [70.0, 110.0, 150.0, 170.0],
            "height_unit": "cm",
            "weight": [8.0, 20.0, 40.0, 70.0],
            "weight_unit": "kg",
            "glomerular_filtration_rate": [None, None, None, 100.0],
            "glomerular_filtration_rate_unit": [None, None, None, "mL/min"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.DosingWarning)
        out = dosing.plan_frame(frame)
    assert out["error"].isna().all()
    busulfan = out[out["agent"] == "busulfan"].groupby("patient_id", sort=False)["dose"].first()
    assert busulfan.to_dict() == pytest.approx({"infant": 8.0, "child": 22.0, "teen": 32.0})
    carboplatin = out[out["agent"] == "carboplatin"]["dose"].tolist()
    assert carboplatin == pytest.approx([625.0])


def test_more_than_63_texts_are_joined_per_patient_as_well() -> None:
    # Each patient's choice of texts is kept as bits, 63 to a word: 70 texts need two words.
    names = [f"w{i}" for i in range(70)]
    masks = [np.array([i % 2 == 0, i >= 60, True]) for i in range(70)]
    categories = dosing.frames._Categories()
    codes = dosing.frames._combined(names, masks, 3, categories, sep="\n")
    texts = list(categories.codes)
    assert texts[codes[0]] == "\n".join(f"w{i}" for i in range(0, 70, 2))
    assert texts[codes[1]] == "\n".join(f"w{i}" for i in range(60, 70))
    assert texts[codes[2]] == "\n".join(names)
