"""`type: kpi` — one big number with a label, its comparison with another number, a sparkline.

A comparison states its kind, because councillors read "▲ 25%" against a rate as 25 points:
a difference in the value's own unit, percentage points (for rates and shares), a relative
change or a ratio, each with its own arrow and words, drawn and said alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import (
    NumberFormat,
    auto_decimals,
    auto_format,
    fixed,
    format_number,
    is_missing,
    parse_format,
    with_unit,
)
from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import MEASURED_CHARS, Canvas
from bridge.panels.common.values import numbers, scalar
from bridge.scene.fields import Expr, Strict
from bridge.theme import MIN_TEXT_DEG

NO_DATA = "no data"  # what a KPI shows when its value is missing, not finite or too large
SIDE_WIDTHS = (0.30, 0.45)  # the column beside it (shares of the width): the comparison over the spark line; the
# wider one when a long comparison would not fit the narrow one, even at the legible floor
SIDE_GAP = 0.04  # between the number and that column, and right of it (shares of the width)
COMPARE_SHRINK = 0.8  # a long comparison is shrunk at most this much before it is wrapped (and more only to fit the height)
SPARK_MIN_DEG = 0.3  # a spark line lower than this could not be read: it is left out
LINE_EM = 1.2  # the height of one line of text drawn with linespacing 1.2, in ems
_ARROWS = ("■", "▲", "▼")  # level, up, down (indexed by _sign)


def _possessive(label: str) -> str:
    """England → England's, last year → last year's, Wales → Wales'."""
    label = label.strip()
    return label + ("'" if label.endswith(("s", "S")) else "'s")


def _sign(x: float) -> int:
    """0 for level, 1 for up, 2 for down (indexes _ARROWS and the words beside them)."""
    return 0 if x == 0 else 1 if x > 0 else 2


@dataclass
class KpiContent:
    value: float
    suppressed: bool
    compare: float | None = None
    spark: np.ndarray | None = None
    count: bool = False  # a count of people: written as an integer
    compare_count: bool = False  # the compared number counts people too (a difference is then "more" or "fewer")


CompareKind = Literal["difference", "points", "change", "ratio"]


class Comparison(Strict):
    """What a KPI's number is compared with, and which kind of comparison it is."""

    value: Expr = Field(description="The number compared with, e.g. mean(england.rate) or last(falls.value)")
    kind: CompareKind = Field(description=(
        "difference: in the value's own unit (▼ 120 fewer than last year); points: percentage points, for rates and "
        "shares in % (▲ 3.2 points above England); change: relative change (▲ 25% higher than England); "
        "ratio: 1.24× England"))
    label: str | None = Field(None, description="What it is, as a noun: 'England', 'last year'")


class KpiPanel(PanelModel):
    """One big number with a label, its comparison with another number (`compare`) and a sparkline (`spark`)."""

    type: Literal["kpi"]
    listing_order = 7
    value: Expr
    label: str | None = None
    unit: str | None = Field(None, description="Written beside the number: '%' → 4.7%, '£m' → £3.2m, 'homes' → 12 homes")
    format: NumberFormat | None = Field(
        None, description="How the number is written: one {:spec} field, e.g. '{:.1%}' or '£{:,.0f}m'; "
                          "by default counts and whole numbers as integers, others to 2 significant figures below 10, 3 above")
    compare: Expr | Comparison | None = Field(None, description=(
        "A number to compare with: {value: EXPR, kind: difference|points|change|ratio, label: England}; "
        "an expression alone is a relative change labelled by compare_label"))
    compare_label: str | None = Field(None, description="With compare: EXPR, e.g. 'vs England'")
    spark: Expr | None = Field(None, description="A column of values drawn as a small line")

    def _percent(self) -> bool:
        """Whether the value is a percentage: unit '%' (16.3) or a '%' format (0.163)."""
        return (self.unit or "").strip().startswith("%") or self._percent_format()

    def _percent_format(self) -> bool:
        return self.format is not None and parse_format(self.format).spec.endswith("%")

    def _compare_expr(self) -> str | None:
        return self.compare.value if isinstance(self.compare, Comparison) else self.compare

    def expressions(self) -> list[tuple[tuple, str]]:
        """Every expression, with a comparison's `value` at compare.value."""
        found = [(keys, text) for keys, text in super().expressions() if keys[0] != "compare"]
        if isinstance(self.compare, Comparison):
            return found + [(("compare", "value"), self.compare.value)]
        return found + ([(("compare",), self.compare)] if self.compare else [])

    def _comparison_problem(self) -> tuple[tuple, str] | None:
        """(key, why) when a comparison does not fit the value: points of a value that is not a
        percentage, a difference of percentages, or compare_label beside compare: {…}."""
        if not isinstance(self.compare, Comparison):
            return None
        if self.compare_label is not None:
            return ("compare_label",), ("goes with compare: EXPR; with compare: {value: …, kind: …} write the label "
                                        "inside it: compare: {…, label: England}")
        percent = self._percent()
        if self.compare.kind == "points" and not percent:
            return ("compare", "kind"), ("points are for percentages: give the KPI unit: '%' (values such as 16.3) or a "
                                         "format such as '{:.1%}' (values such as 0.163); to compare other numbers use "
                                         "kind: difference, change or ratio")
        if self.compare.kind == "difference" and percent:
            return ("compare", "kind"), ("a difference between percentages is in percentage points: write kind: points "
                                         "(\"3.2 points above England\"); kind: change gives the relative change")
        return None

    def content(self, data, here) -> KpiContent:
        problem = self._comparison_problem()
        if problem is not None:
            raise BridgeError(data.doc.problem(here + problem[0], problem[1]))
        value = scalar(data, self.value, here + ("value",), self.data)  # NaN when missing (drawn as no data)
        written = self._compare_expr()
        at = here + (("compare", "value") if isinstance(self.compare, Comparison) else ("compare",))
        compare = scalar(data, written, at, self.data) if written else None
        compare_count = bool(written) and is_count(data, cast(str, written), self.data)
        if compare is not None and suppression_mask(data, [compare], compare_count)[0]:
            compare = None  # a comparison with a small count would let it be worked out
        spark = None
        if self.spark:
            series = numbers(data, self.spark, here + ("spark",), self.data)
            series = series.mask(suppression_mask(data, series, is_count(data, self.spark, self.data)))
            spark = series.dropna().to_numpy()
        count = is_count(data, self.value, self.data)
        return KpiContent(value, bool(suppression_mask(data, [value], count)[0]), compare, spark, count, compare_count)

    def number_text(self, content: KpiContent) -> str:
        """The value as written: in `format`, or automatically (bridge/data/numformat.py's `auto_format`)."""
        if self.format is not None:
            return format_number(self.format, content.value, missing=NO_DATA)
        return auto_format(content.value, content.count, missing=NO_DATA)

    def comparison(self, content: KpiContent) -> tuple[str, str] | None:
        """The comparison as drawn (with its arrow) and as said, or None where none is shown: no
        comparison, a value suppressed or missing, a compared number missing or suppressed, or a
        relative change or ratio against zero."""
        value, other = content.value, content.compare
        if other is None or content.suppressed or is_missing(value) or is_missing(other):
            return None
        if not isinstance(self.compare, Comparison):  # compare: EXPR alone: a relative change, as it always was
            if other == 0:
                return None
            change = value / other - 1
            label = self.compare_label or "vs comparison"
            arrow, word = _ARROWS[_sign(change)], ("no change,", "up", "down")[_sign(change)]
            return f"{arrow} {abs(change):.0%} {label}", f"{word} {abs(change):.0%} {label}"
        kind = self.compare.kind
        written = with_unit(self._written(other, content.compare_count), self.unit)
        against = f"{_possessive(self.compare.label or 'the comparison')} {written}"  # England's 13.1%
        if kind in ("change", "ratio") and other == 0:
            return None
        if kind == "ratio":
            ratio = value / other
            said = f"{fixed(ratio, 2) if abs(ratio) < 10 else auto_format(ratio)}× {against}"
            return said, said
        if kind == "change":
            change = 100 * (value / other - 1)
            amount, words = auto_format(abs(change)) + "%", ("the same as", "higher than", "lower than")
        elif kind == "points":
            points = (value - other) * (100 if self._percent_format() else 1)
            amount = self._digits(points, value * (100 if self._percent_format() else 1))
            amount += " point" if amount == "1" else " points"
            words = ("level with", "above", "below")
        else:
            people = content.count and content.compare_count
            amount = with_unit(format_number(self.format, abs(value - other)) if self.format
                               else fixed(abs(value - other), 0) if people else self._digits(value - other, value), self.unit)
            words = ("the same as", "more than", "fewer than") if people else ("level with", "above", "below")
        sign = _sign(value - other)
        said = f"{words[sign]} {against}" if sign == 0 else f"{amount} {words[sign]} {against}"
        return f"{_ARROWS[sign]} {said}", said

    def _written(self, number: float, count: bool) -> str:
        """A number as the KPI writes its own: in `format`, or automatically."""
        return format_number(self.format, number) if self.format is not None else auto_format(number, count)

    def _digits(self, difference: float, value: float) -> str:
        """The size of a difference with the decimals its value is written with (`format`'s
        precision, or the value's meaningful digits); more where those would round it to 0."""
        precision = re.search(r"\.(\d+)", parse_format(self.format).spec) if self.format is not None else None
        decimals = int(precision.group(1)) if precision else 0 if self.format is not None else auto_decimals(value)
        if difference != 0 and round(abs(difference), decimals) == 0:
            decimals = auto_decimals(difference)
        return fixed(abs(difference), decimals)

    def layout_problems(self, theme, source) -> list[tuple[tuple, str]]:
        return []  # the number shrinks to fit; a KPI has no header

    def seam_parts(self, theme) -> list[tuple[str, float, float]]:
        """The big number, across the middle 60% of the panel."""
        return [("its number", self.yaw - self.width * 0.3, self.yaw + self.width * 0.3)]

    def describe(self, entry, view, step_index, content: KpiContent) -> None:
        """The number as drawn, its label, its change against the comparison and the spark line's ends."""
        missing = is_missing(content.value)
        value = SUPPRESSED if content.suppressed else NO_DATA if missing else with_unit(self.number_text(content), self.unit)
        compared = self.comparison(content)
        comparison = compared[1] if compared else None
        entry.update(value=value, label=self.label, unit=self.unit, comparison=comparison)
        sentence = value + (f" {self.label}" if self.label else "")
        sentence += f" ({comparison})" if comparison else ""
        entry["text"].append(sentence + ".")
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
        compared = self.comparison(content)
        if compared is not None:
            text = compared[0]
            height = band - 0.8 - (SPARK_MIN_DEG if spark else 0)  # it leaves the spark line room below it
            fits = []  # the narrow column, or the wider one where the comparison would be shrunk more than a little
            for side in SIDE_WIDTHS:
                size, wrapped = self._compare_text(c, text, side * c.width_deg, height)
                if LINE_EM * size * (wrapped.count("\n") + 1) <= height:
                    fits.append((size, side, wrapped))
            legible = [fit for fit in fits if fit[0] >= COMPARE_SHRINK * t.body_deg - 1e-9]
            if fits:
                size, side, wrapped = legible[0] if legible else max(fits, key=lambda fit: (round(fit[0], 3), -fit[1]))
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
