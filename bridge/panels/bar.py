"""`type: bar` — a horizontal bar chart, sorted, optionally the top N or rows grouped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from pydantic import Field

from bridge.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.errors import BridgeError
from bridge.fields import Expr
from bridge.numformat import fixed, shared_decimals, short_scale
from bridge.panels import register
from bridge.panels.base import PanelModel
from bridge.panels.canvas import Canvas
from bridge.panels.values import condition, numbers, texts
from bridge.theme import MIN_TEXT_DEG


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
    where: Expr | None = Field(None, description="Only the rows where this holds, e.g. wards.ward24_name == params.ward")  # type: ignore[valid-type]

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
    """One number of decimals for every value label of a chart (bridge/numformat.py's
    `shared_decimals`): none for counts of people and whole numbers."""
    return shared_decimals(content.values[~content.suppressed], content.count)


# --- layout, measured as drawn (shared with line.py) ------------------------------------------
MARGIN_DEG = 1.2  # a panel's text keeps this far from its left and right edges (as Canvas.header does)
GAP_DEG = 0.6  # between a label column and the chart
LABEL_SHARE = 0.4  # the bars' label column takes at most this share of the panel's width
LABEL_LINES = 2  # a bar's label is wrapped to at most this many lines, then shortened with "…"
ROW_GAP_EM = (0.1, 0.4)  # clear space between two bars' labels of one line, of more: ems of the label size
ROW_MARGIN = 0.1  # space above the first bar and below the last, in rows
SIZE_STEP = 0.05  # labels shrink in steps of this many degrees
VALUE_GAP_DEG = 0.3  # between a bar's end and its value
TICK_PAD_DEG = 0.5  # between the chart and its axis numbers
TICK_SPACING_DEG = 4.5  # about one axis number per this many degrees of chart
EDGE_DEG = 0.4  # axis numbers keep this far inside the panel's edges
ELLIPSIS = "…"
MEASURED_LABEL = 400  # characters of a label measured to size its column: no column is wider


def points(c: Canvas, degrees: float) -> float:
    """Matplotlib points for a distance (not a type size: nothing is recorded)."""
    return degrees * c.ppd * 72 / 100


def text_height(c: Canvas, text: str, size_deg: float) -> float:
    """Height in degrees of `text` (all its lines) as matplotlib draws it at `size_deg`."""
    if not text:
        return 0.0
    artist = Text(0, 0, text, fontproperties=FontProperties(family=c.theme.font, size=points(c, size_deg)), linespacing=1.2)
    artist.set_figure(c.fig)
    return artist.get_window_extent(renderer=c.canvas.get_renderer()).height / c.ppd


class Ruler:
    """Widths in degrees measured as drawn (Canvas.measure), each text once per size: a label is
    wrapped by its words' widths and every line it gets is then measured whole."""

    def __init__(self, c: Canvas):
        self.c = c
        self.memo: dict[tuple[str, float], float] = {}

    def __call__(self, text: str, size_deg: float) -> float:
        key = (text, size_deg)
        if key not in self.memo:
            self.memo[key] = self.c.measure(text, size_deg)
        return self.memo[key]

    def words(self, words: list[str], size_deg: float) -> float:
        """An estimate of the words' width on one line (no kerning across them)."""
        space = self("n n", size_deg) - self("nn", size_deg)
        return sum(self(word, size_deg) for word in words) + space * (len(words) - 1)

    def prefix(self, text: str, size_deg: float, room_deg: float, suffix: str = "") -> int:
        """The length of the longest start of `text` that, followed by `suffix`, fits `room_deg`."""
        k, width = 0, self(suffix, size_deg) if suffix else 0.0
        while k < len(text) and width + self(text[k], size_deg) <= room_deg:  # estimated glyph by glyph
            width += self(text[k], size_deg)
            k += 1
        while k > 0 and self.c.measure(text[:k] + suffix, size_deg) > room_deg:
            k -= 1
        while k < len(text) and self.c.measure(text[:k + 1] + suffix, size_deg) <= room_deg:
            k += 1
        return k


def shorten(ruler: Ruler, text: str, size_deg: float, room_deg: float) -> str:
    """`text` cut to fit `room_deg` on one line with an ellipsis, at a space where one is near."""
    if ruler.words(text.split(" "), size_deg) < room_deg * 1.05 and ruler.c.measure(text, size_deg) <= room_deg:
        return text
    keep = ruler.prefix(text, size_deg, room_deg, ELLIPSIS)
    head = text[:keep]
    space = head.rfind(" ")
    if space > keep * 0.8:  # a word boundary near the cut
        head = head[:space]
    return head.rstrip(" ,;:-–") + ELLIPSIS


def label_lines(ruler: Ruler, label: str, size_deg: float, room_deg: float, lines: int = LABEL_LINES) -> str:
    """`label` as drawn at `size_deg` in a column `room_deg` wide: as it is, wrapped at spaces to at
    most `lines` lines (a word wider than the column broken), the last shortened with "…" when
    still too long.  Every line is measured as drawn."""
    label = " ".join(label.split())
    most = int(lines * room_deg / (0.25 * size_deg)) + 1  # more characters than `lines` lines could hold
    if len(label) > most:
        label = label[:most] + ELLIPSIS
    measure = ruler.c.measure
    if ruler.words(label.split(" "), size_deg) < room_deg * 1.05 and measure(label, size_deg) <= room_deg:
        return label
    words, out = label.split(" "), []
    while words and len(out) < lines - 1:
        take = 1
        while take < len(words) and ruler.words(words[:take + 1], size_deg) <= room_deg:
            take += 1
        while take > 1 and measure(" ".join(words[:take]), size_deg) > room_deg:
            take -= 1
        if measure(words[0], size_deg) > room_deg:  # one word wider than the column: broken
            cut = max(1, ruler.prefix(words[0], size_deg, room_deg))
            out.append(words[0][:cut])
            words[0] = words[0][cut:]
            continue
        out.append(" ".join(words[:take]))
        words = words[take:]
    if words:
        out.append(shorten(ruler, " ".join(words), size_deg, room_deg))
    return "\n".join(out)


def bar_labels(c: Canvas, labels: list[str], height_deg: float, room_deg: float, ruler: Ruler | None = None,
               note_deg: float = 0.0) -> tuple[float, list[str]]:
    """The size and drawn text of the bars' labels, stacked in `height_deg` without touching.
    In order: every label at the largest size from the body size down to MIN_TEXT_DEG at which
    they fit wrapped to two lines (smaller still, down to the theme's small size, where that
    spares a label its ellipsis); else on one line, shortened with "…"; else the top ones that
    fit at MIN_TEXT_DEG (one line each if that shows more of them) in `note_deg` less height,
    the room for a note saying how many are shown.  Sizes are tried by the labels' widths at
    the body size, scaled; the labels chosen are laid out measured and checked."""
    ruler = ruler or Ruler(c)
    body = c.theme.body_deg
    floor = min(MIN_TEXT_DEG, body)
    sizes = [body - k * SIZE_STEP for k in range(int((body - floor) / SIZE_STEP) + 1) if body - k * SIZE_STEP > floor + 1e-9]
    sizes.append(floor)
    natural = [ruler(" ".join(label.split())[:MEASURED_LABEL], body) for label in labels]
    heights: dict[tuple[float, int], float] = {}
    laid: dict[tuple[int, float, int], str] = {}

    def lay(i: int, size: float, lines: int = LABEL_LINES) -> str:
        if (i, size, lines) not in laid:
            laid[(i, size, lines)] = label_lines(ruler, labels[i], size, room_deg, lines)
        return laid[(i, size, lines)]

    def cut(i: int, size: float) -> bool:  # is the label shortened, on two lines at this size?
        return lay(i, size).endswith(ELLIPSIS) and not labels[i].rstrip().endswith(ELLIPSIS)

    def row(size: float, lines: int) -> float:  # the height a bar needs for a label of so many lines
        if (size, lines) not in heights:
            heights[(size, lines)] = text_height(c, "\n".join(["0"] * lines), size) + ROW_GAP_EM[lines > 1] * size
        return heights[(size, lines)]

    def fits(rows: int, pitch: float, height: float = height_deg) -> bool:
        return (rows + 2 * ROW_MARGIN) * pitch <= height

    def tallest(drawn: list[str], size: float) -> float:
        return max(row(size, text.count("\n") + 1) for text in drawn)

    def spare(size: float) -> float:
        """The largest size from `size` down to the small size at which no label is shortened
        that would not be shortened at the small size too."""
        smaller = [s for s in sizes if max(floor, min(c.theme.small_deg, body)) - 1e-9 <= s < size]
        risky = [i for i, width in enumerate(natural) if width * size / body > 1.5 * room_deg]  # maybe beyond two lines
        if not smaller or not risky:
            return size
        must = {i for i in risky if cut(i, smaller[-1])}
        for s in [size] + smaller:
            if all(not cut(i, s) for i in risky if i not in must):
                return s
        return size

    for lines in range(LABEL_LINES, 0, -1):
        for size in sizes:
            wrapped = any(width * size / body > room_deg * 0.98 for width in natural)
            if not fits(len(labels), row(size, lines if wrapped else 1)):
                continue
            if lines == LABEL_LINES:
                size = spare(size)  # smaller rows fit too: a label's line count only falls with its size
            drawn = [lay(i, size, lines) for i in range(len(labels))]
            if fits(len(drawn), tallest(drawn, size)):
                return size, drawn
    best: list[str] = []
    for lines in range(LABEL_LINES, 0, -1):  # at the smallest legible size: as many of the top ones as fit
        rows = 0
        pitch = [row(floor, lines if width * floor / body > room_deg * 0.98 else 1) for width in natural]
        while rows < len(labels) and fits(rows + 1, max(pitch[: rows + 1]), height_deg - note_deg):
            rows += 1
        if rows > len(best):
            drawn = [lay(i, floor, lines) for i in range(max(1, rows))]
            while len(drawn) > 1 and not fits(len(drawn), tallest(drawn, floor), height_deg - note_deg):
                drawn.pop()
            best = drawn if len(drawn) > len(best) else best
    return floor, best


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


def axis_numbers(values) -> list[str]:
    """Tick values as an axis shows them: the fewest decimals that tell them apart, thousands
    separated from 10,000 up, millions and more short ("2.5m", "9bn"), a true minus sign."""
    divisor, suffix = short_scale(values)
    values = [float(v) / divisor for v in values]
    decimals = next((d for d in range(7) if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in values)), 6)
    group = "," if any(abs(v) >= 10_000 for v in values) else ""
    return [(format(round(v, decimals) + 0.0, f"{group}.{decimals}f") + (suffix if v else "")).replace("-", "\u2212")
            for v in values]


def axis_ticks(c: Canvas, lim: tuple[float, float], left_deg: float, width_deg: float, size_deg: float,
               most: int) -> tuple[list[float], list[str]]:
    """Round tick values on an axis from lim[0] to lim[1] drawn `width_deg` wide from `left_deg`,
    as many as `most` whose numbers (measured) neither touch each other nor leave the panel."""
    span = lim[1] - lim[0]

    def ends(values: list[float]) -> list[tuple[float, float]]:  # each number's left and right edge, degrees
        out = []
        for v, name in zip(values, axis_numbers(values)):
            at, half = left_deg + (v - lim[0]) / span * width_deg, c.measure(name, size_deg) / 2
            out.append((at - half, at + half))
        return out

    def inside(values: list[float]) -> list[float]:
        return [v for v, (a, b) in zip(values, ends(values)) if a >= EDGE_DEG and b <= c.width_deg - EDGE_DEG]

    def apart(values: list[float]) -> bool:
        edges = ends(values)
        return all(edges[k + 1][0] - edges[k][1] >= 2 * size_deg for k in range(len(edges) - 1))

    candidates: list[float] = []
    for bins in range(max(1, most), 0, -1):
        values = inside([float(v) for v in MaxNLocator(bins, steps=[1, 2, 2.5, 5, 10]).tick_values(*lim)
                         if lim[0] - 1e-9 * span <= v <= lim[1] + 1e-9 * span])
        if len(values) >= 2 and apart(values):
            return values, axis_numbers(values)
        candidates = candidates or values
    kept: list[float] = []  # none fits evenly: those that fit, from zero out
    for v in sorted(candidates, key=abs):
        if apart(sorted(kept + [v])):
            kept = sorted(kept + [v])
    return kept, axis_numbers(kept)
