"""A parameter's values: the options it offers, its default, and a value checked against it.

The parameters themselves are declared in the scene (bridge/scene/params.py holds their models);
the data layer resolves each one's value in a view (bridge/data/tables.py) and the show steps
through them.  What is here is plain logic on a declared parameter, told apart by its `type:`
(choice, number or toggle), so the data layer needs nothing from the scene model.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bridge.data.expressions import ALL
from bridge.errors import did_you_mean, shown

Value = str | float | bool
REFERENCE = re.compile(r"\bparams\.([A-Za-z_]\w*)")  # params.NAME in an expression or a where:


def choices(param, column_values: list | None = None) -> list[Value]:
    """Every value a parameter can take, in the order the show's keys step through them."""
    if param.type == "toggle":
        return [False, True]
    if param.type == "number":
        count = int(math.floor((param.max - param.min) / param.step + 1e-9)) + 1
        return [tidy(param.min + k * param.step) for k in range(count)]
    values = list(param.values) if param.values is not None else list(column_values or [])
    return ([ALL] if param.all else []) + values


def default(param, column_values: list | None = None) -> Value:
    if param.type == "toggle":
        return param.default
    if param.type == "number":
        return tidy(param.min if param.default is None else param.default)
    if param.default is not None:
        return ALL if (param.all and param.default == "all") else param.default
    options = choices(param, column_values)
    return options[0] if options else ALL


def check(name: str, param, value: Any, column_values: list | None = None) -> tuple[Value | None, str | None]:
    """(the value as the parameter holds it, None) or (None, why it cannot take `value`)."""
    if param.type == "toggle":
        if isinstance(value, bool):
            return value, None
        return None, f"params.{name} is a toggle: give true or false, not {shown(repr(value), 40)}"
    if param.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None, f"params.{name} is a number from {param.min:g} to {param.max:g}, not {shown(repr(value), 40)}"
        if not param.min <= value <= param.max:
            return None, f"{value:g} is outside params.{name}'s range {param.min:g}..{param.max:g}"
        on = tidy(param.min + round((value - param.min) / param.step) * param.step)
        if not math.isclose(on, value, rel_tol=1e-9, abs_tol=1e-9):  # off its steps: the keys could not step from it
            below = tidy(param.min + math.floor((value - param.min) / param.step) * param.step)
            near = " or ".join(f"{v:g}" for v in (below, tidy(below + param.step)) if v <= param.max)
            return None, (f"{value:g} is not one of params.{name}'s values: {param.min:g} to {param.max:g} in steps of "
                          f"{param.step:g} (the nearest: {near})")
        return on, None
    if param.all and value == "all":
        return ALL, None
    options = choices(param, column_values)
    if not isinstance(value, bool):  # true is not the value 1
        for option in options:
            if option == value:
                return option, None
        for option in options:  # 2020 for a column's "2020" (its values are text), "2020" for a listed 2020
            if isinstance(option, str) != isinstance(value, str) and as_text(option) == as_text(value):
                return option, None
    listed = [as_text(o) for o in options]
    hint = did_you_mean(as_text(value), listed)
    some = ", ".join(listed[:8]) + (f", … ({len(listed) - 8} more)" if len(listed) > 8 else "")
    written = shown(repr(value), 60) if isinstance(value, str) else as_text(value)
    return None, f"{written} is not one of params.{name}'s values{hint}; they are: {some}"


def as_text(value) -> str:
    """A value as written: a whole number without '.0' and never in e-notation (2020, 1500000),
    others as short as Python writes them (0.3)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def tidy(x: float) -> float:
    """A stepped number without float dust (0.1 * 3 is 0.3, not 0.30000000000000004)."""
    return float(round(x, 9))
