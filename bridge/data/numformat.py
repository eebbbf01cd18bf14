"""A safe number format: Python's format spec for numbers only, never `str.format`.

A scene's `format:` (a KPI's number, a table's cells) is text with one replacement field
such as ``{:,.0f}``, ``{:.1%}`` or ``£{:,.1f}m``.  `str.format` would let a field name walk
attributes (``{0.__class__}``) or ask for a field a billion characters wide, so the text is
parsed here: literal text, ``{{``/``}}`` escapes and exactly one field ``{}`` or ``{:SPEC}``
where SPEC is ``[[fill]align][sign][z][#][0][width][grouping][.precision][type]`` with a
number type (``e E f F g G n %``, or ``d`` for a whole number), the width and precision
bounded.  `bridge validate` refuses anything else at its line.

Where a scene gives no format, the number is written automatically as an analyst would
(`auto_format`, `shared_decimals`, `legend_decimals`, `with_unit`; the rules are below).
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field

from bridge.errors import shown
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
    return shown(text, 70)


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
                raise ValueError(f"number format '{_shown(text)}' has a '{{' that is never closed "
                                 f"(write '{{{{' for a literal brace); a format has {ALLOWED}, {EXAMPLES}")
            inner = text[i + 1:end]
            if "{" in inner:
                raise ValueError(f"number format '{_shown(text)}' nests a field inside a field; "
                                 f"a format has {ALLOWED}, {EXAMPLES}")
            if field is not None:
                raise ValueError(f"number format '{_shown(text)}' has more than one {{}} field; "
                                 f"a format has {ALLOWED}, {EXAMPLES}")
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


# --- automatic formats: what is drawn when the scene gives no `format:` ------------------------
#
# The rules, as an analyst writes numbers:
#   * a count of people (or any count the scene declares) and a whole number: an integer with
#     thousands separators — 15,613, never 15,613.3 people or "91.0";
#   * any other number: its meaningful digits — 2 significant figures below 10 (4.65 → 4.7,
#     0.0432 → 0.043), 3 from 10 up (27.84 → 27.8, 156.2 → 156, 15,613.3 → 15,613);
#   * numbers shown together (a table's column, a bar chart's labels) share one number of
#     decimals, chosen from their typical (median) magnitude by the rule above;
#   * a legend's class breaks share the fewest decimals that keep every break distinct and
#     honest: rounding moves no break by more than 5% of the narrower class beside it
#     (6.41, 10.2, 15.7 → 6.4, 10.2, 15.7); counts and whole breaks are integers.

SIGNIFICANT_BELOW_TEN = 2  # significant figures of a number below 10 (in size): 4.65 → 4.7
SIGNIFICANT_FROM_TEN = 3  # … and of one of 10 or more: 27.84 → 27.8, 156.2 → 156
MAX_AUTO_DECIMALS = 6  # the most decimals an automatic format writes; smaller numbers go to 2 significant figures in e-notation
LEGEND_SLACK = 0.05  # rounding may move a legend break by at most this share of the narrower class beside it
CURRENCY = "£$€¥₹"  # a unit starting with one of these is written before the number: £m → £3.2m


def is_whole(value) -> bool:
    """Is `value` a whole number (to within float rounding)?  Missing numbers are not."""
    if is_missing(value):
        return False
    number = float(value)
    return abs(number - round(number)) <= 1e-9 * max(1.0, abs(number))


def _decimals_for(magnitude: float) -> int:
    """Decimals that give a number of this size its meaningful digits (unbounded)."""
    if magnitude == 0:
        return 0
    figures = SIGNIFICANT_BELOW_TEN if magnitude < 10 else SIGNIFICANT_FROM_TEN
    return max(0, figures - 1 - math.floor(math.log10(magnitude)))


def _meaningful_decimals(magnitude: float) -> int:
    """Decimals for a number of this size, the digits counted after rounding (9.96 → 1,
    giving "10.0"; 99.96 → 0, giving "100")."""
    decimals = _decimals_for(magnitude)
    rounded = round(magnitude, decimals)
    return min(decimals, _decimals_for(rounded)) if rounded else decimals


def auto_decimals(value) -> int:
    """Decimals for one number written on its own: 0 for a whole number, else its meaningful digits."""
    if is_missing(value) or is_whole(value):
        return 0
    return _meaningful_decimals(abs(float(value)))


def fixed(value, decimals: int, missing: str = MISSING) -> str:
    """`value` with `decimals` decimals and thousands separators; never "-0"."""
    if is_missing(value):
        return missing
    return format(round(float(value), decimals) + 0.0, f",.{decimals}f")


def auto_format(value, count: bool = False, missing: str = MISSING) -> str:
    """A number as an analyst writes it alone (a KPI): a count or whole number as an integer
    ("15,613"), anything else with 2 significant figures below 10 and 3 from 10 up
    ("4.7", "27.8", "156"), thousands separated; `missing` when there is no finite number."""
    if is_missing(value):
        return missing
    if count:
        return fixed(value, 0)
    decimals = auto_decimals(value)
    if decimals > MAX_AUTO_DECIMALS:  # 0.0000012: e-notation rather than a row of zeros
        return format(float(value), f".{SIGNIFICANT_BELOW_TEN}g")
    return fixed(value, decimals)


def shared_decimals(values, count: bool = False) -> int:
    """One number of decimals for numbers shown together (a table column, a chart's labels):
    0 for counts or when every value is whole, else what the median non-zero magnitude needs."""
    finite = [abs(float(v)) for v in values if not is_missing(v)]
    if count or all(is_whole(v) for v in finite):
        return 0
    median = statistics.median(v for v in finite if v)
    return min(MAX_AUTO_DECIMALS, _meaningful_decimals(median))


def legend_decimals(breaks, count: bool = False) -> int:
    """One number of decimals for a legend's class breaks (increasing): the fewest that keep
    every break distinct and move none by more than 5% of the narrower class beside it.
    Counts and whole breaks: 0 (for counts, unless integers would merge two breaks)."""
    edges = [float(b) for b in breaks if not is_missing(b)]
    if all(is_whole(b) for b in edges):
        return 0
    widths = [hi - lo for lo, hi in zip(edges, edges[1:])]
    room = [min(widths[max(0, i - 1):i + 1], default=math.inf) for i in range(len(edges))]  # the narrower class beside each break
    for decimals in range(MAX_AUTO_DECIMALS + 1):
        shown = [round(b, decimals) for b in edges]
        if any(hi <= lo for lo, hi in zip(shown, shown[1:])):
            continue  # two breaks would read the same
        if count or all(abs(s - b) <= LEGEND_SLACK * r for s, b, r in zip(shown, edges, room)):
            return decimals
    return MAX_AUTO_DECIMALS


SHORT_SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "m"))  # UK government style: 2.5m, £9bn


def short_scale(values) -> tuple[float, str]:
    """(divisor, suffix) for numbers read off an axis or a colour bar: millions as "m",
    thousand millions as "bn", million millions as "tn" once the largest reaches one; else (1, "")."""
    top = max((abs(float(v)) for v in values if not is_missing(v)), default=0.0)
    return next(((div, suffix) for div, suffix in SHORT_SCALES if top >= div), (1.0, ""))


def with_unit(number: str, unit: str | None) -> str:
    """A formatted number with its unit beside it: a currency symbol before it and the rest
    after ("£m" → "£3.2m"), a symbol glued after it ("%" → "4.7%"), a word after a space
    ("homes" → "12 homes")."""
    unit = (unit or "").strip()
    if not unit:
        return number
    if unit[0] in CURRENCY:
        sign = "-" if number.startswith("-") else ""
        return sign + unit[0] + number[len(sign):] + unit[1:]
    return number + unit if not unit[0].isalnum() else f"{number} {unit}"
