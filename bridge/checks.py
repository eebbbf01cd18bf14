"""Room-aware checks of a briefing: what would read badly on the walls.

Blend zones are where two projectors overlap and cross-fade; a title or a KPI's number
laid across one shows any misalignment at its worst, so `bridge validate` warns about it.
"""

from __future__ import annotations

from bridge.errors import Problem
from bridge.room import Room, wrap_yaw
from bridge.scene import Scene
from bridge.theme import DEFAULT_THEME, Theme
from bridge.yaml_source import YamlDocument


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
