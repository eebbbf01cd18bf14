"""`type: extruded` — 3D prisms over the map whose heights encode a value, seen from the centre.

The prisms are real geometry in the room (they sit on a table below eye level, inside the
wall the flat panels hang on); the panel's picture is only a caption — title, colour key
and source — across the top third of its box (at least 9° of it, up to half a short box).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal, cast

import matplotlib
import numpy as np
from pydantic import Field

from bridge.data.disclosure import is_count
from bridge.errors import BridgeError
from bridge.geometry import direction_pitch, panel_extent
from bridge.panels.common.base import Extent, PanelModel
from bridge.panels.common.canvas import Canvas, fmt_number, palette
from bridge.panels.common.describe import area_names, area_rows, name, ranked_table
from bridge.panels.common.geo import MapContent, area_content
from bridge.panels.common.values import condition
from bridge.scene.fields import Expr, Palette
from bridge.theme import MIN_TEXT_DEG

CAPTION = 0.33  # share of the panel's box taken by its caption …
CAPTION_MIN_DEG = 9.0  # … but at least this much (a title, colour key and source at legible sizes) …
CAPTION_MAX = 0.5  # … up to half of a short box


class ExtrudedPanel(PanelModel):
    """3D prisms whose height and colour encode a value, on a table below eye level, with a caption above."""

    type: Literal["extruded"]
    listing_order = 3
    colour: Expr
    palette: Palette = "viridis"
    height_scale: float = Field(1.0, gt=0, le=10, description="Tallest prism as a fraction of the map's depth × 0.25")
    legend: str | None = None
    focus: Expr | None = Field(None, description=(
        "A condition on the areas, e.g. wards.ward24_name == params.ward: only they stand on the table, "
        "zoomed to fill it; true everywhere shows them all"))

    def content(self, data, here) -> MapContent:
        table_name = self.data or data.scene.base_name
        content = area_content(data, table_name, self.colour, here)
        if self.focus:
            where = here + ("focus",)
            picked = condition(data.evaluate(self.focus, where, table_name),
                               data.doc.problem(where, "must be a condition, e.g. wards.ward24_name == params.ward"))
            picked = np.broadcast_to(np.asarray(picked, dtype=bool), (len(content.keys),))
            shown = picked & np.isfinite(_shown(content))
            if not shown.any():
                raise BridgeError(data.doc.problem(where, f"'{self.focus}' picks no area with a value to stand on the table"))
            if not picked.all():
                keep = np.flatnonzero(picked)
                content = replace(content, polygons=[content.polygons[k] for k in keep], values=_values(content)[keep],
                                  suppressed=content.suppressed[keep], keys=[content.keys[k] for k in keep],
                                  labels=[content.labels[k] for k in keep])
        return content

    def texture_extent(self) -> Extent:
        """The caption: the top third of the box, at least CAPTION_MIN_DEG of it while that is no
        more than half (the prisms stand below it)."""
        y0, y1, p0, p1 = panel_extent(self.yaw, self.pitch, self.width, self.height)
        share = max(CAPTION, min(CAPTION_MAX, CAPTION_MIN_DEG / max(p1 - p0, 1e-9)))
        return y0, y1, p1 - share * (p1 - p0), p1

    def layout_problems(self, theme, source) -> list[tuple[tuple, str]]:
        c = self.layout_canvas(theme)
        lack = _caption(c, self.title, source, self._note(), "0", "0", self.palette)  # the key's numbers: any short ones
        if lack > 0:
            return [(("height",), f"the caption of an extruded map needs {c.height_deg + lack:.1f}° but has "
                                  f"{c.height_deg:.1f}°; make the panel taller")]
        return []

    def describe(self, entry, view, step_index, content: MapContent) -> None:
        """Its areas as a table (largest first), by name where the data has names, and what the
        prisms' heights run from and to."""
        dataset = self.data or view.data.scene.base_name
        count = is_count(view.data, self.colour, dataset)
        labels = area_names(view, dataset, [str(k) for k in content.keys])
        rows = area_rows(labels, _values(content), content.suppressed, count)
        entry["tables"].append(ranked_table(name(self), "areas", ["Area", self.legend or "Value"], rows, counts_listed=True))
        shown = np.where(content.suppressed, np.nan, _values(content))
        finite = shown[np.isfinite(shown)]
        key = f"from {fmt_number(float(finite.min()))} to {fmt_number(float(finite.max()))}" if len(finite) else ""
        entry["legend"] = self.legend
        entry["text"].append(f"Prisms on a table: taller and brighter is higher{' (' + self.legend + ')' if self.legend else ''}"
                             f"{', ' + key if key else ''}.")

    def draw(self, c: Canvas, content: MapContent, source, marked) -> None:
        values = _shown(content)
        values = values[np.isfinite(values)]
        lo, hi = fmt_number(float(values.min())), fmt_number(float(values.max()))
        lack = _caption(c, self.title, source, self._note(), lo, hi, self.palette)
        if lack > 0:
            raise BridgeError(f"the caption of an extruded map needs {c.height_deg + lack:.1f}° but has {c.height_deg:.1f}°; "
                              "make the panel taller")

    def _note(self) -> str:
        return f"{self.legend}: taller and brighter is higher" if self.legend else "taller and brighter is higher"

    def place(self, renderer, image, content: MapContent) -> None:
        y0, y1, p0, p1 = self.texture_extent()
        renderer.add_panel(self.id, (y0 + y1) / 2, (p0 + p1) / 2, y1 - y0, p1 - p0, image)
        prism_top = p0 - 0.02 * (p1 - p0)  # just under the caption
        prism_bottom = self.pitch - self.height / 2
        shown = _shown(content)
        mesh = extruded_mesh(self.yaw, (prism_top + prism_bottom) / 2, self.width, prism_top - prism_bottom,
                             content.polygons, shown, self.height_scale)
        colours = matplotlib.colormaps[self.palette](np.linspace(0.18, 1.0, 256))
        finite = shown[np.isfinite(shown)]
        renderer.add_solid(self.id, mesh, colours, (float(finite.min()), float(finite.max())))


def _values(content: MapContent) -> np.ndarray:
    """The areas' values: an extruded map's `colour` is required, so it always has them."""
    return cast(np.ndarray, content.values)


def _shown(content: MapContent) -> np.ndarray:
    """Values as drawn: a suppressed small count is no prism and no end of the colour key."""
    return np.where(content.suppressed, np.nan, _values(content))


def _caption(c: Canvas, title: str | None, source: str | None, note: str, lo: str, hi: str, cmap: str) -> float:
    """Draw the caption — title, the colour key (`lo` to `hi`, with `note` under it) and source —
    and return 0; or, when it cannot fit at legible sizes, the degrees of height it lacks.

    First as every panel's header lays it out; if that leaves no room for the key, a compact
    caption whose title and source shrink toward the legibility floor before they wrap."""
    t = c.theme
    drawn = len(c.fig.texts)
    bottom, top = c.header(title, source)
    note_size, note_text = c.fit(note, t.small_deg, floor_deg=MIN_TEXT_DEG)
    note_h = c.frac_h(t.small_deg * 1.5 + note_size * 1.25 * note_text.count("\n"))
    room = top - bottom - c.frac_h(t.body_deg) - note_h
    if room >= 0:
        _key(c, bottom + note_h + room / 2, t.body_deg, note_size, note_text, lo, hi, cmap)
        return 0.0
    for text in c.fig.texts[drawn:]:
        text.remove()
    lack = -room * c.height_deg
    source_size, source_text = c.fit(f"Source: {source}", t.small_deg, floor_deg=MIN_TEXT_DEG) if source else (0.0, "")
    for floor in (t.body_deg, t.small_deg, MIN_TEXT_DEG):  # the title's: it stays the largest text
        title_size, title_text = c.fit(title, t.title_deg, bold=True, floor_deg=floor) if title else (0.0, "")
        key = min(t.small_deg, floor)
        note_size, note_text = c.fit(note, key, floor_deg=MIN_TEXT_DEG)
        heights = [0.6,  # degrees, top to bottom: margin, title, gap, key, gap, note, gap, source, margin
                   title_size * 1.25 * (title_text.count("\n") + 1), 0.4 if title else 0, key, 0.3,
                   note_size * 1.25 * (note_text.count("\n") + 1), 0.4,
                   source_size * 1.25 * (source_text.count("\n") + 1), 0.6]
        spare = c.height_deg - sum(heights)
        if spare < 0:
            lack = min(lack, -spare)
            continue
        y = 1 - c.frac_h(0.6)
        if title:
            c.fig.text(c.frac_w(1.2), y, title_text, color=t.text, fontsize=c.pt(title_size), fontweight="bold",
                       va="top", ha="left", family=t.font, linespacing=1.2)
        if source:
            c.fig.text(c.frac_w(1.2), c.frac_h(0.6), source_text, color=t.muted, fontsize=c.pt(source_size),
                       va="bottom", ha="left", family=t.font, linespacing=1.2)
        key_y = y - c.frac_h(sum(heights[1:4]) + spare / 2)
        _key(c, key_y, key, note_size, note_text, lo, hi, cmap)
        return 0.0
    return lack


def _key(c: Canvas, y: float, size: float, note_size: float, note: str, lo: str, hi: str, cmap: str) -> None:
    """The colour key at height `y` (its bottom, a figure fraction): a bar `size` high between
    its end values, each measured so it stays on the panel; the note under it."""
    t = c.theme
    bar_h = c.frac_h(size)
    margin = min(9.0, 0.3 * c.width_deg)
    x0 = max(margin, c.measure(lo, size) + 1.7)  # degrees: 1.2 to the edge, 0.5 to the bar
    x1 = c.width_deg - max(margin, c.measure(hi, size) + 1.7)
    cax = c.fig.add_axes((c.frac_w(x0), y, c.frac_w(x1 - x0), bar_h))
    cax.imshow(np.linspace(0, 1, 256)[None, :], aspect="auto", cmap=matplotlib.colors.ListedColormap(palette(cmap, 256)))
    cax.set_axis_off()
    c.fig.text(c.frac_w(x0 - 0.5), y + bar_h / 2, lo, color=t.text, fontsize=c.pt(size), ha="right", va="center")
    c.fig.text(c.frac_w(x1 + 0.5), y + bar_h / 2, hi, color=t.text, fontsize=c.pt(size), ha="left", va="center")
    c.fig.text(0.5, y - c.frac_h(0.3), note, color=t.muted, fontsize=c.pt(note_size), ha="center", va="top")


def extruded_mesh(yaw: float, pitch: float, width: float, height: float, polygons, values: np.ndarray,
                  height_scale: float = 1.0):
    """Prisms whose heights encode `values`, laid on a horizontal table below eye level, all of
    it (the tallest prism's top included) inside the box of angles: clear of the caption above.

    The map's centre sits at the panel's yaw; its width fills `width` degrees and north points
    away from the viewer.  Returns the mesh with a 'value' cell array.
    """
    top = min(pitch + height / 2, -3.0)
    table_top = top
    for _ in range(8):  # lower the table's far edge until the tallest prism's top is at `top`
        mesh = _table_of_prisms(yaw, table_top, pitch - height / 2, width, polygons, values, height_scale)
        points = np.asarray(mesh.points)
        seen = direction_pitch(points[:, 0], points[:, 1], points[:, 2]).max()
        if seen <= top + 0.05:
            break
        table_top -= seen - top
    return mesh


def _table_of_prisms(yaw: float, table_top: float, table_bottom: float, width: float, polygons, values: np.ndarray,
                     height_scale: float):
    """The prisms on a table whose far edge is seen at pitch `table_top` and near edge at `table_bottom`."""
    import pyvista as pv

    # Every shell of every area (islands included; holes are left filled: prisms are solid).
    shells = [(part[0], value) for area, value in zip(polygons, values) for part in area]
    allxy = np.concatenate([ring for ring, _ in shells])
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    centre = (lo + hi) / 2
    # The table lies below eye level so its near edge is seen at the box's bottom pitch and its
    # far edge at the top (at most 8 units away: inside the walls that carry the panels).
    top_pitch = math.radians(min(table_top, -3.0))
    bottom_pitch = math.radians(min(table_bottom, math.degrees(top_pitch) - 5))
    eye_above = 8.0 * math.tan(-top_pitch)
    near, far = eye_above / math.tan(-bottom_pitch), eye_above / math.tan(-top_pitch)
    box_depth = far - near
    box_width = 2 * (near + far) / 2 * math.tan(math.radians(min(width, 170) / 2)) * 0.92
    scale = min(box_depth / max(hi[1] - lo[1], 1e-9), box_width / max(hi[0] - lo[0], 1e-9))
    depth = (hi[1] - lo[1]) * scale
    distance = (near + far) / 2
    z0 = -eye_above
    finite = np.where(np.isfinite(values), values, np.nan)
    vmin, vmax = np.nanmin(finite), np.nanmax(finite)
    tallest = min(0.1 * depth, 0.6 * eye_above) * height_scale  # prisms stay below eye level
    a = math.radians(yaw)
    right = np.array([math.cos(a), -math.sin(a)])  # screen-right of the viewer facing `yaw`
    ahead = np.array([math.sin(a), math.cos(a)])
    points, caps, cap_values, sides, side_values = [], [], [], [], []
    count = 0
    for ring, value in shells:
        if not np.isfinite(value):
            continue
        ring = ring[:-1] if np.allclose(ring[0], ring[-1]) else ring
        if len(ring) < 3:
            continue
        local = (ring - centre) * scale
        world = local[:, :1] * right + (local[:, 1:2] + distance) * ahead
        h = tallest * (0.04 + 0.96 * (value - vmin) / max(vmax - vmin, 1e-12))
        n = len(world)
        points.append(np.column_stack([world, np.full(n, z0 + h)]))  # top ring: count .. count+n
        points.append(np.column_stack([world, np.full(n, z0)]))  # bottom ring
        caps.append(np.r_[n, count + np.arange(n)])
        cap_values.append(value)
        i = np.arange(n)
        j = (i + 1) % n
        sides.append(np.column_stack([np.full(n, 4), count + i, count + j, count + n + j, count + n + i]).ravel())
        side_values.append(np.full(n, value))
        count += 2 * n
    all_points = np.vstack(points)
    # One triangulation for every cap (concave shells need ear-clipping): far faster than one per area.
    top = pv.PolyData(all_points, np.concatenate(caps))
    top.cell_data["value"] = np.array(cap_values)
    top = top.triangulate()
    walls = pv.PolyData(all_points, np.concatenate(sides))
    mesh = pv.PolyData(all_points, np.concatenate([top.faces, walls.faces]))
    mesh.cell_data["value"] = np.concatenate([top.cell_data["value"], np.concatenate(side_values)])
    return mesh
