"""A panel's drawing surface: a matplotlib figure of exact pixel size, sized in degrees.

Charts and text become textures on curved strips in the 3D room: 2D overlays do not
survive the panoramic capture, and matplotlib gives mature text layout, colour maps and
legends.  Sizes are degrees of visual angle so text reads the same whatever the texture
resolution; every text drawn is recorded so a render can report its smallest.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bridge.errors import BridgeError  # noqa: E402
from bridge.theme import DEFAULT_THEME, Theme  # noqa: E402


# What the analyst wrote is drawn as written: "$5m … $3m" is money, not matplotlib's maths mode.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


class Canvas:
    """A matplotlib figure of an exact pixel size with type sizes given in degrees."""

    def __init__(self, size_px: tuple[int, int], px_per_degree: float, theme: Theme = DEFAULT_THEME):
        self.w, self.h = size_px
        self.ppd = px_per_degree
        self.theme = theme
        self.smallest = float("inf")  # smallest text drawn, degrees
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

    def fit(self, text: str, size_deg: float, bold: bool = False) -> tuple[float, str]:
        """Shrink a line to fit the panel's width (down to body size), then wrap it."""
        glyph = self.theme.glyph_em_bold if bold else self.theme.glyph_em
        room_deg = self.width_deg - 2.4
        size = max(self.theme.body_deg, min(size_deg, room_deg / (glyph * max(1, len(text)))))
        return size, textwrap.fill(text, max(8, int(room_deg / (glyph * size))))

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
            self.fig.text(self.frac_w(1.2), bottom, f"Source: {source}", color=t.muted,
                          fontsize=self.pt(t.small_deg), va="bottom", ha="left", family=t.font)
            bottom += self.frac_h(t.small_deg * 1.8)
        return bottom, top

    def image(self) -> np.ndarray:
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def texts(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """Every piece of text on the panel (titles, labels, ticks, legend entries) with its pixel box: for checks."""
        self.canvas.draw()
        renderer = self.canvas.get_renderer()
        out = []
        for artist in self.fig.findobj(matplotlib.text.Text):
            if artist.get_visible() and artist.get_text():
                box = artist.get_window_extent(renderer=renderer)
                out.append((artist.get_text(), (box.x0, box.y0, box.x1, box.y1)))
        return out


@dataclass
class Drawn:
    image: np.ndarray
    smallest_text_deg: float
    text_boxes: list[tuple[str, tuple[float, float, float, float]]]

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
        return Drawn(canvas.image(), canvas.smallest, canvas.texts())


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
