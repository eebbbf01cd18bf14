"""`type: map` — a choropleth: areas coloured by an expression, with optional layers on top."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Literal, cast

import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count
from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.classes import (
    Classes,
    Classing,
    NamedClasses,
    class_colours,
    class_ranges,
    classify,
    classing,
    legend_labels,
)
from bridge.panels.common.describe import NO_DATA, area_names, area_rows, name, ranked_table
from bridge.panels.common.geo import (
    LEGEND_DEG,
    MapContent,
    area_content,
    centre_map,
    compound_path,
    fit_extent,
    leave_room,
    map_axes,
    point_table,
    rgba,
)
from bridge.panels.common.pictures import read_rgb
from bridge.panels.common.values import condition, texts
from bridge.scene.fields import Colour, Expr, Palette, Strict
from bridge.theme import MIN_TEXT_DEG


@dataclass
class ChoroplethContent(MapContent):
    """A map's content, knowing whether its values count people (its legend is then in integers)."""

    count: bool = False
    focus: np.ndarray | None = None  # areas the map zooms to (None: the whole map)
    classing: Classing = field(default_factory=lambda: Classing("quantiles"))  # its classes, breaks evaluated


class Raster(Strict):
    """A georeferenced picture under a map: a GeoTIFF, or any image with stated bounds."""

    path: str = Field(description="PNG/JPEG/TIFF beside the scene")
    bounds: tuple[float, float, float, float] | None = Field(
        None, description="west, south, east, north; read from a GeoTIFF when omitted")
    crs: str = Field("EPSG:27700", description="Coordinates of the bounds")
    opacity: float = Field(0.85, ge=0, le=1)


class Layer(Strict):
    """Points drawn over a map: a points dataset."""

    data: str = Field(description="A dataset with points:")
    colour: Colour = "#f8fafc"
    size: float = Field(4.0, gt=0, le=200, description="Marker area in points²")


class MapPanel(PanelModel):
    ("A choropleth of the base polygons (classes by quantiles, equal steps, fixed breaks or named), with optional labels, "
     "outlines, a raster underlay and points.")  # one line as written: `bridge panels` lists a type by its docstring's first line

    type: Literal["map"]
    listing_order = 0
    colour: Expr | None = Field(None, description="Value per area; omit for outlines only (e.g. under points)")
    classes: Classes | NamedClasses = Field(Classes(), description=(
        "{method: quantiles|equal|fixed, count, breaks}, or named classes, lowest first: "
        "[{upto: 2, name: most deprived 20%}, {upto: 4, name: …}, {name: least deprived}]"))
    palette: Palette = Field("viridis", description="A matplotlib colour map name (colour-blind-safe default)")
    legend: str | None = Field(None, description="Legend heading, e.g. the unit")
    labels: int = Field(0, ge=0, le=30, description="Label the top N areas by value")
    label: Expr | None = Field(None, description="Text of those labels (default: the key)")
    focus: Expr | None = Field(None, description=(
        "A condition on the areas, e.g. wards.ward24_name == params.ward: the map zooms to them and dims the rest; "
        "true everywhere (a parameter's all option) shows the whole map"))
    outline: str | None = Field(None, description="A GeoJSON dataset drawn as outlines on top (e.g. districts)")
    raster: Raster | None = None
    points: Layer | None = None

    dataset_keys = (("data",), ("outline",), ("points", "data"))

    file_keys = (("raster", "path"),)

    def content(self, data, here) -> ChoroplethContent:
        table_name = self.data or data.scene.base_name
        areas = area_content(data, table_name, self.colour, here)
        content = ChoroplethContent(**{f.name: getattr(areas, f.name) for f in fields(areas)},
                                    count=bool(self.colour) and is_count(data, cast(str, self.colour), table_name))
        if content.values is not None:
            content.classing = classing(data, self.classes, np.where(content.suppressed, np.nan, content.values),
                                        here + ("classes",), self.data)
        if self.label:
            content.labels = texts(data, self.label, here + ("label",), table_name).tolist()
        if self.outline:
            outline = data.tables[self.outline]
            if outline.geometry is None:
                raise BridgeError(data.doc.problem(here + ("outline",), f"dataset '{self.outline}' has no polygons"))
            content.outline = outline.geometry
        if self.raster:
            content.raster = _raster(data, self.raster, here + ("raster",))
        if self.points:
            layer = point_table(data, self.points.data, here + ("points", "data"))
            assert layer.points is not None  # point_table refused a dataset without points
            content.points = (layer.points, self.points.colour, self.points.size)
        if self.focus:
            where = here + ("focus",)
            picked = condition(data.evaluate(self.focus, where, table_name),
                               data.doc.problem(where, "must be a condition, e.g. wards.ward24_name == params.ward"))
            picked = np.broadcast_to(np.asarray(picked, dtype=bool), (len(content.keys),))
            if not picked.any():
                raise BridgeError(data.doc.problem(where, f"'{self.focus}' picks no area, so there is nothing to zoom to"))
            content.focus = None if picked.all() else picked.copy()
        return content

    def marked_rows(self, data, content, mark, here, mark_path) -> frozenset[str]:
        table = data.tables[self.data or data.scene.base_name]
        keys = table.frame[table.key].astype(str).reset_index(drop=True)
        if mark.top:  # ranked as drawn: a suppressed or missing value is never among the top
            if content.values is None:
                raise BridgeError(data.doc.problem(mark_path + ("top",), "the map has no colour: values to rank its areas by"))
            shown = pd.Series(np.where(content.suppressed, np.nan, content.values)).dropna()
            return frozenset(keys[shown.sort_values(ascending=False, kind="stable").index[: mark.top]])
        keep = data.evaluate(mark.where, mark_path + ("where",), table.name)
        return frozenset(keys[condition(keep, data.doc.problem(mark_path + ("where",), "must be a condition")).to_numpy()])

    def describe(self, entry, view, step_index, content: ChoroplethContent) -> None:
        """Its areas as a table (largest first), its legend's classes, its zoom and the areas a step outlines;
        areas by their `label:`, else by name where the data has names (`area_names`), else by code."""
        if self.legend:
            entry["legend"] = self.legend
        if content.values is None:
            entry["text"].append(f"A map of {len(content.keys):,} areas, drawn as outlines.")
            return
        count = bool(getattr(content, "count", False))
        picked = np.ones(len(content.keys), bool) if content.focus is None else np.asarray(content.focus, bool)
        labels = [str(label) for label in content.labels] if self.label else \
            area_names(view, self.data or view.data.scene.base_name, [str(k) for k in content.keys])
        keep = np.flatnonzero(picked)
        rows = area_rows([labels[k] for k in keep], content.values[keep], content.suppressed[keep], count)
        entry["tables"].append(ranked_table(name(self), "areas", ["Area", self.legend or "Value"], rows))
        entry["classes"] = self._legend_classes(content, count)
        entry["text"].append(f"Legend{': ' + self.legend if self.legend else ''} — " + "; ".join(entry["classes"]) + ".")
        if content.focus is not None:
            entry["text"].append(f"Zoomed to {len(keep):,} of {len(content.keys):,} areas; the rest are dimmed.")
        marked = view.marks.get((step_index, self.id), frozenset())
        if marked:
            names = [labels[k] for k in range(len(labels)) if content.keys[k] in marked]
            entry["text"].append("Outlined in this step: " + "; ".join(names) + ".")

    def _legend_classes(self, content: ChoroplethContent, count: bool) -> list[str]:
        """The legend's entries as it lists them: classes highest first, then suppressed, then no data."""
        values = cast(np.ndarray, content.values)  # asked only of a map with values
        shown = np.where(content.suppressed, np.nan, values)
        classes = []
        if np.isfinite(shown).any():
            edges = classify(shown, content.classing)
            classes = legend_labels(edges, count, content.classing)
            if content.classing.names:  # a name says what it is; the text version says what it holds too
                classes = [f"{name} ({held})" for name, held in zip(classes, class_ranges(content.classing, count))]
            classes = classes[::-1]
        if content.suppressed.any():
            classes.append(SUPPRESSED)
        if np.isnan(values[~content.suppressed]).any():
            classes.append(NO_DATA)
        return classes

    def draw(self, c: Canvas, content: MapContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        ax = map_axes(c, bottom, top, content.values is not None)
        paths = [compound_path(p) for p in content.polygons]
        if content.raster is not None:
            pixels, (x0, y0, x1, y1), opacity = content.raster
            image = ax.imshow(pixels, extent=(x0, x1, y0, y1), alpha=opacity, zorder=0, interpolation="bilinear")
            if paths:  # the picture shown only within the areas: its corners beyond them are not the county's
                image.set_clip_path(PathPatch(Path.make_compound_path(*paths), transform=ax.transData))
        handles = []
        if content.values is not None:
            classes = getattr(content, "classing", Classing("quantiles"))
            faces, edges, colours = class_colours(content.values, content.suppressed, classes, self.palette, t)
            alpha = 0.75 if content.raster is not None else 1.0
            # the view is fitted to the areas below (fit_extent): no data-limit pass over every path (autolim)
            ax.add_collection(PathCollection(paths, facecolors=rgba(faces), edgecolors=t.card, linewidths=0.3, alpha=alpha,
                                             zorder=1), autolim=False)
            handles = [Patch(facecolor=col, edgecolor=t.border, label=label)
                       for col, label in zip(colours, legend_labels(edges, getattr(content, "count", False), classes))][::-1]
            if content.suppressed.any():
                handles.append(Patch(facecolor=t.suppressed, edgecolor=t.border, hatch="///", label=SUPPRESSED))
            if np.isnan(content.values[~content.suppressed]).any():
                handles.append(Patch(facecolor=t.missing, edgecolor=t.border, label="no data"))
        else:
            ax.add_collection(PathCollection(paths, facecolors="none" if content.raster is not None else t.missing,
                                             edgecolors=t.muted, linewidths=0.4, zorder=1), autolim=False)
        if content.outline is not None:
            ax.add_collection(PathCollection([compound_path(p) for p in content.outline], facecolors="none",
                                             edgecolors=t.text, linewidths=max(0.8, 0.08 * c.ppd), zorder=3))
        if marked:  # a dark halo under a bright line reads on any palette
            picked = [p for p, key in zip(paths, content.keys) if key in marked]
            width = max(1.5, 0.15 * c.ppd)
            ax.add_collection(PathCollection(picked, facecolors="none", edgecolors=t.background, linewidths=width * 2.2,
                                             zorder=4))
            ax.add_collection(PathCollection(picked, facecolors="none", edgecolors=t.accent, linewidths=width, zorder=4))
        if content.points is not None:
            xy, colour, size = content.points
            ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colour, linewidths=0, zorder=5, rasterized=True)
        focus = getattr(content, "focus", None)
        if focus is not None:  # the rest of the map dimmed under a veil, the chosen areas outlined
            rest = [p for p, keep in zip(paths, focus) if not keep]
            chosen = [p for p, keep in zip(paths, focus) if keep]
            ax.add_collection(PathCollection(rest, facecolors=t.card, edgecolors="none", alpha=0.72, zorder=2))
            ax.add_collection(PathCollection(chosen, facecolors="none", edgecolors=t.text,
                                             linewidths=max(1.0, 0.1 * c.ppd), zorder=3))
        legend = None
        if handles:  # the legend first, measured: the map gives way to it
            legend = _legend(c, handles, self.legend, bottom, top)
            leave_room(c, ax, legend.get_window_extent(c.canvas.get_renderer()).x0 / c.w)
        fit_extent(ax, paths if focus is None else [p for p, keep in zip(paths, focus) if keep],
                   margin=0.0 if focus is None else 0.25)
        if focus is not None:  # zoomed in: fill the map's box with the county round the chosen areas
            _fill_box(c, ax)
        else:  # its own shape: centred with its legend, and a hint if that leaves much of the panel empty
            c.hints += [hint for hint in [centre_map(c, ax, legend, (self.width, self.height))] if hint]
        if self.labels and content.values is not None:
            shown = content if focus is None else replace(content, values=np.where(focus, content.values, np.nan))
            _label_top_areas(c, ax, self.labels, shown, paths)


def _fill_box(c: Canvas, ax) -> None:
    """Widen the shorter side of the view so the map fills its axes' box at equal scale."""
    box = ax.get_position(original=True)
    box_ratio = (box.height * c.h) / max(box.width * c.w, 1e-9)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    if h / w < box_ratio:
        grow = (w * box_ratio - h) / 2
        ax.set_ylim(y0 - grow, y1 + grow)
    else:
        grow = (h / box_ratio - w) / 2
        ax.set_xlim(x0 - grow, x1 + grow)


LEGEND_SHARE = 0.4  # the most of a panel's width a map's legend may take
LABEL_DEG = 12  # an area's label is wrapped to this width (or the map's, if narrower)


def _legend(c: Canvas, handles, title: str | None, bottom: float, top: float):
    """The classes' legend at the right, fitted to the panel as drawn: its title wrapped to the
    entries' width; entries too many for the height, or too wide, shrunk toward the legibility
    floor, then set in two columns.  Returns the legend (measure it to place the map)."""
    t = c.theme
    renderer = c.canvas.get_renderer()
    room_h = (top - bottom) * c.h  # pixels
    widest = LEGEND_SHARE * c.w

    def make(size: float, columns: int):
        points = size * c.ppd * 0.72
        legend = c.fig.legend(handles=handles, loc="center right", bbox_to_anchor=(1 - c.frac_w(1), (bottom + top) / 2),
                              frameon=False, labelcolor=t.text, fontsize=points, ncols=columns,
                              handlelength=1.4, handleheight=1.0, columnspacing=1.2)
        if title:
            entries = legend.get_window_extent(renderer).width / c.ppd
            room = min(widest / c.ppd, max(entries, LEGEND_DEG - 2))
            _, text = c.fit(title, size, room_deg=room, floor_deg=size)  # wrapped, not shrunk below the entries
            legend.set_title(text, prop=FontProperties(size=points, family=t.font))  # what matplotlib makes of a dict
            legend.get_title().set_color(t.muted)
        return legend

    steps = int(round((t.body_deg - MIN_TEXT_DEG) / 0.05))
    sizes = [t.body_deg - 0.05 * k for k in range(steps)] + [MIN_TEXT_DEG]
    for columns in (1, 2):
        for size in sizes:
            legend = make(size, columns)
            box = legend.get_window_extent(renderer)
            if box.height <= room_h and box.width <= widest:
                c.pt(size)
                return legend
            legend.remove()
    c.pt(MIN_TEXT_DEG)
    return make(MIN_TEXT_DEG, 2)  # the most it can give: layout_faults will say what still does not fit


def label_point(polygons) -> tuple[float, float]:
    """Where an area's label goes: the point of its largest part farthest from its edges
    (shapely's polylabel), inside it even when the area is crescent- or L-shaped."""
    from shapely import Polygon
    from shapely.ops import polylabel

    parts = [Polygon(rings[0], rings[1:]) for rings in polygons if len(rings[0]) >= 4]
    parts = [p for p in parts if p.is_valid and p.area > 0]
    if not parts:
        xy = np.concatenate([rings[0] for rings in polygons])
        return tuple(xy.mean(axis=0))
    largest = max(parts, key=lambda p: p.area)
    point = polylabel(largest, tolerance=max(largest.length / 1000, 1e-9))
    return point.x, point.y


def _label_top_areas(c: Canvas, ax, count: int, content: MapContent, paths) -> None:
    """Label the highest areas (suppressed and missing values never) at their centres, long
    names wrapped; a label is nudged to stay inside the map and off the others, and left out
    only when there is no room.  Positions are taken with the map's aspect applied."""
    t = c.theme
    renderer = c.canvas.get_renderer()
    ax.apply_aspect()  # the equal aspect moves the axes: place labels where they will be drawn
    area = ax.get_window_extent(renderer)
    to_data = ax.transData.inverted()
    pad = 0.3 * t.small_deg * c.ppd  # the rounded box behind a label
    room = min(LABEL_DEG, area.width / c.ppd - 1)
    values = cast(np.ndarray, content.values)  # labels are drawn only on a map with values
    shown = np.isfinite(values) & ~content.suppressed
    order = [k for k in np.argsort(np.where(shown, -values, np.inf), kind="stable") if shown[k]]
    placed: list = []
    for k in order[:count]:
        size, text = c.fit(content.labels[k], t.small_deg, room_deg=room, floor_deg=t.small_deg)
        x, y = label_point(content.polygons[k])
        label = ax.text(x, y, text, color=t.text, fontsize=c.pt(size), ha="center", va="center", zorder=6,
                        bbox=dict(boxstyle="round,pad=0.2", fc=t.card, ec="none", alpha=0.8))
        box = label.get_window_extent(renderer=renderer).padded(pad)
        px, py = ax.transData.transform((x, y))
        for shift in (0, 1, -1, 2, -2, 3, -3):
            moved = box.translated(0, shift * box.height)
            dx = max(area.x0 - moved.x0, 0) - max(moved.x1 - area.x1, 0)  # nudged inside the map
            dy = max(area.y0 - moved.y0, 0) - max(moved.y1 - area.y1, 0)
            moved = moved.translated(dx, dy)
            inside = area.x0 <= moved.x0 and moved.x1 <= area.x1 and area.y0 <= moved.y0 and moved.y1 <= area.y1
            if inside and not any(moved.overlaps(other) for other in placed):
                label.set_position(to_data.transform((px + dx, py + shift * box.height + dy)))
                placed.append(moved)
                break
        else:
            label.remove()  # no room: leave it out rather than cover another


def _raster(data, raster: Raster, key_path: tuple):
    """The picture, its bounds in British National Grid metres and its opacity."""
    from bridge.data.readers import transformer

    path = data.scene.path(raster.path)
    try:
        pixels, bounds = read_rgb(path, lambda image: raster.bounds or _geotiff_bounds(image))
    except BridgeError as exc:
        raise BridgeError([data.doc.problem(key_path + ("path",), p.message) for p in exc.problems]) from None
    if bounds is None:
        raise BridgeError(data.doc.problem(key_path, f"{path.name} is not a GeoTIFF; give bounds: [west, south, east, north]"))
    west, south, east, north = bounds
    if not (west < east and south < north):
        raise BridgeError(data.doc.problem(key_path + ("bounds",),
                                           "must be [west, south, east, north] with west < east and south < north"))
    (x0, x1), (y0, y1) = transformer(raster.crs, data.doc, key_path + ("crs",)).transform([west, east], [south, north])
    return pixels, (x0, y0, x1, y1), raster.opacity


def _geotiff_bounds(image) -> tuple[float, float, float, float] | None:
    """Bounds from a GeoTIFF's ModelPixelScale (33550) and ModelTiepoint (33922) tags."""
    tags = getattr(image, "tag_v2", None)
    if not tags or 33550 not in tags or 33922 not in tags:
        return None
    sx, sy = tags[33550][:2]
    _, _, _, x0, y0, _ = tags[33922][:6]
    w, h = image.size
    return x0, y0 - sy * h, x0 + sx * w, y0
