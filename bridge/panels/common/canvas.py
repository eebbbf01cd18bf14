"""A panel's drawing surface: a matplotlib figure of exact pixel size, sized in degrees.

Charts and text become textures on curved strips in the 3D room: 2D overlays do not
survive the panoramic capture, and matplotlib gives mature text layout, colour maps and
legends.  Sizes are degrees of visual angle so text reads the same whatever the texture
resolution; every text drawn is recorded so a render can report its smallest.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from bridge.errors import BridgeError  # noqa: E402
from bridge.theme import DEFAULT_THEME, Theme  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# What the analyst wrote is drawn as written: "$5m … $3m" is money, not matplotlib's maths mode.
LITERAL_TEXT: dict[RcKeyType, Any] = {"text.parse_math": False, "text.usetex": False}


class Canvas:
    """A matplotlib figure of an exact pixel size with type sizes given in degrees."""

    def __init__(self, size_px: tuple[int, int], px_per_degree: float, theme: Theme = DEFAULT_THEME):
        self.w, self.h = size_px
        self.ppd = px_per_degree
        self.theme = theme
        self.smallest = float("inf")  # smallest text drawn, degrees
        self.hints: list[str] = []  # what a panel says of its own fit (a map centred in a box of another shape)
        self.content_box = (0.0, 1.0)  # figure fractions (bottom, top) left free by the header, once drawn
        self.fig = Figure(figsize=(self.w / 100, self.h / 100), dpi=100, facecolor=theme.card)
        self.canvas = FigureCanvasAgg(self.fig)
        line_px = max(2.0, 0.12 * self.ppd)
        inset_w, inset_h = line_px / self.w, line_px / self.h  # keep the border off the texture edge
        self.fig.patches.append(matplotlib.patches.Rectangle(
            (inset_w, inset_h), 1 - 2 * inset_w, 1 - 2 * inset_h, transform=self.fig.transFigure, fill=False,
            edgecolor=theme.border, linewidth=line_px * 72 / 100, zorder=10))

    def pt(self, degrees: float) -> float:
        """Matplotlib points for a height of `degrees` of visual angle (dpi 100); records the size."""
        self.smallest = min(self.smallest, degrees)
        return degrees * self.ppd * 72 / 100

    def frac_w(self, degrees: float) -> float:
        return degrees * self.ppd / self.w

    def frac_h(self, degrees: float) -> float:
        return degrees * self.ppd / self.h

    @property
    def width_deg(self) -> float:
        return self.w / self.ppd

    @property
    def height_deg(self) -> float:
        return self.h / self.ppd

    def measure(self, text: str, size_deg: float, bold: bool = False) -> float:
        """Width in degrees of `text` (its widest line) as matplotlib will draw it."""
        prop = FontProperties(family=self.theme.font, weight="bold" if bold else "normal", size=size_deg * self.ppd * 72 / 100)
        renderer = self.canvas.get_renderer()
        return max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n")) / self.ppd

    def fit(self, text: str, size_deg: float, bold: bool = False, room_deg: float | None = None,
            floor_deg: float | None = None) -> tuple[float, str]:
        """`text` at `size_deg` if it fits `room_deg` (default: the panel's width inside its margins),
        measured as drawn; else shrunk (not below `floor_deg`, default body size) and, if still too
        wide, wrapped at spaces (a word wider than the room is broken): never cut."""
        room = self.width_deg - 2.4 if room_deg is None else room_deg
        floor = min(size_deg, self.theme.body_deg if floor_deg is None else floor_deg)
        if len(text) > MEASURED_CHARS:  # hostile lengths: estimated, not measured word by word
            glyph = self.theme.glyph_em_bold if bold else self.theme.glyph_em
            return floor, textwrap.fill(text, max(8, int(room / (glyph * floor))))
        width = self.measure(text, size_deg, bold)
        if width <= room:
            return size_deg, text
        size = max(floor, size_deg * room / width)
        for _ in range(3):  # hinted type is not quite proportional: measure again at the new size
            drawn = self.measure(text, size, bold)
            if drawn <= room * (1 + 1e-6):
                return size, text
            if size <= floor:
                break
            size = max(floor, size * room / drawn)
        return size, self.wrap(text, size, room, bold)

    def wrap(self, text: str, size_deg: float, room_deg: float, bold: bool = False) -> str:
        """Greedy line breaking measured as drawn; a single word wider than the room is split."""
        lines = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                trial = f"{line} {word}" if line else word
                if self.measure(trial, size_deg, bold) <= room_deg:
                    line = trial
                    continue
                if line:
                    lines.append(line)
                line = word
                while len(line) > 1 and self.measure(line, size_deg, bold) > room_deg:
                    cut = next(k for k in range(len(line) - 1, 0, -1)
                               if self.measure(line[:k], size_deg, bold) <= room_deg or k == 1)
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line)
        return "\n".join(lines)

    def header(self, title: str | None, source: str | None) -> tuple[float, float]:
        """Draw title and source line; return the (bottom, top) figure fractions left free."""
        t = self.theme
        pad = self.frac_h(1.0)
        top = 1 - pad
        if title:
            size, text = self.fit(title, t.title_deg, bold=True)
            self.fig.text(self.frac_w(1.2), top, text, color=t.text, fontsize=self.pt(size),
                          fontweight="bold", va="top", ha="left", family=t.font, linespacing=1.2)
            top -= self.frac_h(size * (1.25 * text.count("\n") + 1.6))
        bottom = pad
        if source:
            size, text = self.fit(f"Source: {source}", t.small_deg)
            self.fig.text(self.frac_w(1.2), bottom, text, color=t.muted, linespacing=1.2,
                          fontsize=self.pt(size), va="bottom", ha="left", family=t.font)
            bottom += self.frac_h(size * (1.25 * text.count("\n") + 1.8))
        self.content_box = (bottom, top)
        return bottom, top

    def draw(self) -> list:
        """Draw the figure; return the text artists actually drawn (titles, labels, ticks, legend
        entries), in drawing order.  Recorded as they draw, so a tick label matplotlib left out
        is not counted.  (Recorded at `Text.draw`: the renderer is not told which artist a
        multi-line text's lines belong to.)"""
        drawn: dict[int, matplotlib.text.Text] = {}
        plain = matplotlib.text.Text.draw

        def record(text, renderer):
            if text.get_visible() and text.get_text().strip() and text.figure is self.fig:
                drawn.setdefault(id(text), text)
            return plain(text, renderer)

        text_class: Any = matplotlib.text.Text  # patched for the one draw: mypy forbids assigning to a method
        text_class.draw = record
        try:
            self.canvas.draw()
        finally:
            text_class.draw = plain
        return list(drawn.values())

    def image(self) -> np.ndarray:
        self.canvas.draw()
        return self.pixels()

    def pixels(self) -> np.ndarray:
        """The picture as last drawn, RGB uint8 (row 0 the top)."""
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def texts(self, drawn: list | None = None) -> list[tuple[str, tuple[float, float, float, float]]]:
        """Every piece of text drawn on the panel with its pixel box (x0, y0, x1, y1; y up): for checks."""
        renderer = self.canvas.get_renderer()
        out = []
        for artist in self.draw() if drawn is None else drawn:
            box = artist.get_window_extent(renderer=renderer)
            out.append((artist.get_text(), (box.x0, box.y0, box.x1, box.y1)))
        return out

    def layout_faults(self, drawn: list | None = None) -> list[str]:
        """What a person in the room would see as broken: text cut by the panel's edge, two texts
        on top of each other, text over another chart's or map's marks.  Measured from the drawn
        artists' extents; an empty list means the panel is clean."""
        renderer = self.canvas.get_renderer()
        texts = self.draw() if drawn is None else drawn
        boxes = [t.get_window_extent(renderer=renderer) for t in texts]
        faults = []
        inset = max(2.0, 0.12 * self.ppd)  # the panel's border line
        for text, box in zip(texts, boxes):
            over = {"left": inset - box.x0, "right": box.x1 - (self.w - inset),
                    "bottom": inset - box.y0, "top": box.y1 - (self.h - inset)}
            side, by = max(over.items(), key=lambda kv: kv[1])
            if by > OVERLAP_PX:
                faults.append(f"{_quoted(text)} runs past the panel's {side} edge by {by / self.ppd:.1f}°")
        for a in range(len(texts)):
            for b in range(a + 1, len(texts)):
                if _intersect(boxes[a], boxes[b]):
                    faults.append(f"{_quoted(texts[a])} overlaps {_quoted(texts[b])}")
        for ax in self.fig.axes:
            if not ax.get_visible() or not _has_marks(ax):
                continue
            area = ax.get_window_extent(renderer=renderer)
            for text, box in zip(texts, boxes):
                if text.axes is not ax and _intersect(box, area):
                    faults.append(f"{_quoted(text)} covers the {'map' if not ax.axison else 'chart'}")
        return faults

    def empty_space(self, pixels: np.ndarray) -> list[str]:
        """A hint when over a third of the panel's room for content (inside its margins, between its
        title and source line) is empty: bands of whole columns or rows of it, EMPTY_BAND_DEG or more
        across, where nothing is drawn (not the space between two lines or two columns of text)."""
        bottom, top = self.content_box
        pad = max(1, round(self.frac_w(MARGIN_DEG) * self.w))
        rows = slice(round((1 - top) * self.h) + 1, round((1 - bottom) * self.h) - 1)
        room = pixels[rows, pad:self.w - pad].astype(int)
        if room.size == 0:
            return []
        card = np.array(matplotlib.colors.to_rgb(self.theme.card)) * 255
        blank = np.all(np.abs(room - card) <= 6, axis=-1)
        wide, tall = _banded(blank.all(axis=0), EMPTY_BAND_DEG * self.ppd), _banded(blank.all(axis=1), EMPTY_BAND_DEG * self.ppd)
        share = (1 - (1 - wide) * (1 - tall)) * (top - bottom)  # of the whole panel: its empty columns and rows
        if share <= EMPTY_SHARE:
            return []
        which = "width" if wide >= tall else "height"
        return [f"{max(wide, tall):.0%} of its room's {which} is empty ({share:.0%} of the panel); "
                f"a {'narrower' if which == 'width' else 'shorter'} panel would fit its content"]


def _banded(empty: np.ndarray, least: float) -> float:
    """The share of `empty` (a flag per column or row) in runs of at least `least` in a row."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], empty.astype(np.int8), [0]])))
    runs = edges[1::2] - edges[::2]
    return float(runs[runs >= least].sum() / max(1, len(empty)))


EMPTY_BAND_DEG = 2.0  # an empty band narrower than this is the space between lines or columns of text
MARGIN_DEG = 1.2  # the header's text keeps this far from the panel's left and right edges
EMPTY_SHARE = 1 / 3  # empty space over this share of a panel is worth a hint
MEASURED_CHARS = 2000  # longer text is wrapped by estimate: measuring it word by word would be slow
OVERLAP_PX = 1.0  # how far one text may reach into another or past an edge: anti-aliasing, not a fault


def _intersect(a, b) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > OVERLAP_PX and min(a.y1, b.y1) - max(a.y0, b.y0) > OVERLAP_PX


def _has_marks(ax) -> bool:
    """Axes that draw something (a chart, a map, a colour bar), not an empty frame."""
    return bool(ax.collections or ax.patches or ax.lines or ax.images)


def _quoted(text) -> str:
    from bridge.errors import shown

    return f"text '{shown(' '.join(text.get_text().split()), 60)}'"


@dataclass
class Drawn:
    image: np.ndarray
    smallest_text_deg: float
    text_boxes: list[tuple[str, tuple[float, float, float, float]]]
    faults: list[str] = field(default_factory=list)  # layout problems found in the drawn picture
    hints: list[str] = field(default_factory=list)  # empty space worth a smaller panel: advice, not a fault

    @property
    def texts(self) -> list[str]:
        return [text for text, _ in self.text_boxes]


def draw_panel(panel, content, size_px, px_per_degree, source: str | None, theme: Theme = DEFAULT_THEME,
               marked: frozenset[str] = frozenset()) -> Drawn:
    """An RGB uint8 image (h, w, 3) of one panel; row 0 is the top.  `marked`: rows a step picks out."""
    with matplotlib.rc_context(LITERAL_TEXT):
        canvas = Canvas(size_px, px_per_degree, theme)
        try:
            panel.draw(canvas, content, source, marked)
        except ValueError as exc:
            if "must be non-negative" not in str(exc):
                raise
            raise BridgeError(f"the panel is too small for its content ({canvas.width_deg:.0f}°×{canvas.height_deg:.0f}°); "
                              "make it wider or taller") from None
        drawn = canvas.draw()
        pixels = canvas.pixels()
        return Drawn(pixels, canvas.smallest, canvas.texts(drawn), canvas.layout_faults(drawn),
                     canvas.hints or canvas.empty_space(pixels))


def palette(name: str, n: int) -> list:
    """n colours from a colour map, skipping its darkest end so low classes show on a dark wall."""
    try:
        cmap = colormaps[name]
    except KeyError:
        raise BridgeError(f"unknown palette '{name}'; try viridis, cividis, magma, inferno, YlOrRd") from None
    return [cmap(v) for v in np.linspace(0.18, 1.0, n)]


def fmt_number(v: float) -> str:
    """A value as a legend or bar label: three significant figures or so, thousands separated."""
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"
