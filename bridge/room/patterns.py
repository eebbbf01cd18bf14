"""Test patterns an operator uses to align a room, drawn as equirectangular frames.

Each pattern is drawn once in the 360° frame and goes through the same compositor as a
briefing, so what the projectors show is exactly what a scene would get:

- grid: lines every 10° of yaw and pitch, brighter every 30°, labelled in degrees.  Lines
  must run on unbroken across projector boundaries; a step or a double line is misalignment.
- blend: a flat white field.  In the overlaps the wall must be neither brighter nor darker.
- ids: each projector's number, large, at its centre, and its coverage edges in its colour.
- colour: colour bars and a 16-step grey ramp in each projector's own region.

Labels and boxes go where the room lights: at each yaw within its lit band (a room may cover
part of the circle, and a wall's displays may be stacked), each projector's within its own.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bridge.geometry import pitch_to_y, wrap_yaw, yaw_to_x
from bridge.room.model import Room

PATTERNS = ("grid", "blend", "ids", "colour")
_COLOURS = [(255, 99, 71), (60, 179, 113), (65, 105, 225), (238, 201, 0), (186, 85, 211),
            (0, 206, 209), (255, 140, 0), (240, 240, 240)]
_BARS = [(235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16), (235, 16, 235), (235, 16, 16), (16, 16, 235),
         (16, 16, 16)]


def font(px: float) -> ImageFont.FreeTypeFont:
    from matplotlib import font_manager

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans:bold"), max(6, int(px)))


def pattern_frame(name: str, room: Room, width: int, height: int) -> np.ndarray:
    """The equirectangular frame (height, width, 3) uint8 of one pattern."""
    drawers = {"grid": _grid, "blend": _blend, "ids": _ids, "colour": _colour}
    if name not in drawers:
        raise ValueError(f"unknown pattern '{name}'; use one of {', '.join(PATTERNS)}")
    image = Image.new("RGB", (width, height), (0, 0, 0))
    drawers[name](ImageDraw.Draw(image), room, width, height)
    return np.asarray(image).copy()


def _x(yaw, width) -> float:
    return float(yaw_to_x(wrap_yaw(yaw), width))


def _y(pitch, height) -> float:
    return float(pitch_to_y(pitch, height))


def _grid(draw: ImageDraw.ImageDraw, room: Room, width: int, height: int) -> None:
    ppd = width / 360
    thin, thick = max(1, round(0.12 * ppd)), max(2, round(0.25 * ppd))
    label = font(1.6 * ppd)
    for yaw in range(-180, 180, 10):
        major = yaw % 30 == 0
        x = _x(yaw, width)
        draw.line([(x, 0), (x, height)], fill=(0, 255, 255) if major else (0, 140, 140), width=thick if major else thin)
    for pitch in range(-80, 90, 10):
        major = pitch % 30 == 0
        y = _y(pitch, height)
        colour = (255, 255, 0) if pitch == 0 else ((255, 200, 0) if major else (140, 110, 0))
        draw.line([(0, y), (width, y)], fill=colour, width=thick if major or pitch == 0 else thin)
    for yaw in range(-180, 180, 10):
        band = room.lit_band(yaw + 1)  # the label sits just right of its line
        if band is None:
            continue
        lo, hi = band
        lines = range(int(np.ceil(lo / 10) * 10), int(np.floor(hi / 10) * 10) + 1, 10)
        if not lines:
            continue
        at = min(lines, key=abs)  # the yaw's label on the line nearest the horizon that is lit
        for pitch in lines:
            if pitch != at and yaw % 30:
                continue
            text = f"{yaw}°" if pitch == at else f"{pitch:+d}°"
            draw.text((_x(yaw, width) + 0.3 * ppd, _y(pitch, height) + 0.2 * ppd), text, fill=(255, 255, 255), font=label)


def _blend(draw: ImageDraw.ImageDraw, room: Room, width: int, height: int) -> None:
    draw.rectangle([(0, 0), (width, height)], fill=(255, 255, 255))


def _ids(draw: ImageDraw.ImageDraw, room: Room, width: int, height: int) -> None:
    ppd = width / 360
    small = font(2.5 * ppd)
    for p in room.projectors:
        colour = _COLOURS[(p.number - 1) % len(_COLOURS)]
        for edge in (p.yaw_min, p.yaw_max):
            lo, hi = p.pitch_band(edge) or (0.0, 0.0)
            x = _x(edge, width)
            draw.line([(x, _y(hi, height)), (x, _y(lo, height))], fill=colour, width=max(2, round(0.3 * ppd)))
        lo, hi = p.inner_band()
        cx, cy = _x(p.yaw_centre, width), _y((lo + hi) / 2, height)
        draw.text((cx, cy), str(p.number), fill=colour, font=font((hi - lo) * 0.45 * ppd), anchor="mm")
        draw.text((cx, cy + (hi - lo) * 0.3 * ppd), f"{p.name} · yaw {round(p.yaw_centre, 1):g}°", fill=colour, font=small,
                  anchor="mm")


def _colour(draw: ImageDraw.ImageDraw, room: Room, width: int, height: int) -> None:
    ppd = width / 360
    for p in room.projectors:
        lo, hi = p.inner_band()  # its own rows: a wall's displays may be stacked
        mid = (lo + hi) / 2
        left, _, right = _own_region(room, p)
        bar_w = (right - left) / len(_BARS)
        for k, colour in enumerate(_BARS):
            _box(draw, left + k * bar_w, left + (k + 1) * bar_w, mid, hi - 0.1 * (hi - lo), colour, width, height)
        steps = 16
        step_w = (right - left) / steps
        for k in range(steps):
            grey = round(k * 255 / (steps - 1))
            _box(draw, left + k * step_w, left + (k + 1) * step_w, lo + 0.1 * (hi - lo), mid, (grey,) * 3, width, height)
        draw.text((_x(p.yaw_centre, width), _y(hi - 0.05 * (hi - lo), height)), f"{p.number}",
                  fill=(255, 255, 255), font=font(2 * ppd), anchor="mm")


def _own_region(room: Room, p) -> tuple[float, float, float]:
    """The yaw range a projector shows alone (its overlaps trimmed), with its centre."""
    left_overlap, right_overlap = room.neighbour_overlaps(p)
    return p.yaw_min + left_overlap, p.yaw_centre, p.yaw_max - right_overlap


def _box(draw, yaw0, yaw1, pitch0, pitch1, colour, width, height):
    """A filled yaw/pitch box, split in two if it crosses ±180°."""
    x0, x1 = _x(yaw0, width), _x(yaw1, width)
    y0, y1 = _y(pitch1, height), _y(pitch0, height)
    if x1 >= x0:
        draw.rectangle([(x0, y0), (x1, y1)], fill=colour)
    else:
        draw.rectangle([(x0, y0), (width, y1)], fill=colour)
        draw.rectangle([(0, y0), (x1, y1)], fill=colour)
