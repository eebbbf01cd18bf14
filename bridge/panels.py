"""Draw each panel into an RGBA image with matplotlib.

Charts and text become textures on curved quads in the 3D room: 2D overlays do not
survive the panoramic capture, and matplotlib gives us mature text layout, colour maps
and legends.  Sizes are set in degrees of visual angle so text reads the same whatever
the texture resolution.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from pyproj import Transformer  # noqa: E402

from bridge.data import BarContent, MapContent  # noqa: E402
from bridge.errors import BridgeError  # noqa: E402
from bridge.scene import BarPanel, KpiPanel, MapPanel, TextPanel  # noqa: E402


@dataclass(frozen=True)
class Theme:
    """Colours and type sizes (in degrees of visual angle) for a dark projector room."""

    background: str = "#05070b"  # the room between panels: projectors wash out white
    card: str = "#111827"
    border: str = "#334155"
    text: str = "#f1f5f9"
    muted: str = "#94a3b8"
    accent: str = "#38bdf8"
    missing: str = "#3f3f46"
    title_deg: float = 2.0
    body_deg: float = 1.3
    small_deg: float = 0.8
    font: str = "DejaVu Sans"


THEME = Theme()
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


class Canvas:
    """A matplotlib figure of an exact pixel size with type sizes given in degrees."""

    def __init__(self, size_px: tuple[int, int], px_per_degree: float, theme: Theme = THEME):
        self.w, self.h = size_px
        self.ppd = px_per_degree
        self.theme = theme
        self.fig = Figure(figsize=(self.w / 100, self.h / 100), dpi=100, facecolor=theme.card)
        self.canvas = FigureCanvasAgg(self.fig)
        line_px = max(2.0, 0.12 * self.ppd)
        inset_w, inset_h = line_px / self.w, line_px / self.h  # keep the border off the texture edge
        self.fig.patches.append(matplotlib.patches.Rectangle(
            (inset_w, inset_h), 1 - 2 * inset_w, 1 - 2 * inset_h, transform=self.fig.transFigure, fill=False,
            edgecolor=theme.border, linewidth=line_px * 72 / 100, zorder=10))

    def pt(self, degrees: float) -> float:
        """Matplotlib points for a height of `degrees` of visual angle (dpi 100)."""
        return degrees * self.ppd * 72 / 100

    def frac_w(self, degrees: float) -> float:
        return degrees * self.ppd / self.w

    def frac_h(self, degrees: float) -> float:
        return degrees * self.ppd / self.h

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

    def fit(self, text: str, size_deg: float, bold: bool = False) -> tuple[float, str]:
        """Shrink a line to fit the panel's width (down to body size), then wrap it."""
        glyph = 0.62 if bold else 0.55  # DejaVu Sans average advance per em
        room_deg = self.w / self.ppd - 2.4
        size = max(self.theme.body_deg, min(size_deg, room_deg / (glyph * max(1, len(text)))))
        return size, textwrap.fill(text, max(8, int(room_deg / (glyph * size))))

    def image(self) -> np.ndarray:
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()


def draw_panel(panel, content, size_px, px_per_degree, source: str | None, theme: Theme = THEME) -> np.ndarray:
    """An RGB uint8 image (h, w, 3) of one panel; row 0 is the top."""
    canvas = Canvas(size_px, px_per_degree, theme)
    if isinstance(panel, MapPanel):
        _draw_map(canvas, panel, content, source)
    elif isinstance(panel, BarPanel):
        _draw_bar(canvas, panel, content, source)
    elif isinstance(panel, KpiPanel):
        _draw_kpi(canvas, panel, content)
    elif isinstance(panel, TextPanel):
        _draw_text(canvas, panel)
    else:  # pragma: no cover - the scene model admits only the types above
        raise TypeError(f"no drawing for {type(panel).__name__}")
    return canvas.image()


def classify(values: np.ndarray, panel: MapPanel) -> np.ndarray:
    """Class boundaries (count + 1 edges, increasing) for a choropleth."""
    finite = values[np.isfinite(values)]
    method, count = panel.classes.method, panel.classes.count
    if method == "fixed":
        if not panel.classes.breaks:
            raise BridgeError(f"panel '{panel.id}': classes.method fixed needs classes.breaks, e.g. [10, 20, 30]")
        inner = sorted(panel.classes.breaks)
        return np.array([min(finite.min(), inner[0]), *inner, max(finite.max(), inner[-1])])
    if method == "equal":
        edges = np.linspace(finite.min(), finite.max(), count + 1)
    else:
        edges = np.nanquantile(finite, np.linspace(0, 1, count + 1))
    return np.unique(edges)


def class_colours(panel: MapPanel, n: int) -> list:
    """n colours from the palette, skipping its darkest end so low classes show on a dark wall."""
    try:
        cmap = colormaps[panel.palette]
    except KeyError:
        raise BridgeError(f"panel '{panel.id}': unknown palette '{panel.palette}'; try viridis, magma, cividis, YlOrRd") from None
    return [cmap(v) for v in np.linspace(0.18, 1.0, n)]


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _draw_map(c: Canvas, panel: MapPanel, content: MapContent, source):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    legend_w = c.frac_w(16)
    ax = c.fig.add_axes((c.frac_w(1), bottom, 1 - legend_w - c.frac_w(2), top - bottom))
    ax.set_axis_off()
    ax.set_facecolor(t.card)
    edges = classify(content.values, panel)
    colours = class_colours(panel, len(edges) - 1)
    classes = np.clip(np.searchsorted(edges, content.values, side="right") - 1, 0, len(edges) - 2)
    paths, faces = [], []
    for polygons, value, cls in zip(content.polygons, content.values, classes):
        paths.append(_compound_path(polygons))
        faces.append(colours[cls] if np.isfinite(value) else t.missing)
    ax.add_collection(PathCollection(paths, facecolors=faces, edgecolors=t.card, linewidths=0.3))
    allxy = np.concatenate([p.vertices for p in paths])
    ax.set_xlim(allxy[:, 0].min(), allxy[:, 0].max())
    ax.set_ylim(allxy[:, 1].min(), allxy[:, 1].max())
    ax.set_aspect("equal")
    handles = [Patch(facecolor=col, edgecolor=t.border, label=f"{_fmt(lo)} – {_fmt(hi)}")
               for col, lo, hi in zip(colours, edges[:-1], edges[1:])][::-1]
    if np.isnan(content.values).any():
        handles.append(Patch(facecolor=t.missing, edgecolor=t.border, label="no data"))
    legend = c.fig.legend(handles=handles, loc="center right", bbox_to_anchor=(1 - c.frac_w(1), (bottom + top) / 2),
                          title=panel.legend or "", frameon=False, labelcolor=t.text,
                          fontsize=c.pt(t.body_deg), title_fontsize=c.pt(t.body_deg),
                          handlelength=1.4, handleheight=1.0)
    legend.get_title().set_color(t.muted)


def _compound_path(polygons) -> MplPath:
    """One matplotlib path for a (multi)polygon, holes wound opposite to their shell."""
    verts, codes = [], []
    for poly in polygons:
        for r, ring in enumerate(poly):
            x, y = _TO_BNG.transform(ring[:, 0], ring[:, 1])
            xy = np.column_stack([x, y])
            area2 = np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1])
            if (r == 0) != (area2 > 0):  # shells anticlockwise, holes clockwise
                xy = xy[::-1]
            verts.append(xy)
            codes.append(np.full(len(xy), MplPath.LINETO, dtype=np.uint8))
            codes[-1][0] = MplPath.MOVETO
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _draw_bar(c: Canvas, panel: BarPanel, content: BarContent, source):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    label_w = c.frac_w(max(8.0, 0.62 * t.body_deg * max(len(s) for s in content.labels)))
    unit_h = c.frac_h(t.body_deg * 2.2) if panel.unit else 0
    ax = c.fig.add_axes((c.frac_w(1.2) + label_w, bottom + unit_h, 1 - label_w - c.frac_w(9), top - bottom - unit_h))
    ax.set_facecolor(t.card)
    n = len(content.values)
    y = np.arange(n)[::-1]
    ax.barh(y, content.values, color=t.accent, height=0.72)
    ax.set_yticks(y, content.labels, color=t.text, fontsize=c.pt(t.body_deg), family=t.font)
    ax.tick_params(axis="x", colors=t.muted, labelsize=c.pt(t.small_deg * 1.2))
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    vmax = float(np.nanmax(content.values)) if n else 1.0
    for yi, v in zip(y, content.values):
        ax.text(v + vmax * 0.01, yi, _fmt(v), va="center", ha="left", color=t.text, fontsize=c.pt(t.body_deg * 0.9))
    ax.set_xlim(0, vmax * 1.02 if vmax > 0 else 1)
    ax.grid(axis="x", color=t.border, linewidth=0.6)
    ax.set_axisbelow(True)
    if panel.unit:
        c.fig.text(c.frac_w(1.2) + label_w, bottom, panel.unit, color=t.muted, fontsize=c.pt(t.small_deg * 1.2),
                   va="bottom", ha="left", family=t.font)


def _draw_kpi(c: Canvas, panel: KpiPanel, value: float):
    t = c.theme
    number = panel.format.format(value)
    label = " ".join(x for x in (panel.unit, panel.label) if x)
    title_h = 0
    if panel.title:
        c.fig.text(0.5, 1 - c.frac_h(0.8), panel.title, color=t.muted, fontsize=c.pt(t.body_deg),
                   ha="center", va="top", family=t.font)
        title_h = c.frac_h(t.body_deg * 1.8)
    label_h = c.frac_h(t.body_deg * 2.2) if label else 0
    size_deg = min((1 - title_h - label_h) * c.h / c.ppd * 0.62, 0.9 * c.w / c.ppd / max(1, 0.62 * len(number)))
    c.fig.text(0.5, label_h + (1 - title_h - label_h) / 2, number, color=t.text, fontsize=c.pt(size_deg),
               fontweight="bold", ha="center", va="center", family=t.font)
    if label:
        c.fig.text(0.5, c.frac_h(0.8), label, color=t.accent, fontsize=c.pt(t.body_deg),
                   ha="center", va="bottom", family=t.font)


def _draw_text(c: Canvas, panel: TextPanel):
    t = c.theme
    if panel.style == "title":
        size = min(c.h / c.ppd * 0.5, 0.9 * c.w / c.ppd / max(1, 0.6 * len(panel.text)))
        c.fig.text(0.5, 0.5, panel.text, color=t.text, fontsize=c.pt(size), fontweight="bold",
                   ha="center", va="center", family=t.font)
        if panel.title:
            c.fig.text(0.5, c.frac_h(0.8), panel.title, color=t.muted, fontsize=c.pt(t.body_deg), ha="center", va="bottom")
        return
    bottom, top = c.header(panel.title, None)
    chars = max(10, int((c.w / c.ppd - 2.4) / (t.body_deg * 0.55)))
    wrapped = "\n\n".join(textwrap.fill(par, chars) for par in panel.text.split("\n\n"))
    c.fig.text(c.frac_w(1.2), top, wrapped, color=t.text, fontsize=c.pt(t.body_deg), va="top", ha="left",
               family=t.font, linespacing=1.4)
