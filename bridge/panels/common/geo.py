"""What the map-like panel types share: area values, point layers, and drawing on map axes.

Maps, extruded maps, point maps and heat maps all draw the base dataset's areas in British
National Grid metres; this module holds the content they share (areas with values under
disclosure control, point tables that respect `personal:`) and the axes they draw on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.path import Path as MplPath
from matplotlib.ticker import Formatter
from matplotlib.transforms import Bbox

from bridge.data.disclosure import is_count, suppression_mask
from bridge.data.numformat import fixed, legend_decimals, short_scale
from bridge.errors import BridgeError
from bridge.panels.common.canvas import EMPTY_SHARE
from bridge.panels.common.values import numbers
from bridge.theme import MIN_TEXT_DEG

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bridge.data.readers import Polygons, Table
    from bridge.data.tables import SceneData
    from bridge.panels.common.canvas import Canvas

LEGEND_DEG = 16  # width kept for a map's legend or colour bar


@dataclass
class MapContent:
    polygons: list[Polygons]
    values: np.ndarray | None  # None: outlines only
    suppressed: np.ndarray  # bool per area
    keys: list[str]
    labels: list[str]
    outline: list[Polygons] | None = None
    raster: tuple[np.ndarray, tuple[float, float, float, float], float] | None = None  # image, BNG bounds, opacity
    points: tuple[np.ndarray, str, float] | None = None  # xy, colour, size


@dataclass
class PointsContent:
    outline: list[Polygons]
    xy: np.ndarray
    values: np.ndarray | None
    weights: np.ndarray | None = None


# --- content ------------------------------------------------------------------------------

def area_content(data: SceneData, table_name: str, colour: str | None, here: tuple) -> MapContent:
    """A dataset's polygons with a value per area from `colour` (small counts of people suppressed)."""
    table = data.tables[table_name]
    if table.geometry is None:
        raise BridgeError(data.doc.problem(here + ("data",),
            f"a map needs polygons, but dataset '{table.name}' has none; use a GeoJSON dataset"))
    keys = [str(k) for k in table.frame[table.key]] if table.key else [str(i) for i in range(len(table.frame))]
    values, suppressed = None, np.zeros(len(keys), bool)
    if colour:
        series = numbers(data, colour, here + ("colour",), table.name)
        if series.notna().sum() == 0:
            raise BridgeError(data.doc.problem(here + ("colour",), "every value is missing; check the joins and the expression"))
        values = series.to_numpy(dtype=float)
        suppressed = suppression_mask(data, values, is_count(data, colour, table.name))
    return MapContent(table.geometry, values, suppressed, keys, keys)


def point_table(data: SceneData, name: str, key_path: tuple) -> Table:
    """A dataset with points, refused if its rows are people and the scene does not allow that."""
    table = data.tables[name]
    if table.points is None:
        raise BridgeError(data.doc.problem(key_path, f"dataset '{name}' has no points; give it points: {{x: …, y: …}}"))
    if data.scene.datasets[name].personal and not data.scene.disclosure.allow_personal_points:
        raise BridgeError(data.doc.problem(key_path,
            f"dataset '{name}' is marked personal: its rows are people and are never drawn as points. "
            "Aggregate it per area (aggregate:), or set disclosure: {allow_personal_points: true} if that is approved"))
    return table


def points_content(data: SceneData, dataset: str, here: tuple, values: str | None = None,
                   weights: str | None = None) -> PointsContent:
    """A point layer over the base dataset's outlines, with an optional value or weight per point."""
    table = point_table(data, dataset, here + ("data",))
    base = data.base
    if base.geometry is None:
        raise BridgeError(data.doc.problem(here, "points are drawn over the base dataset's areas, which have no polygons"))
    shown = weighted = None
    if values:
        shown = numbers(data, values, here + ("colour",), table.name).to_numpy(dtype=float)
    if weights:
        weighted = numbers(data, weights, here + ("weight",), table.name).fillna(0).to_numpy(dtype=float)
    assert table.points is not None  # point_table refused a dataset without points
    return PointsContent(base.geometry, table.points, shown, weighted)


# --- drawing ------------------------------------------------------------------------------

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


def rgba(colours: list) -> np.ndarray:
    """A colour per area as an (n, 4) RGBA array, each distinct colour converted once: a collection
    given a list converts it colour by colour, and again as its alpha is set (England's 35,672 areas:
    0.15 s, against next to nothing for the few colours a choropleth has)."""
    converted = {c: to_rgba(c) for c in dict.fromkeys(colours)}
    return np.array([converted[c] for c in colours], dtype=float).reshape(-1, 4)


def map_axes(c: Canvas, bottom: float, top: float, legend: bool):
    """Axes for a map, leaving room on the right for a legend (`leave_room` shrinks it further
    once the legend or colour bar is drawn and measured)."""
    legend_w = c.frac_w(LEGEND_DEG) if legend else 0
    ax = c.fig.add_axes((c.frac_w(1), bottom, 1 - legend_w - c.frac_w(2), top - bottom))
    ax.set_axis_off()
    ax.set_facecolor(c.theme.card)
    return ax


def leave_room(c: Canvas, ax, right: float) -> None:
    """Narrow the map's axes so they end a degree left of `right` (a figure fraction: the left
    edge of its legend or colour bar as measured); never widened."""
    x0, y0, w, h = ax.get_position(original=True).bounds
    end = right - c.frac_w(1)
    if end >= x0 + w - 0.5 / c.w:  # room enough already (to within half a pixel)
        return
    if end - x0 <= 0:
        raise BridgeError(f"the panel is too narrow for its map and legend ({c.width_deg:.0f}° wide); make it wider")
    ax.set_position((x0, y0, end - x0, h))


def fit_extent(ax, paths, margin: float = 0.0) -> None:
    """Show these paths whole (with `margin`, a share of their size, round them), north up."""
    allxy = np.concatenate([p.vertices for p in paths])
    (x0, y0), (x1, y1) = allxy.min(axis=0), allxy.max(axis=0)
    pad = margin * max(x1 - x0, y1 - y0, 1.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")


class TickNumbers(Formatter):
    """A colour bar's numbers written as the legends write class breaks (bridge/data/numformat.py):
    thousands separated, one number of decimals for all, millions and more short ("9bn"),
    never an offset like '1e9'."""

    def __init__(self):
        self.decimals, self.divisor, self.suffix = 0, 1.0, ""

    def set_locs(self, locs):
        super().set_locs(locs)
        self.divisor, self.suffix = short_scale(locs)
        self.decimals = legend_decimals(sorted(v / self.divisor for v in locs)) if len(locs) else 0

    def __call__(self, x, pos=None):
        return fixed(x / self.divisor, self.decimals) + self.suffix if x or not self.suffix else "0"


COLOURBAR_SHARE = 0.3  # the most of a panel's width a colour bar and its numbers may take


def colourbar(c: Canvas, mappable, title, bottom, top, ticks: bool):
    """A vertical colour bar at the right, its title above it (wrapped to the legend's width);
    without ticks it reads 'low' to 'high'.  Its numbers are measured as drawn: wide ones move
    the bar left (shrinking toward the legibility floor past a share of the panel's width),
    and the map's axes (`mappable.axes`) are narrowed to leave the bar and its title clear."""
    t = c.theme
    renderer = c.canvas.get_renderer()
    size, text = c.fit(title or "", t.body_deg, room_deg=LEGEND_DEG - 2, floor_deg=MIN_TEXT_DEG)
    title_h = c.frac_h(size * (1.25 * text.count("\n") + 1.2)) if title else 0
    above = c.frac_h(t.body_deg * (0.8 if ticks else 1.8))  # half a tick label, or 'high', pokes above the bar
    bar_top = min(bottom + (top - bottom) * 0.8, top - title_h - above)
    bar_bottom = bottom + (top - bottom) * 0.2
    x = 1 - c.frac_w(6)
    cax = c.fig.add_axes((x, bar_bottom, c.frac_w(1.4), bar_top - bar_bottom))
    bar = c.fig.colorbar(mappable, cax=cax)
    bar.outline.set_edgecolor(t.border)
    labels = t.body_deg
    inner = (1 - c.frac_w(1)) * c.w  # pixels: the panel's right edge, inside its border
    if ticks:
        cax.yaxis.set_major_formatter(TickNumbers())
        cax.tick_params(colors=t.text, labelsize=labels * c.ppd * 0.72)
        block = cast(Bbox, cax.get_tightbbox(renderer))  # a visible axes always has a box
        widest = COLOURBAR_SHARE * c.w
        if block.width > widest:  # numbers too wide for the panel: smaller, not below the floor
            labels = max(MIN_TEXT_DEG, labels * (widest - cax.bbox.width) / max(block.width - cax.bbox.width, 1))
            cax.tick_params(labelsize=labels * c.ppd * 0.72)
            block = cast(Bbox, cax.get_tightbbox(renderer))  # a visible axes always has a box
        if block.x1 > inner:  # the numbers would run off the panel: move the bar left
            x -= (block.x1 - inner) / c.w
            cax.set_position((x, bar_bottom, c.frac_w(1.4), bar_top - bar_bottom))
        c.pt(labels)
    else:
        cax.set_yticks([])
        cax.text(0.5, -0.04, "low", transform=cax.transAxes, ha="center", va="top", color=t.muted, fontsize=c.pt(t.body_deg))
        cax.text(0.5, 1.04, "high", transform=cax.transAxes, ha="center", va="bottom", color=t.muted, fontsize=c.pt(t.body_deg))
    shift = 1 - c.frac_w(6) - x  # how far the numbers pushed the bar left
    centre = 1 - c.frac_w(LEGEND_DEG / 2) - shift
    if title:
        c.fig.text(centre, bar_top + above, text, color=t.muted, fontsize=c.pt(size),
                   ha="center", va="bottom", linespacing=1.2)
    left = min(centre - c.frac_w(LEGEND_DEG / 2 - 1), cast(Bbox, cax.get_tightbbox(renderer)).x0 / c.w)
    leave_room(c, mappable.axes, left - c.frac_w(1))


@dataclass
class PointAxes:
    """Map axes with the base areas drawn, ready for a point layer."""

    ax: Axes
    bottom: float
    top: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    inside: np.ndarray  # points within the view

    def grid(self, c: Canvas) -> tuple[float, int, int]:
        """A grid of about one cell per axes pixel: (cell size in metres, columns, rows)."""
        ax_w_px = self.ax.get_position(original=True).width * c.w
        cell = max((self.xlim[1] - self.xlim[0]) / max(ax_w_px, 1), 1.0)
        return cell, int((self.xlim[1] - self.xlim[0]) / cell) + 1, int((self.ylim[1] - self.ylim[0]) / cell) + 1

    def finish(self) -> None:
        self.ax.set_xlim(self.xlim)
        self.ax.set_ylim(self.ylim)


def point_axes(c: Canvas, title: str | None, source: str | None, content: PointsContent, legend: bool) -> PointAxes:
    """Header, map axes and the base areas in grey, for a points or heat map."""
    t = c.theme
    bottom, top = c.header(title, source)
    ax = map_axes(c, bottom, top, legend)
    paths = [compound_path(p) for p in content.outline]
    fit_extent(ax, paths)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    ax.add_collection(PathCollection(paths, facecolors=t.missing, edgecolors=t.border, linewidths=0.3, zorder=1))
    xy = content.xy
    inside = (np.isfinite(xy).all(axis=1) & (xy[:, 0] >= xlim[0]) & (xy[:, 0] <= xlim[1])
              & (xy[:, 1] >= ylim[0]) & (xy[:, 1] <= ylim[1]))
    return PointAxes(ax, bottom, top, xlim, ylim, inside)


def centre_map(c: Canvas, ax, legend, panel_deg: tuple[float, float]) -> str | None:
    """A map keeps its shape: a box of another shape leaves space beside or above it.  Centre the
    map and its legend (drawn; `legend` may be None) together across the panel, and return a
    hint when the space left is over EMPTY_SHARE of the panel's width or height (`panel_deg`: the
    panel's width and height in degrees, to suggest a size that fits)."""
    renderer = c.canvas.get_renderer()
    ax.apply_aspect()
    box = ax.get_position()  # the map as drawn, figure fractions
    room = ax.get_position(original=True)
    left, right = c.frac_w(1), 1 - c.frac_w(1)
    parts = box.width
    if legend is not None:
        drawn = legend.get_window_extent(renderer)
        gap = c.frac_w(1)
        parts = box.width + gap + drawn.width / c.w
        start = left + (right - left - parts) / 2
        ax.set_position((start, box.y0, box.width, box.height))
        anchor = legend.get_bbox_to_anchor()
        shift = start + box.width + gap - drawn.x0 / c.w
        legend.set_bbox_to_anchor((anchor.x0 / c.w + shift, anchor.y0 / c.h), transform=c.fig.transFigure)
    wide = (right - left - parts) / (right - left)
    tall = (room.height - box.height) / room.height
    what = "it and its legend are" if legend is not None else "it is"
    width, height = panel_deg
    if wide > EMPTY_SHARE:
        return (f"the map keeps its shape, so {what} centred with {wide:.0%} of the panel's width empty; "
                f"a width of about {width * (1 - wide * (right - left)):.0f}° would fit it")
    if tall > EMPTY_SHARE:
        return (f"the map keeps its shape, so it is centred with {tall:.0%} of its room's height empty; "
                f"a height of about {height * (1 - tall * room.height):.0f}° would fit it")
    return None
