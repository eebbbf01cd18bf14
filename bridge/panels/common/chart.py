"""What bar and line charts share: text measured as drawn, label columns and axis numbers.

Everything here works in degrees of visual angle on a `Canvas` and measures text as
matplotlib will draw it, so a chart's labels neither overlap nor leave the panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from pydantic import Field, field_validator, model_validator

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import fixed, shared_decimals, short_scale
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.values import scalar
from bridge.scene.fields import Expr, Strict
from bridge.theme import MIN_TEXT_DEG

if TYPE_CHECKING:
    from bridge.data.tables import SceneData

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
MAX_REFERENCES = 6  # reference lines and bands on one chart: more could not be told apart


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
    words = label.split(" ")
    out: list[str] = []
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


def axis_numbers(values) -> list[str]:
    """Tick values as an axis shows them: the fewest decimals that tell them apart, thousands
    separated from 10,000 up, millions and more short ("2.5m", "9bn"), a true minus sign."""
    divisor, suffix = short_scale(values)
    values = [float(v) / divisor for v in values]
    decimals = next((d for d in range(7) if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in values)), 6)
    group = "," if any(abs(v) >= 10_000 for v in values) else ""
    return [(format(round(v, decimals) + 0.0, f"{group}.{decimals}f") + suffix if v or not suffix else "0").replace("-", "\u2212")
            for v in values]  # zero on a short scale is "0", not "0.0" beside "2.5m"


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


# --- comparisons a chart carries: reference lines and bands, the value axis, picked-out rows -----

class Reference(Strict):
    """A line (`value:`) or a band (`band: [from, to]`) across a chart's value axis, labelled: England's
    rate, a target, a range. Each number may be an expression giving one number."""

    value: float | Expr | None = Field(None, description=(
        "Where the line is drawn: a number, or an expression giving one number, e.g. sum(england.rate) "
        "from a one-row dataset"))
    band: tuple[float | Expr, float | Expr] | None = Field(None, description=(
        "A band from the first number to the second, e.g. [10, 15]; each may be an expression"))
    label: str | None = Field(None, description="What it is, drawn beside it, e.g. 'England 13.1%' (default: its value)")

    @model_validator(mode="after")
    def _line_or_band(self):
        if (self.value is None) == (self.band is None):
            raise ValueError("give exactly one of value: (a line, e.g. value: 13.1) or band: (e.g. band: [10, 15])")
        return self


References = Annotated[list[Reference], Field(max_length=MAX_REFERENCES, description=(
    "Reference lines and bands, e.g. [{value: sum(england.rate), label: England}, {band: [10, 15], label: target}]"))]


@dataclass
class ReferenceMark:
    """A reference as evaluated: a line at `low` (== `high`) or a band from `low` to `high`."""

    low: float
    high: float
    label: str | None
    band: bool
    count: bool = False  # it counts people: written as an integer
    suppressed: bool = False  # a small count of people: neither drawn nor written

    def text(self, decimals: int) -> str:
        """What is drawn beside it: its label, else its value (or the band's ends)."""
        if self.label:
            return self.label
        ends = [fixed(v, 0 if self.count else decimals).replace("-", "\u2212") for v in (self.low, self.high)]
        return f"{ends[0]} – {ends[1]}" if self.band else ends[0]

    def sentence(self, decimals: int) -> str:
        """The text version's sentence, e.g. "England 13.1% shown as a reference line at 13.1."."""
        if self.suppressed:
            return f"A reference {'band' if self.band else 'line'} ({self.label or 'unlabelled'}) is {SUPPRESSED}: " \
                   "it is a small count of people."
        ends = [fixed(v, 0 if self.count else decimals).replace("-", "\u2212") for v in (self.low, self.high)]
        where = f"a reference band from {ends[0]} to {ends[1]}" if self.band else f"a reference line at {ends[0]}"
        return f"{self.label} shown as {where}." if self.label else f"{where[0].upper()}{where[1:]}."


def reference_marks(data: SceneData, references: list[Reference], here: tuple, dataset: str | None) -> list[ReferenceMark]:
    """Each reference evaluated to its number(s) (`here`: the `reference` key's path); one that is
    missing is left out with a warning, one that is a small count of people is suppressed."""
    marks = []
    for i, ref in enumerate(references):
        where = here + (i,)
        parts = [(("value",), ref.value)] if ref.value is not None else [(("band", k), v) for k, v in enumerate(ref.band or ())]
        numbers, counts = [], []
        for keys, value in parts:
            number, count = single_number(data, value, where + keys, dataset)
            numbers.append(number)
            counts.append(count)
        if any(math.isnan(n) for n in numbers):
            data.warn(where, "has no value (missing data?), so it is not drawn")
            continue
        low, high = min(numbers), max(numbers)
        count = all(counts)
        hidden = bool(suppression_mask(data, [low, high], count).any()) if any(counts) else False
        marks.append(ReferenceMark(low, high, ref.label, ref.band is not None, count, hidden))
    return marks


def single_number(data: SceneData, value: float | str, key_path: tuple, dataset: str | None) -> tuple[float, bool]:
    """A number as written, or an expression's one number (from any dataset: England's one row
    beside Telford's areas) and whether it counts people."""
    if not isinstance(value, str):
        return float(value), False
    return scalar(data, value, key_path, dataset), is_count(data, value, dataset)


def reference_decimals(marks: list[ReferenceMark], decimals: int) -> int:
    """Decimals for references' values: the chart's own, or more where they would round two ends together."""
    return max(decimals, shared_decimals([v for m in marks for v in (m.low, m.high) if not m.count] or [0]))


class Pick(Strict):
    """Rows picked out by rank or by a condition: `top: N` (the N largest) or `where:` (a condition)."""

    top: int | None = Field(None, ge=1, le=100, description="The N largest")
    where: Expr | None = Field(None, description="A condition on the rows, e.g. wards.ward24_name == params.ward")

    @model_validator(mode="after")
    def _top_or_where(self):
        if (self.top is None) == (self.where is None):
            raise ValueError("give exactly one of top: N or where: a condition")
        return self


class BarAxis(Strict):
    """A bar chart's value axis: it always starts at zero, as a bar's length is its value."""

    from_zero: bool = Field(True, description="Always true for bars: a bar's length is its value")

    @field_validator("from_zero")
    @classmethod
    def _bars_from_zero(cls, value: bool) -> bool:
        if not value:
            raise ValueError("a bar chart's axis always starts at zero: a bar's length is read as its value, so a bar cut "
                             "short exaggerates differences; use a line chart (axis: {from_zero: false}) to show values "
                             "against a range")
        return value


class LineAxis(Strict):
    """A line chart's value axis: the values' range by default (a line's slope is read, not its length)."""

    from_zero: bool = Field(False, description=(
        "Start the value axis at zero, so a gap between lines is drawn to scale (default: the values' range)"))
