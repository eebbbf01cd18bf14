"""Room-aware checks of a briefing: what would read badly on the walls.

Blend zones are where two projectors overlap and cross-fade; a title or a KPI's number
laid across one shows any misalignment at its worst, so `bridge validate` warns about it.
The room lights only a band of pitch (about −28°..+15° in the default room); a panel that
reaches beyond it loses its top (the title) or bottom on the walls, so that is warned too.
"""

from __future__ import annotations

import math

from bridge.errors import Problem
from bridge.geometry import wrap_yaw
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
    band = None
    for p in room.projectors:
        offset = (yaw - p.yaw_min) % 360
        if offset > p.span:
            continue
        # A flat wall is lit to the same height everywhere, so its edges are seen at a lower pitch.
        shrink = math.cos(math.radians(yaw - (p.yaw_min + p.span / 2))) if p.shape == "flat" else 1.0
        lo, hi = math.degrees(math.atan(p.bottom * shrink)), math.degrees(math.atan(p.top * shrink))
        band = (lo, hi) if band is None else (min(band[0], lo), max(band[1], hi))
    return band


def lit_warnings(scene: Scene, doc: YamlDocument, room: Room) -> list[Problem]:
    """Panels that reach above or below the band of pitch the room lights (their edge is lost)."""
    warnings = []
    for i, panel in enumerate(scene.panels):
        steps = max(2, int(panel.width // 2))
        sampled = [lit_band(room, panel.yaw - panel.width / 2 + panel.width * k / steps) for k in range(steps + 1)]
        bands = [b for b in sampled if b is not None]
        if not bands:
            warnings.append(doc.problem(("panels", i, "yaw"), f"'{panel.id}' is where no projector of {room.name} shines"))
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
    from bridge.geometry import panel_extent

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
