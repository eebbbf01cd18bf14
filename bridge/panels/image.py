"""`type: image` — a picture from disk (a photo, a plan of the room), with title and source."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from bridge.errors import BridgeError
from bridge.panels import register
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.pictures import read_rgb


@register
class ImagePanel(PanelModel):
    """A PNG or JPEG from disk, fitted inside the panel (`contain`) or filling it (`cover`)."""

    type: Literal["image"]
    path: str = Field(description="PNG or JPEG beside the scene")
    fit: Literal["contain", "cover"] = "contain"

    file_keys = (("path",),)

    def content(self, data, here) -> np.ndarray:
        try:
            return read_rgb(data.scene.path(self.path))
        except BridgeError as exc:
            raise BridgeError([data.doc.problem(here + ("path",), p.message) for p in exc.problems]) from None

    def draw(self, c: Canvas, pixels: np.ndarray, source, marked) -> None:
        bottom, top = c.header(self.title, source)
        ax = c.fig.add_axes((c.frac_w(1), bottom, 1 - c.frac_w(2), top - bottom))
        ax.set_axis_off()
        ax.imshow(pixels, interpolation="antialiased", aspect="equal" if self.fit == "contain" else "auto")
