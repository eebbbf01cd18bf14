"""Building blocks of the scene format shared by the scene model, the panel types and themes.

Each is a pydantic type whose error reads as an analyst would want it ('400 is outside
-180..180', 'unknown palette … did you mean') and whose JSON Schema carries the same limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bridge.data import expressions
from bridge.errors import did_you_mean

if TYPE_CHECKING:
    from pydantic.config import JsonDict


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not be silently ignored); values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def bounded(lo: float, hi: float, *, open_lo: bool = False):
    """A float type limited to lo..hi whose error reads '400 is outside -180..180'."""

    def check(v: float) -> float:
        if open_lo and not lo < v <= hi:
            raise ValueError(f"{v:g} must be more than {lo:g} and at most {hi:g}")
        if not lo <= v <= hi:
            raise ValueError(f"{v:g} is outside {lo:g}..{hi:g}")
        return v

    schema: JsonDict = {"maximum": hi, ("exclusiveMinimum" if open_lo else "minimum"): lo}
    return Annotated[float, AfterValidator(check), Field(json_schema_extra=schema)]


def _expression(text: str) -> str:
    try:
        expressions.parse(text)
    except expressions.ExpressionError as exc:
        raise ValueError(str(exc)) from None
    return text


def _palette(name: str) -> str:
    from matplotlib import colormaps

    if name not in colormaps:
        raise ValueError(f"unknown palette '{name}'{did_you_mean(name, list(colormaps))}; "
                         "colour-blind-safe choices: viridis, cividis, magma, inferno, plasma, YlOrRd, Blues")
    return name


def _colour(value: str) -> str:
    from matplotlib.colors import to_rgba

    try:
        to_rgba(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a colour; use a name or #rrggbb") from None
    return value


Palette = Annotated[str, AfterValidator(_palette), Field(description="A matplotlib colour map, e.g. viridis")]
Colour = Annotated[str, AfterValidator(_colour), Field(description="A colour name or #rrggbb")]
Yaw = bounded(-180, 180)
Pitch = bounded(-80, 80)
Width = bounded(0, 360, open_lo=True)
Height = bounded(0, 150, open_lo=True)
Expr = Annotated[str, AfterValidator(_expression),
                 Field(description="An expression over columns, e.g. people.total or sum(homes.households)")]
PanelId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", description="Letters, digits, - and _")]
