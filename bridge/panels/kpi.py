"""`type: kpi` — one big number with a label, its change against a comparison, a sparkline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from bridge.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.fields import Expr
from bridge.numformat import NumberFormat, auto_format, format_number, is_missing, with_unit
from bridge.panels import register
from bridge.panels.base import PanelModel
from bridge.theme import MIN_TEXT_DEG
from bridge.panels.canvas import Canvas
from bridge.panels.values import numbers, scalar

NO_DATA = "no data"  # what a KPI shows when its value is missing, not finite or too large


@dataclass
class KpiContent:
    value: float
    suppressed: bool
    compare: float | None = None
    spark: np.ndarray | None = None
    count: bool = False  # a count of people: written as an integer


@register
class KpiPanel(PanelModel):
    """One big number with a label, its change against a comparison (`compare`) and a sparkline (`spark`)."""

    type: Literal["kpi"]
    value: Expr  # type: ignore[valid-type]
    label: str | None = None
    unit: str | None = Field(None, description="Written beside the number: '%' → 4.7%, '£m' → £3.2m, 'homes' → 12 homes")
    format: NumberFormat | None = Field(  # type: ignore[valid-type]
        None, description="How the number is written: one {:spec} field, e.g. '{:.1%}' or '£{:,.0f}m'; "
                          "by default counts and whole numbers as integers, others to 2 significant figures below 10, 3 above")
    compare: Expr | None = Field(None, description="A number to compare with; the change is shown")  # type: ignore[valid-type]
    compare_label: str | None = Field(None, description="e.g. 'vs England'")
    spark: Expr | None = Field(None, description="A column of values drawn as a small line")  # type: ignore[valid-type]

    def content(self, data, here) -> KpiContent:
        value = scalar(data, self.value, here + ("value",), self.data)  # NaN when missing (drawn as no data)
        compare = scalar(data, self.compare, here + ("compare",), self.data) if self.compare else None
        if compare is not None and suppression_mask(data, [compare], is_count(data, self.compare, self.data))[0]:
            compare = None  # a change against a small count would let it be worked out
        spark = None
        if self.spark:
            series = numbers(data, self.spark, here + ("spark",), self.data)
            series = series.mask(suppression_mask(data, series, is_count(data, self.spark, self.data)))
            spark = series.dropna().to_numpy()
        count = is_count(data, self.value, self.data)
        return KpiContent(value, bool(suppression_mask(data, [value], count)[0]), compare, spark, count)

    def number_text(self, content: KpiContent) -> str:
        """The value as written: in `format`, or automatically (bridge/numformat.py's `auto_format`)."""
        if self.format is not None:
            return format_number(self.format, content.value, missing=NO_DATA)
        return auto_format(content.value, content.count, missing=NO_DATA)

    def layout_problems(self, theme, source) -> list[tuple[tuple, str]]:
        return []  # the number shrinks to fit; a KPI has no header

    def seam_parts(self, theme) -> list[tuple[str, float, float]]:
        """The big number, across the middle 60% of the panel."""
        return [("its number", self.yaw - self.width * 0.3, self.yaw + self.width * 0.3)]

    def draw(self, c: Canvas, content: KpiContent, source, marked) -> None:
        t = c.theme
        missing = is_missing(content.value)
        number = SUPPRESSED if content.suppressed else NO_DATA if missing else with_unit(self.number_text(content), self.unit)
        label = self.label
        title_h = 0
        if self.title:
            c.fig.text(0.5, 1 - c.frac_h(0.8), self.title, color=t.muted, fontsize=c.pt(t.body_deg),
                       ha="center", va="top", family=t.font)
            title_h = c.frac_h(t.body_deg * 1.8)
        label_size, label_lines = (c.fit(label, t.body_deg, room_deg=c.width_deg - 1.6, floor_deg=MIN_TEXT_DEG) if label else (t.body_deg, label))
        lines = label_lines.count("\n") + 1 if label else 0
        label_h = c.frac_h(t.body_deg * 2.2 + label_size * 1.25 * (lines - 1)) if label else 0
        extra = content.compare is not None or content.spark is not None
        number_w = 0.62 if extra else 1.0
        size_deg = min((1 - title_h - label_h) * c.height_deg * 0.62,
                       0.9 * number_w * c.width_deg / max(1, t.glyph_em_bold * len(number)))
        centre_x = number_w / 2
        c.fig.text(centre_x, label_h + (1 - title_h - label_h) / 2, number, color=t.muted if content.suppressed or missing else t.text,
                   fontsize=c.pt(size_deg), fontweight="bold", ha="center", va="center", family=t.font)
        if label:
            c.fig.text(0.5, c.frac_h(0.8), label_lines, color=t.accent, fontsize=c.pt(label_size), ha="center", va="bottom",
                       family=t.font)
        if (content.compare is not None and not content.suppressed and not missing and not is_missing(content.compare)
                and content.compare != 0):
            change = content.value / content.compare - 1
            arrow = "▲" if change > 0 else ("▼" if change < 0 else "■")
            text = f"{arrow} {abs(change):.0%} {self.compare_label or 'vs comparison'}"
            c.fig.text(0.81, 1 - title_h - c.frac_h(0.3), text, color=t.mark, fontsize=c.pt(t.body_deg),
                       ha="center", va="top", family=t.font)
        if content.spark is not None and len(content.spark) > 1:
            spark_top = 1 - title_h - c.frac_h(t.body_deg * 1.8)
            ax = c.fig.add_axes((0.66, label_h + c.frac_h(0.3), 0.3, max(0.05, spark_top - label_h - c.frac_h(0.3))))
            ax.plot(content.spark, color=t.accent, linewidth=0.2 * c.ppd)
            ax.plot(len(content.spark) - 1, content.spark[-1], "o", color=t.mark, markersize=0.5 * c.ppd)
            ax.set_axis_off()
