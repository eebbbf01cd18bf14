"""`type: bar` — a horizontal bar chart, sorted, optionally the top N or rows grouped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from bridge.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.errors import BridgeError
from bridge.fields import Expr
from bridge.numformat import fixed, shared_decimals
from bridge.panels import register
from bridge.panels.base import PanelModel
from bridge.panels.canvas import Canvas
from bridge.panels.values import condition, numbers, texts


@dataclass
class BarContent:
    labels: list[str]
    values: np.ndarray
    suppressed: np.ndarray
    count: bool = False  # the values count people: labelled as integers


@register
class BarPanel(PanelModel):
    """Sorted horizontal bars, optionally the top N, or rows grouped by label (e.g. areas into wards)."""

    type: Literal["bar"]
    value: Expr  # type: ignore[valid-type]
    label: Expr  # type: ignore[valid-type]
    top: int | None = Field(15, ge=1, le=100)
    order: Literal["descending", "ascending"] = "descending"
    unit: str | None = None
    highlight: str | None = Field(None, description="Label of a bar to pick out")
    group: Literal["sum", "mean"] | None = Field(None, description="Combine rows with the same label, e.g. areas into wards")

    def content(self, data, here) -> BarContent:
        values = numbers(data, self.value, here + ("value",), self.data)
        labels = texts(data, self.label, here + ("label",), self.data)
        frame = pd.DataFrame({"label": labels, "value": values}).dropna()
        if self.group:
            frame = frame.groupby("label", as_index=False)["value"].agg(self.group)
        frame = frame.sort_values("value", ascending=self.order == "ascending", kind="stable")
        if self.top:
            frame = frame.head(self.top)
        if frame.empty:
            raise BridgeError(data.doc.problem(here + ("value",), "no rows with a value to draw"))
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

    def draw(self, c: Canvas, content: BarContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        label_w = c.frac_w(max(8.0, t.text_width_deg(max(content.labels, key=len), t.body_deg, bold=True)))
        unit_h = c.frac_h(t.body_deg * 2.2) if self.unit else 0
        ax = c.fig.add_axes((c.frac_w(1.2) + label_w, bottom + unit_h, 1 - label_w - c.frac_w(9), top - bottom - unit_h))
        ax.set_facecolor(t.card)
        n = len(content.values)
        y = np.arange(n)[::-1]
        picked = set(marked) | ({self.highlight} if self.highlight else set())
        colours = [t.mark if label in picked else (t.accent if not picked else t.muted) for label in content.labels]
        shown = np.where(content.suppressed, 0.0, content.values)
        ax.barh(y, shown, color=colours, height=0.72)
        ax.set_yticks(y, content.labels, color=t.text, fontsize=c.pt(t.body_deg), family=t.font)
        ax.tick_params(axis="y", length=0)
        if content.suppressed.any():
            ax.set_xticks([])  # axis numbers could bracket a suppressed count
        else:
            ax.tick_params(axis="x", colors=t.muted, labelsize=c.pt(t.small_deg * 1.2))
            ax.grid(axis="x", color=t.border, linewidth=0.6)
        for spine in ax.spines.values():
            spine.set_visible(False)
        vmax = float(np.nanmax(shown)) if n and np.nanmax(shown) > 0 else 1.0
        decimals = bar_decimals(content)
        for yi, v, hidden in zip(y, content.values, content.suppressed):
            ax.text((0 if hidden else v) + vmax * 0.01, yi, SUPPRESSED if hidden else fixed(v, decimals), va="center", ha="left",
                    color=t.muted if hidden else t.text, fontsize=c.pt(t.body_deg * 0.9))
        ax.set_xlim(0, vmax * 1.12)
        ax.set_axisbelow(True)
        if self.unit:
            c.fig.text(c.frac_w(1.2) + label_w, bottom, self.unit, color=t.muted, fontsize=c.pt(t.small_deg * 1.2),
                       va="bottom", ha="left", family=t.font)


def bar_decimals(content: BarContent) -> int:
    """One number of decimals for every value label of a chart (bridge/numformat.py's
    `shared_decimals`): none for counts of people and whole numbers."""
    return shared_decimals(content.values[~content.suppressed], content.count)
