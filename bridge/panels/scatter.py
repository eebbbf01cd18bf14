"""`type: scatter` — a point per row at (x, y), optionally sized by a third value and coloured by
a category (with a legend): how two measures of the same areas go together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import NumberFormat, format_number
from bridge.errors import BridgeError
from bridge.panels.common.axes import Axis, padded, units_line, value_ticks
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import MARGIN_DEG, TICK_PAD_DEG, TICK_SPACING_DEG, axis_ticks, points, text_height
from bridge.panels.common.describe import name, table
from bridge.panels.common.series import MAX_SERIES, colours, legend, number_writer
from bridge.panels.common.values import condition, numbers, texts
from bridge.scene.fields import Expr

MAX_POINTS = 20_000  # more points than this are drawn as they come, the text version lists the first rows
DOT_DEG = (0.35, 1.6)  # the smallest and largest dot's diameter, degrees


@dataclass
class ScatterContent:
    x: np.ndarray
    y: np.ndarray
    size: np.ndarray | None
    category: list[str] | None
    labels: list[str]
    suppressed: int = 0  # points left out: a coordinate or size was a small count of people
    counts: tuple[bool, bool] = (False, False)


class ScatterPanel(PanelModel):
    """A point per row at (x, y), optionally sized by a value and coloured by a category."""

    type: Literal["scatter"]
    listing_order = 23
    x: Expr = Field(description="The value across")
    y: Expr = Field(description="The value up")
    size: Expr | None = Field(None, description="A value drawn as the dot's area (zero or more)")
    category: Expr | None = Field(None, description="A column colouring the dots, with a legend (at most 12 kinds)")
    label: Expr | None = Field(None, description="Each point's name in the text version")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    x_unit: str | None = None
    y_unit: str | None = None
    x_format: NumberFormat | None = None
    y_format: NumberFormat | None = None

    def content(self, data, here) -> ScatterContent:
        d = self.data
        frame = pd.DataFrame({"x": numbers(data, self.x, here + ("x",), d), "y": numbers(data, self.y, here + ("y",), d)})
        frame["size"] = numbers(data, self.size, here + ("size",), d) if self.size else 1.0
        frame["category"] = texts(data, self.category, here + ("category",), d) if self.category else ""
        frame["label"] = (texts(data, self.label, here + ("label",), d) if self.label
                          else [f"point {k + 1}" for k in range(len(frame))])
        if self.where:
            keep = condition(data.evaluate(self.where, here + ("where",), d),
                             data.doc.problem(here + ("where",), "must be a condition"))
            frame = frame[keep.to_numpy(dtype=bool)]
        frame = frame.dropna(subset=["x", "y", "size"])
        if frame.empty:
            raise BridgeError(data.doc.problem(here + ("x",), "no rows with both an x and a y value to draw"))
        if self.size and (frame["size"] < 0).any():
            raise BridgeError(data.doc.problem(here + ("size",), "a dot's size must be zero or more"))
        if self.category and frame["category"].nunique() > MAX_SERIES:
            raise BridgeError(data.doc.problem(here + ("category",), f"{frame['category'].nunique()} kinds are too many to "
                                                                     f"tell apart by colour (at most {MAX_SERIES})"))
        counts = (is_count(data, self.x, d), is_count(data, self.y, d))
        hidden = suppression_mask(data, frame["x"], counts[0]) | suppression_mask(data, frame["y"], counts[1])
        if self.size:
            hidden |= suppression_mask(data, frame["size"], is_count(data, self.size, d))
        frame = frame[~hidden]
        return ScatterContent(frame["x"].to_numpy(float), frame["y"].to_numpy(float),
                              frame["size"].to_numpy(float) if self.size else None,
                              frame["category"].tolist() if self.category else None, frame["label"].tolist(),
                              int(hidden.sum()), counts)

    def describe(self, entry, view, step_index, content: ScatterContent) -> None:
        """The points as a table (largest y first; a long one lists its first rows), with their x, size and category."""
        wx = number_writer(content.x, content.counts[0], self.x_format)
        wy = number_writer(content.y, content.counts[1], self.y_format)
        order = np.argsort(-content.y, kind="stable")
        headings = ["Point", self.x_unit or self.x, self.y_unit or self.y]
        rows = [[content.labels[k], wx(content.x[k]), wy(content.y[k])] for k in order]
        if content.size is not None:
            ws = number_writer(content.size, False, None)
            headings.append(self.size or "size")
            for row, k in zip(rows, order):
                row.append(ws(content.size[k]))
        if content.category is not None:
            headings.append(self.category or "category")
            for row, k in zip(rows, order):
                row.append(content.category[k])
        note = f"{content.suppressed} point(s) {SUPPRESSED}: a value was a small count of people" if content.suppressed else None
        numeric = [False, True, True] + [True] * (content.size is not None) + [False] * (content.category is not None)
        tab = table(f"{name(self)}: {len(rows):,} points", headings, rows, numeric, note=note)
        entry["tables"].append({**tab, "ranked": {"name": name(self), "what": "points", "counts_listed": False}})
        if content.suppressed:  # said in words too: a long table's note says which rows it lists instead
            entry["text"].append(f"{content.suppressed} point(s) are not drawn: an x, y or size was a small count of people.")

    def draw(self, c: Canvas, content: ScatterContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        size = t.small_deg * 1.2
        lo, hi = bottom * c.height_deg, top * c.height_deg
        kinds = list(dict.fromkeys(content.category)) if content.category is not None else []
        palette = colours(t, max(1, len(kinds)))
        if kinds:
            hi = legend(c, kinds, palette, hi, size)
        note = f"{content.suppressed} point(s) {SUPPRESSED}" if content.suppressed else ""
        hi = units_line(c, self.y_unit, note or None, hi, size)
        if self.x_unit:
            unit_size, unit = c.fit(self.x_unit, size, room_deg=c.width_deg - 2 * MARGIN_DEG, floor_deg=min(size, t.small_deg))
            c.fig.text(c.frac_w(c.width_deg - MARGIN_DEG), c.frac_h(lo), unit, ha="right", va="bottom", color=t.muted,
                       fontsize=c.pt(unit_size), family=t.font, linespacing=1.2)
            lo += text_height(c, unit, unit_size) + 0.2
        chart_lo = lo + text_height(c, "0", size) + TICK_PAD_DEG
        ylim = padded(float(content.y.min()), float(content.y.max()), zero=False)
        xlim = padded(float(content.x.min()), float(content.x.max()), zero=False)
        y_at, y_names = value_ticks(c, Axis(ylim, self.y_format), hi - chart_lo, size)
        x0 = MARGIN_DEG + max((c.measure(s, size) for s in y_names), default=0.0) + TICK_PAD_DEG
        width = c.width_deg - MARGIN_DEG - x0 - 0.8
        ax = c.fig.add_axes((c.frac_w(x0), c.frac_h(chart_lo), c.frac_w(width), c.frac_h(hi - chart_lo)))
        ax.set_facecolor(t.card)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_yticks(y_at, y_names, family=t.font)
        x_at, x_names = axis_ticks(c, xlim, x0, width, size, most=max(1, int(width / TICK_SPACING_DEG)))
        if self.x_format:
            x_names = [format_number(self.x_format, v).replace("-", "\u2212") for v in x_at]
        ax.set_xticks(x_at, x_names, family=t.font)
        ax.tick_params(colors=t.muted, labelsize=c.pt(size), length=0, pad=points(c, TICK_PAD_DEG / 2))
        ax.grid(color=t.border, linewidth=0.6)
        ax.set_axisbelow(True)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if content.size is not None and content.size.max() > 0:
            diameter = DOT_DEG[0] + (DOT_DEG[1] - DOT_DEG[0]) * np.sqrt(content.size / content.size.max())
        else:
            diameter = np.full(len(content.x), DOT_DEG[0] * 1.6)
        area = points(c, diameter) ** 2  # matplotlib's `s` is an area in points²
        colour = [palette[kinds.index(k)] for k in content.category] if content.category is not None else palette[0]
        ax.scatter(content.x, content.y, s=area, c=colour, alpha=0.8, linewidths=0)
