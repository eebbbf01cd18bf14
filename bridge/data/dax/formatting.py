"""DAX's FORMAT with the common patterns: named formats, custom number formats and date formats.

Number formats follow the Visual Basic custom-format rules DAX uses (Microsoft's DAX reference,
"Custom numeric formats for the FORMAT function"): `0` a digit always shown, `#` a digit if
any, `.` the decimal point, `,` between digits a thousands separator and `,` just before the
point (or the end) a division by 1,000, `%` a multiplication by 100; other characters and
"quoted" text are written as they are; sections split by `;` give positive;negative;zero.
Numbers are written in the invariant (en-US) culture.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from bridge.data.dax import values as V

_NAMED = {"GENERAL NUMBER": None, "CURRENCY": "$#,##0.00", "FIXED": "0.00", "STANDARD": "#,##0.00",
          "PERCENT": "0.00%", "SCIENTIFIC": None, "YES/NO": None, "TRUE/FALSE": None, "ON/OFF": None}
_DATE_NAMED = {"SHORT DATE": "m/d/yyyy", "LONG DATE": "dddd, mmmm d, yyyy", "GENERAL DATE": "m/d/yyyy",
               "MEDIUM DATE": "dd-mmm-yy", "SHORT TIME": "hh:nn", "LONG TIME": "h:nn:ss AM/PM"}
_DATE_TOKEN = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|nn|n|ss|s|AM/PM|am/pm|\"[^\"]*\"|\\.|.", re.I)


def format_value(value: Any, fmt: str) -> str:
    """value written by the format string `fmt`, as DAX's FORMAT does ("" for BLANK)."""
    value = V.scalar(value)
    if value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return format_date(value, _DATE_NAMED.get(fmt.upper(), fmt))
    if isinstance(value, str):
        return value
    number = float(V.numeric(value) or 0.0)
    upper = fmt.upper()
    if upper in _NAMED:
        pattern = _NAMED[upper]
        if pattern is None:
            if upper in ("YES/NO", "TRUE/FALSE", "ON/OFF"):
                yes, no = upper.split("/")
                return (yes if number else no).title() if upper != "TRUE/FALSE" else ("True" if number else "False")
            return f"{number:.6E}" if upper == "SCIENTIFIC" else V.text(number)
        fmt = pattern
    if not fmt:
        return V.text(number)
    sections = _sections(fmt)
    if number < 0 and len(sections) > 1:
        return _number(-number, sections[1])
    if number == 0 and len(sections) > 2:
        return _number(number, sections[2])
    text = _number(abs(number), sections[0])
    return "-" + text if number < 0 and any(ch in "123456789" for ch in text) else text


def _sections(fmt: str) -> list[str]:
    out, current, quoted = [], "", False
    for ch in fmt:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    return out + [current]


def _number(number: float, fmt: str) -> str:
    """One section of a custom number format applied to a non-negative number."""
    pieces: list[tuple[str, str]] = []  # ("lit", text) or ("num", placeholder characters)
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == '"':
            end = fmt.find('"', i + 1)
            end = len(fmt) if end < 0 else end
            pieces.append(("lit", fmt[i + 1:end]))
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(fmt):
            pieces.append(("lit", fmt[i + 1]))
            i += 2
            continue
        if ch in "0#.," or (ch == "," and pieces and pieces[-1][0] == "num"):
            if pieces and pieces[-1][0] == "num":
                pieces[-1] = ("num", pieces[-1][1] + ch)
            else:
                pieces.append(("num", ch))
        else:
            pieces.append(("lit", ch))
        i += 1
    if "%" in "".join(t for k, t in pieces if k == "lit"):
        number *= 100
    core = next((t for k, t in pieces if k == "num"), "")
    rendered = _digits(number, core)
    out, done = [], False
    for kind, t in pieces:
        if kind == "num" and not done:
            out.append(rendered)
            done = True
        elif kind == "lit":
            out.append(t)
    return "".join(out)


def _digits(number: float, core: str) -> str:
    if not core:
        return ""
    integer, _, decimals = core.partition(".")
    while integer.endswith(","):  # a comma before the point divides by 1,000
        number /= 1000
        integer = integer[:-1]
    grouping = "," in integer
    places = sum(1 for ch in decimals if ch in "0#")
    required = sum(1 for ch in decimals if ch == "0")
    min_int = sum(1 for ch in integer if ch == "0")
    text = f"{_round_half_up(number, places):,.{places}f}" if grouping else f"{_round_half_up(number, places):.{places}f}"
    whole, _, frac = text.partition(".")
    if places > required:
        frac = frac.rstrip("0").ljust(required, "0")
    bare = whole.replace(",", "")
    if bare == "0" and min_int == 0:
        whole = ""
    elif len(bare) < min_int:
        whole = bare.zfill(min_int)
    return whole + ("." + frac if frac or (decimals and required) else ("." if decimals and not places else ""))


def _round_half_up(number: float, places: int) -> float:
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-places)
    return float(Decimal(repr(number)).quantize(q, rounding=ROUND_HALF_UP))


def format_date(value: pd.Timestamp, fmt: str) -> str:
    out = []
    tokens = _DATE_TOKEN.findall(fmt)
    for i, tok in enumerate(tokens):
        low = tok.lower()
        after_hour = any(t.lower() in ("h", "hh") for t in tokens[max(0, i - 2):i])
        if low == "yyyy":
            out.append(f"{value.year:04d}")
        elif low == "yy":
            out.append(f"{value.year % 100:02d}")
        elif low == "mmmm":
            out.append(value.strftime("%B"))
        elif low == "mmm":
            out.append(value.strftime("%b"))
        elif low in ("mm", "m"):
            part = value.minute if after_hour else value.month
            out.append(f"{part:02d}" if low == "mm" else str(part))
        elif low == "dddd":
            out.append(value.strftime("%A"))
        elif low == "ddd":
            out.append(value.strftime("%a"))
        elif low in ("dd", "d"):
            out.append(f"{value.day:02d}" if low == "dd" else str(value.day))
        elif low in ("hh", "h"):
            hour = value.hour % 12 or 12 if "am/pm" in fmt.lower() else value.hour
            out.append(f"{hour:02d}" if low == "hh" else str(hour))
        elif low in ("nn", "n"):
            out.append(f"{value.minute:02d}" if low == "nn" else str(value.minute))
        elif low in ("ss", "s"):
            out.append(f"{value.second:02d}" if low == "ss" else str(value.second))
        elif low == "am/pm":
            out.append("AM" if value.hour < 12 else "PM")
        elif tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        else:
            out.append(tok)
    return "".join(out)
