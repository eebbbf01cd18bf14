"""`type: area` — values over time (or any ordered categories) as filled areas, one per series:
overlapping (each from zero), stacked, or stacked to 100% (`stack: percent`)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from bridge.data.numformat import NumberFormat
from bridge.errors import BridgeError
from bridge.panels.common.axes import Axis, category_chart, padded
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.describe import name
from bridge.panels.common.series import SeriesTable, colours, describe_table, legend, summed
from bridge.scene.fields import Expr

PERCENT = "{:.0%}"


class AreaPanel(PanelModel):
    """Filled areas over time, one per series: overlapping, stacked or stacked to 100%."""

    type: Literal["area"]
    listing_order = 21
    x: Expr = Field(description="Column of periods (or other ordered labels), drawn in time order as a line chart's")
    y: Expr = Field(description="The values, summed per period and series")
    series: Expr | None = Field(None, description="The legend field: a column naming each row's series (at most 12)")
    stack: Literal["overlapping", "stacked", "percent"] = Field(
        "overlapping", description="overlapping: each area from zero, see-through; stacked: one on another; "
                                   "percent: stacked to 100% (each series' share of the period)")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    unit: str | None = None
    format: NumberFormat | None = Field(None, description="How the value axis's numbers are written, e.g. '{:,.0f}'")

    def content(self, data, here) -> SeriesTable:
        content = summed(data, self, here, self.x, self.series, self.y, order="period", where=self.where)
        content.left_out = 0
        if len(content.categories) < 2:
            raise BridgeError(data.doc.problem(here + ("x",), "an area needs at least two periods; use a column chart"))
        if self.stack != "overlapping" and (content.values < 0).any():
            raise BridgeError(data.doc.problem(here + ("y",), f"stack: {self.stack} needs values of zero or more; "
                                                              "use stack: overlapping"))
        if self.stack == "percent":  # a share of a total that holds a small count gives it away: the whole period goes
            primary = int(content.suppressed.sum())
            content.suppressed = np.repeat(content.suppressed.any(axis=1, keepdims=True), len(content.series), axis=1)
            content.secondary = int(content.suppressed.sum()) - primary
        return content

    def describe(self, entry, view, step_index, content: SeriesTable) -> None:
        """A row per period, a column per series (and the total, for stacks)."""
        unit = f" ({self.unit})" if self.unit else ""
        caption = f"{name(self)}: {len(content.categories)} periods, {self.stack}{unit}"
        entry["tables"].append(describe_table(content, caption, "Period", total=self.stack != "overlapping"))
        if self.stack == "percent":
            entry["text"].append("Each period is drawn as the shares of its total, stacked to 100%.")

    def draw(self, c: Canvas, content: SeriesTable, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        size = t.small_deg * 1.2
        palette = colours(t, len(content.series))
        hi = top * c.height_deg
        if content.series != [""]:
            hi = legend(c, content.series, palette, hi, size)
        values = content.shown()
        if self.stack == "percent":
            totals = values.sum(axis=1, keepdims=True)
            values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
        if self.stack == "overlapping":
            lim = padded(float(values.min()), float(values.max()))
        else:
            lim = (0.0, 1.0) if self.stack == "percent" else padded(0.0, float(values.sum(axis=1).max()))
        axis = Axis(lim, PERCENT if self.stack == "percent" else self.format, self.unit)
        ax, _ = category_chart(c, content.categories, (bottom * c.height_deg, hi), axis, size, note=content.note(),
                               inset=0.3)
        x = np.arange(len(content.categories))
        base = np.zeros(len(x))
        width = max(1.0, 0.12 * c.ppd) * 0.72
        for j in range(len(content.series)):
            v = values[:, j]
            if self.stack == "overlapping":
                gaps = content.suppressed[:, j] | np.isnan(content.values[:, j])
                shown = np.where(gaps, np.nan, v)  # a suppressed value is a gap, not a zero
                ax.fill_between(x, 0, shown, color=palette[j], alpha=0.35, linewidth=0)
                ax.plot(x, shown, color=palette[j], linewidth=width)
            else:
                ax.fill_between(x, base, base + v, color=palette[j], alpha=0.9, linewidth=0)
                base = base + v
