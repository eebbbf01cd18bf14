"""A report page's arrangement mapped onto the room's walls, not shrunk onto one.

Left to right on the page becomes yaw round the room, the page's middle on the presenter's
front; top to bottom becomes pitch within the lit band.  The visuals' own extent (not the
page's margins) is stretched over the yaws the room lights (most of a ring, the front of a
front wall), so they use the walls; each visual keeps its share of it.  A visual is then grown
to the least a panel of its kind needs to be legible (a chart's axis labels, a card's number),
moved off a blend zone when its title would start in one, kept inside the band, and, where its
content grows with it, made taller into the free band around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.render.checks import blend_zones
from bridge.render.placement import walls

if TYPE_CHECKING:
    from bridge.room.model import Room

EDGE_DEG = 4.0  # left free at the page's two ends (where they meet behind the viewer in a ring)
RING_SHARE = 0.8  # of a ring's circle a page's visuals span at most (the back is left dark)
MAX_STRETCH = 6.0  # a visual is made at most this many times wider, for its height, than on the page
GUTTER_DEG = 1.0  # taken off each visual's sides so neighbours on the page do not touch on the wall
MIN_HEIGHT = {"kpi": 9.0, "text": 5.0, "image": 6.0, "table": 14.0, "cards": 12.0, "gauge": 12.0}
DEFAULT_MIN_HEIGHT = 14.0  # a chart: title, plot and axis labels at the room's type sizes
MIN_WIDTH = {"kpi": 14.0, "text": 10.0, "image": 8.0}
DEFAULT_MIN_WIDTH = 22.0
FIXED_SIZE = {"image", "text"}  # kinds whose content does not grow with the panel: a taller card would only be empty
GROW = 2.5  # a visual grows at most to this many times its height into the free band above and below it
NO_ROOM_SHARE = 0.8  # a visual squeezed below this share of the height it needs is left out (and listed), not drawn illegibly


@dataclass(frozen=True)
class Box:
    """A visual's box on its page, in the page's pixels, and the panel type it becomes."""

    x: float
    y: float
    width: float
    height: float
    kind: str
    min_height: float = 0.0  # degrees its title and content need, found by the layout pass


@dataclass(frozen=True)
class Spot:
    yaw: float
    pitch: float
    width: float
    height: float


def page_spots(boxes: list[Box], page_width: float, page_height: float, room: Room) -> list[Spot | None]:
    """Where each box of a page goes round `room`, in the boxes' order; None for one the walls have no room for."""
    room_walls = walls(room)
    (start, end), = room.covered_yaws()[:1]
    full_ring = end - start >= 359.9
    centre = 0.0 if full_ring else (start + end) / 2
    span = 360.0 * RING_SHARE if full_ring else end - start - 2 * EDGE_DEG
    bottom, top = max(w.bottom for w in room_walls), min(w.top for w in room_walls)
    band = top - bottom
    zones = [(z0, z1) for z0, z1, _ in blend_zones(room)]
    floors = _floors(boxes, band)
    # The visuals' own extent, not the page's margins, is what is laid over the walls; a page of
    # one or two small visuals is not stretched round the room past MAX_STRETCH.
    x0, x1 = min((b.x for b in boxes), default=0.0), max((b.x + b.width for b in boxes), default=page_width)
    y0, y1 = min((b.y for b in boxes), default=0.0), max((b.y + b.height for b in boxes), default=page_height)
    wide, tall = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    span = min(span, wide * band / tall * MAX_STRETCH)
    spots = []
    for box, floor in zip(boxes, floors):
        width = max(box.width / wide * span - 2 * GUTTER_DEG, 1.0)
        height = max(box.height / tall * band - GUTTER_DEG, 1.0)
        yaw = centre - span / 2 + (box.x - x0 + box.width / 2) / wide * span
        pitch = top - (box.y - y0 + box.height / 2) / tall * band
        width = max(width, MIN_WIDTH.get(box.kind, DEFAULT_MIN_WIDTH))
        height = min(max(height, floor), band)
        if box.kind == "image":  # a picture keeps its shape: a wider card would only frame dark space
            width = min(width, height * box.width / box.height)
        pitch = min(max(pitch, bottom + height / 2), top - height / 2)
        yaw, width = _off_blend_zones(yaw, width, zones)
        spots.append(Spot(yaw, pitch, width, height))
    kinds = [b.kind for b in boxes]
    apart = _taller(_apart(spots, floors, kinds, bottom, top), kinds, bottom, top)
    return [Spot(round(_wrapped(s.yaw), 2), round(s.pitch, 2), round(s.width, 2), round(s.height, 2)) if s else None
            for s in apart]


def _floors(boxes: list[Box], band: float) -> list[float]:
    """The least height each visual needs, lowered where the visuals stacked above and below it on
    the page need more than the band holds, so a stack of small charts shares the band."""
    need = [max(MIN_HEIGHT.get(b.kind, DEFAULT_MIN_HEIGHT), b.min_height) for b in boxes]
    floors = []
    for box, own in zip(boxes, need):
        middle = box.x + box.width / 2  # the visuals this vertical line runs well inside of are stacked with it
        stack = sum(n + GUTTER_DEG for other, n in zip(boxes, need)
                    if other.x + 0.15 * other.width <= middle <= other.x + 0.85 * other.width)
        floors.append(own * min(1.0, band / stack) if stack else own)
    return floors


def _apart(spots: list[Spot], floors: list[float], kinds: list[str], bottom: float, top: float) -> list[Spot | None]:
    """Spots that overlap (visuals overlapping on the page, or grown to be legible) made to meet
    edge to edge, in page order: one beside an earlier spot gives up width; one above or below it
    moves away within the band, and gives up height (to its floor, then as far as it must) when
    the band has no more room."""
    placed: list[Spot | None] = []
    for first, floor, kind in zip(spots, floors, kinds):
        spot: Spot | None = first
        for other in placed:
            if spot is None or other is None:
                continue
            dx = (spot.width + other.width) / 2 + GUTTER_DEG - abs(spot.yaw - other.yaw)
            dy = (spot.height + other.height) / 2 + GUTTER_DEG / 2 - abs(spot.pitch - other.pitch)
            if dx <= 0 or dy <= 0:
                continue
            narrowest = min(MIN_WIDTH.get(kind, DEFAULT_MIN_WIDTH), spot.width)
            if dx / spot.width <= dy / spot.height and spot.width - dx >= narrowest:
                shift = dx if spot.yaw >= other.yaw else -dx
                spot = Spot(spot.yaw + shift / 2, spot.pitch, spot.width - dx, spot.height)
            else:
                spot = _below_or_above(spot, other, floor, bottom, top)
        placed.append(spot)
    return placed


def _taller(spots: list[Spot | None], kinds: list[str], bottom: float, top: float) -> list[Spot | None]:
    """Each spot whose content scales with it (not a picture, nor text) grown up and down into the
    free band around it, to GROW times its height at most: up to half the gap to the spot above
    or below it (the one beyond grows into the other half), or to the band's edge.  A page's
    white space stays on the page; the room's walls are lit."""
    grown: list[Spot | None] = []
    for k, (spot, kind) in enumerate(zip(spots, kinds)):
        if spot is None or kind in FIXED_SIZE:
            grown.append(spot)
            continue
        lo, hi = spot.pitch - spot.height / 2, spot.pitch + spot.height / 2
        new_lo, new_hi = bottom, top
        for j, other in enumerate(spots):
            if j == k or other is None or abs(spot.yaw - other.yaw) >= (spot.width + other.width) / 2:
                continue
            o_lo, o_hi = other.pitch - other.height / 2, other.pitch + other.height / 2
            if o_lo >= hi:
                new_hi = min(new_hi, (hi + o_lo) / 2 - GUTTER_DEG / 4)
            elif o_hi <= lo:
                new_lo = max(new_lo, (lo + o_hi) / 2 + GUTTER_DEG / 4)
        extra = spot.height * (GROW - 1)
        up, down = max(0.0, new_hi - hi), max(0.0, lo - new_lo)
        if up + down > extra:  # shared in proportion to the room on each side
            up, down = up * extra / (up + down), down * extra / (up + down)
        lo, hi = lo - down, hi + up
        grown.append(Spot(spot.yaw, (lo + hi) / 2, spot.width, hi - lo))
    return grown


def _below_or_above(spot: Spot, other: Spot, floor: float, bottom: float, top: float) -> Spot | None:
    """`spot` moved off `other` on the side it is on, shortened if the band ends first; None when
    that leaves it too low to be legible (no room for it on the walls)."""
    if spot.pitch <= other.pitch:
        room_top, room_bottom = other.pitch - other.height / 2 - GUTTER_DEG / 2, bottom
    else:
        room_top, room_bottom = top, other.pitch + other.height / 2 + GUTTER_DEG / 2
    height = min(spot.height, room_top - room_bottom)
    if height < min(floor, spot.height) * NO_ROOM_SHARE:
        return None
    pitch = room_top - height / 2 if spot.pitch <= other.pitch else room_bottom + height / 2
    return Spot(spot.yaw, pitch, spot.width, height)


def _off_blend_zones(yaw: float, width: float, zones: list[tuple[float, float]]) -> tuple[float, float]:
    """A panel whose left edge (where its title starts) lies in a blend zone starts just after it instead."""
    left = yaw - width / 2
    for z0, z1 in zones:
        for turn in (-360.0, 0.0, 360.0):
            if z0 + turn - 0.5 <= left + 1.2 <= z1 + turn + 0.5:
                shift = z1 + turn + 0.6 - left
                return yaw + shift / 2, max(width - shift, 6.0)
    return yaw, width


def _wrapped(yaw: float) -> float:
    return (yaw + 180.0) % 360.0 - 180.0
