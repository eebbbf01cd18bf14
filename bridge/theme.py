"""The look of a briefing: colours, type sizes and glyph metrics, as a validated model.

One place for every colour and size a panel, the renderer, the checks or the contact sheet
uses, so a council can restyle a briefing with a theme file (`theme: my-theme.yaml` in the
scene) and the legibility and seam checks measure what is actually drawn.  Type sizes are
degrees of visual angle: a size reads the same on any wall at any texture resolution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, model_validator

from bridge.errors import BridgeError
from bridge.scene.fields import Colour, Palette, Strict

MIN_TEXT_DEG = 0.6  # smallest legible text across a room, degrees of visual angle: a floor, not a style


def _type_size(value: float) -> float:
    if value < MIN_TEXT_DEG:
        raise ValueError(f"{value:g}: type sizes are degrees of visual angle, at least {MIN_TEXT_DEG}")
    return value


TypeSize = Annotated[float, AfterValidator(_type_size),
                     Field(json_schema_extra={"minimum": MIN_TEXT_DEG}, description="Degrees of visual angle")]


class Theme(Strict):
    """Colours and type sizes for a dark projector room (projectors wash out white)."""

    background: Colour = Field("#05070b", description="The room between panels")
    card: Colour = Field("#111827", description="A panel's own background")
    border: Colour = Field("#334155", description="Panel borders, grid lines, legend swatch edges")
    text: Colour = "#f1f5f9"
    muted: Colour = Field("#94a3b8", description="Secondary text: sources, axis numbers, legend titles")
    accent: Colour = Field("#38bdf8", description="Bars, lines, KPI labels, marked areas' outlines")
    mark: Colour = Field("#facc15", description="What a step picks out, and emphasis in text")
    missing: Colour = Field("#3f3f46", description="Areas with no data")
    suppressed: Colour = Field("#1f2937", description="Areas whose count is suppressed (drawn hatched in the legend)")
    stripe: Colour = Field("#0f172a", description="Every other row of a table")
    sheet: Colour = Field("#12141a", description="Background of the contact sheet")
    series: Palette = Field("tab10", description="Colour map for several lines on one chart")
    title_deg: TypeSize = 2.0
    body_deg: TypeSize = 1.3
    small_deg: TypeSize = 0.8
    font: str = "DejaVu Sans"
    glyph_em: float = Field(
        0.55, gt=0.2, le=1.5, description="The font's average advance per em (regular): to fit text before drawing it")
    glyph_em_bold: float = Field(0.62, gt=0.2, le=1.5, description="The same for bold text")
    glyph_em_display: float = Field(0.6, gt=0.2, le=1.5, description="The same for a one-line title-style text panel")
    dim: float = Field(0.35, ge=0.05, le=1, description="Brightness of the panels a highlighted step does not pick out")
    data_colors: list[Colour] = Field(default_factory=list, max_length=64, description=(
        "Colours for data series in order (a Power BI theme's dataColors); when given and series: is not, "
        "charts with several series use them in this order"))

    @model_validator(mode="before")
    @classmethod
    def _series_from_data_colors(cls, raw):
        """data_colors without series: become the series colour map, first colour first (bridge/data/powerbi/theme.py)."""
        if isinstance(raw, dict) and isinstance(raw.get("data_colors"), list) and raw["data_colors"] and "series" not in raw:
            from bridge.data.powerbi.colours import register_series

            name = register_series(raw["data_colors"])
            return {**raw, "series": name} if name else raw
        return raw

    def text_width_deg(self, text: str, size_deg: float, bold: bool = False) -> float:
        """Estimated width of one line of text, in degrees (glyph metrics, no drawing)."""
        return (self.glyph_em_bold if bold else self.glyph_em) * size_deg * len(text)


DEFAULT_THEME = Theme()


def rgb255(colour: str) -> tuple[int, int, int]:
    """A theme colour (any form matplotlib reads) as 8-bit RGB, for drawing with Pillow."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return round(r * 255), round(g * 255), round(b * 255)


def load_theme(path: Path) -> Theme:
    """A theme YAML file: any of Theme's keys; every problem reported at once with file:line.  A `.pbix`
    (its report theme) or a Power BI theme `.json` is mapped to Theme's keys (bridge/data/powerbi/theme.py)."""
    from bridge.scene.validation import pydantic_problems
    from bridge.scene.yaml_source import load_yaml

    if path.suffix.lower() in (".pbix", ".json"):
        from bridge.data.powerbi.theme import theme_keys

        try:
            return Theme.model_validate(theme_keys(path))
        except ValidationError as exc:
            raise BridgeError(f"{path.name}: its report theme gives values Bridge cannot use: {exc.errors()[0]['msg']}") from None
    doc = load_yaml(path, what="theme file")
    if not isinstance(doc.data, dict):
        raise BridgeError(doc.problem((), "a theme is a mapping of keys like accent: '#38bdf8'"))
    try:
        return Theme.model_validate(doc.data)
    except ValidationError as exc:
        raise BridgeError(pydantic_problems(exc, doc, Theme)) from None


def json_schema() -> dict[str, Any]:
    """The theme file format as JSON Schema."""
    schema = Theme.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bridge theme"
    return schema
