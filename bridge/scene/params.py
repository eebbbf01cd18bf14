"""Parameters: the questions a room can ask of a briefing while it is shown.

A scene's `params:` declares them — a *choice* (a ward, a year, which measure a map shows),
a *number* (an age threshold, "top N") and a *toggle*.  Expressions read them as
`params.NAME`, titles and text show them as `{params.NAME}`, a step may set them, and the
presenter changes them live (bridge/show/presenter.py).  A value set is the defaults, then the
step's own `params:`, then what the presenter picked (which wins until reset).

This module holds the models, the checks of a value against its parameter, and the
stepping through values that the show's keys use; it knows nothing of data or drawing.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from bridge.errors import did_you_mean, shown
from bridge.data.expressions import ALL
from bridge.scene.fields import Strict
from bridge.limits import MAX_CHOICES


Value = Union[str, float, bool]


class ChoiceParam(Strict):
    """One of a list of values (or the values of a dataset's column), optionally with 'all'."""

    type: Literal["choice"]
    values: list[str | float] | None = Field(None, description="The values to choose from, in order")
    column: str | None = Field(None, description="Take the values from a column instead, as dataset.column (sorted, unique)")
    labels: dict[str, str] = Field(default_factory=dict, description="Value → what the room is shown, e.g. a code's name")
    all: str | None = Field(None, description="Offer an 'all' option with this label, e.g. All wards; it matches every row")
    default: str | float | None = Field(None, description="The value shown first; 'all' for the all option; default: all if offered, else the first value")

    @field_validator("labels", mode="before")
    @classmethod
    def _number_keys(cls, labels):
        """labels: {2020: the pandemic year} — a number written as a key is the value's text."""
        if isinstance(labels, dict):
            return {(_text(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else k): v for k, v in labels.items()}
        return labels

    @model_validator(mode="after")
    def _values_or_column(self):
        if (self.values is None) == (self.column is None):
            raise ValueError("give either values: [...] or column: dataset.column")
        if self.values is not None and not self.values:
            raise ValueError("values: must list at least one value")
        if self.values is not None and len(self.values) > MAX_CHOICES:
            raise ValueError(f"values: lists {len(self.values):,} values, more than a room can step through ({MAX_CHOICES:,})")
        if self.values is not None and len(set(self.values)) < len(self.values):
            again = next(v for k, v in enumerate(self.values) if v in self.values[:k])
            raise ValueError(f"values: lists {shown(repr(again), 40)} more than once")  # stepping would stop at it
        if self.column is not None and not re.fullmatch(r"[A-Za-z_][\w]*\.[^.].*", self.column):
            raise ValueError("column: must be dataset.column, e.g. wards.ward24_name")
        return self


class NumberParam(Strict):
    """A number between min and max in steps of `step`."""

    type: Literal["number"]
    min: float
    max: float
    step: float = Field(1, gt=0)
    default: float | None = Field(None, description="Default: min")
    unit: str | None = None

    @model_validator(mode="after")
    def _in_range(self):
        if not (math.isfinite(self.min) and math.isfinite(self.max)) or self.min > self.max:
            raise ValueError(f"min ({self.min:g}) must be a number no greater than max ({self.max:g})")
        if (self.max - self.min) / self.step > MAX_CHOICES:
            raise ValueError(f"min..max in steps of {self.step:g} gives more than {MAX_CHOICES:,} values; use a larger step")
        if self.default is not None and not self.min <= self.default <= self.max:
            raise ValueError(f"default {self.default:g} is outside {self.min:g}..{self.max:g}")
        return self


class ToggleParam(Strict):
    """On or off, e.g. 'only homes without central heating'."""

    type: Literal["toggle"]
    default: bool = False
    on: str = Field("on", description="What the room is shown when it is on")
    off: str = Field("off", description="What the room is shown when it is off")


Param = Annotated[Union[ChoiceParam, NumberParam, ToggleParam], Field(discriminator="type")]


def choices(param, column_values: list | None = None) -> list[Value]:
    """Every value a parameter can take, in the order the show's keys step through them."""
    if isinstance(param, ToggleParam):
        return [False, True]
    if isinstance(param, NumberParam):
        count = int(math.floor((param.max - param.min) / param.step + 1e-9)) + 1
        return [_tidy(param.min + k * param.step) for k in range(count)]
    values = list(param.values) if param.values is not None else list(column_values or [])
    return ([ALL] if param.all else []) + values


def default(param, column_values: list | None = None) -> Value:
    if isinstance(param, ToggleParam):
        return param.default
    if isinstance(param, NumberParam):
        return _tidy(param.min if param.default is None else param.default)
    if param.default is not None:
        return ALL if (param.all and param.default == "all") else param.default
    options = choices(param, column_values)
    return options[0] if options else ALL


def check(name: str, param, value: Any, column_values: list | None = None) -> tuple[Value | None, str | None]:
    """(the value as the parameter holds it, None) or (None, why it cannot take `value`)."""
    if isinstance(param, ToggleParam):
        if isinstance(value, bool):
            return value, None
        return None, f"params.{name} is a toggle: give true or false, not {shown(repr(value), 40)}"
    if isinstance(param, NumberParam):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None, f"params.{name} is a number from {param.min:g} to {param.max:g}, not {shown(repr(value), 40)}"
        if not param.min <= value <= param.max:
            return None, f"{value:g} is outside params.{name}'s range {param.min:g}..{param.max:g}"
        on = _tidy(param.min + round((value - param.min) / param.step) * param.step)
        if not math.isclose(on, value, rel_tol=1e-9, abs_tol=1e-9):  # off its steps: the keys could not step from it
            below = _tidy(param.min + math.floor((value - param.min) / param.step) * param.step)
            near = " or ".join(f"{v:g}" for v in (below, _tidy(below + param.step)) if v <= param.max)
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
            if isinstance(option, str) != isinstance(value, str) and _text(option) == _text(value):
                return option, None
    listed = [_text(o) for o in options]
    hint = did_you_mean(_text(value), listed)
    some = ", ".join(listed[:8]) + (f", … ({len(listed) - 8} more)" if len(listed) > 8 else "")
    written = shown(repr(value), 60) if isinstance(value, str) else _text(value)
    return None, f"{written} is not one of params.{name}'s values{hint}; they are: {some}"


def label(param, value: Value) -> str:
    """A value as the room reads it: the choice's label, the toggle's word, a tidy number."""
    if isinstance(param, ToggleParam):
        return param.on if value else param.off
    if isinstance(param, NumberParam):
        from bridge.data.numformat import with_unit

        return with_unit(_text(value), param.unit)  # 25%, £3m, 12 areas: as numbers are written everywhere
    if value is ALL:
        return param.all or "all"
    text = _text(value)
    return param.labels.get(text, text)


def stepped(options: list[Value], value: Value, by: int) -> Value:
    """The value `by` places along `options` from `value`, stopping at either end."""
    try:
        k = options.index(value)
    except ValueError:
        k = 0
    return options[max(0, min(len(options) - 1, k + by))]


def _text(value) -> str:
    """A value as written: a whole number without '.0' and never in e-notation (2020, 1500000),
    others as short as Python writes them (0.3)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def _tidy(x: float) -> float:
    """A stepped number without float dust (0.1 * 3 is 0.3, not 0.30000000000000004)."""
    return float(round(x, 9))


PLACEHOLDER = re.compile(r"\{params\.([A-Za-z_]\w*)\}")
REFERENCE = re.compile(r"\bparams\.([A-Za-z_]\w*)")


def fill(text: str, scene_params: dict, values: dict) -> tuple[str, list[str]]:
    """`text` with each {params.NAME} replaced by its value as the room reads it; and the
    names it used that are not declared."""
    unknown: list[str] = []

    def swap(match: re.Match) -> str:
        name = match.group(1)
        if name not in scene_params:
            unknown.append(name)
            return match.group(0)
        return label(scene_params[name], values.get(name))

    return PLACEHOLDER.sub(swap, text), unknown


def reads(raw_scene: dict, raw_panel: dict) -> set[str]:
    """The parameters a panel's picture may depend on, found in the text of the panel and of the
    rows steps mark in it, of the measures those name (and theirs), and of the `where:` of the
    datasets they name or the base.
    Generous on purpose: a panel counted here that does not change is redrawn needlessly; one
    left out would show a stale picture."""
    import json

    derive = raw_scene.get("derive") if isinstance(raw_scene.get("derive"), dict) else {}
    datasets = raw_scene.get("datasets") if isinstance(raw_scene.get("datasets"), dict) else {}
    text = json.dumps(raw_panel, default=str)
    for step in raw_scene.get("steps") if isinstance(raw_scene.get("steps"), list) else []:  # rows a step marks in it
        marks = step.get("mark") if isinstance(step, dict) else None
        if isinstance(marks, dict) and raw_panel.get("id") in marks:
            text += " " + json.dumps(marks[raw_panel.get("id")], default=str)
    seen: set[str] = set()
    todo = [text]
    while todo:  # measures that name measures
        chunk = todo.pop()
        for name, measure in derive.items():
            if name not in seen and re.search(rf"\b{re.escape(str(name))}\b", chunk):
                seen.add(name)
                todo.append(json.dumps(measure, default=str))
                text += " " + todo[-1]
    base = raw_scene.get("base") or next(iter(datasets), None)
    for name, dataset in datasets.items():
        if isinstance(dataset, dict) and (name == base or re.search(rf"\b{re.escape(str(name))}\b", text)):
            text += " " + str(dataset.get("where") or "")
    return set(REFERENCE.findall(text))


def plain(value):
    """A parameter value as JSON holds it (and the show, the remote and a cache key compare it):
    the all option as "all", numbers as floats, toggles as booleans."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, (int, float)) or type(value).__name__.startswith("float"):
        return float(value)
    return str(value) if value is not None else None
