"""Expressions, numbers and formats: bounded before they are computed, refused at their line, or drawn as no data.

Each case runs the real `bridge` command on a briefing folder (tests/hostile/harness.py)
and asserts the exact outcome: exit 2 with the located message naming the limit, or exit 0
with the located warning when a value is not finite or too large to be a measure.
"""

import re

import pytest

from bridge.limits import MAX_EXPRESSION_CHARS, MAX_FORMAT_CHARS
from tests.hostile.harness import (
    SCENE,
    TEXT_PANEL,
    accepted,
    refused,
    run_bridge,
    scene,
)

pytestmark = pytest.mark.slow  # each case runs `python -m bridge` in a subprocess


def quoted(text: str) -> str:
    """A YAML single-quoted scalar."""
    return "'" + text.replace("'", "''") + "'"


def kpi(value: str, extra: str = "") -> str:
    return f"  - {{id: p, type: kpi, value: {quoted(value)}, width: 30, height: 10{extra}}}"


def kpi_format(fmt: str) -> str:
    return kpi("sum(people.total)", f", format: {quoted(fmt)}")


AT_VALUE = r"scene\.yaml:6: panels\[0\]\.value: "
AT_FORMAT = r"scene\.yaml:6: panels\[0\]\.format: "
TOO_BIG = r"larger than 1e15 in magnitude \(more than any measure may be\); it is refused before it is computed"
NOT_FINITE = r"not finite \(a division by zero, or a number too large\?\)"

REFUSED_VALUES = {
    "power tower 9**9**9": ("9**9**9", AT_VALUE + r"'9 \*\* 9 \*\* 9' would be about 10\^369,693,100, " + TOO_BIG),
    "power tower 2**2**2**2**2**2": ("2**2**2**2**2**2", AT_VALUE + r"'2 \*\* 2 \*\* 2 \*\* 2 \*\* 2' would be about 10\^19,728, " + TOO_BIG),
    "10**400 in a KPI": ("sum(people.total) * 10**400", AT_VALUE + r"'10 \*\* 400' would be about 10\^400, " + TOO_BIG),
    "a tiny base to a huge negative power": ("0.1 ** -400", AT_VALUE + r"'0\.1 \*\* \(-400\)' would be about 10\^400, " + TOO_BIG),
    "a power just over the limit": ("2 ** 50", AT_VALUE + r"'2 \*\* 50' would be about 1\.1e\+15, " + TOO_BIG),
    "a 5000-digit integer": ("1" * 5000, AT_VALUE + r"expression is 5,000 characters long; at most 2,000 are allowed"),
    "a 200-digit integer": ("sum(people.total) + " + "7" * 200, AT_VALUE + r"the number 7{39}… has 200 digits; at most 15 are allowed in an expression"),
    "a 16-digit integer": ("1234567890123456", AT_VALUE + r"the number 1234567890123456 has 16 digits; at most 15 are allowed"),
    "1e400, which Python reads as inf": ("1e400", AT_VALUE + r"the number 1e400 is larger than 1e15 in magnitude, more than any measure may be"),
    "1000 nested not": ("not " * 1000 + "people.total > 0", AT_VALUE + r"expression is 4,016 characters long; at most 2,000 are allowed"),
    "400 nested not": ("sum(" + "not " * 400 + "(people.total > 0))", AT_VALUE + r"'sum\(not not .*…' is nested 402 levels deep .*; at most 40 are allowed: split it into derived measures"),
    "1000 unary minus": ("-" * 1000 + "1", AT_VALUE + r"'-{59}…' is nested 1000 levels deep .*; at most 40 are allowed"),
    "a 5000-term sum": ("+".join(["1"] * 5000), AT_VALUE + r"expression is 9,999 characters long; at most 2,000 are allowed"),
    "a 500-term sum under the length limit": ("+".join(["1"] * 500), AT_VALUE + r"'1\+1\+1.*…' is nested 499 levels deep .*; at most 40 are allowed"),
    "a 3000-character expression": ('sum(people["' + "x" * 2985 + '"])', AT_VALUE + r"expression is 3,000 characters long; at most 2,000 are allowed"),
    "300 nested brackets": ("(" * 300 + "1" + ")" * 300, AT_VALUE + r"'\({59}…' nests brackets 300 deep; at most 40 levels of nesting are allowed"),
    "a number compared with text": ('sum(people.total) + (1 < "a")', AT_VALUE + r"'1 < 'a'' compares a number with text"),
    "an attribute walk": ("people.total.__class__", AT_VALUE + r"'people\.total\.__class__' is not a column: write dataset\.column"),
}


@pytest.mark.parametrize("value, pattern", REFUSED_VALUES.values(), ids=REFUSED_VALUES.keys())
def test_expression_refused_at_its_line(briefing, value, pattern):
    refused(run_bridge("validate", scene(briefing, kpi(value))), pattern)


REFUSED_FORMATS = {
    "attribute walk {0.__class__}": ("{0.__class__}", (r"number format '\{0\.__class__\}' names a field \('0\.__class__'\); "
                                                       r"field names, indexes and attributes are not allowed: write \{\} or \{:spec\}, "
                                                       r"e\.g\. '\{:,\.0f\}'")),
    "a width of 1500000000": ("{:>1500000000}", r"number format '\{:>1500000000\}' asks for a width of 1500000000; at most 40 is allowed"),
    "a named field {x}": ("{x}", r"number format '\{x\}' names a field \('x'\)"),
    "an index {0[0]}": ("{0[0]}", r"number format '\{0\[0\]\}' names a field \('0\[0\]'\)"),
    "a conversion {!r}": ("{!r}", r"number format '\{!r\}' asks for a conversion \('!r'\); only a number spec may follow ':'"),
    "a precision of a million": ("{:.1000000f}", r"number format '\{:\.1000000f\}' asks for a precision of 1000000; at most 20 is allowed"),
    "two fields": ("{} and {}", r"number format '\{\} and \{\}' has more than one \{\} field"),
    "a nested field": ("{:{}}", r"number format '\{:\{\}\}' nests a field inside a field"),
    "no field": ("people", r"number format 'people' has no \{\} field for the number"),
    "a spec that is not for numbers": ("{:s}", r"'s' in number format '\{:s\}' is not a number spec"),
    "a format longer than the limit": ("{:,.0f}" + "x" * MAX_FORMAT_CHARS, rf"number format is {MAX_FORMAT_CHARS + 7} characters long; at most {MAX_FORMAT_CHARS} are allowed"),
}


@pytest.mark.parametrize("fmt, pattern", REFUSED_FORMATS.values(), ids=REFUSED_FORMATS.keys())
def test_format_refused_at_its_line(briefing, fmt, pattern):
    outcome = refused(run_bridge("validate", scene(briefing, kpi_format(fmt))), AT_FORMAT + pattern)
    assert "__class__'>" not in outcome.output and "<class" not in outcome.output


def test_table_format_refused_too(briefing):
    table = "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, People: people.total}, format: '{0.__class__}', width: 50, height: 30}"
    refused(run_bridge("validate", scene(briefing, table)), AT_FORMAT + r"number format '\{0\.__class__\}' names a field")


def test_power_tower_in_a_derived_measure(briefing):
    refused(run_bridge("validate", scene(briefing, extra="derive:\n  bad: 9**9**9\n")),
            r"scene\.yaml:10: derive\.bad: '9 \*\* 9 \*\* 9' would be about 10\^369,693,100, " + TOO_BIG)


def test_power_tower_in_a_dataset_filter(briefing):
    text = SCENE.replace("PANELS", TEXT_PANEL).replace("counts: [total]}", "counts: [total], where: total > 10**400}")
    refused(run_bridge("validate", scene(briefing, text=text)),
            r"scene\.yaml:4: datasets\.people\.where: '10 \*\* 400' would be about 10\^400, " + TOO_BIG)


def test_expression_at_the_length_limit_is_read(briefing):
    value = "sum(people.total)" + " " * (MAX_EXPRESSION_CHARS - len("sum(people.total)") - 2) + "+0"
    assert len(value) == MAX_EXPRESSION_CHARS
    accepted(run_bridge("validate", scene(briefing, kpi(value))))


# Values that are not finite or too large: drawn as no data, with a located warning.

def test_division_by_zero_in_a_map_colour_is_no_data_and_the_map_is_drawn(briefing):
    panel = "  - {id: p, type: map, data: areas, colour: people.total / (people.total > 1600), width: 60, height: 40}"
    path = scene(briefing, panel)
    warning = r"warning: .*scene\.yaml:6: panels\[0\]\.colour: (\d+) values are " + NOT_FINITE + " and are drawn as no data"
    outcome = accepted(run_bridge("validate", path))
    count = int(re.search(warning, outcome.stderr).group(1))
    assert 0 < count < 198
    outcome = accepted(run_bridge("render", path, "--size", "1024x512", "--out", briefing / "out"))
    assert re.search(warning, outcome.stderr), outcome.stderr
    assert (briefing / "out" / "step-01" / "equirect.png").stat().st_size > 0


def test_kpi_of_one_divided_by_zero_shows_no_data(briefing):
    outcome = accepted(run_bridge("validate", scene(briefing, kpi("1/0"))))
    assert re.search(r"warning: .*scene\.yaml:6: panels\[0\]\.value: '1/0' is " + NOT_FINITE + " and is drawn as no data",
                     outcome.stderr), outcome.stderr


def test_kpi_whose_power_overflows_at_run_time(briefing):
    outcome = accepted(run_bridge("validate", scene(briefing, kpi("max(people.total) ** 400"))))
    assert re.search(AT_VALUE + r"'max\(people\.total\) \*\* 400' is " + NOT_FINITE, outcome.stderr), outcome.stderr


def test_kpi_too_large_to_be_a_measure(briefing):
    outcome = accepted(run_bridge("validate", scene(briefing, kpi("sum(people.total) * 10**14"))))
    assert re.search(AT_VALUE + r"'sum\(people\.total\) \* 10\*\*14' is larger than 1e15 in magnitude "
                     r"\(too large to be a measure\) and is drawn as no data", outcome.stderr), outcome.stderr


def test_kpi_compare_of_division_by_zero(briefing):
    panel = kpi("sum(people.total)", ", compare: sum(people.total) / 0")
    outcome = accepted(run_bridge("validate", scene(briefing, panel)))
    assert re.search(r"scene\.yaml:6: panels\[0\]\.compare: 'sum\(people\.total\) / 0' is " + NOT_FINITE, outcome.stderr)


def test_table_column_of_division_by_zero(briefing):
    table = "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, Ratio: 1 / (people.total > 1600)}, width: 50, height: 30}"
    outcome = accepted(run_bridge("validate", scene(briefing, table)))
    assert re.search(r"scene\.yaml:6: panels\[0\]\.columns\.Ratio: \d+ values are " + NOT_FINITE, outcome.stderr), outcome.stderr


def _csv_with_total(briefing, total: str) -> None:
    path = briefing / "data" / "census21_age_shropshire.csv"
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[-1] = total
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


MAP = "  - {id: p, type: map, data: areas, colour: people.total, width: 60, height: 40}"


def test_309_digit_value_in_a_csv_column_is_no_data(briefing):
    _csv_with_total(briefing, "1" + "0" * 308)  # 1e308: a float, far too large to be a measure
    outcome = accepted(run_bridge("validate", scene(briefing, MAP)))
    assert re.search(r"scene\.yaml:6: panels\[0\]\.colour: 1 value is larger than 1e15 in magnitude \(too large to be a measure\) "
                     r"and is drawn as no data", outcome.stderr), outcome.stderr


def test_400_digit_value_in_a_csv_column_is_no_data(briefing):
    _csv_with_total(briefing, "9" * 400)  # beyond any float: inf
    outcome = accepted(run_bridge("validate", scene(briefing, MAP)))
    assert re.search(r"scene\.yaml:6: panels\[0\]\.colour: 1 value is " + NOT_FINITE + " and is drawn as no data",
                     outcome.stderr), outcome.stderr


def test_400_digit_value_summed_in_a_kpi(briefing):
    _csv_with_total(briefing, "9" * 400)
    accepted(run_bridge("validate", scene(briefing, kpi("sum(people.total) * 2"))))  # aggregates skip it, as they skip gaps
