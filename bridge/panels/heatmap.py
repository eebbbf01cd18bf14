"""`type: heatmap` — the density of points (optionally weighted) over the base dataset's outlines."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.describe import point_table, point_total
from bridge.panels.common.geo import PointsContent, colourbar, point_axes, points_content
from bridge.scene.fields import Expr, Palette


class HeatmapPanel(PanelModel):
    """Density of points (optionally weighted), Gaussian-smoothed over `radius_km`, over the base outlines."""

    type: Literal["heatmap"]
    listing_order = 2
    data: str = Field(description="A dataset with points:")
    weight: Expr | None = None
    radius_km: float = Field(2.0, gt=0, le=100, description="Smoothing radius")
    palette: Palette = "inferno"
    legend: str | None = None

    def content(self, data, here) -> PointsContent:
        return points_content(data, self.data, here, weights=self.weight)

    def describe(self, entry, view, step_index, content: PointsContent) -> None:
        """How many points it smooths, over what radius, and a table of their weights (largest first)."""
        weights = getattr(content, "weights", None)
        entry["text"].append(f"The density of {point_total(view, self, content)} points, smoothed over {self.radius_km:g} km"
                             + (", weighted" if weights is not None else "") + ".")
        point_table(entry, view, self, content, weights, self.weight, "Weight")

    def draw(self, c: Canvas, content: PointsContent, source, marked) -> None:
        # A kernel density on a grid: histogram, then a Gaussian blur of radius_km.
        view = point_axes(c, self.title, source, content, legend=True)
        xy, inside = content.xy, view.inside
        cell, nx, ny = view.grid(c)
        weights = content.weights[inside] if content.weights is not None else None
        grid, _, _ = np.histogram2d(xy[inside, 1], xy[inside, 0], bins=(ny, nx), range=(view.ylim, view.xlim), weights=weights)
        sigma = self.radius_km * 1000 / cell
        import cv2  # here, not at the top: `bridge validate` of a scene without a heatmap need not load OpenCV

        density = cv2.GaussianBlur(grid.astype(np.float32), (0, 0), sigmaX=max(sigma, 0.5))
        density = np.ma.masked_less_equal(density, density.max() * 0.02)
        image = view.ax.imshow(density, extent=(*view.xlim, *view.ylim), origin="lower", cmap=self.palette, alpha=0.9,
                               zorder=2, interpolation="bilinear")
        colourbar(c, image, self.legend or "density", view.bottom, view.top, ticks=False)
        view.finish()
