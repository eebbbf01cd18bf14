"""`type: bar` — a horizontal bar chart, sorted, optionally the top N or rows grouped; bars picked
out by label, rank or condition; reference lines and bands (England's value, a target) across it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import fixed, shared_decimals
from bridge.errors import BridgeError, did_you_mean
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
    BarAxis,
    Pick,
    ReferenceMark,
    References,
    Ruler,
    axis_ticks,
    bar_labels,
    points,
    reference_decimals,
    reference_marks,
    shorten,
    text_height,
)
from bridge.panels.common.describe import name, table
from bridge.panels.common.values import condition, numbers, texts
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG

REFERENCE_PAD_DEG = 0.3  # between a row of reference labels and the next, or the chart
REFERENCE_GAP_DEG = 0.8  # between two reference labels side by side
REFERENCE_ROWS = 2  # rows of reference labels above a bar chart, at most


@dataclass
class BarContent:
    labels: list[str]
    values: np.ndarray
    suppressed: np.ndarray
    count: bool = False  # the values count people: labelled as integers
    references: list[ReferenceMark] = field(default_factory=list)
    highlighted: frozenset[str] = frozenset()  # labels of the bars `highlight:` picks out


@dataclass
class _Layout:
    """Where a bar chart's parts go, in degrees from the panel's bottom left."""

    size: float  # the bars' labels' type size
    labels: list[str]  # as drawn (wrapped or shortened); fewer than the bars when not all fit
    x0: float  # the chart's left edge
    width: float
    lo: float  # the chart's bottom and top
    hi: float
    unit: str
    unit_size: float
    note: str  # "top 24 of 40 shown", or ""


class BarPanel(PanelModel):
    """Sorted horizontal bars: the top N, or rows grouped by label; `highlight` picks bars out, `reference` adds comparisons."""

    type: Literal["bar"]
    listing_order = 4
    value: Expr
    label: Expr
    top: int | None = Field(15, ge=1, le=100)
    order: Literal["descending", "ascending"] = "descending"
    unit: str | None = None
    highlight: str | list[str] | Pick | None = Field(None, description=(
        "Bars to pick out: a label, a list of labels ([Telford, Wrekin]), {top: N} or {where: a condition}"))
    group: Literal["sum", "mean"] | None = Field(None, description="Combine rows with the same label, e.g. areas into wards")
    where: Expr | None = Field(None, description="Only the rows where this holds, e.g. wards.ward24_name == params.ward")
    reference: References = []
    axis: BarAxis = Field(BarAxis(), description="The value axis: a bar chart's always starts at zero")

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
        content = BarContent(frame["label"].tolist(), values, suppression_mask(data, values, count), count,
                             reference_marks(data, self.reference, here + ("reference",), self.data))
        content.highlighted = self._highlighted(data, content, labels, here)
        return content

    def _highlighted(self, data, content: BarContent, labels: pd.Series, here) -> frozenset[str]:
        """The labels `highlight:` picks out; a label no bar has is a warning (a typo picks out nothing)."""
        if self.highlight is None:
            return frozenset()
        if isinstance(self.highlight, Pick):
            return self.marked_rows(data, content, self.highlight, here, here + ("highlight",))
        wanted = [self.highlight] if isinstance(self.highlight, str) else list(self.highlight)
        known = set(labels)
        for k, label in enumerate(wanted):
            if label not in known:
                where = here + ("highlight",) + (() if isinstance(self.highlight, str) else (k,))
                data.warn(where, f"no bar is labelled '{label}'{did_you_mean(label, sorted(known))}, so it picks out nothing")
        return frozenset(wanted)

    def marked_rows(self, data, content: BarContent, mark, here, mark_path) -> frozenset[str]:
        if mark.top:
            return frozenset(content.labels[: mark.top])
        if self.group:
            raise BridgeError(data.doc.problem(mark_path + ("where",), "on a grouped bar chart, pick bars with top: N"))
        keep = data.evaluate(mark.where, mark_path + ("where",), self.data)
        labels = texts(data, self.label, here + ("label",), self.data)
        return frozenset(labels[condition(keep, data.doc.problem(mark_path + ("where",), "must be a condition")).to_numpy()])

    def describe(self, entry, view, step_index, content: BarContent) -> None:
        """Its bars as a table, values written as the bars' labels, the bars picked out and its references."""
        decimals = bar_decimals(content)
        rows = [[label, SUPPRESSED if hidden else fixed(value, decimals).replace("-", "\u2212")]
                for label, value, hidden in zip(content.labels, content.values, content.suppressed)]
        value_heading = self.unit or "Value"
        order = "smallest first" if self.order == "ascending" else "largest first"
        entry["tables"].append(table(f"{name(self)}: {len(rows)} bars, {order}", ["Name", value_heading], rows, [False, True]))
        marks = view.marks.get((step_index, self.id), frozenset())
        picked = [label for label in content.labels if label in marks or label in content.highlighted]
        if picked:
            entry["text"].append("Picked out: " + "; ".join(picked) + ".")
        ref_decimals = reference_decimals(content.references, decimals)
        entry["text"] += [mark.sentence(ref_decimals) for mark in content.references]

    def draw(self, c: Canvas, content: BarContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        refs = [m for m in content.references if not m.suppressed]
        tick_size = t.small_deg * 1.2
        lay, scale, zero, placed = _fit(c, content, self.unit, (bottom * c.height_deg, top * c.height_deg), refs, tick_size)
        shown = np.where(content.suppressed, 0.0, content.values)[: len(lay.labels)]
        value_size = max(MIN_TEXT_DEG, lay.size * 0.9)
        value_texts = _value_texts(content)[: len(lay.labels)]
        ax = c.fig.add_axes((c.frac_w(lay.x0), c.frac_h(lay.lo), c.frac_w(lay.width), c.frac_h(lay.hi - lay.lo)))
        ax.set_facecolor(t.card)
        rows = len(lay.labels)
        y = np.arange(rows)[::-1]
        picked = set(marked) | content.highlighted
        colours = [t.mark if label in picked else (t.accent if not picked else t.muted) for label in content.labels[:rows]]
        ax.barh(y, shown, color=colours, height=0.72)
        ax.set_ylim(-0.5 - ROW_MARGIN, rows - 0.5 + ROW_MARGIN)
        ax.set_yticks(y, lay.labels, color=t.text, fontsize=c.pt(lay.size), family=t.font)
        ax.tick_params(axis="y", length=0, pad=points(c, GAP_DEG))
        for spine in ax.spines.values():
            spine.set_visible(False)
        lim = (-zero / scale, (lay.width - zero) / scale)
        ax.set_xlim(*lim)
        nudge = VALUE_GAP_DEG / scale
        for yi, v, h, text in zip(y, shown, content.suppressed, value_texts):  # at the bars' ends, a negative bar's on its left
            ax.text(v - nudge if v < 0 else v + nudge, yi, text, va="center", ha="right" if v < 0 else "left",
                    color=t.muted if h else t.text, fontsize=c.pt(value_size), family=t.font)
        self._axis(c, ax, content, lay, lim, tick_size, shown)
        draw_references(c, ax, refs, placed, lay.hi)
        if lay.unit:
            c.fig.text(c.frac_w(lay.x0), bottom, lay.unit, color=t.muted, fontsize=c.pt(lay.unit_size), linespacing=1.2,
                       va="bottom", ha="left", family=t.font)
        if lay.note:
            c.fig.text(1 - c.frac_w(MARGIN_DEG), top, lay.note, color=t.muted, fontsize=c.pt(tick_size), va="top",
                       ha="right", family=t.font)

    @staticmethod
    def _axis(c: Canvas, ax, content: BarContent, lay: _Layout, lim, tick_size: float, shown: np.ndarray) -> None:
        """The value axis's numbers and grid (none where a count is suppressed: they could bracket it)."""
        t = c.theme
        if content.suppressed.any():
            ax.set_xticks([])
        else:
            at, names = axis_ticks(c, lim, lay.x0, lay.width, tick_size, most=max(1, int(lay.width / TICK_SPACING_DEG)))
            ax.set_xticks(at, names, family=t.font)
            ax.tick_params(axis="x", colors=t.muted, labelsize=c.pt(tick_size), length=0, pad=points(c, TICK_PAD_DEG / 2))
            ax.grid(axis="x", color=t.border, linewidth=0.6)
        if (shown < 0).any():
            ax.axvline(0, color=t.muted, linewidth=0.8)
        ax.set_axisbelow(True)


def _value_texts(content: BarContent) -> list[str]:
    """Each bar's value as written at its end: one number of decimals for all, a true minus sign."""
    decimals = bar_decimals(content)
    return [SUPPRESSED if h else fixed(v, decimals).replace("-", "\u2212") for v, h in zip(content.values, content.suppressed)]


def _fit(c: Canvas, content: BarContent, unit: str | None, room: tuple[float, float], refs: list[ReferenceMark],
         tick_size: float) -> tuple[_Layout, float, float, list]:
    """The layout, the scale (degrees per unit, zero's place) and the references' labels placed above the
    chart: with as many rows for those labels as they need (at most REFERENCE_ROWS), fewer (labels
    shortened or left out) where the bars would otherwise have no room."""
    rows_kept, most = (1 if refs else 0), REFERENCE_ROWS
    while True:
        lay = _layout(c, content, unit, room, rows_kept, tick_size)
        if not lay.labels:  # not even one bar fits under the labels' rows
            if rows_kept == 0:
                raise BridgeError(f"the panel is too small for its bars ({c.width_deg:.0f}°×{c.height_deg:.0f}°); "
                                  "make it taller")
            rows_kept = most = rows_kept - 1
            continue
        shown = np.where(content.suppressed, 0.0, content.values)[: len(lay.labels)]
        value_size = max(MIN_TEXT_DEG, lay.size * 0.9)
        ends = np.array([v for m in refs for v in (m.low, m.high)])
        widths = [c.measure(text, value_size) for text in _value_texts(content)[: len(lay.labels)]]
        scale, zero = _scale(np.concatenate([shown, ends]), widths + [0.0] * len(ends), lay.width)
        at = [lay.x0 + zero + (m.low + m.high) / 2 * scale for m in refs]
        texts = [m.text(reference_decimals(refs, bar_decimals(content))) for m in refs]
        placed = reference_labels(c, texts, at, tick_size, most) if most else []
        needed = max((row for *_, row, _ in placed), default=-1) + 1
        if needed <= rows_kept:
            return lay, scale, zero, placed
        rows_kept = needed


def _layout(c: Canvas, content: BarContent, unit_text: str | None, room: tuple[float, float], reference_rows: int,
            tick_size: float) -> _Layout:
    """The labels' size and the chart's box between the source line and the title (`room`, degrees),
    keeping `reference_rows` rows above the chart for reference labels."""
    lo, hi = room
    column_most = LABEL_SHARE * c.width_deg - MARGIN_DEG - GAP_DEG  # the widest a bar's label may be
    ruler = Ruler(c)
    widest = max(ruler(" ".join(label.split())[:MEASURED_LABEL], c.theme.body_deg) for label in content.labels)
    unit_room = c.width_deg - 2 * MARGIN_DEG - GAP_DEG - min(widest, column_most)  # labels only shrink from there
    n = len(content.values)
    note_h = text_height(c, f"top {n} of {n} shown", tick_size) + 0.3  # room for a note, should bars be left out
    kept = reference_rows * reference_row_height(c, tick_size)
    for _ in range(2):  # again if the labels leave the unit less room than it was wrapped to
        # Below the chart, from the source line up: the unit (wrapped to the chart's width), the axis numbers.
        unit_size, unit = c.fit(unit_text, tick_size, room_deg=unit_room) if unit_text else (tick_size, "")
        unit_h = text_height(c, unit, unit_size) + 0.3 if unit else 0.0
        ticks_h = 0.0 if content.suppressed.any() else text_height(c, "0", tick_size) + TICK_PAD_DEG
        chart_lo, chart_hi = lo + unit_h + ticks_h, hi - kept
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
    return _Layout(size, labels, chart_x0, chart_w, chart_lo, chart_hi, unit, unit_size, note)


def reference_row_height(c: Canvas, size_deg: float) -> float:
    """The height of one row of reference labels above a chart, degrees."""
    return text_height(c, "England 0", size_deg) + REFERENCE_PAD_DEG


def reference_labels(c: Canvas, texts: list[str], at: list[float], size_deg: float,
                     rows: int = REFERENCE_ROWS) -> list[tuple[int, str, float, int, float]]:
    """(which, text, centre, row, size) of each reference's label: centred over its line (at `at`, degrees from
    the panel's left), else beside it (ending or starting at the line), in the lowest of at most
    `rows` rows where it touches no other, inside the panel's margins; failing that,
    shortened with "…" into the widest gap left (or left out, its line still drawn, if none is wide)."""
    placed: list[tuple[int, str, float, int, float]] = []
    taken: list[list[tuple[float, float]]] = [[] for _ in range(rows)]  # each row's labels' (left, right)
    ruler = Ruler(c)
    for k in sorted(range(len(texts)), key=lambda k: at[k]):
        size, text = c.fit(" ".join(texts[k].split()), size_deg, room_deg=c.width_deg - 2 * MARGIN_DEG, floor_deg=MIN_TEXT_DEG)
        text = text.split("\n")[0] + ("…" if "\n" in text else "")  # one line: a row is one line high
        half = c.measure(text, size) / 2
        centres = [min(max(x, MARGIN_DEG + half), c.width_deg - MARGIN_DEG - half) for x in (at[k], at[k] - half, at[k] + half)]
        spot = next(((r, x) for r in range(rows) for x in centres
                     if all(x + half + REFERENCE_GAP_DEG <= left or right + REFERENCE_GAP_DEG <= x - half
                            for left, right in taken[r])), None)
        if spot is None:  # no room as it is: into the widest gap, shortened
            row, (left, right) = max(((r, gap) for r in range(rows) for gap in _gaps(c, taken[r])),
                                     key=lambda found: found[1][1] - found[1][0], default=(0, (0.0, 0.0)))
            if right - left < 4 * size:
                continue
            text = shorten(ruler, text, size, right - left)
            half = c.measure(text, size) / 2
            spot = (row, min(max(at[k], left + half), right - half))
        row, centre = spot
        taken[row].append((centre - half, centre + half))
        placed.append((k, text, centre, row, size))
    return placed


def _gaps(c: Canvas, taken: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The free stretches of a row of labels between the panel's margins, degrees."""
    edges = [MARGIN_DEG - REFERENCE_GAP_DEG] + [v for box in sorted(taken) for v in box] + [c.width_deg - MARGIN_DEG +
                                                                                            REFERENCE_GAP_DEG]
    return [(a + REFERENCE_GAP_DEG, b - REFERENCE_GAP_DEG) for a, b in zip(edges[::2], edges[1::2])
            if b - a > 2 * REFERENCE_GAP_DEG]


def draw_references(c: Canvas, ax, refs: list[ReferenceMark], placed, chart_top: float) -> None:
    """Reference lines (dashed, in the theme's text colour) across the chart and bands (muted, behind
    the bars), each labelled above the chart (`placed`, from `reference_labels`; `chart_top` in
    degrees) and joined to its label by a leader unless that would cross a label below it."""
    t = c.theme
    for ref in refs:
        if ref.band:
            ax.axvspan(ref.low, ref.high, color=t.muted, alpha=0.22, linewidth=0, zorder=0.6)
        else:
            ax.axvline(ref.low, color=t.text, linewidth=max(1.0, 0.1 * c.ppd), linestyle=(0, (4, 3)), zorder=3)
    row_h = reference_row_height(c, placed[0][4]) if placed else 0.0
    spans = [(centre - c.measure(text, size) / 2, centre + c.measure(text, size) / 2, row)
             for _, text, centre, row, size in placed]
    for k, text, centre, row, size in placed:
        ref = refs[k]
        bottom = chart_top + REFERENCE_PAD_DEG / 2 + row * row_h
        c.fig.text(c.frac_w(centre), c.frac_h(bottom), text, color=t.text, fontsize=c.pt(size), ha="center", va="bottom",
                   family=t.font)
        x = ax.transData.transform(((ref.low + ref.high) / 2, 0))[0] / c.ppd  # the line's (band's middle's) place, degrees
        if any(lower < row and left - 0.2 <= x <= right + 0.2 for left, right, lower in spans):
            continue
        c.fig.add_artist(Line2D([c.frac_w(x), c.frac_w(centre)], [c.frac_h(chart_top), c.frac_h(bottom)],
                                color=t.text if not ref.band else t.muted, linewidth=max(0.8, 0.05 * c.ppd)))


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
