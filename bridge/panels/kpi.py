"""`type: kpi` — one big number with a label, its change against a comparison, a sparkline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import NumberFormat, auto_format, format_number, is_missing, with_unit
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import MEASURED_CHARS, Canvas
from bridge.panels.common.values import numbers, scalar
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG

NO_DATA = "no data"  # what a KPI shows when its value is missing, not finite or too large
SIDE_WIDTHS = (0.30, 0.45)  # the column beside it (shares of the width): the comparison over the spark line; the
# wider one when a long comparison would not fit the narrow one, even at the legible floor
SIDE_GAP = 0.04  # between the number and that column, and right of it (shares of the width)
COMPARE_SHRINK = 0.8  # a long comparison is shrunk at most this much before it is wrapped (and more only to fit the height)
SPARK_MIN_DEG = 0.3  # a spark line lower than this could not be read: it is left out
LINE_EM = 1.2  # the height of one line of text drawn with linespacing 1.2, in ems


@dataclass
class KpiContent:
    value: float
    suppressed: bool
    compare: float | None = None
    spark: np.ndarray | None = None
    count: bool = False  # a count of people: written as an integer


class KpiPanel(PanelModel):
    """One big number with a label, its change against a comparison (`compare`) and a sparkline (`spark`)."""

    type: Literal["kpi"]
    listing_order = 7
    value: Expr
    label: str | None = None
    unit: str | None = Field(None, description="Written beside the number: '%' → 4.7%, '£m' → £3.2m, 'homes' → 12 homes")
    format: NumberFormat | None = Field(
        None, description="How the number is written: one {:spec} field, e.g. '{:.1%}' or '£{:,.0f}m'; "
                          "by default counts and whole numbers as integers, others to 2 significant figures below 10, 3 above")
    compare: Expr | None = Field(None, description="A number to compare with; the change is shown")
    compare_label: str | None = Field(None, description="e.g. 'vs England'")
    spark: Expr | None = Field(None, description="A column of values drawn as a small line")

    def content(self, data, here) -> KpiContent:
        value = scalar(data, self.value, here + ("value",), self.data)  # NaN when missing (drawn as no data)
        compare = scalar(data, self.compare, here + ("compare",), self.data) if self.compare else None
        if compare is not None and suppression_mask(data, [compare], is_count(data, cast(str, self.compare), self.data))[0]:
            compare = None  # a change against a small count would let it be worked out
        spark = None
        if self.spark:
            series = numbers(data, self.spark, here + ("spark",), self.data)
            series = series.mask(suppression_mask(data, series, is_count(data, self.spark, self.data)))
            spark = series.dropna().to_numpy()
        count = is_count(data, self.value, self.data)
        return KpiContent(value, bool(suppression_mask(data, [value], count)[0]), compare, spark, count)

    def number_text(self, content: KpiContent) -> str:
        """The value as written: in `format`, or automatically (bridge/data/numformat.py's `auto_format`)."""
        if self.format is not None:
            return format_number(self.format, content.value, missing=NO_DATA)
        return auto_format(content.value, content.count, missing=NO_DATA)

    def layout_problems(self, theme, source) -> list[tuple[tuple, str]]:
        return []  # the number shrinks to fit; a KPI has no header

    def seam_parts(self, theme) -> list[tuple[str, float, float]]:
        """The big number, across the middle 60% of the panel."""
        return [("its number", self.yaw - self.width * 0.3, self.yaw + self.width * 0.3)]

    def describe(self, entry, view, step_index, content: KpiContent) -> None:
        """The number as drawn, its label, its change against the comparison and the spark line's ends."""
        missing = is_missing(content.value)
        value = SUPPRESSED if content.suppressed else NO_DATA if missing else with_unit(self.number_text(content), self.unit)
        comparison = None
        if (content.compare is not None and not content.suppressed and not missing and not is_missing(content.compare)
                and content.compare != 0):  # as draw shows it
            change = content.value / content.compare - 1
            word = "up" if change > 0 else ("down" if change < 0 else "no change,")
            comparison = f"{word} {abs(change):.0%} {self.compare_label or 'vs comparison'}"
        entry.update(value=value, label=self.label, unit=self.unit, comparison=comparison)
        sentence = value + (f" {self.label}" if self.label else "")
        entry["text"].append(sentence + (f" ({comparison})" if comparison else "") + ".")
        spark = content.spark
        if spark is not None and len(spark) > 1:  # its small counts already left out, as the spark line leaves them
            count = bool(self.spark) and is_count(view.data, cast(str, self.spark), self.data)
            first, last = auto_format(spark[0], count), auto_format(spark[-1], count)
            entry["text"].append(f"A spark line of {len(spark)} values, from {first} to {last}.")

    def draw(self, c: Canvas, content: KpiContent, source, marked) -> None:
        t = c.theme
        missing = is_missing(content.value)
        number = SUPPRESSED if content.suppressed else NO_DATA if missing else with_unit(self.number_text(content), self.unit)
        room = c.width_deg - 1.6  # centred text: 0.8° clear of each side
        title_h: float = 0
        if self.title:
            title_size, title = c.fit(self.title, t.body_deg, room_deg=room, floor_deg=MIN_TEXT_DEG)
            c.fig.text(0.5, 1 - c.frac_h(0.8), title, color=t.muted, fontsize=c.pt(title_size),
                       ha="center", va="top", family=t.font)
            title_h = c.frac_h(t.body_deg * 1.8 + title_size * LINE_EM * title.count("\n"))
        label = self.label
        # `label_lines` is read only when there is a label
        label_size, label_lines = (c.fit(label, t.body_deg, room_deg=room, floor_deg=MIN_TEXT_DEG) if label
                                   else (t.body_deg, ""))
        lines = label_lines.count("\n") + 1 if label else 0
        label_h = c.frac_h(t.body_deg * 2.2 + label_size * 1.25 * (lines - 1)) if label else 0
        band = (1 - title_h - label_h) * c.height_deg  # between the title and the label, degrees
        spark = content.spark is not None and len(content.spark) > 1
        side, compare = SIDE_WIDTHS[0], None  # the column right of the number: the comparison over the spark line
        if (content.compare is not None and not content.suppressed and not missing and not is_missing(content.compare)
                and content.compare != 0):
            change = content.value / content.compare - 1
            arrow = "▲" if change > 0 else ("▼" if change < 0 else "■")
            text = f"{arrow} {abs(change):.0%} {self.compare_label or 'vs comparison'}"
            height = band - 0.8 - (SPARK_MIN_DEG if spark else 0)  # it leaves the spark line room below it
            for side in SIDE_WIDTHS:  # a wider column when the comparison is too long for the narrow one
                size, wrapped = self._compare_text(c, text, side * c.width_deg, height)
                if LINE_EM * size * (wrapped.count("\n") + 1) <= height:
                    break
            else:  # the last resort in a panel far too small for it: the lines that fit (no spark line), the last ending in …
                wrapped = _shortened(c, wrapped, size, side * c.width_deg, int((band - 0.5) / (LINE_EM * size)))
            compare = size, wrapped
        extra = compare is not None or content.spark is not None
        number_w = 1 - 2 * SIDE_GAP - side if extra else 1.0
        size_deg, number = self._number_size(c, number, band * 0.62, 0.9 * number_w * c.width_deg)
        c.fig.text(number_w / 2, label_h + (1 - title_h - label_h) / 2, number,
                   color=t.muted if content.suppressed or missing else t.text,
                   fontsize=c.pt(size_deg), fontweight="bold", ha="center", va="center", family=t.font)
        if label:
            c.fig.text(0.5, c.frac_h(0.8), label_lines, color=t.accent, fontsize=c.pt(label_size), ha="center", va="bottom",
                       family=t.font)
        left = 1 - SIDE_GAP - side
        spark_bottom = label_h + c.frac_h(0.3)
        spark_top = max(1 - title_h - c.frac_h(t.body_deg * 1.8), spark_bottom + 0.05)  # below a comparison of one line
        if compare is not None:
            artist = c.fig.text(left + side / 2, 1 - (title_h or c.frac_h(0.5)) - c.frac_h(0.3), compare[1], color=t.mark,
                                fontsize=c.pt(compare[0]), ha="center", va="top", family=t.font)
            spark_top = min(spark_top, artist.get_window_extent(renderer=c.canvas.get_renderer()).y0 / c.h - c.frac_h(0.2))
        if spark and (spark_top - spark_bottom) * c.height_deg >= SPARK_MIN_DEG:  # lower, it could not be read
            values = cast(np.ndarray, content.spark)  # `spark` above: there are values
            ax = c.fig.add_axes((left, spark_bottom, side, spark_top - spark_bottom))
            ax.plot(values, color=t.accent, linewidth=0.2 * c.ppd)
            ax.plot(len(values) - 1, values[-1], "o", color=t.mark, markersize=0.5 * c.ppd)
            ax.set_axis_off()

    @staticmethod
    def _number_size(c: Canvas, number: str, size: float, room: float) -> tuple[float, str]:
        """The number at `size`, or smaller to fit `room` by its width measured as drawn (twice:
        type is hinted, so its width is not quite proportional to its size); at the legible floor
        it is wrapped (a unit at a space)."""
        for _ in range(2):
            size = min(size, size * room / c.measure(number, size, bold=True))
        if size >= MIN_TEXT_DEG:
            return size, number
        return c.fit(number, MIN_TEXT_DEG, bold=True, room_deg=room, floor_deg=MIN_TEXT_DEG)

    @staticmethod
    def _compare_text(c: Canvas, text: str, room: float, height: float) -> tuple[float, str]:
        """The comparison fitted to its column (`room` wide, measured as drawn): shrunk a little,
        then wrapped; smaller, to the legible floor, only while its lines are taller than `height`."""
        if len(text) > MEASURED_CHARS:  # hostile lengths: at the floor, wrapped by estimate (Canvas.fit)
            return c.fit(text, MIN_TEXT_DEG, room_deg=room, floor_deg=MIN_TEXT_DEG)
        size, wrapped = c.fit(text, c.theme.body_deg, room_deg=room,
                              floor_deg=max(MIN_TEXT_DEG, COMPARE_SHRINK * c.theme.body_deg))
        while size > MIN_TEXT_DEG and LINE_EM * size * (wrapped.count("\n") + 1) > height:
            size = max(MIN_TEXT_DEG, size * 0.9)
            wrapped = c.wrap(text, size, room)
        return size, wrapped


def _shortened(c: Canvas, text: str, size: float, room: float, lines: int) -> str:
    """The first `lines` (at least one) of wrapped `text`; if any are left out, the last shown ends in "…"
    (words, then letters, taken off until it fits `room`, measured as drawn)."""
    kept = text.split("\n")
    if len(kept) <= max(1, lines):
        return text
    kept = kept[:max(1, lines)]
    last = kept[-1]
    while last and c.measure(last + "…", size) > room:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    kept[-1] = last.rstrip(" ,;:") + "…"
    return "\n".join(kept)
