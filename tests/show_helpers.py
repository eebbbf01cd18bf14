"""Shared by the show and live tests: a tiny three-projector room and flat-colour prepared frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.room.load import load_room
from bridge.show.cache import Prepared

TINY_ROOM = """
name: Tiny
screen: {shape: cylinder, radius_m: 2, height_m: 1.6, eye_height_m: 1.0}
projectors:
  - {yaw: 0,    span_deg: 135, resolution: [64, 40]}
  - {yaw: 120,  span_deg: 135, resolution: [64, 40]}
  - {yaw: -120, span_deg: 135, resolution: [64, 40]}
"""

# Step s, projector i is a flat colour: easy to recognise in a grab.
COLOURS = [[(200, 30, 30), (30, 200, 30), (30, 30, 200)],
           [(250, 250, 0), (0, 250, 250), (250, 0, 250)],
           [(90, 90, 90), (160, 160, 160), (10, 120, 60)]]


def tiny_room(folder: Path):
    path = folder / "tiny.yaml"
    path.write_text(TINY_ROOM)
    return load_room(path)


def synthetic(room, colours=COLOURS, transition_ms=0, watched=()) -> Prepared:
    frames = []
    for i, p in enumerate(room.projectors):
        f = np.zeros((len(colours), p.height, p.width, 3), np.uint8)
        for s, row in enumerate(colours):
            f[s] = row[i]
        f[:, :4, :4] = 255  # a white top-left corner: catches a flipped image
        frames.append(f)
    titles = [f"Step {s + 1}" for s in range(len(colours))]
    return Prepared("test", "Test", titles, [""] * len(colours), transition_ms, frames, list(watched))


def inject(windows, keysym: str, window: int = 0) -> None:
    iren = windows.windows[window].interactor
    iren.SetKeySym(keysym)
    iren.InvokeEvent("KeyPressEvent")


def centre(image: np.ndarray, x: int, y: int) -> tuple:
    return tuple(int(v) for v in image[y, x])
