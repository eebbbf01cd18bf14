"""`type: column` — columns (or, with `orientation: horizontal`, bars) per category, split into
series by a legend field: stacked, clustered side by side, or stacked to 100% (`stack: percent`).

Its keys follow `bar`'s (`label`, `value`, `top`, `order`, `where`, `unit`) and add `series` (the
legend field, as a line chart's) and `stack`.  It is a type of its own rather than more keys on
`bar`: a bar chart is one sorted series with highlights and references, and each key here changes
how every bar is drawn; keeping them apart keeps each module readable and each set of keys exact.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from bridge.data.numformat import NumberFormat
from bridge.errors import BridgeError
from bridge.panels.common.axes import Axis, category_chart, padded, units_line
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import (
    GAP_DEG,
    LABEL_SHARE,
    MARGIN_DEG,
    TICK_PAD_DEG,
    TICK_SPACING_DEG,
    Ruler,
    axis_ticks,
    bar_labels,
    points,
    text_height,
)
from bridge.panels.common.describe import name
from bridge.panels.common.series import SeriesTable, colours, describe_table, legend, summed
from bridge.scene.fields import Expr

BAR_SHARE = 0.72  # of a category's width taken by its column (or its cluster)
PERCENT = "{:.0%}"


class ColumnPanel(PanelModel):
    """Columns (or bars) per category, series by a legend field: stacked, clustered or stacked to 100%."""

    type: Literal["column"]
    listing_order = 20
    label: Expr = Field(description="Column of categories: one column (or cluster) each")
    value: Expr = Field(description="The values, summed per category and series")
    series: Expr | None = Field(None, description="The legend field: a column naming each row's series (at most 12)")
    stack: Literal["stacked", "clustered", "percent"] = Field(
        "stacked", description="stacked: one column per category; clustered: the series side by side; "
                               "percent: stacked to 100% (each series' share of the category)")
    orientation: Literal["vertical", "horizontal"] = Field(
        "vertical", description="vertical: columns, categories along the foot; horizontal: bars, categories down the side")
    top: int | None = Field(15, ge=1, le=100, description="The N categories with the largest totals")
    order: Literal["descending", "ascending", "period"] = Field(
        "descending", description="Categories by their totals, or as time runs (period: 2019/20 before 2020/21)")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    unit: str | None = None
    format: NumberFormat | None = Field(None, description="How the value axis's numbers are written, e.g. '{:,.0f}' or "
                                                          "'£{:,.0f}m' (counts of people: always integers)")

    def content(self, data, here) -> SeriesTable:
        content = summed(data, self, here, self.label, self.series, self.value, order=self.order, top=self.top,
                         where=self.where)
        if self.stack == "percent":  # a share of a total that holds a small count gives it away: the whole column goes
            primary = int(content.suppressed.sum())
            content.suppressed = np.repeat(content.suppressed.any(axis=1, keepdims=True), len(content.series), axis=1)
            content.secondary = int(content.suppressed.sum()) - primary
            if (content.values < 0).any():
                raise BridgeError(data.doc.problem(here + ("value",), "stack: percent needs values of zero or more "
                                                                      "(a share of a total); use stack: stacked"))
        return content

    def describe(self, entry, view, step_index, content: SeriesTable) -> None:
        """A row per category, a column per series (and the total, for stacks), as the picture shows them."""
        unit = f" ({self.unit})" if self.unit else ""
        caption = f"{name(self)}: {len(content.categories)} categories, {self.stack}{unit}"
        entry["tables"].append(describe_table(content, caption, "Category", total=self.stack != "clustered"))
        if self.stack == "percent":
            entry["text"].append("Each column is drawn as the shares of its total, stacked to 100%.")

    def _values(self, content: SeriesTable) -> np.ndarray:
        shown = content.shown()
        if self.stack != "percent":
            return shown
        totals = shown.sum(axis=1, keepdims=True)
        return np.divide(shown, totals, out=np.zeros_like(shown), where=totals > 0)

    def _lim(self, values: np.ndarray) -> tuple[float, float]:
        if self.stack == "percent":
            return 0.0, 1.0
        if self.stack == "stacked":
            return padded(float(np.where(values < 0, values, 0).sum(axis=1).min()),
                          float(np.where(values > 0, values, 0).sum(axis=1).max()))
        return padded(float(values.min()), float(values.max()))

    def draw(self, c: Canvas, content: SeriesTable, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        size = t.small_deg * 1.2
        palette = colours(t, len(content.series))
        hi = top * c.height_deg
        if content.series != [""]:
            hi = legend(c, content.series, palette, hi, size)
        values = self._values(content)
        axis = Axis(self._lim(values), PERCENT if self.stack == "percent" else self.format, self.unit)
        room = (bottom * c.height_deg, hi)
        if self.orientation == "vertical":
            ax, _ = category_chart(c, content.categories, room, axis, size, note=content.note())
            draw_columns(ax, values, palette, self.stack, vertical=True)
        else:
            self._horizontal(c, content, values, palette, axis, room, size)

    def _horizontal(self, c: Canvas, content: SeriesTable, values: np.ndarray, palette: list, axis: Axis,
                    room: tuple[float, float], size: float) -> None:
        """Bars: the categories' labels in a column on the left (as a bar chart's), values along the foot."""
        t = c.theme
        lo, hi = room
        hi = units_line(c, axis.unit, None, hi, size)
        note = content.note()
        note_h = text_height(c, "top 0 of 0 shown", size) + 0.3
        chart_lo = lo + text_height(c, "0", size) + TICK_PAD_DEG
        ruler = Ruler(c)
        label_size, labels = bar_labels(c, content.categories, hi - chart_lo - (note_h if note else 0.0),
                                        LABEL_SHARE * c.width_deg - MARGIN_DEG - GAP_DEG, ruler, 0.0 if note else note_h)
        if len(labels) < len(content.categories):
            note = "; ".join(p for p in (f"top {len(labels)} of {len(content.categories) + content.left_out} shown",
                                         note.split("; ")[-1] if "suppressed" in note else "") if p)
        if note:
            c.fig.text(c.frac_w(c.width_deg - MARGIN_DEG), c.frac_h(hi), note, ha="right", va="top", color=t.muted,
                       fontsize=c.pt(size), family=t.font)
            hi -= note_h
        rows = len(labels)
        if not rows:  # no category, or no room for one label: said on the panel, not drawn unlabelled
            why = "no data" if not content.categories else "no room for its bars' labels: make the panel taller"
            c.fig.text(c.frac_w(c.width_deg / 2), c.frac_h((lo + hi) / 2), why, ha="center", va="center", color=t.muted,
                       fontsize=c.pt(size), family=t.font)
            return
        x0 = MARGIN_DEG + max(ruler(label, label_size) for label in labels) + GAP_DEG
        width = c.width_deg - MARGIN_DEG - x0 - 0.6
        ax = c.fig.add_axes((c.frac_w(x0), c.frac_h(chart_lo), c.frac_w(width), c.frac_h(hi - chart_lo)))
        ax.set_facecolor(t.card)
        ax.set_ylim(-0.5, rows - 0.5)
        ax.set_xlim(*axis.lim)
        ax.set_yticks(np.arange(rows)[::-1], labels, color=t.text, fontsize=c.pt(label_size), family=t.font)
        at, numbers = axis_ticks(c, axis.lim, x0, width, size, most=max(1, int(width / TICK_SPACING_DEG)))
        if axis.format:
            from bridge.data.numformat import format_number

            numbers = [format_number(axis.format, v).replace("-", "\u2212") for v in at]
        ax.set_xticks(at, numbers, family=t.font)
        ax.tick_params(axis="y", length=0, pad=points(c, GAP_DEG))
        ax.tick_params(axis="x", colors=t.muted, labelsize=c.pt(size), length=0, pad=points(c, TICK_PAD_DEG / 2))
        ax.grid(axis="x", color=t.border, linewidth=0.6)
        ax.set_axisbelow(True)
        for spine in ax.spines.values():
            spine.set_visible(False)
        draw_columns(ax, values[:rows], palette, self.stack, vertical=False)


def draw_columns(ax, values: np.ndarray, palette: list, stack: str, vertical: bool) -> None:
    """The columns (bars): category i at i (vertical) or at n-1-i from the foot (horizontal, the first on top)."""
    n, m = values.shape
    at = np.arange(n) if vertical else np.arange(n)[::-1]
    draw = ax.bar if vertical else ax.barh
    if stack == "clustered":
        width = BAR_SHARE / m
        for j in range(m):
            offset = (j - (m - 1) / 2) * width * (1 if vertical else -1)  # the first series left (on top)
            draw(at + offset, values[:, j], width * 0.94, color=palette[j], linewidth=0)
        return
    up, down = np.zeros(n), np.zeros(n)
    for j in range(m):
        v = values[:, j]
        base = np.where(v >= 0, up, down)
        if vertical:
            ax.bar(at, v, BAR_SHARE, bottom=base, color=palette[j], linewidth=0)
        else:
            ax.barh(at, v, BAR_SHARE, left=base, color=palette[j], linewidth=0)
        up, down = up + np.where(v > 0, v, 0), down + np.where(v < 0, v, 0)
