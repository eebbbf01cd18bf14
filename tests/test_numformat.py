"""The number-format mini-language (bridge/data/numformat.py): Python's spec for numbers, nothing more;
and the automatic formats used when a scene gives none."""

import math
import random

import pytest
from pydantic import BaseModel, ValidationError

from bridge.data.numformat import (
    MAX_FORMAT_PRECISION,
    NumberFormat,
    auto_format,
    check_format,
    fixed,
    format_number,
    is_missing,
    is_whole,
    legend_decimals,
    parse_format,
    shared_decimals,
    with_unit,
)
from bridge.limits import MAX_FORMAT_CHARS, MAX_FORMAT_WIDTH


@pytest.mark.parametrize("fmt, value, expected", [
    ("{:,.0f}", 1234567.4, "1,234,567"),
    ("{:,.1f}", 1234.56, "1,234.6"),
    ("{:.1%}", 0.1234, "12.3%"),
    ("£{:,.0f}m", 12345.6, "£12,346m"),
    ("{}", 1.5, "1.5"),
    ("{:}", 2.0, "2.0"),
    ("{{{:.0f}}}", 7.2, "{7}"),
    ("{:>10.2f}", 3.14159, "      3.14"),
    ("{:*^9.1f}", 2.5, "***2.5***"),
    ("{:+.2e}", 12345.0, "+1.23e+04"),
    ("{:_.0f}", 1234567.0, "1_234_567"),
    ("{:z.1f}", -0.01, "0.0"),
    ("{:#.0f}", 3.0, "3."),
    ("{:010.2f}", -3.5, "-000003.50"),
    ("{:=+8.1f}", 3.5, "+    3.5"),
    ("{:g}", 0.0001234, "0.0001234"),
    ("{:G}", 1e14, "1E+14"),
    ("{:,d}", 1234.6, "1,235"),
    ("{:d} people", 12.0, "12 people"),
    ("{:n}", 1234.0, "1234"),
])
def test_formats_numbers_like_python(fmt, value, expected):
    assert check_format(fmt) == fmt
    assert format_number(fmt, value) == expected


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), float("-inf"), 1e16, -2e15, "x"])
def test_missing_numbers(value):
    assert is_missing(value)
    assert format_number("{:,.0f}", value) == "–"
    assert format_number("{:,.0f}", value, missing="no data") == "no data"


def test_the_largest_measure_is_shown():
    assert format_number("{:,.0f}", 1e15) == "1,000,000,000,000,000" and not is_missing(-1e15)


@pytest.mark.parametrize("fmt, fragment", [
    ("{0.__class__}", "names a field ('0.__class__'); field names, indexes and attributes are not allowed: write {} or {:spec}"),
    ("{x}", "names a field ('x')"),
    ("{0}", "names a field ('0')"),
    ("{0[0]}", "names a field ('0[0]')"),
    ("{x:.1f}", "names a field ('x')"),
    ("{!r}", "asks for a conversion ('!r'); only a number spec may follow ':' in {}"),
    ("{0!s:>5}", "asks for a conversion ('!s')"),
    ("{:>1500000000}", "asks for a width of 1500000000; at most 40 is allowed"),
    ("{:>41}", "asks for a width of 41; at most 40"),
    ("{:." + "9" * 30 + "f}", "asks for a precision of a 30-digit number; at most 20"),
    ("{:.21f}", "asks for a precision of 21; at most 20"),
    ("{:{}}", "nests a field inside a field"),
    ("{:>{w}}", "nests a field inside a field"),
    ("{}{}", "has more than one {} field"),
    ("no field", "has no {} field for the number"),
    ("", "has no {} field"),
    ("{:s}", "'s' in number format '{:s}' is not a number spec"),
    ("{:x}", "is not a number spec"),
    ("{:c}", "is not a number spec"),
    ("{:,n}", "cannot format a number: Cannot specify ',' with 'n'"),
    ("{:.2d}", "cannot format a number: Precision not allowed in integer format specifier"),
    ("{:.1f", "has a '{' that is never closed (write '{{' for a literal brace)"),
    ("{:.1f}}", "has a '}' that closes nothing (write '}}' for a literal brace)"),
    ("x" * (MAX_FORMAT_CHARS - 1) + "{}", f"number format is {MAX_FORMAT_CHARS + 1} characters long; at most {MAX_FORMAT_CHARS}"),
    ("{:.1f}\x1b[31m", "has control characters"),
    ("{:\x07>5}", "has control characters"),
])
def test_refused_formats_say_what_is_allowed(fmt, fragment):
    with pytest.raises(ValueError) as info:
        check_format(fmt)
    message = str(info.value)
    assert fragment in message, message
    assert "e.g. '{:,.0f}', '{:.1%}' or '£{:,.1f}m'" in message
    assert "\x1b" not in message and "\x07" not in message


def test_limits_are_the_shared_ones():
    assert check_format(f"{{:>{MAX_FORMAT_WIDTH}}}") and check_format(f"{{:.{MAX_FORMAT_PRECISION}f}}")
    assert len(format_number(f"{{:>{MAX_FORMAT_WIDTH},.{MAX_FORMAT_PRECISION}f}}", -1e15)) < 80


def test_is_a_pydantic_type_with_its_message_and_schema():
    class Panel(BaseModel):
        format: NumberFormat = "{:,.0f}"

    assert Panel(format="{:.1%}").format == "{:.1%}"
    with pytest.raises(ValidationError, match="names a field"):
        Panel(format="{0.__class__}")
    schema = Panel.model_json_schema()["properties"]["format"]
    assert schema["maxLength"] == MAX_FORMAT_CHARS and "no field names" in schema["description"]


def test_format_number_checks_an_unchecked_format():
    with pytest.raises(ValueError, match="names a field"):
        format_number("{0.__class__}", 1.0)
    assert parse_format("a{{b}}{:.1f}c").before == "a{b}"


SPEC_PIECES = ["", "<", ">", "^", "=", "*", "0", "+", "-", " ", "z", "#", "1", "5", "40", "41", "99", ",", "_", ".", ".2",
               ".20", ".21", "e", "E", "f", "F", "g", "G", "n", "%", "d", "s", "x", "!r", "{", "}", ":", "a", "0.", "[0]"]


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_formats_are_refused_or_format_every_number(seed):
    rng = random.Random(seed)
    accepted = 0
    for _ in range(2000):
        spec = "".join(rng.choice(SPEC_PIECES) for _ in range(rng.randint(0, 6)))
        fmt = rng.choice(["{:%s}", "£{:%s}m", "{%s}", "{{%s}}", "%s"]) % spec
        try:
            check_format(fmt)
        except ValueError:
            continue
        accepted += 1
        for value in (0.0, -0.0, 1.5, -1234.5678, 1e15, -1e15, 1e-300, math.nan, math.inf):
            text = format_number(fmt, value)
            assert len(text) <= MAX_FORMAT_CHARS + MAX_FORMAT_WIDTH + MAX_FORMAT_PRECISION + 30, (fmt, text)
    assert accepted > 100


# --- automatic formats ------------------------------------------------------------------------

@pytest.mark.parametrize("value, count, expected", [
    (4.65, False, "4.7"),  # 2 significant figures below 10
    (0.0432, False, "0.043"),
    (-4.65, False, "-4.7"),
    (27.84, False, "27.8"),  # 3 from 10 up
    (156.2, False, "156"),
    (15613.3453, False, "15,613"),
    (1234567.89, False, "1,234,568"),
    (9.96, False, "10.0"),  # the digits are counted after rounding: 10.0 has 3
    (99.96, False, "100"),
    (91.0, False, "91"),  # whole numbers as integers
    (15613.0, False, "15,613"),
    (0.0, False, "0"),
    (-0.0, False, "0"),
    (15613.3453, True, "15,613"),  # counts as integers, even an estimate
    (4.65, True, "5"),
    (-0.4, True, "0"),  # never "-0"
    (0.0000012, False, "1.2e-06"),  # past 6 decimals: e-notation, not a row of zeros
    (1e15, False, "1,000,000,000,000,000"),
])
def test_auto_format_keeps_meaningful_digits(value, count, expected):
    assert auto_format(value, count) == expected


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, 2e15, "x"])
def test_auto_format_of_a_missing_number(value):
    assert auto_format(value) == "–" and auto_format(value, True, missing="no data") == "no data"


def test_is_whole_forgives_float_rounding():
    assert is_whole(0.1 * 3 * 10) and is_whole(15613.0) and not is_whole(15613.3) and not is_whole(math.nan)


@pytest.mark.parametrize("values, count, decimals", [
    ([91.0, 12.0, 7.0], False, 0),  # every value whole
    ([91.4, 12.2, 7.5], True, 0),  # counts
    ([12.34, 45.6, 7.81], False, 1),  # typical size 12: 3 significant figures
    ([0.5, 3.0, 250.0], False, 1),  # typical size 3: 2 significant figures, the same for all
    ([0.0123, 0.0456, 0.0], False, 3),  # zeros and missing values do not set the size
    ([1234.5, 5678.9, math.nan], False, 0),
    ([], False, 0),
])
def test_shared_decimals_one_per_column(values, count, decimals):
    assert shared_decimals(values, count) == decimals


@pytest.mark.parametrize("breaks, count, decimals", [
    ([6.41, 10.2, 15.7], False, 1),  # 6.41 → 6 would move the break by 11% of its class
    ([12.3, 45.6, 78.9], False, 0),  # 12, 46, 79: each within 2% of its classes
    ([5.615, 20.11, 24.215, 26.815, 31.357, 54.741], False, 1),  # the sample's % aged 65+
    ([0, 10, 20, 30], False, 0),  # whole breaks
    ([1, 2.5, 4.5, 6.5, 8.5, 10], False, 1),  # fixed breaks between deciles
    ([0.101, 0.102, 0.103], False, 3),  # the fewest decimals that keep the breaks distinct
    ([8.87, 51.87, 65.5, 80.35, 98.67, 275.69], True, 0),  # counts: integers
    ([5.2, 5.6, 6.1], True, 1),  # … unless integers would merge two breaks
])
def test_legend_decimals_from_the_breaks(breaks, count, decimals):
    assert legend_decimals(breaks, count) == decimals


@pytest.mark.parametrize("seed", range(5))
def test_legend_decimals_keep_random_breaks_distinct_and_close(seed):
    rng = random.Random(seed)
    for _ in range(200):
        scale = 10 ** rng.uniform(-3, 6)
        breaks = sorted({round(rng.uniform(0, scale), 9) for _ in range(rng.randint(2, 10))})
        decimals = legend_decimals(breaks)
        shown = [round(b, decimals) for b in breaks]
        assert all(lo < hi for lo, hi in zip(shown, shown[1:])) or decimals == 6, breaks
        widths = [hi - lo for lo, hi in zip(breaks, breaks[1:])]
        if decimals < 6 and widths:
            assert max(abs(s - b) for s, b in zip(shown, breaks)) <= 0.05 * max(widths)
        if decimals > 0:  # one decimal fewer would not do
            fewer = [round(b, decimals - 1) for b in breaks]
            room = [min(widths[max(0, i - 1):i + 1]) for i in range(len(breaks))]
            assert (any(lo >= hi for lo, hi in zip(fewer, fewer[1:]))
                    or any(abs(s - b) > 0.05 * r for s, b, r in zip(fewer, breaks, room))), breaks


def test_fixed_decimals_with_thousands():
    assert fixed(1234.5678, 2) == "1,234.57" and fixed(-0.04, 1) == "0.0" and fixed(math.nan, 1) == "–"


@pytest.mark.parametrize("number, unit, expected", [
    ("4.7", "%", "4.7%"),  # a symbol: glued to the number
    ("21", "°C", "21°C"),
    ("3.2", "£m", "£3.2m"),  # a currency: before the number, the rest after
    ("1.5", "€bn", "€1.5bn"),
    ("-3.2", "$", "-$3.2"),
    ("12", "homes", "12 homes"),  # a word: after a space
    ("12", " per 1,000 ", "12 per 1,000"),
    ("12", None, "12"),
    ("12", "", "12"),
])
def test_unit_beside_the_number(number, unit, expected):
    assert with_unit(number, unit) == expected
