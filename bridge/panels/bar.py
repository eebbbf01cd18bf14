"""`type: bar` — a horizontal bar chart, sorted, optionally the top N or rows grouped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import fixed, shared_decimals
from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import (
    GAP_DEG,
    LABEL_SHARE,
    MARGIN_DEG,
    MEASURED_LABEL,
    ROW_MARGIN,
    TICK_PAD_DEG,
    TICK_SPACING_DEG,
    VALUE_GAP_DEG,
    Ruler,
    axis_ticks,
    bar_labels,
    points,
    text_height,
)
from bridge.panels.common.describe import name, table
from bridge.panels.common.values import condition, numbers, texts
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG


@dataclass
class BarContent:
    labels: list[str]
    values: np.ndarray
    suppressed: np.ndarray
    count: bool = False  # the values count people: labelled as integers


class BarPanel(PanelModel):
    """Sorted horizontal bars, optionally the top N, or rows grouped by label (e.g. areas into wards)."""

    type: Literal["bar"]
    listing_order = 4
    value: Expr
    label: Expr
    top: int | None = Field(15, ge=1, le=100)
    order: Literal["descending", "ascending"] = "descending"
    unit: str | None = None
    highlight: str | None = Field(None, description="Label of a bar to pick out")
    group: Literal["sum", "mean"] | None = Field(None, description="Combine rows with the same label, e.g. areas into wards")
    where: Expr | None = Field(None, description="Only the rows where this holds, e.g. wards.ward24_name == params.ward")

    def content(self, data, here) -> BarContent:
        values = numbers(data, self.value, here + ("value",), self.data)
        labels = texts(data, self.label, here + ("label",), self.data)
        frame = pd.DataFrame({"label": labels, "value": values})
        if self.where:
            keep = condition(data.evaluate(self.where, here + ("where",), self.data),
                             data.doc.problem(here + ("where",), "must be a condition, e.g. wards.ward24_name == params.ward"))
            frame = frame[np.broadcast_to(np.asarray(keep, dtype=bool), (len(frame),))]
        frame = frame.dropna()
        if self.group:
            frame = frame.groupby("label", as_index=False)["value"].agg(self.group)
        frame = frame.sort_values("value", ascending=self.order == "ascending", kind="stable")
        if self.top:
            frame = frame.head(self.top)
        if frame.empty:
            raise BridgeError(data.doc.problem(here + (("where",) if self.where else ("value",)), "no rows with a value to draw"))
        values = frame["value"].to_numpy()
        count = is_count(data, self.value, self.data)
        return BarContent(frame["label"].tolist(), values, suppression_mask(data, values, count), count)

    def marked_rows(self, data, content: BarContent, mark, here, mark_path) -> frozenset[str]:
        if mark.top:
            return frozenset(content.labels[: mark.top])
        if self.group:
            raise BridgeError(data.doc.problem(mark_path + ("where",), "on a grouped bar chart, mark rows with top: N"))
        keep = data.evaluate(mark.where, mark_path + ("where",), self.data)
        labels = texts(data, self.label, here + ("label",), self.data)
        return frozenset(labels[condition(keep, data.doc.problem(mark_path + ("where",), "must be a condition")).to_numpy()])

    def describe(self, entry, view, step_index, content: BarContent) -> None:
        """Its bars as a table, values written as the bars' labels, and the bars picked out."""
        decimals = bar_decimals(content)
        rows = [[label, SUPPRESSED if hidden else fixed(value, decimals).replace("-", "\u2212")]
                for label, value, hidden in zip(content.labels, content.values, content.suppressed)]
        value_heading = self.unit or "Value"
        order = "smallest first" if self.order == "ascending" else "largest first"
        entry["tables"].append(table(f"{name(self)}: {len(rows)} bars, {order}", ["Name", value_heading], rows, [False, True]))
        picked = [label for label in content.labels if label in view.marks.get((step_index, self.id), frozenset())]
        if self.highlight and self.highlight not in picked and self.highlight in content.labels:
            picked.insert(0, self.highlight)
        if picked:
            entry["text"].append("Picked out: " + "; ".join(picked) + ".")

    def draw(self, c: Canvas, content: BarContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        lo, hi = bottom * c.height_deg, top * c.height_deg  # the room between source line and title, degrees
        column_most = LABEL_SHARE * c.width_deg - MARGIN_DEG - GAP_DEG  # the widest a bar's label may be
        tick_size = t.small_deg * 1.2
        suppressed = bool(content.suppressed.any())
        ruler = Ruler(c)
        widest = max(ruler(" ".join(label.split())[:MEASURED_LABEL], t.body_deg) for label in content.labels)
        unit_room = c.width_deg - 2 * MARGIN_DEG - GAP_DEG - min(widest, column_most)  # labels only shrink from there
        n = len(content.values)
        note_h = text_height(c, f"top {n} of {n} shown", tick_size) + 0.3  # room for a note, should bars be left out
        for _ in range(2):  # again if the labels leave the unit less room than it was wrapped to
            # Below the chart, from the source line up: the unit (wrapped to the chart's width), the axis numbers.
            unit_size, unit = c.fit(self.unit, tick_size, room_deg=unit_room) if self.unit else (tick_size, "")
            unit_h = text_height(c, unit, unit_size) + 0.3 if unit else 0.0
            ticks_h = 0.0 if suppressed else text_height(c, "0", tick_size) + TICK_PAD_DEG
            chart_lo, chart_hi = lo + unit_h + ticks_h, hi
            size, labels = bar_labels(c, content.labels, chart_hi - chart_lo, column_most, ruler, note_h)
            chart_x0 = MARGIN_DEG + max(ruler(label, size) for label in labels) + GAP_DEG
            chart_w = c.width_deg - MARGIN_DEG - chart_x0
            if chart_w >= unit_room - 1e-6:
                break
            unit_room = chart_w
        note = ""
        if len(labels) < n:  # too many to read at the smallest legible size: the top ones, and a note saying so
            chart_hi -= note_h
            note = f"top {len(labels)} of {n} shown"
        rows = len(labels)
        ax = c.fig.add_axes((c.frac_w(chart_x0), c.frac_h(chart_lo), c.frac_w(chart_w), c.frac_h(chart_hi - chart_lo)))
        ax.set_facecolor(t.card)
        values, hidden = content.values[:rows], content.suppressed[:rows]
        y = np.arange(rows)[::-1]
        picked = set(marked) | ({self.highlight} if self.highlight else set())
        colours = [t.mark if label in picked else (t.accent if not picked else t.muted) for label in content.labels[:rows]]
        shown = np.where(hidden, 0.0, values)
        ax.barh(y, shown, color=colours, height=0.72)
        ax.set_ylim(-0.5 - ROW_MARGIN, rows - 0.5 + ROW_MARGIN)
        ax.set_yticks(y, labels, color=t.text, fontsize=c.pt(size), family=t.font)
        ax.tick_params(axis="y", length=0, pad=points(c, GAP_DEG))
        for spine in ax.spines.values():
            spine.set_visible(False)
        # Value labels at the bars' ends, measured and kept inside the chart; a negative bar's on its left.
        value_size = max(MIN_TEXT_DEG, size * 0.9)
        decimals = bar_decimals(content)
        texts = [SUPPRESSED if h else fixed(v, decimals).replace("-", "\u2212") for v, h in zip(values, hidden)]
        scale, zero = _scale(shown, [c.measure(text, value_size) for text in texts], chart_w)
        lim = (-zero / scale, (chart_w - zero) / scale)
        ax.set_xlim(*lim)
        nudge = VALUE_GAP_DEG / scale
        for yi, v, h, text in zip(y, shown, hidden, texts):
            ax.text(v - nudge if v < 0 else v + nudge, yi, text, va="center", ha="right" if v < 0 else "left",
                    color=t.muted if h else t.text, fontsize=c.pt(value_size), family=t.font)
        if suppressed:
            ax.set_xticks([])  # axis numbers could bracket a suppressed count
        else:
            at, names = axis_ticks(c, lim, chart_x0, chart_w, tick_size, most=max(1, int(chart_w / TICK_SPACING_DEG)))
            ax.set_xticks(at, names, family=t.font)
            ax.tick_params(axis="x", colors=t.muted, labelsize=c.pt(tick_size), length=0, pad=points(c, TICK_PAD_DEG / 2))
            ax.grid(axis="x", color=t.border, linewidth=0.6)
        if (shown < 0).any():
            ax.axvline(0, color=t.muted, linewidth=0.8)
        ax.set_axisbelow(True)
        if unit:
            c.fig.text(c.frac_w(chart_x0), bottom, unit, color=t.muted, fontsize=c.pt(unit_size), linespacing=1.2,
                       va="bottom", ha="left", family=t.font)
        if note:
            c.fig.text(1 - c.frac_w(MARGIN_DEG), top, note, color=t.muted, fontsize=c.pt(tick_size), va="top", ha="right",
                       family=t.font)


def bar_decimals(content: BarContent) -> int:
    """One number of decimals for every value label of a chart (bridge/data/numformat.py's
    `shared_decimals`): none for counts of people and whole numbers."""
    return shared_decimals(content.values[~content.suppressed], content.count)


def _scale(values: np.ndarray, widths: list[float], room_deg: float) -> tuple[float, float]:
    """Degrees per unit of value and the position of zero (degrees from the chart's left) that
    make the bars longest with every value label inside the chart: a positive bar's label to
    its right, a negative one's to its left."""
    right = [(max(float(v), 0.0), w + VALUE_GAP_DEG) for v, w in zip(values, widths) if v >= 0]
    left = [(-float(v), w + VALUE_GAP_DEG) for v, w in zip(values, widths) if v < 0]

    def need(side, scale):
        return max((value * scale + width for value, width in side), default=0.0)

    biggest = float(np.max(np.abs(values))) if len(values) else 0.0
    if biggest == 0:
        return room_deg, need(left, 0.0)
    low, high = 0.0, room_deg / biggest
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if need(left, mid) + need(right, mid) <= room_deg else (low, mid)
    scale = max(low, high * 1e-3)  # labels wider than the chart: bars as short as that leaves
    return scale, need(left, scale)
