"""Room-aware checks of a briefing: what would read badly on the walls.

Blend zones are where two projectors overlap and cross-fade; a title or a KPI's number
laid across one shows any misalignment at its worst, so `bridge validate` warns about it.
The room lights only a band of pitch (about −28°..+15° in the default room), and a room that
does not go all the way round (a front wall, a video wall) only some yaws; a panel that reaches
beyond them loses its top (the title), bottom or sides on the walls, so that is warned too, and
a panel no projector shows at all is not drawn (`unlit_panels`).
"""

from __future__ import annotations

import math

from bridge.errors import Problem
from bridge.geometry import panel_extent, wrap_yaw
from bridge.room.model import Room
from bridge.scene.model import Scene
from bridge.scene.yaml_source import YamlDocument
from bridge.theme import DEFAULT_THEME, Theme


def blend_zones(room: Room) -> list[tuple[float, float, str]]:
    """(start yaw, end yaw, description) of every overlap, start < end, unwrapped from start."""
    return [(wrap_yaw(b.yaw_min), wrap_yaw(b.yaw_min) + shared, f"projectors {a.number} and {b.number}")
            for a, b, shared in room.neighbours() if shared > 0]


def _crosses(y0: float, y1: float, zone: tuple[float, float, str]) -> bool:
    """Does the yaw interval [y0, y1] meet the zone, allowing for wrap-around?"""
    z0, z1, _ = zone
    for shift in (-360, 0, 360):
        if y0 < z1 + shift and y1 > z0 + shift:
            return True
    return False


def seam_warnings(scene: Scene, doc: YamlDocument, room: Room, theme: Theme = DEFAULT_THEME) -> list[Problem]:
    """Titles, KPI numbers (whatever each panel type says must stay whole) that cross a blend zone."""
    warnings = []
    zones = blend_zones(room)
    for i, panel in enumerate(scene.panels):
        for what, y0, y1 in panel.seam_parts(theme):
            for zone in zones:
                if _crosses(y0, y1, zone):
                    warnings.append(doc.problem(("panels", i, "yaw"),
                        f"'{panel.id}': {what} (yaw {wrap_yaw(y0):.0f}°..{wrap_yaw(y1):.0f}°) crosses the blend zone of "
                        f"{zone[2]} ({wrap_yaw(zone[0]):.0f}°..{wrap_yaw(zone[1]):.0f}°); move the panel's yaw or narrow it"))
                    break
    return warnings


def lit_band(room: Room, yaw: float) -> tuple[float, float] | None:
    """(lowest, highest) pitch the room lights at `yaw`, over the projectors that cover it."""
    return room.lit_band(yaw)


def lit_yaws(room: Room, y0: float, y1: float) -> tuple[float, float, float, float] | None:
    """(start, end) of the yaws the room lights that meet [y0, y1] most, moved by a turn to meet
    it, and (lit start, lit end): the part of [y0, y1] inside them; None where none is lit."""
    best = None
    for start, end in room.covered_yaws():
        if end - start >= 360:  # all round
            return y0, y0 + 360, y0, y1
        for shift in (-360, 0, 360):
            lo, hi = max(y0, start + shift), min(y1, end + shift)
            if hi > lo and (best is None or hi - lo > best[3] - best[2]):
                best = (start + shift, end + shift, lo, hi)
    return best


def _bands(room: Room, y0: float, y1: float) -> list[tuple[float, float]]:
    """The lit band sampled every 2° or so from y0 to y1, ends included."""
    steps = max(2, int((y1 - y0) // 2))
    return [b for k in range(steps + 1) if (b := room.lit_band(y0 + (y1 - y0) * k / steps)) is not None]


def unlit_panels(scene: Scene, doc: YamlDocument, room: Room) -> dict[str, Problem]:
    """The panels no projector shows any of (wholly outside the yaws the room lights, or above or
    below its lit band all along), each with a warning that says so: renders skip them."""
    found = {}
    for i, panel in enumerate(scene.panels):
        y0, y1, p0, p1 = panel_extent(panel.yaw, panel.pitch, panel.width, panel.height)
        lit = lit_yaws(room, y0, y1)
        bands = _bands(room, lit[2], lit[3]) if lit else []
        if not any(p0 < hi + 0.5 and p1 > lo - 0.5 for lo, hi in bands):
            fix = (_into_lit(panel, room) if not bands else
                   _unlit(panel, max(b[0] for b in bands), min(b[1] for b in bands)))
            found[panel.id] = doc.problem(("panels", i, "pitch" if bands else "yaw"),
                                          f"'{panel.id}' is not drawn: no projector of {room.name} shows any of it; {fix}")
    return found


def _into_lit(panel, room: Room, lit: tuple[float, float, float, float] | None = None) -> str:
    """How to bring a panel into the yaws the room lights: where to move it (or how far to narrow it)."""
    if lit is None:  # wholly outside: the lit range nearest to it
        start, end = min(((s + k, e + k) for s, e in room.covered_yaws() for k in (-360, 0, 360)),
                         key=lambda r: min(abs(panel.yaw - r[0]), abs(panel.yaw - r[1])))
    else:
        start, end = lit[:2]
    shown = "" if lit else f"it lights yaw {wrap_yaw(start):.0f}°..{wrap_yaw(start) + end - start:.0f}°: "
    if panel.width > end - start:
        return (f"{shown}narrow it to {math.floor(end - start)}° or less and set its yaw to "
                f"{wrap_yaw((start + end) / 2):.0f}°")
    if panel.yaw - panel.width / 2 < start:
        return f"{shown}move its yaw to {wrap_yaw(math.ceil(start + panel.width / 2)):.0f}° or more"
    return f"{shown}move its yaw to {wrap_yaw(math.floor(end - panel.width / 2)):.0f}° or less"


def lit_warnings(scene: Scene, doc: YamlDocument, room: Room) -> list[Problem]:
    """Panels wholly or partly outside the yaws the room lights, and panels that reach above or
    below the band of pitch it lights there (their edge is lost)."""
    warnings = []
    for i, panel in enumerate(scene.panels):
        y0, y1 = panel.yaw - panel.width / 2, panel.yaw + panel.width / 2
        lit = lit_yaws(room, y0, y1)
        reach = f"yaw {wrap_yaw(y0):.0f}°..{wrap_yaw(y0) + panel.width:.0f}°"
        if lit is None:
            warnings.append(doc.problem(("panels", i, "yaw"), f"'{panel.id}' is where no projector of {room.name} "
                                                              f"shines ({reach}); {_into_lit(panel, room)}"))
            continue
        dark = [f"its {side} {cut:.1f}°" for side, cut in (("left", lit[2] - y0), ("right", y1 - lit[3])) if cut > 0.5]
        if dark:
            warnings.append(doc.problem(("panels", i, "yaw"),
                f"'{panel.id}' reaches {reach} but {room.name} lights "
                f"yaw {wrap_yaw(lit[0]):.0f}°..{wrap_yaw(lit[0]) + lit[1] - lit[0]:.0f}° only: "
                f"{' and '.join(dark)} will not be seen; {_into_lit(panel, room, lit)}"))
        bands = _bands(room, lit[2], lit[3])
        if not bands:  # a sliver at the lit range's very edge
            continue
        lit_top, lit_bottom = min(b[1] for b in bands), max(b[0] for b in bands)
        lost = _unlit(panel, lit_bottom, lit_top)
        if lost:
            top, bottom = panel.pitch + panel.height / 2, panel.pitch - panel.height / 2
            warnings.append(doc.problem(("panels", i, "pitch"),
                f"'{panel.id}' reaches pitch {bottom:.0f}°..{top:.0f}° but {room.name} lights {lit_bottom:.0f}°..{lit_top:.0f}° "
                f"there: {lost}"))
    return warnings


def _unlit(panel, lit_bottom: float, lit_top: float) -> str | None:
    """What of the panel the room leaves dark and how to fix it, or None if it is lit.

    A panel wholly outside the band is said to be so (with how far to move it): counting the
    degrees past the band's edge would name more than the panel has."""
    top, bottom = panel.pitch + panel.height / 2, panel.pitch - panel.height / 2
    band = lit_top - lit_bottom
    if bottom >= lit_top or top <= lit_bottom:
        above = bottom >= lit_top
        where = f"it is wholly {'above' if above else 'below'} the lit band, so none of it will be seen"
        if panel.height > band:
            return (f"{where}; it is also taller than the {band:.0f}° lit there: reduce its height to "
                    f"{math.floor(band)}° or less and set its pitch to {(lit_top + lit_bottom) / 2:.0f}°")
        if above:
            return (f"{where}; lower its pitch by at least {math.ceil(top - lit_top)}° "
                    f"(to {math.floor(lit_top - panel.height / 2)}° or less)")
        return (f"{where}; raise its pitch by at least {math.ceil(lit_bottom - bottom)}° "
                f"(to {math.ceil(lit_bottom + panel.height / 2)}° or more)")
    lost, fix = [], []
    if top > lit_top + 0.5:
        title = ", where its title is" if panel.title else ""
        lost.append(f"its top {top - lit_top:.1f}° (above {lit_top:.0f}°{title})")
        fix.append("lower its pitch")
    if bottom < lit_bottom - 0.5:
        lost.append(f"its bottom {lit_bottom - bottom:.1f}° (below {lit_bottom:.0f}°)")
        fix.append("raise its pitch")
    if not lost:
        return None
    fix = ["reduce its height"] if len(fix) == 2 else fix + ["or reduce its height"]
    return f"{' and '.join(lost)} will not be seen; {' '.join(fix)}"


def overlap_warnings(scene: Scene, doc: YamlDocument) -> list[Problem]:
    """Two panels a step shows that cover the same part of the wall: one hides the other."""
    found = []
    boxes = {p.id: panel_extent(p.yaw, p.pitch, p.width, p.height) for p in scene.panels}
    for s, step in enumerate(scene.steps):
        shown = [pid for pid in dict.fromkeys(step.show) if pid in boxes]
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                ay0, ay1, ap0, ap1 = boxes[a]
                by0, by1, bp0, bp1 = boxes[b]
                tall = min(ap1, bp1) - max(ap0, bp0)
                wide = max(min(ay1, by1 + shift) - max(ay0, by0 + shift) for shift in (-360, 0, 360))
                if tall > 0.5 and wide > 0.5:
                    found.append(doc.problem(("steps", s, "show"),
                                             f"'{a}' and '{b}' overlap by {wide:.0f}°×{tall:.0f}° on the wall "
                                             "in this step: one hides the other; "
                                             "move one (yaw, pitch) or show them in different steps"))
    return found
