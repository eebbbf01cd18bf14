"""`type: combo` — columns per category (series by a legend field, stacked or clustered) with a
line over them on a second value axis at the right: households (columns) and a rate (line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED
from bridge.data.numformat import MISSING, NumberFormat
from bridge.panels.common.axes import Axis, category_chart, padded
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.describe import name
from bridge.panels.common.series import SeriesTable, colours, describe_table, legend, summed
from bridge.scene.fields import Expr


@dataclass
class ComboContent:
    columns: SeriesTable
    line: SeriesTable  # one series, its categories the columns'


class ComboPanel(PanelModel):
    """Columns per category (stacked or clustered series) with a line on a second axis at the right."""

    type: Literal["combo"]
    listing_order = 22
    label: Expr = Field(description="Column of categories (or periods): one column each")
    value: Expr = Field(description="The columns' values, summed per category and series")
    series: Expr | None = Field(None, description="The columns' legend field (at most 12 series)")
    stack: Literal["stacked", "clustered"] = "stacked"
    line: Expr = Field(description="The line's values, summed per category, on the right-hand axis")
    line_group: Literal["sum", "mean"] = Field("sum", description="How the line's rows are combined per category")
    line_label: str | None = Field(None, description="The line's name in the legend (default: its expression)")
    order: Literal["descending", "ascending", "period"] = Field(
        "period", description="Categories as time runs (period), or by the columns' totals")
    top: int | None = Field(None, ge=1, le=100, description="The N categories with the largest totals")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    unit: str | None = Field(None, description="The columns' unit, above the left axis")
    line_unit: str | None = Field(None, description="The line's unit, above the right axis")
    format: NumberFormat | None = Field(None, description="How the left axis's numbers are written")
    line_format: NumberFormat | None = Field(None, description="How the right axis's numbers are written, e.g. '{:.0%}'")

    def content(self, data, here) -> ComboContent:
        columns = summed(data, self, here, self.label, self.series, self.value, order=self.order, top=self.top,
                         where=self.where)
        line = summed(data, self, here, self.label, None, self.line, where=self.where, how=self.line_group)
        line.values = _by_category(line, columns.categories)
        line.suppressed = _by_category(line, columns.categories, line.suppressed).astype(bool)
        line.categories, line.left_out, line.format = list(columns.categories), 0, self.line_format
        return ComboContent(columns, line)

    def describe(self, entry, view, step_index, content: ComboContent) -> None:
        """The columns' table with the line's values as its last column."""
        columns = content.columns
        unit = f" ({self.unit})" if self.unit else ""
        tab = describe_table(columns, f"{name(self)}: {len(columns.categories)} categories{unit}", "Category",
                             total=self.stack == "stacked" and columns.series != [""])
        write = content.line.writer()
        for row, v, hidden in zip(tab["rows"], content.line.values[:, 0], content.line.suppressed[:, 0]):
            row.append(SUPPRESSED if hidden else MISSING if np.isnan(v) else write(v))
        tab["headings"].append(self._line_name() + (f" ({self.line_unit})" if self.line_unit else ""))
        tab["numeric"].append(True)
        notes = [n for n in (columns.note(), content.line.note()) if n]
        tab["note"] = "; ".join(notes) or None
        entry["tables"].append(tab)
        entry["text"].append(f"The columns are read on the left axis, the line ({self._line_name()}) on the right.")

    def _line_name(self) -> str:
        return self.line_label or self.line

    def draw(self, c: Canvas, content: ComboContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        size = t.small_deg * 1.2
        columns = content.columns
        names = [s or (self.unit or "value") for s in columns.series] + [self._line_name()]
        palette = colours(t, len(columns.series))
        line_colour = t.mark
        hi = legend(c, names, palette + [line_colour], top * c.height_deg, size)
        values = columns.shown()
        if self.stack == "stacked":
            lim = padded(float(np.where(values < 0, values, 0).sum(axis=1).min()), float(values.clip(0).sum(axis=1).max()))
        else:
            lim = padded(float(values.min()), float(values.max()))
        line = np.where(content.line.suppressed[:, 0], np.nan, content.line.values[:, 0])
        finite = line[np.isfinite(line)]
        right_lim = padded(float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        note = "; ".join(n for n in (columns.note(), content.line.note()) if n)
        ax, twin = category_chart(c, columns.categories, (bottom * c.height_deg, hi), Axis(lim, self.format, self.unit),
                                  size, Axis(right_lim, self.line_format, self.line_unit), note)
        from bridge.panels.column import draw_columns

        draw_columns(ax, values, palette, self.stack, vertical=True)
        x = np.arange(len(columns.categories))
        twin.plot(x, line, color=line_colour, linewidth=max(1.0, 0.12 * c.ppd) * 0.72 * 1.4, marker="o",
                  markersize=min(0.5 * c.ppd, 8.0), zorder=3)


def _by_category(table: SeriesTable, categories: list[str], values=None) -> np.ndarray:
    """`values` (default the table's) of a one-series table in the order of `categories` (NaN or False where missing)."""
    values = table.values if values is None else values
    at = {category: i for i, category in enumerate(table.categories)}
    fill = False if values.dtype == bool else np.nan
    return np.array([[values[at[k], 0] if k in at else fill] for k in categories])
