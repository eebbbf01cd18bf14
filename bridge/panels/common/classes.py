"""A choropleth's classes: quantiles, equal steps, fixed breaks or named classes, and their legend.

A map groups its areas' values into a few colours.  The scene says how (`classes:`); breaks
and a named class's `upto` may be numbers or expressions giving one number (England's value),
so they are evaluated with the map's content (`classing`), and drawing and the text version
read the same evaluated classes: the legend's entries (`legend_labels`) and, for named
classes, what each holds (`class_ranges`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field, model_validator

from bridge.data.numformat import fixed, legend_decimals
from bridge.errors import BridgeError
from bridge.panels.common.canvas import palette
from bridge.panels.common.chart import single_number
from bridge.scene.fields import Expr, Strict

if TYPE_CHECKING:
    from bridge.data.tables import SceneData

MAX_CLASSES = 9  # a choropleth's classes: more colours than this cannot be told apart


class Classes(Strict):
    """How a choropleth groups values into colours: quantiles, equal steps or fixed breaks."""

    method: Literal["quantiles", "equal", "fixed"] = "quantiles"
    count: int = Field(5, ge=2, le=MAX_CLASSES)
    breaks: list[float | Expr] | None = Field(None, description=(
        "Inner class boundaries, for method: fixed; each a number or an expression giving one, e.g. sum(england.rate)"))

    @model_validator(mode="after")
    def _fixed_needs_breaks(self):
        if self.method == "fixed" and not self.breaks:
            raise ValueError("method fixed needs breaks, e.g. breaks: [10, 20, 30]")
        return self


class NamedClass(Strict):
    """One named class of a map: the areas whose value is at most `upto` (and above the class before's)."""

    upto: float | Expr | None = Field(None, description=(
        "The class's highest value, included (2 for deciles 1–2); a number or an expression giving one, e.g. "
        "sum(england.rate); left out on the last class: everything above the one before"))
    name: str = Field(description="What the legend and the text version call it, e.g. 'most deprived 20%'")


def named_classes_in_order(classes: list[NamedClass]) -> list[NamedClass]:
    """Named classes as written, refused where a name is empty, a class but the last has no `upto` or
    the numbers written do not increase (expressions are checked when evaluated).  (A name is a plain
    `str`, so that {expression} fields in it are filled like any text the panel shows.)"""
    for k, named in enumerate(classes):
        if not named.name.strip():
            raise ValueError(f"class {k + 1} has an empty name: write what the legend should call it")
    for k, named in enumerate(classes[:-1]):
        if named.upto is None:
            raise ValueError(f"class {k + 1} ('{named.name}') needs upto: only the last class may leave it out "
                             "(it then takes everything above the one before)")
    numbers = [c.upto for c in classes if isinstance(c.upto, (int, float))]
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise ValueError(f"each class's upto must be more than the one before's (got {', '.join(f'{n:g}' for n in numbers)})")
    return classes


NamedClasses = Annotated[list[NamedClass], Field(min_length=1, max_length=MAX_CLASSES),
                         AfterValidator(named_classes_in_order)]


@dataclass
class Classing:
    """A map's classes as evaluated: the method, and for fixed and named classes their inner breaks
    (increasing) and names (lowest first; a named class's `upto` is in it)."""

    method: str  # quantiles, equal, fixed or named
    count: int = 5
    breaks: list[float] = field(default_factory=list)
    names: list[str] | None = None


def classing(data: SceneData, spec: Classes | list[NamedClass], values: np.ndarray, here: tuple,
             dataset: str | None) -> Classing:
    """The classes with their breaks evaluated (`here`: the `classes` key's path); named classes
    get one more, "more than N", when values lie above the last `upto`."""
    if isinstance(spec, Classes):
        if spec.method != "fixed":
            return Classing(spec.method, spec.count)
        breaks = [single_number(data, b, here + ("breaks", k), dataset)[0] for k, b in enumerate(spec.breaks or [])]
        return Classing("fixed", len(breaks) + 1, sorted(b for b in breaks if np.isfinite(b)))
    breaks, names = [], []
    for k, named in enumerate(spec):
        names.append(named.name)
        if named.upto is None:
            continue
        number = single_number(data, named.upto, here + (k, "upto"), dataset)[0]
        if not np.isfinite(number) or (breaks and number <= breaks[-1]):
            raise BridgeError(data.doc.problem(here + (k, "upto"), f"is {fixed(number, 6).rstrip('0').rstrip('.')}, "
                                               "which must be a number more than the class before's upto"))
        breaks.append(number)
    finite = values[np.isfinite(values)]
    if spec[-1].upto is not None and finite.size and finite.max() > breaks[-1]:
        names.append(f"more than {fixed(breaks[-1], legend_decimals(breaks))}")
    return Classing("named", len(names), breaks, names)


def classify(values: np.ndarray, classes: Classing) -> np.ndarray:
    """Class boundaries (count + 1 edges, increasing) for a choropleth."""
    finite = values[np.isfinite(values)]
    if classes.method in ("fixed", "named"):
        inner = classes.breaks[: classes.count - 1]
        if not inner:
            return np.array([finite.min(), finite.max()])
        return np.array([min(finite.min(), inner[0]), *inner, max(finite.max(), inner[-1])])
    if classes.method == "equal":
        edges = np.linspace(finite.min(), finite.max(), classes.count + 1)
    else:
        edges = np.nanquantile(finite, np.linspace(0, 1, classes.count + 1))
    return np.unique(edges)


def class_colours(values: np.ndarray, suppressed: np.ndarray, classes: Classing, palette_name: str, theme):
    """Face colour per area, the class edges and colours (suppressed areas kept out of the classes).
    A value on a break is in the class below it for named classes (`upto` includes it), above it otherwise."""
    shown = np.where(suppressed, np.nan, values)
    edges = classify(shown, classes)
    count = len(classes.names) if classes.names else max(1, len(edges) - 1)
    colours = palette(palette_name, count)
    side: Literal["left", "right"] = "left" if classes.names else "right"
    index = np.clip(np.searchsorted(edges, shown, side=side) - 1, 0, len(colours) - 1)
    faces = [theme.missing if not np.isfinite(v) else colours[k] for v, k in zip(shown, index)]
    faces = [(theme.suppressed if s else f) for f, s in zip(faces, suppressed)]
    return faces, edges, colours


def legend_labels(edges, count: bool = False, classes: Classing | None = None) -> list[str]:
    """Each class's legend entry: its name where the classes are named, else 'lo – hi', every break
    with the legend's one number of decimals (bridge/data/numformat.py's `legend_decimals`:
    integers for counts and whole breaks)."""
    if classes is not None and classes.names:
        return list(classes.names)
    decimals = legend_decimals(edges, count)
    return [f"{fixed(lo, decimals)} – {fixed(hi, decimals)}" for lo, hi in zip(edges[:-1], edges[1:])]


def class_ranges(classes: Classing, count: bool = False) -> list[str]:
    """What each named class holds, for the text version: 'up to 2', 'over 2, up to 4', 'over 8'."""
    breaks = classes.breaks
    written = [fixed(b, legend_decimals(breaks, count)) for b in breaks]
    out = []
    for k in range(len(classes.names or [])):
        above = f"over {written[k - 1]}" if k else ""
        below = f"up to {written[k]}" if k < len(written) else ""
        out.append(", ".join(part for part in (above, below) if part))
    return out
