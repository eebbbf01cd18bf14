"""Panels placed by Bridge: a panel that leaves out yaw, pitch, width and height is laid out on
the room's walls, so one scene reads well in the five-projector ring, the pentagon and a
three-projector front wall alike.

A wall is the part of the screen one projector shows outside its blend zones (a title laid
across a blend zone doubles, so panels keep off them); its height is the lit band there.  Each
step, in order, chooses walls for the placed-by-Bridge panels it shows for the first time: on
the walls its `layout:` names (every wall, the front walls, or given walls), the wall with the
fewest panels of the step, front walls first.  Then each wall is cut into a grid for all the
panels it ever holds, panels never shown together sharing a cell.  A panel has one place for
the whole briefing (one picture is drawn per panel), so nothing jumps between steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bridge.errors import BridgeError
from bridge.geometry import wrap_yaw

if TYPE_CHECKING:
    from bridge.room.model import Room
    from bridge.scene.model import Scene
    from bridge.scene.yaml_source import YamlDocument

GUTTER_DEG = 2.0  # between panels, and from a wall's edge
MARGIN_DEG = 1.5  # from the lit band's top and bottom
FRONT_DEG = 90.0  # a wall whose centre is within this of straight ahead is a front wall
MIN_FREE_SHARE = 0.4  # a wall with less than this share free is taken by the panels already on it

# Width over height each kind of panel reads best at (degrees of yaw per degree of pitch), and the
# largest height a small panel needs: a single number is lost on a whole wall.
ASPECT = {"map": 1.25, "extruded": 1.4, "table": 1.3, "kpi": 1.9, "text": 1.5, "image": 1.5, "points": 1.25,
          "gauge": 1.2, "donut": 1.5, "treemap": 1.5, "scatter": 1.3, "matrix": 1.2, "cards": 1.6}
DEFAULT_ASPECT = 1.6
TITLE_TEXT_ASPECT = 4.0  # a heading is a wide line
TITLE_TEXT_HEIGHT = 9.0  # a heading in title style: one or two lines of the largest type
MAX_HEIGHT = {"kpi": 20.0, "text": 26.0, "gauge": 24.0, "card": 22.0, "multirow_card": 26.0}


@dataclass(frozen=True)
class Wall:
    """A projector's own part of the screen: its number in the room profile (from 1), the yaws
    from `lo` to `hi` clockwise (lo may be below -180 where it crosses the back), the lit pitches."""

    number: int
    lo: float
    hi: float
    bottom: float
    top: float

    @property
    def centre(self) -> float:
        return wrap_yaw((self.lo + self.hi) / 2)


@dataclass(frozen=True)
class Place:
    yaw: float
    pitch: float
    width: float
    height: float


def walls(room: Room) -> list[Wall]:
    """Each projector's own part of the screen, left to right, with its lit band; displays of a
    video wall stacked one above another make one wall (numbered by the first of them)."""
    found: dict[tuple[float, float], Wall] = {}
    for number, projector in enumerate(room.projectors, start=1):
        left, right = room.neighbour_overlaps(projector)
        lo, hi = projector.yaw_min + left + GUTTER_DEG / 2, projector.yaw_max - right - GUTTER_DEG / 2
        if hi - lo < 5 or (round(lo, 3), round(hi, 3)) in found:
            continue
        bands = [band for k in range(9) if (band := room.lit_band(wrap_yaw(lo + (hi - lo) * k / 8))) is not None]
        if not bands:
            continue
        bottom, top = max(b for b, _ in bands) + MARGIN_DEG, min(t for _, t in bands) - MARGIN_DEG
        if top - bottom >= 5:
            found[(round(lo, 3), round(hi, 3))] = Wall(number, lo, hi, bottom, top)
    return sorted(found.values(), key=lambda w: w.centre)


def _numbering(room: Room, room_walls: list[Wall]) -> dict[int, Wall]:
    """Projector number (from 1) → the wall it lights."""
    by_number = {}
    for number, projector in enumerate(room.projectors, start=1):
        centre = wrap_yaw((projector.yaw_min + projector.yaw_max) / 2)
        wall = next((w for w in room_walls if any(w.lo - 1e-6 <= centre + turn <= w.hi + 1e-6 for turn in (-360, 0, 360))),
                    None)
        if wall is not None:
            by_number[number] = wall
    return by_number


def place_panels(scene: Scene, room: Room, doc: YamlDocument | None = None) -> Scene:
    """The scene with every panel Bridge places given its yaw, pitch, width and height in `room`;
    the scene itself when it places none."""
    if not any(panel.auto_placed for panel in scene.panels):
        return scene
    room_walls = walls(room)
    by_number = _numbering(room, room_walls)
    by_hand = [_yaws(p) for p in scene.panels if not p.auto_placed]
    free = {w.number: _free_stretch(w, by_hand) for w in room_walls}
    usable = [w for w in room_walls if free[w.number][2] >= MIN_FREE_SHARE] or room_walls
    index = {panel.id: i for i, panel in enumerate(scene.panels)}
    chosen: dict[str, tuple[int, ...]] = {}
    for s, step in enumerate(scene.steps):
        region = _region(scene, s, room_walls, by_number, doc)
        _choose_walls(scene, step.show, [w for w in region if w in usable] or region, chosen, by_number, doc)
    _choose_walls(scene, [p.id for p in scene.panels], usable, chosen, by_number, doc)  # panels no step shows
    places: dict[str, Place] = {}
    for numbers in dict.fromkeys(chosen.values()):
        group = [scene.panels[index[pid]] for pid in chosen if chosen[pid] == numbers]
        first, last = by_number[numbers[0]], by_number[numbers[-1]]
        lo, hi = free[first.number][:2] if len(numbers) == 1 else (first.lo, last.hi + 360 * (last.hi < first.lo))
        bottom, top = max(by_number[n].bottom for n in numbers), min(by_number[n].top for n in numbers)
        places.update(_grid(_slots(scene, group), lo, hi, bottom, top))
    panels = [panel.model_copy(update=vars(places[panel.id])) if panel.id in places else panel for panel in scene.panels]
    return scene.model_copy(update={"panels": panels})


def _choose_walls(scene: Scene, shown: list[str], region: list[Wall], chosen: dict[str, tuple[int, ...]],
                  by_number: dict[int, Wall], doc) -> None:
    """The walls of the panels Bridge places that `shown` brings in for the first time: those they
    ask for, else the region's wall with the fewest panels shown beside them, front walls first."""
    index = {panel.id: i for i, panel in enumerate(scene.panels)}
    front_first = sorted(region, key=lambda w: (abs(w.centre), -w.centre))
    for pid in shown:
        panel = scene.panels[index[pid]]
        if not panel.auto_placed or pid in chosen:
            continue
        named = _named_walls(panel, by_number, doc, ("panels", index[pid]))
        if named:
            chosen[pid] = named
            continue
        load = {w.number: sum(1 for other in shown if w.number in chosen.get(other, ())) for w in region}
        wall = min(front_first, key=lambda w: load[w.number])
        chosen[pid] = (wall.number,)


def _slots(scene: Scene, group: list) -> list[list]:
    """The panels sharing a stretch of wall, in cells: panels never shown in the same step may
    share a cell (each step sees one of them), so a wall is not cut up for panels never seen together."""
    together = [set(step.show) for step in scene.steps]
    slots: list[list] = []
    for panel in group:
        for slot in slots:
            if not any(panel.id in shown and other.id in shown for shown in together for other in slot):
                slot.append(panel)
                break
        else:
            slots.append([panel])
    return slots


def _region(scene: Scene, s: int, room_walls: list[Wall], by_number: dict[int, Wall], doc) -> list[Wall]:
    """The walls a step's layout uses: its own `layout:`, else the scene's (default: every wall)."""
    step = scene.steps[s]
    layout = step.layout if step.layout is not None else scene.layout
    here = ("steps", s, "layout") if step.layout is not None else ("layout",)
    if layout is None or layout == "fill":
        return room_walls
    if layout == "front":
        front = [w for w in room_walls if abs(w.centre) <= FRONT_DEG]
        return front or room_walls
    chosen = []
    for number in layout.walls:
        if number not in by_number:
            raise BridgeError(_problem(doc, here + ("walls",), _no_wall(number, by_number)))
        chosen.append(by_number[number])
    return sorted(chosen, key=lambda w: w.centre)


def _no_wall(number: int, by_number: dict[int, Wall]) -> str:
    return (f"wall {number} is not a wall of this room: it has walls {', '.join(map(str, sorted(by_number)))} "
            "(one per projector, numbered in the room profile's order)")


def _problem(doc, key_path: tuple, message: str):
    return doc.problem(key_path, message) if doc is not None else message


def _yaws(panel) -> tuple[float, float]:
    return panel.yaw - panel.width / 2, panel.yaw + panel.width / 2


def _free_stretch(wall: Wall, taken: list[tuple[float, float]]) -> tuple[float, float, float]:
    """The widest stretch of a wall that panels placed by hand leave free: (lo, hi, share of the wall)."""
    cuts = sorted((lo, hi) for a, b in taken for lo, hi in _unwrapped(a, b, wall))
    best, start = (wall.lo, wall.lo), wall.lo
    for lo, hi in cuts:
        if lo - GUTTER_DEG - start > best[1] - best[0]:
            best = (start, lo - GUTTER_DEG)
        start = max(start, hi + GUTTER_DEG)
    if wall.hi - start > best[1] - best[0]:
        best = (start, wall.hi)
    return best[0], best[1], max(0.0, best[1] - best[0]) / (wall.hi - wall.lo)


def _unwrapped(a: float, b: float, wall: Wall) -> list[tuple[float, float]]:
    """A panel's yaws shifted by whole turns to where they meet the wall, if they do."""
    found = []
    for turn in (-360.0, 0.0, 360.0):
        lo, hi = a + turn, b + turn
        if hi > wall.lo and lo < wall.hi:
            found.append((lo, hi))
    return found


def _named_walls(panel, by_number: dict[int, Wall], doc, here: tuple) -> tuple[int, ...]:
    """The walls a panel asks for (`wall: 2`, or `span: [2, 3]` walls 2 to 3 clockwise), checked
    against the room; as the walls' own numbers (a video wall's stacked displays are one wall)."""
    if panel.wall is None and panel.span is None:
        return ()
    asked = (panel.wall, panel.wall) if panel.wall is not None else panel.span
    for number in asked:
        if number not in by_number:
            raise BridgeError(_problem(doc, here + ("wall" if panel.wall is not None else "span",), _no_wall(number, by_number)))
    ring = sorted(dict.fromkeys(w.number for w in sorted(by_number.values(), key=lambda w: w.centre)),
                  key=lambda n: next(w.centre for w in by_number.values() if w.number == n))
    i, j = ring.index(by_number[asked[0]].number), ring.index(by_number[asked[1]].number)
    return tuple(ring[i:j + 1] if i <= j else ring[i:] + ring[:j + 1])


def _grid(slots: list[list], lo: float, hi: float, bottom: float, top: float) -> dict[str, Place]:
    """Cells in rows and columns on one stretch of wall: the grid whose cells best suit the panels' shapes."""
    panels = [slot[0] for slot in slots]
    n, width, height = len(slots), hi - lo, top - bottom
    best: tuple[float, int, int] | None = None
    for rows in range(1, n + 1):
        cols = math.ceil(n / rows)
        cell_w, cell_h = (width - (cols - 1) * GUTTER_DEG) / cols, (height - (rows - 1) * GUTTER_DEG) / rows
        if cell_w < 4 or cell_h < 4:
            continue
        misfit = sum(abs(math.log(cell_w / cell_h / _aspect(p))) for p in panels)
        if best is None or misfit < best[0]:
            best = (misfit, rows, cols)
    rows, cols = (best[1], best[2]) if best else (1, n)
    cell_w = max(1.0, (width - (cols - 1) * GUTTER_DEG) / cols)
    cell_h = max(1.0, (height - (rows - 1) * GUTTER_DEG) / rows)
    places = {}
    for k, slot in enumerate(slots):
        row, col = divmod(k, cols)
        yaw = lo + col * (cell_w + GUTTER_DEG) + cell_w / 2
        pitch = top - row * (cell_h + GUTTER_DEG) - cell_h / 2
        for panel in slot:
            w, h = _fitted(panel, cell_w, cell_h)
            places[panel.id] = Place(round(wrap_yaw(yaw), 2), round(pitch, 2), round(w, 2), round(h, 2))
    return places


def _aspect(panel: Any) -> float:
    if getattr(panel, "style", None) == "title":
        return TITLE_TEXT_ASPECT
    return ASPECT.get(panel.type, DEFAULT_ASPECT)


def _fitted(panel: Any, cell_w: float, cell_h: float) -> tuple[float, float]:
    """The panel's size in its cell: the cell, narrowed or lowered to at most 1.6× the panel's
    best shape either way, and no taller than a small panel needs."""
    aspect = _aspect(panel)
    highest = TITLE_TEXT_HEIGHT if getattr(panel, "style", None) == "title" else MAX_HEIGHT.get(panel.type, cell_h)
    h = min(cell_h, highest, cell_w / aspect * 1.6)
    w = min(cell_w, h * aspect * 1.6)
    return w, h
