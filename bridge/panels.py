"""Draw each panel into an RGB image with matplotlib.

Charts and text become textures on curved quads in the 3D room: 2D overlays do not
survive the panoramic capture, and matplotlib gives us mature text layout, colour maps
and legends.  Sizes are set in degrees of visual angle so text reads the same whatever
the texture resolution; every text drawn is recorded so a render can report its smallest.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, fields, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from bridge.content import BarContent, KpiContent, LineContent, MapContent, PointsContent, TableContent  # noqa: E402
from bridge.errors import BridgeError  # noqa: E402
from bridge.scene import (BarPanel, ExtrudedPanel, HeatmapPanel, ImagePanel, KpiPanel, LinePanel, MapPanel,  # noqa: E402
                          PointsPanel, TablePanel, TextPanel)

SUPPRESSED = "suppressed"
MIN_TEXT_DEG = 0.6  # smallest legible text across a room, degrees of visual angle


@dataclass(frozen=True)
class Theme:
    """Colours and type sizes (in degrees of visual angle) for a dark projector room."""

    background: str = "#05070b"  # the room between panels: projectors wash out white
    card: str = "#111827"
    border: str = "#334155"
    text: str = "#f1f5f9"
    muted: str = "#94a3b8"
    accent: str = "#38bdf8"
    mark: str = "#facc15"
    missing: str = "#3f3f46"
    title_deg: float = 2.0
    body_deg: float = 1.3
    small_deg: float = 0.8
    font: str = "DejaVu Sans"


THEME = Theme()


def load_theme(path: Path) -> Theme:
    """A theme YAML: any of Theme's fields; type sizes below the legibility floor are refused."""
    from bridge.yaml_source import load_yaml

    theme_doc = load_yaml(path, what="theme file")
    if not isinstance(theme_doc.data, dict):
        raise BridgeError(theme_doc.problem((), "a theme is a mapping of keys like accent: '#38bdf8'"))
    names = {f.name: f.type for f in fields(Theme)}
    problems, values = [], {}
    for key, value in theme_doc.data.items():
        if key not in names:
            from bridge.errors import did_you_mean

            problems.append(theme_doc.problem((key,), f"unknown theme key{did_you_mean(key, names)}; keys: {', '.join(names)}"))
        elif key.endswith("_deg"):
            if not isinstance(value, (int, float)) or value < MIN_TEXT_DEG:
                problems.append(theme_doc.problem((key,), f"{value!r}: type sizes are degrees, at least {MIN_TEXT_DEG}"))
            values[key] = float(value)
        else:
            if key != "font":
                try:
                    to_rgba(value)
                except ValueError:
                    problems.append(theme_doc.problem((key,), f"{value!r} is not a colour; use a name or #rrggbb"))
            values[key] = str(value)
    if problems:
        raise BridgeError(problems)
    return replace(THEME, **values)


class Canvas:
    """A matplotlib figure of an exact pixel size with type sizes given in degrees."""

    def __init__(self, size_px: tuple[int, int], px_per_degree: float, theme: Theme = THEME):
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
        glyph = 0.62 if bold else 0.55  # DejaVu Sans average advance per em
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


def draw_panel(panel, content, size_px, px_per_degree, source: str | None, theme: Theme = THEME,
               marked: frozenset[str] = frozenset()) -> Drawn:
    """An RGB uint8 image (h, w, 3) of one panel; row 0 is the top.  `marked`: rows a step picks out."""
    canvas = Canvas(size_px, px_per_degree, theme)
    try:
        _draw(canvas, panel, content, source, marked)
    except ValueError as exc:
        if "must be non-negative" not in str(exc):
            raise
        raise BridgeError(f"the panel is too small for its content ({canvas.width_deg:.0f}°×{canvas.height_deg:.0f}°); "
                          "make it wider or taller") from None
    return Drawn(canvas.image(), canvas.smallest, canvas.texts())


def _draw(canvas: Canvas, panel, content, source, marked) -> None:
    if isinstance(panel, MapPanel):
        _draw_map(canvas, panel, content, source, marked)
    elif isinstance(panel, (PointsPanel, HeatmapPanel)):
        _draw_points(canvas, panel, content, source)
    elif isinstance(panel, ExtrudedPanel):
        _draw_extruded_caption(canvas, panel, content, source)
    elif isinstance(panel, BarPanel):
        _draw_bar(canvas, panel, content, source, marked)
    elif isinstance(panel, LinePanel):
        _draw_line(canvas, panel, content, source)
    elif isinstance(panel, TablePanel):
        _draw_table(canvas, panel, content, source)
    elif isinstance(panel, KpiPanel):
        _draw_kpi(canvas, panel, content)
    elif isinstance(panel, TextPanel):
        _draw_text(canvas, panel)
    elif isinstance(panel, ImagePanel):
        _draw_image(canvas, panel, content, source)
    else:  # pragma: no cover - the scene model admits only the types above
        raise TypeError(f"no drawing for {type(panel).__name__}")


# --- maps -------------------------------------------------------------------------------

def classify(values: np.ndarray, panel) -> np.ndarray:
    """Class boundaries (count + 1 edges, increasing) for a choropleth."""
    finite = values[np.isfinite(values)]
    method, count = panel.classes.method, panel.classes.count
    if method == "fixed":
        if not panel.classes.breaks:
            raise BridgeError("classes.method fixed needs classes.breaks, e.g. [10, 20, 30]")
        inner = sorted(panel.classes.breaks)
        return np.array([min(finite.min(), inner[0]), *inner, max(finite.max(), inner[-1])])
    if method == "equal":
        edges = np.linspace(finite.min(), finite.max(), count + 1)
    else:
        edges = np.nanquantile(finite, np.linspace(0, 1, count + 1))
    return np.unique(edges)


def palette(name: str, n: int) -> list:
    """n colours from a colour map, skipping its darkest end so low classes show on a dark wall."""
    try:
        cmap = colormaps[name]
    except KeyError:
        raise BridgeError(f"unknown palette '{name}'; try viridis, cividis, magma, inferno, YlOrRd") from None
    return [cmap(v) for v in np.linspace(0.18, 1.0, n)]


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def compound_path(polygons) -> MplPath:
    """One matplotlib path for a (multi)polygon, holes wound opposite to their shell."""
    verts, codes = [], []
    for poly in polygons:
        for r, xy in enumerate(poly):
            area2 = np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1])
            if (r == 0) != (area2 > 0):  # shells anticlockwise, holes clockwise
                xy = xy[::-1]
            verts.append(xy)
            code = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            code[0] = MplPath.MOVETO
            codes.append(code)
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _map_axes(c: Canvas, bottom: float, top: float, legend: bool):
    legend_w = c.frac_w(16) if legend else 0
    ax = c.fig.add_axes((c.frac_w(1), bottom, 1 - legend_w - c.frac_w(2), top - bottom))
    ax.set_axis_off()
    ax.set_facecolor(c.theme.card)
    return ax


def _fit_extent(ax, paths) -> None:
    allxy = np.concatenate([p.vertices for p in paths])
    ax.set_xlim(allxy[:, 0].min(), allxy[:, 0].max())
    ax.set_ylim(allxy[:, 1].min(), allxy[:, 1].max())
    ax.set_aspect("equal")


def _legend(c: Canvas, handles, title: str | None, bottom: float, top: float):
    t = c.theme
    legend = c.fig.legend(handles=handles, loc="center right", bbox_to_anchor=(1 - c.frac_w(1), (bottom + top) / 2),
                          title=title or "", frameon=False, labelcolor=t.text,
                          fontsize=c.pt(t.body_deg), title_fontsize=c.pt(t.body_deg),
                          handlelength=1.4, handleheight=1.0)
    legend.get_title().set_color(t.muted)


def class_colours(content_values: np.ndarray, suppressed: np.ndarray, panel, theme: Theme):
    """Face colour per area, the class edges and colours (suppressed areas kept out of the classes)."""
    shown = np.where(suppressed, np.nan, content_values)
    edges = classify(shown, panel)
    colours = palette(panel.palette, max(1, len(edges) - 1))
    classes = np.clip(np.searchsorted(edges, shown, side="right") - 1, 0, len(colours) - 1)
    faces = [theme.missing if not np.isfinite(v) else colours[k] for v, k in zip(shown, classes)]
    faces = [("#1f2937" if s else f) for f, s in zip(faces, suppressed)]
    return faces, edges, colours


def _draw_map(c: Canvas, panel: MapPanel, content: MapContent, source, marked: frozenset[str]):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    ax = _map_axes(c, bottom, top, content.values is not None)
    paths = [compound_path(p) for p in content.polygons]
    if content.raster is not None:
        pixels, (x0, y0, x1, y1), opacity = content.raster
        ax.imshow(pixels, extent=(x0, x1, y0, y1), alpha=opacity, zorder=0, interpolation="bilinear")
    handles = []
    if content.values is not None:
        faces, edges, colours = class_colours(content.values, content.suppressed, panel, t)
        alpha = 0.75 if content.raster is not None else 1.0
        ax.add_collection(PathCollection(paths, facecolors=faces, edgecolors=t.card, linewidths=0.3, alpha=alpha, zorder=1))
        handles = [Patch(facecolor=col, edgecolor=t.border, label=f"{_fmt(lo)} – {_fmt(hi)}")
                   for col, lo, hi in zip(colours, edges[:-1], edges[1:])][::-1]
        if content.suppressed.any():
            handles.append(Patch(facecolor="#1f2937", edgecolor=t.border, hatch="///", label=SUPPRESSED))
        if np.isnan(content.values[~content.suppressed]).any():
            handles.append(Patch(facecolor=t.missing, edgecolor=t.border, label="no data"))
    else:
        ax.add_collection(PathCollection(paths, facecolors="none" if content.raster is not None else t.missing,
                                         edgecolors=t.muted, linewidths=0.4, zorder=1))
    if content.outline is not None:
        ax.add_collection(PathCollection([compound_path(p) for p in content.outline], facecolors="none",
                                         edgecolors=t.text, linewidths=max(0.8, 0.08 * c.ppd), zorder=3))
    if marked:  # a dark halo under a bright line reads on any palette
        picked = [p for p, key in zip(paths, content.keys) if key in marked]
        width = max(1.5, 0.15 * c.ppd)
        ax.add_collection(PathCollection(picked, facecolors="none", edgecolors=t.background, linewidths=width * 2.2, zorder=4))
        ax.add_collection(PathCollection(picked, facecolors="none", edgecolors=t.accent, linewidths=width, zorder=4))
    if content.points is not None:
        xy, colour, size = content.points
        ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colour, linewidths=0, zorder=5, rasterized=True)
    _fit_extent(ax, paths)
    if panel.labels and content.values is not None:
        _label_top_areas(c, ax, panel.labels, content, paths)
    if handles:
        _legend(c, handles, panel.legend, bottom, top)


def _label_top_areas(c: Canvas, ax, count: int, content: MapContent, paths) -> None:
    """Label the highest areas at their centres, nudging a label that would cover another."""
    t = c.theme
    renderer = c.canvas.get_renderer()
    to_data = ax.transData.inverted()
    placed: list = []
    order = np.argsort(np.where(np.isfinite(content.values) & ~content.suppressed, -content.values, np.inf))
    for k in order[:count]:
        x, y = paths[k].vertices.mean(axis=0)
        label = ax.text(x, y, content.labels[k], color=t.text, fontsize=c.pt(t.small_deg), ha="center", va="center",
                        zorder=6, bbox=dict(boxstyle="round,pad=0.2", fc=t.card, ec="none", alpha=0.8))
        box = label.get_window_extent(renderer=renderer)
        px, py = ax.transData.transform((x, y))
        for shift in (0, 1, -1, 2, -2, 3, -3):
            moved = box.translated(0, shift * box.height * 1.15)
            if not any(moved.overlaps(other) for other in placed):
                label.set_position(to_data.transform((px, py + shift * box.height * 1.15)))
                placed.append(moved)
                break
        else:
            label.remove()  # no room: leave it out rather than cover another


def _draw_points(c: Canvas, panel, content: PointsContent, source):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    legend = isinstance(panel, HeatmapPanel) or content.values is not None
    ax = _map_axes(c, bottom, top, legend)
    paths = [compound_path(p) for p in content.outline]
    _fit_extent(ax, paths)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    ax.add_collection(PathCollection(paths, facecolors=t.missing, edgecolors=t.border, linewidths=0.3, zorder=1))
    xy = content.xy
    inside = np.isfinite(xy).all(axis=1) & (xy[:, 0] >= xlim[0]) & (xy[:, 0] <= xlim[1]) & (xy[:, 1] >= ylim[0]) & (xy[:, 1] <= ylim[1])
    if isinstance(panel, HeatmapPanel):
        # A kernel density on a grid: histogram, then a Gaussian blur of radius_km.
        ax_w_px = (1 - c.frac_w(16) - c.frac_w(2)) * c.w
        cell = max((xlim[1] - xlim[0]) / max(ax_w_px, 1), 1.0)
        nx, ny = int((xlim[1] - xlim[0]) / cell) + 1, int((ylim[1] - ylim[0]) / cell) + 1
        weights = content.weights[inside] if content.weights is not None else None
        grid, _, _ = np.histogram2d(xy[inside, 1], xy[inside, 0], bins=(ny, nx), range=(ylim, xlim), weights=weights)
        sigma = panel.radius_km * 1000 / cell
        density = cv2.GaussianBlur(grid.astype(np.float32), (0, 0), sigmaX=max(sigma, 0.5))
        density = np.ma.masked_less_equal(density, density.max() * 0.02)
        image = ax.imshow(density, extent=(*xlim, *ylim), origin="lower", cmap=panel.palette, alpha=0.9, zorder=2,
                          interpolation="bilinear")
        _colourbar(c, image, panel.legend or "density", bottom, top, ticks=False)
    elif inside.sum() > 200_000:
        # Too many to draw as markers: bin them to the axes' pixels (mean value per pixel).
        ax_w_px = (1 - c.frac_w(16) - c.frac_w(2)) * c.w
        cell = max((xlim[1] - xlim[0]) / max(ax_w_px, 1), 1.0)
        nx, ny = int((xlim[1] - xlim[0]) / cell) + 1, int((ylim[1] - ylim[0]) / cell) + 1
        ix = ((xy[inside, 0] - xlim[0]) / cell).astype(np.intp).clip(0, nx - 1)
        iy = ((xy[inside, 1] - ylim[0]) / cell).astype(np.intp).clip(0, ny - 1)
        flat = iy * nx + ix
        counts = np.bincount(flat, minlength=nx * ny).reshape(ny, nx)
        if content.values is None:
            image = ax.imshow(np.where(counts > 0, 1.0, np.nan), extent=(*xlim, *ylim), origin="lower",
                              cmap=matplotlib.colors.ListedColormap([t.text]), zorder=2, interpolation="nearest")
        else:
            sums = np.bincount(flat, weights=np.nan_to_num(content.values[inside]), minlength=nx * ny).reshape(ny, nx)
            layer = np.ma.masked_where(counts == 0, sums / np.maximum(counts, 1))
            image = ax.imshow(layer, extent=(*xlim, *ylim), origin="lower", cmap=panel.palette, zorder=2,
                              interpolation="nearest")
            _colourbar(c, image, panel.legend, bottom, top, ticks=True)
    else:
        colours = t.text if content.values is None else content.values[inside]
        scatter = ax.scatter(xy[inside, 0], xy[inside, 1], s=panel.size, c=colours, cmap=panel.palette, linewidths=0,
                             zorder=2, rasterized=True)
        if content.values is not None:
            _colourbar(c, scatter, panel.legend, bottom, top, ticks=True)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)


def _colourbar(c: Canvas, mappable, title, bottom, top, ticks: bool):
    t = c.theme
    cax = c.fig.add_axes((1 - c.frac_w(6), bottom + (top - bottom) * 0.2, c.frac_w(1.4), (top - bottom) * 0.6))
    bar = c.fig.colorbar(mappable, cax=cax)
    bar.outline.set_edgecolor(t.border)
    cax.tick_params(colors=t.text, labelsize=c.pt(t.body_deg))
    if not ticks:
        cax.set_yticks([])
        cax.text(0.5, -0.04, "low", transform=cax.transAxes, ha="center", va="top", color=t.muted, fontsize=c.pt(t.body_deg))
        cax.text(0.5, 1.04, "high", transform=cax.transAxes, ha="center", va="bottom", color=t.muted, fontsize=c.pt(t.body_deg))
    if title:
        c.fig.text(1 - c.frac_w(5.3), bottom + (top - bottom) * 0.85, title, color=t.muted, fontsize=c.pt(t.body_deg), ha="center")


def _draw_extruded_caption(c: Canvas, panel: ExtrudedPanel, content: MapContent, source):
    """The 3D prisms are real geometry; this caption carries their title, colour key and source."""
    t = c.theme
    bottom, top = c.header(panel.title, source)
    values = content.values[np.isfinite(content.values)]
    lo, hi = float(values.min()), float(values.max())
    bar_h = c.frac_h(t.body_deg)
    room = top - bottom - bar_h - c.frac_h(t.small_deg * 1.5)
    if room < 0:
        need = c.height_deg * (1 - room)
        raise BridgeError(f"the caption of an extruded map needs {need:.1f}° but has {c.height_deg:.1f}°; make the panel taller")
    y = bottom + c.frac_h(t.small_deg * 1.5) + room / 2
    cax = c.fig.add_axes((c.frac_w(9), y, 1 - c.frac_w(18), bar_h))
    cax.imshow(np.linspace(0, 1, 256)[None, :], aspect="auto", cmap=matplotlib.colors.ListedColormap(palette(panel.palette, 256)))
    cax.set_axis_off()
    c.fig.text(c.frac_w(8.5), y + bar_h / 2, _fmt(lo), color=t.text, fontsize=c.pt(t.body_deg), ha="right", va="center")
    c.fig.text(1 - c.frac_w(8.5), y + bar_h / 2, _fmt(hi), color=t.text, fontsize=c.pt(t.body_deg), ha="left", va="center")
    note = f"{panel.legend}: taller and brighter is higher" if panel.legend else "taller and brighter is higher"
    c.fig.text(0.5, y - c.frac_h(0.3), note, color=t.muted, fontsize=c.pt(t.small_deg), ha="center", va="top")


# --- charts -------------------------------------------------------------------------------

def _draw_bar(c: Canvas, panel: BarPanel, content: BarContent, source, marked: frozenset[str]):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    label_w = c.frac_w(max(8.0, 0.62 * t.body_deg * max(len(s) for s in content.labels)))
    unit_h = c.frac_h(t.body_deg * 2.2) if panel.unit else 0
    ax = c.fig.add_axes((c.frac_w(1.2) + label_w, bottom + unit_h, 1 - label_w - c.frac_w(9), top - bottom - unit_h))
    ax.set_facecolor(t.card)
    n = len(content.values)
    y = np.arange(n)[::-1]
    picked = set(marked) | ({panel.highlight} if panel.highlight else set())
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
    for yi, v, hidden in zip(y, content.values, content.suppressed):
        ax.text((0 if hidden else v) + vmax * 0.01, yi, SUPPRESSED if hidden else _fmt(v), va="center", ha="left",
                color=t.muted if hidden else t.text, fontsize=c.pt(t.body_deg * 0.9))
    ax.set_xlim(0, vmax * 1.12)
    ax.set_axisbelow(True)
    if panel.unit:
        c.fig.text(c.frac_w(1.2) + label_w, bottom, panel.unit, color=t.muted, fontsize=c.pt(t.small_deg * 1.2),
                   va="bottom", ha="left", family=t.font)


def _draw_line(c: Canvas, panel: LinePanel, content: LineContent, source):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    ax = c.fig.add_axes((c.frac_w(7), bottom + c.frac_h(t.body_deg * 3), 1 - c.frac_w(7 + 14), top - bottom - c.frac_h(t.body_deg * 3)))
    ax.set_facecolor(t.card)
    colours = palette("tab10", 10) if len(content.series) > 1 else [t.accent]
    x = np.arange(len(content.x))
    for k, (name, y) in enumerate(content.series.items()):
        strong = panel.highlight is None or name == panel.highlight
        colour = t.mark if panel.highlight == name else colours[k % len(colours)]
        ax.plot(x, y, color=colour, linewidth=(0.35 if strong else 0.18) * c.ppd, alpha=1 if strong else 0.55, marker="o",
                markersize=0.5 * c.ppd)
        last = np.flatnonzero(np.isfinite(y))
        if len(last):
            ax.text(x[last[-1]] + 0.15, y[last[-1]], name, color=colour, fontsize=c.pt(t.body_deg), va="center", ha="left")
    step = max(1, len(x) // 6)
    ax.set_xticks(x[::step], [content.x[i] for i in x[::step]])
    ax.tick_params(colors=t.muted, labelsize=c.pt(t.small_deg * 1.2))
    ax.grid(axis="y", color=t.border, linewidth=0.6)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlim(-0.3, len(x) - 0.7 + 0.3)
    if panel.unit:
        ax.set_ylabel(panel.unit, color=t.muted, fontsize=c.pt(t.small_deg * 1.2))


def _draw_table(c: Canvas, panel: TablePanel, content: TableContent, source):
    t = c.theme
    bottom, top = c.header(panel.title, source)
    ax = c.fig.add_axes((c.frac_w(1.2), bottom, 1 - c.frac_w(2.4), top - bottom))
    ax.set_axis_off()
    rows = len(content.rows) + 1
    widths = np.array([max(len(h), *(len(r[i]) for r in content.rows)) + 3 for i, h in enumerate(content.headings)], float)
    size = max(MIN_TEXT_DEG, min(t.body_deg, (c.width_deg - 2.4) / (0.62 * widths.sum()),
                                  (top - bottom) * c.height_deg / (rows * 1.7)))
    row_h = min(1 / rows, c.frac_h(size * 1.7) / (top - bottom))
    lefts = np.concatenate([[0], np.cumsum(widths / widths.sum())])
    numeric = [all(_is_number(r[i]) or r[i] in (SUPPRESSED, "–") for r in content.rows) for i in range(len(widths))]

    def put(i, y, text, **style):
        right = numeric[i]
        x = lefts[i + 1] - 0.01 if right else lefts[i]
        ax.text(x, y, text, fontsize=c.pt(size), va="center", ha="right" if right else "left", **style)

    for i, heading in enumerate(content.headings):
        put(i, 1 - row_h / 2, heading, color=t.muted, fontweight="bold")
    for r, row in enumerate(content.rows):
        y = 1 - (r + 1.5) * row_h
        if r % 2 == 0:
            ax.add_patch(matplotlib.patches.Rectangle((0, y - row_h / 2), 1, row_h, color="#0f172a", zorder=0))
        for i, cell in enumerate(row):
            put(i, y, cell, color=t.muted if cell == SUPPRESSED else t.text)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def _draw_kpi(c: Canvas, panel: KpiPanel, content: KpiContent):
    t = c.theme
    number = SUPPRESSED if content.suppressed else panel.format.format(content.value)
    label = " ".join(x for x in (panel.unit, panel.label) if x)
    title_h = 0
    if panel.title:
        c.fig.text(0.5, 1 - c.frac_h(0.8), panel.title, color=t.muted, fontsize=c.pt(t.body_deg),
                   ha="center", va="top", family=t.font)
        title_h = c.frac_h(t.body_deg * 1.8)
    label_h = c.frac_h(t.body_deg * 2.2) if label else 0
    extra = content.compare is not None or content.spark is not None
    number_w = 0.62 if extra else 1.0
    size_deg = min((1 - title_h - label_h) * c.height_deg * 0.62,
                   0.9 * number_w * c.width_deg / max(1, 0.62 * len(number)))
    centre_x = number_w / 2
    c.fig.text(centre_x, label_h + (1 - title_h - label_h) / 2, number, color=t.muted if content.suppressed else t.text,
               fontsize=c.pt(size_deg), fontweight="bold", ha="center", va="center", family=t.font)
    if label:
        c.fig.text(0.5, c.frac_h(0.8), label, color=t.accent, fontsize=c.pt(t.body_deg), ha="center", va="bottom", family=t.font)
    if content.compare is not None and not content.suppressed and content.compare != 0:
        change = content.value / content.compare - 1
        arrow = "▲" if change > 0 else ("▼" if change < 0 else "■")
        text = f"{arrow} {abs(change):.0%} {panel.compare_label or 'vs comparison'}"
        c.fig.text(0.81, 1 - title_h - c.frac_h(0.3), text, color=t.mark, fontsize=c.pt(t.body_deg),
                   ha="center", va="top", family=t.font)
    if content.spark is not None and len(content.spark) > 1:
        spark_top = 1 - title_h - c.frac_h(t.body_deg * 1.8)
        ax = c.fig.add_axes((0.66, label_h + c.frac_h(0.3), 0.3, max(0.05, spark_top - label_h - c.frac_h(0.3))))
        ax.plot(content.spark, color=t.accent, linewidth=0.2 * c.ppd)
        ax.plot(len(content.spark) - 1, content.spark[-1], "o", color=t.mark, markersize=0.5 * c.ppd)
        ax.set_axis_off()


_EMPHASIS = re.compile(r"\*\*(.+?)\*\*")


def _draw_text(c: Canvas, panel: TextPanel):
    t = c.theme
    if panel.style == "title":
        plain = _EMPHASIS.sub(r"\1", panel.text)
        size = min(c.height_deg * 0.5, 0.9 * c.width_deg / max(1, 0.6 * len(plain)))
        c.fig.text(0.5, 0.5, plain, color=t.text, fontsize=c.pt(size), fontweight="bold", ha="center", va="center", family=t.font)
        if panel.title:
            c.fig.text(0.5, c.frac_h(0.8), panel.title, color=t.muted, fontsize=c.pt(t.body_deg), ha="center", va="bottom")
        return
    bottom, top = c.header(panel.title, None)
    chars = max(10, int((c.width_deg - 2.4) / (t.body_deg * 0.55)))
    y = top
    line_h = c.frac_h(t.body_deg * 1.5)
    for paragraph in panel.text.split("\n\n"):
        for line in _wrap_emphasis(paragraph, chars):
            _emphasised_line(c, line, c.frac_w(1.2), y)
            y -= line_h
        y -= line_h * 0.6


def _wrap_emphasis(paragraph: str, width: int) -> list[list[tuple[str, bool]]]:
    """Wrap text whose **emphasis** may span lines: lines of (word, bold) pairs."""
    words, bold = [], False
    for chunk in re.split(r"(\*\*)", paragraph):
        if chunk == "**":
            bold = not bold
            continue
        words += [(w, bold) for w in chunk.split()]
    lines, current, length = [], [], 0
    for word, b in words:
        if current and length + 1 + len(word) > width:
            lines.append(current)
            current, length = [], 0
        current.append((word, b))
        length += len(word) + (1 if length else 0)
    if current:
        lines.append(current)
    return lines


def _emphasised_line(c: Canvas, words: list[tuple[str, bool]], x: float, y: float) -> None:
    """One line of words, the emphasised ones bold and in the mark colour, drawn run by run."""
    t = c.theme
    renderer = c.canvas.get_renderer()
    runs: list[tuple[str, bool]] = []
    for word, bold in words:
        if runs and runs[-1][1] == bold:
            runs[-1] = (runs[-1][0] + " " + word, bold)
        else:
            gap = " " if runs and not re.match(r"[.,;:!?)\]]", word) else ""
            runs.append((gap + word, bold))
    for text, bold in runs:
        artist = c.fig.text(x, y, text, color=t.mark if bold else t.text, fontsize=c.pt(t.body_deg), va="top", ha="left",
                            fontweight="bold" if bold else "normal", family=t.font)
        x += artist.get_window_extent(renderer=renderer).width / c.w


def _draw_image(c: Canvas, panel: ImagePanel, pixels: np.ndarray, source):
    bottom, top = c.header(panel.title, source)
    ax = c.fig.add_axes((c.frac_w(1), bottom, 1 - c.frac_w(2), top - bottom))
    ax.set_axis_off()
    ax.imshow(pixels, interpolation="antialiased", aspect="equal" if panel.fit == "contain" else "auto")
