"""`type: points` — individual points over the base dataset's outlines (binned when very many)."""

from __future__ import annotations

from typing import Literal

import matplotlib
import numpy as np
from pydantic import Field

from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.describe import point_table, point_total
from bridge.panels.common.geo import PointsContent, colourbar, point_axes, points_content
from bridge.scene.fields import Expr, Palette

MARKER_LIMIT = 200_000  # above this many points, draw a per-pixel mean instead of markers


class PointsPanel(PanelModel):
    """Points of a dataset with `points:` over the base outlines, coloured by a value; binned to pixels past 200,000."""

    type: Literal["points"]
    listing_order = 1
    data: str = Field(description="A dataset with points:")
    colour: Expr | None = Field(None, description="Value per point, coloured with the palette")
    palette: Palette = "viridis"
    size: float = Field(4.0, gt=0, le=200)
    legend: str | None = None

    def content(self, data, here) -> PointsContent:
        return points_content(data, self.data, here, values=self.colour)

    def describe(self, entry, view, step_index, content: PointsContent) -> None:
        """How many points it shows, and a table of their values (largest first) when coloured."""
        entry["text"].append(f"{point_total(view, self, content)} points.")
        point_table(entry, view, self, content, content.values, self.colour, self.legend or "Value")

    def draw(self, c: Canvas, content: PointsContent, source, marked) -> None:
        t = c.theme
        view = point_axes(c, self.title, source, content, legend=content.values is not None)
        ax, inside, xy = view.ax, view.inside, content.xy
        xlim, ylim = view.xlim, view.ylim
        if inside.sum() > MARKER_LIMIT:
            # Too many to draw as markers: bin them to the axes' pixels (mean value per pixel).
            cell, nx, ny = view.grid(c)
            ix = ((xy[inside, 0] - xlim[0]) / cell).astype(np.intp).clip(0, nx - 1)
            iy = ((xy[inside, 1] - ylim[0]) / cell).astype(np.intp).clip(0, ny - 1)
            flat = iy * nx + ix
            counts = np.bincount(flat, minlength=nx * ny).reshape(ny, nx)
            if content.values is None:
                ax.imshow(np.where(counts > 0, 1.0, np.nan), extent=(*xlim, *ylim), origin="lower",
                          cmap=matplotlib.colors.ListedColormap([t.text]), zorder=2, interpolation="nearest")
            else:
                sums = np.bincount(flat, weights=np.nan_to_num(content.values[inside]), minlength=nx * ny).reshape(ny, nx)
                layer = np.ma.masked_where(counts == 0, sums / np.maximum(counts, 1))
                image = ax.imshow(layer, extent=(*xlim, *ylim), origin="lower", cmap=self.palette, zorder=2,
                                  interpolation="nearest")
                colourbar(c, image, self.legend, view.bottom, view.top, ticks=True)
        else:
            colours = t.text if content.values is None else content.values[inside]
            scatter = ax.scatter(xy[inside, 0], xy[inside, 1], s=self.size, c=colours, cmap=self.palette, linewidths=0,
                                 zorder=2, rasterized=True)
            if content.values is not None:
                colourbar(c, scatter, self.legend, view.bottom, view.top, ticks=True)
        view.finish()
