"""A safe number format: Python's format spec for numbers only, never `str.format`.

A scene's `format:` (a KPI's number, a table's cells) is text with one replacement field
such as ``{:,.0f}``, ``{:.1%}`` or ``£{:,.1f}m``.  `str.format` would let a field name walk
attributes (``{0.__class__}``) or ask for a field a billion characters wide, so the text is
parsed here: literal text, ``{{``/``}}`` escapes and exactly one field ``{}`` or ``{:SPEC}``
where SPEC is ``[[fill]align][sign][z][#][0][width][grouping][.precision][type]`` with a
number type (``e E f F g G n %``, or ``d`` for a whole number), the width and precision
bounded.  `bridge validate` refuses anything else at its line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field

from bridge.limits import MAX_FORMAT_CHARS, MAX_FORMAT_PRECISION, MAX_FORMAT_WIDTH, MAX_MEASURE_MAGNITUDE

MISSING = "–"  # what a missing number is drawn as, unless the caller says otherwise

EXAMPLES = "e.g. '{:,.0f}', '{:.1%}' or '£{:,.1f}m'"
ALLOWED = "one {} or {:spec} with a number spec ([[fill]align][sign][z][#][0][width][,][.precision][type])"

_SPEC = re.compile(
    r"(?:(?P<fill>[^{}])?(?P<align>[<>=^]))?"
    r"(?P<sign>[-+ ])?(?P<z>z)?(?P<alt>\#)?(?P<zero>0)?(?P<width>\d+)?(?P<grouping>[,_])?"
    r"(?:\.(?P<precision>\d+))?(?P<type>[eEfFgGn%d])?",
    re.ASCII,
)


@dataclass(frozen=True)
class ParsedFormat:
    """A checked format: the text before and after its one field, and the field's spec."""

    before: str
    spec: str
    after: str

    @property
    def whole(self) -> bool:
        return self.spec.endswith("d")


def _shown(text: str) -> str:
    """The format as quoted in a message: printable and short."""
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return shown if len(shown) <= 70 else shown[:69] + "…"


@lru_cache(maxsize=256)
def parse_format(text: str) -> ParsedFormat:
    """Check `text` and split it round its field; ValueError says what is allowed."""
    if len(text) > MAX_FORMAT_CHARS:
        raise ValueError(f"number format is {len(text)} characters long; at most {MAX_FORMAT_CHARS} are allowed, {EXAMPLES}")
    if not text.isprintable():
        raise ValueError(f"number format '{_shown(text)}' has control characters; {EXAMPLES}")
    parts: list[str] = [""]
    field: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "{}" and text[i:i + 2] == ch * 2:
            parts[-1] += ch
            i += 2
            continue
        if ch == "}":
            raise ValueError(f"number format '{_shown(text)}' has a '}}' that closes nothing (write '}}}}' for a literal brace); "
                             f"a format has {ALLOWED}, {EXAMPLES}")
        if ch == "{":
            end = text.find("}", i + 1)
            if end < 0:
                raise ValueError(f"number format '{_shown(text)}' has a '{{' that is never closed (write '{{{{' for a literal brace); "
                                 f"a format has {ALLOWED}, {EXAMPLES}")
            inner = text[i + 1:end]
            if "{" in inner:
                raise ValueError(f"number format '{_shown(text)}' nests a field inside a field; a format has {ALLOWED}, {EXAMPLES}")
            if field is not None:
                raise ValueError(f"number format '{_shown(text)}' has more than one {{}} field; a format has {ALLOWED}, {EXAMPLES}")
            field = _field_spec(inner, text)
            parts.append("")
            i = end + 1
            continue
        parts[-1] += ch
        i += 1
    if field is None:
        raise ValueError(f"number format '{_shown(text)}' has no {{}} field for the number; a format has {ALLOWED}, {EXAMPLES}")
    return ParsedFormat(parts[0], field, parts[1])


def _field_spec(inner: str, text: str) -> str:
    """The spec of one field's inside (between its braces), refused unless it is '' or ':SPEC'."""
    name, colon, spec = inner.partition(":")
    if "!" in name:
        raise ValueError(f"number format '{_shown(text)}' asks for a conversion ('!{name.partition('!')[2]}'); "
                         f"only a number spec may follow ':' in {{}}, {EXAMPLES}")
    if name:
        raise ValueError(f"number format '{_shown(text)}' names a field ('{_shown(name)}'); field names, indexes and attributes "
                         f"are not allowed: write {{}} or {{:spec}}, {EXAMPLES}")
    if not colon:
        return ""
    match = _SPEC.fullmatch(spec)
    if not match:
        raise ValueError(f"'{_shown(spec)}' in number format '{_shown(text)}' is not a number spec "
                         f"([[fill]align][sign][z][#][0][width][,][.precision][type], type one of e E f F g G n % d); {EXAMPLES}")
    if match["fill"] is not None and not match["fill"].isprintable():
        raise ValueError(f"number format '{_shown(text)}' fills with a control character; {EXAMPLES}")
    width = int(match["width"]) if match["width"] else 0
    if width > MAX_FORMAT_WIDTH:
        raise ValueError(f"number format '{_shown(text)}' asks for a width of {_digits(match['width'])}; "
                         f"at most {MAX_FORMAT_WIDTH} is allowed, {EXAMPLES}")
    precision = int(match["precision"]) if match["precision"] else 0
    if precision > MAX_FORMAT_PRECISION:
        raise ValueError(f"number format '{_shown(text)}' asks for a precision of {_digits(match['precision'])}; "
                         f"at most {MAX_FORMAT_PRECISION} is allowed, {EXAMPLES}")
    try:  # the spec's parts must also agree with each other (',' with 'n', a precision with 'd', …)
        format(1234, spec) if spec.endswith("d") else format(-1234.5678, spec)
    except ValueError as exc:
        raise ValueError(f"number format '{_shown(text)}' cannot format a number: {exc}; {EXAMPLES}") from None
    return spec


def _digits(number: str) -> str:
    return number if len(number) <= 12 else f"a {len(number)}-digit number"


def check_format(text: str) -> str:
    """The pydantic validator: the text unchanged, or ValueError saying what is allowed."""
    parse_format(text)
    return text


def is_missing(value) -> bool:
    """No number to show: None, NaN, ±inf, or too large to be a measure."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return True
    return not math.isfinite(number) or abs(number) > MAX_MEASURE_MAGNITUDE


def format_number(fmt: str, value, missing: str = MISSING) -> str:
    """`value` in format `fmt` (checked as `NumberFormat` is); `missing` when there is no finite number."""
    parsed = parse_format(fmt)
    if is_missing(value):
        return missing
    number = float(value)
    formatted = format(round(number), parsed.spec) if parsed.whole else format(number, parsed.spec)
    return parsed.before + formatted + parsed.after


NumberFormat = Annotated[str, AfterValidator(check_format), Field(
    description=f"A number format: text with one {{}} or {{:spec}} field, {EXAMPLES}; "
                f"spec is [[fill]align][sign][z][#][0][width][,][.precision][type] with type e E f F g G n % or d, "
                f"width at most {MAX_FORMAT_WIDTH}; no field names, indexes, attributes or conversions",
    json_schema_extra={"maxLength": MAX_FORMAT_CHARS})]
