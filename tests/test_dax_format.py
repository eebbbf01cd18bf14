"""FORMAT's patterns, text joining with &, and the errors a measure's evaluation can end in."""

from __future__ import annotations

import pandas as pd
import pytest

from bridge.data.dax import DaxError, evaluate_measures
from bridge.data.dax.formatting import format_value
from bridge.data.powerbi.model import MeasureDef, PowerBIModel


@pytest.mark.parametrize("value, pattern, text", [
    (1234.567, "0", "1235"),
    (1234.567, "0.0", "1234.6"),
    (1234.567, "#,##0", "1,235"),
    (1234.567, "#,##0.00", "1,234.57"),
    (0.1234, "0%", "12%"),
    (0.1234, "0.0%", "12.3%"),
    (0.125, "#0%", "13%"),  # half away from zero, as Visual Basic formats
    (-0.0567, "#0.0%", "-5.7%"),
    (1234567.0, "$#,##0", "$1,234,567"),
    (2966500.0, "$#,.00K", "$2966.50K"),
    (567.0, "$#,.00K", "$.57K"),
    (12345.0, "$#,0,.0K", "$12.3K"),
    (1234.5, "Currency", "$1,234.50"),
    (0.256, "Percent", "25.60%"),
    (1234.5, "Fixed", "1234.50"),
    (1234.5, "Standard", "1,234.50"),
    (-3.0, "0;(0)", "(3)"),
    (0.0, '0;-0;"none"', "none"),
    (None, "0.0", ""),
    (pd.Timestamp("2024-03-05"), "yyyy", "2024"),
    (pd.Timestamp("2024-03-05"), "mmm yyyy", "Mar 2024"),
    (pd.Timestamp("2024-03-05"), "dd/mm/yyyy", "05/03/2024"),
    (pd.Timestamp("2024-03-05"), "mmmm d, yyyy", "March 5, 2024"),
    (pd.Timestamp("2024-03-05 14:07"), "hh:nn", "14:07"),
])
def test_format_patterns(value, pattern, text):
    assert format_value(value, pattern) == text


def _model(**measures: str) -> PowerBIModel:
    table = pd.DataFrame({"k": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]})
    return PowerBIModel("f.pbix", {"T": table}, [], {n: MeasureDef("T", n, e) for n, e in measures.items()})


def test_ampersand_writes_whole_numbers_without_a_point_and_blank_as_nothing():
    m = _model(Label='"n=" & SUM(T[k]) & "; avg " & AVERAGE(T[k]) & "; " & BLANK() & "end"',
               Year='YEAR(DATE(2024, 1, 31)) - 1 & " Sales"')
    frame = evaluate_measures(m, ["Label", "Year"])
    assert frame.iloc[0]["Label"] == "n=6; avg 2; end"
    assert frame.iloc[0]["Year"] == "2023 Sales"


def test_text_comparison_ignores_case_as_dax_does():
    m = _model(Same='IF("This Year" = "this year", 1, 0)')
    assert evaluate_measures(m, ["Same"]).iloc[0]["Same"] == 1


def test_a_failure_inside_evaluation_is_a_located_dax_error_not_a_traceback():
    m = _model(Bad='SUM(T[k]) + "abc"', Values="VALUES(T[name])")
    with pytest.raises(DaxError) as err:
        evaluate_measures(m, ["Bad"])
    assert str(err.value).startswith("f.pbix: measure [Bad]: ")
    with pytest.raises(DaxError, match="gives 3 values where one is expected"):
        evaluate_measures(m, ["Values"])


def test_unknown_measure_and_column_in_by_name_what_exists():
    m = _model(Total="SUM(T[k])")
    with pytest.raises(DaxError, match=r"no measure \[Totl\] \(did you mean 'Total'\?\)"):
        evaluate_measures(m, ["Totl"])
    with pytest.raises(DaxError, match=r"has no column \[nam\] \(did you mean 'name'\?\)"):
        evaluate_measures(m, ["Total"], by=["T[nam]"])
