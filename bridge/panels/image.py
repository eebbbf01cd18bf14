"""`type: image` — a picture from disk (a photo, a plan of the room), with title and source."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.pictures import read_rgb


class ImagePanel(PanelModel):
    """A PNG or JPEG from disk, fitted inside the panel (`contain`) or filling it (`cover`)."""

    type: Literal["image"]
    listing_order = 9
    path: str = Field(description="PNG or JPEG beside the scene")
    fit: Literal["contain", "cover"] = "contain"

    file_keys = (("path",),)

    def content(self, data, here) -> np.ndarray:
        try:
            return read_rgb(data.scene.path(self.path))
        except BridgeError as exc:
            raise BridgeError([data.doc.problem(here + ("path",), p.message) for p in exc.problems]) from None

    def describe(self, entry, view, step_index, content) -> None:
        """The picture's title and file name, as its alternative text."""
        file_name = Path(self.path).name
        entry["file"] = file_name
        entry["alt"] = f"{self.title} (picture: {file_name})" if self.title else f"Picture: {file_name}"
        entry["text"].append(entry["alt"] + ".")

    def draw(self, c: Canvas, pixels: np.ndarray, source, marked) -> None:
        bottom, top = c.header(self.title, source)
        ax = c.fig.add_axes((c.frac_w(1), bottom, 1 - c.frac_w(2), top - bottom))
        ax.set_axis_off()
        ax.imshow(pixels, interpolation="antialiased", aspect="equal" if self.fit == "contain" else "auto")
