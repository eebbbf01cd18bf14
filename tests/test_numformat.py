"""The number-format mini-language (bridge/numformat.py): Python's spec for numbers, nothing more."""

import math
import random

import pytest
from pydantic import BaseModel, ValidationError

from bridge.limits import MAX_FORMAT_CHARS, MAX_FORMAT_WIDTH
from bridge.numformat import (
    MAX_FORMAT_PRECISION,
    NumberFormat,
    check_format,
    format_number,
    is_missing,
    parse_format,
)


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
