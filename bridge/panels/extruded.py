"""`type: extruded` — 3D prisms over the map whose heights encode a value, seen from the centre.

The prisms are real geometry in the room (they sit on a table below eye level, inside the
wall the flat panels hang on); the panel's picture is only a caption — title, colour key
and source — across the top third of its box.
"""

from __future__ import annotations

import math
from typing import Literal

import matplotlib
import numpy as np
from pydantic import Field

from bridge.errors import BridgeError
from bridge.fields import Expr, Palette
from bridge.layout import panel_extent
from bridge.panels import register
from bridge.panels.base import Extent, PanelModel
from bridge.panels.canvas import Canvas, fmt_number, palette
from bridge.panels.geo import MapContent, area_content

CAPTION = 0.33  # share of the panel's box taken by its caption


@register
class ExtrudedPanel(PanelModel):
    """3D prisms whose height and colour encode a value, on a table below eye level, with a caption above."""

    type: Literal["extruded"]
    colour: Expr  # type: ignore[valid-type]
    palette: Palette = "viridis"  # type: ignore[valid-type]
    height_scale: float = Field(1.0, gt=0, le=10, description="Tallest prism as a fraction of the map's depth × 0.25")
    legend: str | None = None

    def content(self, data, here) -> MapContent:
        return area_content(data, self.data or data.scene.base_name, self.colour, here)

    def texture_extent(self) -> Extent:
        """The caption: the top third of the box (the prisms stand below it)."""
        y0, y1, p0, p1 = panel_extent(self.yaw, self.pitch, self.width, self.height)
        return y0, y1, p1 - CAPTION * (p1 - p0), p1

    def layout_problems(self, theme, source) -> list[tuple[tuple, str]]:
        c = self.layout_canvas(theme)
        _, room = _caption_room(c, self.title, source)
        if room < 0:
            return [(("height",), f"the caption of an extruded map needs {c.height_deg * (1 - room):.1f}° but has "
                                  f"{c.height_deg:.1f}°; make the panel taller")]
        return []

    def draw(self, c: Canvas, content: MapContent, source, marked) -> None:
        t = c.theme
        bottom, room = _caption_room(c, self.title, source)
        if room < 0:
            need = c.height_deg * (1 - room)
            raise BridgeError(f"the caption of an extruded map needs {need:.1f}° but has {c.height_deg:.1f}°; make the panel taller")
        values = _shown(content)
        values = values[np.isfinite(values)]
        lo, hi = float(values.min()), float(values.max())
        bar_h = c.frac_h(t.body_deg)
        y = bottom + c.frac_h(t.small_deg * 1.5) + room / 2
        cax = c.fig.add_axes((c.frac_w(9), y, 1 - c.frac_w(18), bar_h))
        cax.imshow(np.linspace(0, 1, 256)[None, :], aspect="auto", cmap=matplotlib.colors.ListedColormap(palette(self.palette, 256)))
        cax.set_axis_off()
        c.fig.text(c.frac_w(8.5), y + bar_h / 2, fmt_number(lo), color=t.text, fontsize=c.pt(t.body_deg), ha="right", va="center")
        c.fig.text(1 - c.frac_w(8.5), y + bar_h / 2, fmt_number(hi), color=t.text, fontsize=c.pt(t.body_deg), ha="left", va="center")
        note = f"{self.legend}: taller and brighter is higher" if self.legend else "taller and brighter is higher"
        c.fig.text(0.5, y - c.frac_h(0.3), note, color=t.muted, fontsize=c.pt(t.small_deg), ha="center", va="top")

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


def _shown(content: MapContent) -> np.ndarray:
    """Values as drawn: a suppressed small count is no prism and no end of the colour key."""
    return np.where(content.suppressed, np.nan, content.values)


def _caption_room(c: Canvas, title: str | None, source: str | None) -> tuple[float, float]:
    """Draw the header; return its bottom and the figure height left once the colour bar and
    note are laid out (negative: the caption does not fit)."""
    t = c.theme
    bottom, top = c.header(title, source)
    return bottom, top - bottom - c.frac_h(t.body_deg) - c.frac_h(t.small_deg * 1.5)


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
        seen = np.degrees(np.arctan2(points[:, 2], np.hypot(points[:, 0], points[:, 1]))).max()
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
