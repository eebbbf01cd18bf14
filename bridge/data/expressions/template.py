"""Text with `{expression}` fields: how titles, labels and notes take numbers from the data.

``{sum(people.total):,.0f} residents, {100 * sum(a) / sum(b):.1f}% of them`` is literal text
and fields.  Each field holds an expression and, after a ``:`` outside brackets and quotes, a
Python number spec; ``{{`` and ``}}`` are literal braces.  This module only splits the text
(knowing nothing of data); bridge/render/briefing.py evaluates each field on the panel's data
and writes it, and bridge/scene/params.py fills the fields that are a parameter's value alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.data.expressions.vocabulary import ExpressionError
from bridge.errors import shown

_OPEN = "([{"
_CLOSE = ")]}"
_PARAMETER = re.compile(r"params\.([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Field:
    """One `{expression:spec}` field of a text: its expression, its spec (None when it has none)
    and the whole field as written, braces included, for messages."""

    expression: str
    spec: str | None
    written: str

    @property
    def parameter(self) -> str | None:
        """NAME when the field is `{params.NAME}` alone (no spec): the room reads it as the value's label."""
        match = _PARAMETER.fullmatch(self.expression.strip())
        return match.group(1) if match and self.spec is None else None


def has_fields(text: str) -> bool:
    """Whether `text` may hold a field or an escaped brace (only then is it worth splitting)."""
    return "{" in text or "}" in text


def split(text: str) -> list[str | Field]:
    """`text` as literal parts (with `{{` and `}}` read as braces) and fields, in order.

    An ExpressionError says where a brace opens or closes nothing, or a field is empty."""
    parts: list[str | Field] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "{}" and text[i:i + 2] == ch * 2:
            literal.append(ch)
            i += 2
        elif ch == "}":
            raise ExpressionError(f"a '}}' at character {i + 1} of '{shown(text, 60)}' closes no field; "
                                  "write }} for a literal brace")
        elif ch == "{":
            field, i = _field(text, i)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(field)
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _field(text: str, start: int) -> tuple[Field, int]:
    """The field opened at `start` and the index after its closing brace: brackets and quoted
    text inside the expression may hold braces and colons; the first colon outside them starts the spec."""
    depth, quote, escaped, colon = 0, "", False, -1
    for j in range(start + 1, len(text)):
        ch = text[j]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif colon >= 0:
            if ch in "{}":
                if ch == "{":
                    raise ExpressionError(f"the field '{shown(text[start:j + 1], 60)}…' has a brace in its number spec; "
                                          "a spec is like :,.0f or :.1f")
                return _made(text, start, j, colon), j + 1
        elif ch in "'\"":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if ch == "}" and depth == 0:
                return _made(text, start, j, colon), j + 1
            depth = max(0, depth - 1)
        elif ch == ":" and depth == 0:
            colon = j
    raise ExpressionError(f"a '{{' at character {start + 1} of '{shown(text, 60)}' is never closed; "
                          "close the field as {expression}, or write {{ for a literal brace")


def _made(text: str, start: int, end: int, colon: int) -> Field:
    expression = text[start + 1:colon if colon >= 0 else end]
    written = text[start:end + 1]
    if not expression.strip():
        raise ExpressionError(f"'{shown(written, 60)}' has no expression; write {{expression}}, "
                              "e.g. {sum(people.total)}, or {{ and }} for literal braces")
    return Field(expression, text[colon + 1:end] if colon >= 0 else None, written)
