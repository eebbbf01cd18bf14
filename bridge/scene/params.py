"""Parameters: the questions a room can ask of a briefing while it is shown.

A scene's `params:` declares them — a *choice* (a ward, a year, which measure a map shows),
a *number* (an age threshold, "top N") and a *toggle*.  Expressions read them as
`params.NAME`, titles and text show them as `{params.NAME}`, a step may set them, and the
presenter changes them live (bridge/show/presenter.py).  A value set is the defaults, then the
step's own `params:`, then what the presenter picked (which wins until reset).

This module holds the models, how a value reads in the room, and the stepping through values
that the show's keys use; the options, defaults and checks of a value against its parameter
live with the data layer that resolves them (bridge/data/param_values.py) and are re-exported
here.  It knows nothing of data tables or drawing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Literal, cast

from pydantic import Field, field_validator, model_validator

from bridge.data.expressions import ExpressionError, template
from bridge.data.param_values import ALL, REFERENCE, Value, as_text, check, choices, default, tidy  # noqa: F401 - re-exported
from bridge.errors import shown
from bridge.limits import MAX_CHOICES
from bridge.scene.fields import Strict
from bridge.scene.yaml_nodes import list_in, mapping_in


class ChoiceParam(Strict):
    """One of a list of values (or the values of a dataset's column), optionally with 'all'."""

    type: Literal["choice"]
    values: list[str | float] | None = Field(None, description="The values to choose from, in order")
    column: str | None = Field(None, description="Take the values from a column instead, as dataset.column (sorted, unique)")
    labels: dict[str, str] = Field(default_factory=dict, description="Value → what the room is shown, e.g. a code's name")
    all: str | None = Field(None, description="Offer an 'all' option with this label, e.g. All wards; it matches every row")
    default: str | float | None = Field(
        None, description="The value shown first; 'all' for the all option; default: all if offered, else the first value")

    @field_validator("labels", mode="before")
    @classmethod
    def _number_keys(cls, labels):
        """labels: {2020: the pandemic year} — a number written as a key is the value's text."""
        if isinstance(labels, dict):
            return {(as_text(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else k): v for k, v in labels.items()}
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


Param = Annotated[ChoiceParam | NumberParam | ToggleParam, Field(discriminator="type")]


def label(param, value: Value) -> str:
    """A value as the room reads it: the choice's label, the toggle's word, a tidy number."""
    if isinstance(param, ToggleParam):
        return param.on if value else param.off
    if isinstance(param, NumberParam):
        from bridge.data.numformat import with_unit

        return with_unit(as_text(value), param.unit)  # 25%, £3m, 12 areas: as numbers are written everywhere
    if value is ALL:
        return param.all or "all"
    text = as_text(value)
    return param.labels.get(text, text)


def stepped(options: list[Value], value: Value, by: int) -> Value:
    """The value `by` places along `options` from `value`, stopping at either end."""
    try:
        k = options.index(value)
    except ValueError:
        k = 0
    return options[max(0, min(len(options) - 1, k + by))]


PLACEHOLDER = re.compile(r"\{params\.([A-Za-z_]\w*)\}")  # a parameter's value alone, as the live titles fill it


def fill(text: str, scene_params: dict, values: dict,
         write: Callable[[template.Field], str] | None = None) -> tuple[str, list[str]]:
    """`text` with each {params.NAME} replaced by its value as the room reads it, every other
    {expression} field by `write(field)` (left as written without it), {{ and }} as braces; and
    the names it used that are not declared (those fields left as written).  An ExpressionError
    says where a brace opens or closes nothing (bridge/data/expressions/template.py)."""
    unknown: list[str] = []

    def label_of(name: str) -> str | None:
        if name not in scene_params:
            unknown.append(name)
            return None
        return label(scene_params[name], cast(Value, values.get(name)))  # a view has every declared parameter's value

    return fill_labels(text, label_of, write), unknown


def fill_labels(text: str, label_of: Callable[[str], str | None],
                write: Callable[[template.Field], str] | None = None) -> str:
    """`text` with each {params.NAME} as `label_of(NAME)` (left as written when that is None), every
    other field by `write` (left as written without it), {{ and }} as braces: what a live title
    (`is_template`) needs, given the labels of the values picked in the room."""
    out: list[str] = []
    for part in template.split(text):
        if isinstance(part, str):
            out.append(part)
        elif part.parameter is not None:
            shown_as = label_of(part.parameter)
            out.append(part.written if shown_as is None else shown_as)
        else:
            out.append(write(part) if write is not None else part.written)
    return "".join(out)


def is_template(text: str) -> bool:
    """Whether the room can fill `text` from parameter values alone, as a live title: it names
    a {params.NAME} and every field in it is one (a field that reads the data needs a view)."""
    try:
        parts = template.split(text)
    except ExpressionError:
        return False
    fields = [p for p in parts if isinstance(p, template.Field)]
    return bool(fields) and all(f.parameter is not None for f in fields)


def with_measures(text: str, derive: dict) -> str:
    """`text` followed by the text of every measure it names, and of the measures those name."""
    import json

    seen: set[str] = set()
    todo = [text]
    while todo:  # measures that name measures
        chunk = todo.pop()
        for name, measure in derive.items():
            if name not in seen and re.search(rf"\b{re.escape(str(name))}\b", chunk):
                seen.add(name)
                todo.append(json.dumps(measure, default=str))
                text += " " + todo[-1]
    return text


def reads(raw_scene: dict, raw_panel: dict) -> set[str]:
    """The parameters a panel's picture may depend on, found in the text of the panel and of the
    rows steps mark in it, of the measures those name (and theirs), and of the `where:` of the
    datasets they name or the base.
    Generous on purpose: a panel counted here that does not change is redrawn needlessly; one
    left out would show a stale picture."""
    import json

    derive = mapping_in(raw_scene, "derive")
    datasets = mapping_in(raw_scene, "datasets")
    text = json.dumps(raw_panel, default=str)
    for step in list_in(raw_scene, "steps"):  # rows a step marks in it
        marks = step.get("mark") if isinstance(step, dict) else None
        if isinstance(marks, dict) and raw_panel.get("id") in marks:
            text += " " + json.dumps(marks[raw_panel.get("id")], default=str)
    text = with_measures(text, derive)
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
