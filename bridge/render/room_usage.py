"""How much of the room a step lights: the share of the screen's band whose pixels differ from
the background.

A room is for standing inside the data; a step of three small cards on dark walls wastes it.
The tests and `bench/room_usage.py` both measure a frame with `band_usage`, so the benchmark's
figure and the tests' floor are the same number.
"""

from __future__ import annotations

import numpy as np

from bridge.geometry import x_to_yaw, y_to_pitch
from bridge.room.model import Room
from bridge.theme import Theme, rgb255

LIT_TOLERANCE = 10  # a pixel differs from the background when a channel is more than this many levels off


def band_mask(room: Room, width: int, height: int) -> np.ndarray:
    """Boolean (height, width): the equirect pixels whose centres the room's projectors light."""
    pitch = y_to_pitch(np.arange(height) + 0.5, height)
    mask = np.zeros((height, width), dtype=bool)
    for col, yaw in enumerate(x_to_yaw(np.arange(width) + 0.5, width)):
        band = room.lit_band(float(yaw))
        if band is not None:
            mask[:, col] = (pitch >= band[0]) & (pitch <= band[1])
    return mask


def background_rgb(theme: Theme) -> np.ndarray:
    """The theme's background colour as three 0..255 levels (any colour a theme may give)."""
    return np.array(rgb255(theme.background), dtype=np.int16)


def band_usage(frame: np.ndarray, room: Room, background: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Share (0..1) of the lit band whose pixels differ from `background` by more than LIT_TOLERANCE."""
    height, width = frame.shape[:2]
    mask = band_mask(room, width, height) if mask is None else mask
    differs = (np.abs(frame[..., :3].astype(np.int16) - background) > LIT_TOLERANCE).any(axis=2)
    return float((differs & mask).sum() / max(1, mask.sum()))
