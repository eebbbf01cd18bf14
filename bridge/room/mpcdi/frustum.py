"""The 3d profile's frustum: what a region's (u, v) shows, and the frustum that holds a projector's pixels.

A frustum (VESA MPCDI v2.0 §2.2.1) is a pinhole view from the viewer's eye: its yaw, pitch and
roll turn the viewer's head (yaw to the right first, then pitch up, then roll clockwise: the
right side down), and its left, right, up and down angles bound the picture.  The warp's (u, v)
is a point in that picture, (0, 0) at its bottom-left, "the same as OpenGL UV mapping" (§3.6.2).

Export keeps a projector's orientation: the frustum is turned as the projector's own pixels
say (its columns fan out round its up axis, its rows round its right axis), so a pitched or
rolled frustum comes back pitched and rolled rather than folded into the warp.
"""

from __future__ import annotations

import math

import numpy as np

from bridge.errors import BridgeError, Problem
from bridge.geometry import direction_to_yaw_pitch, mean_yaw

FRUSTUM_KEYS = ("yaw", "pitch", "roll", "leftAngle", "rightAngle", "upAngle", "downAngle")
_MAX_TAN = 57.0  # tan 89°: a picture reaching further than this from its axis is no pinhole view


def rotate(right, up, forward, yaw: float, pitch: float, roll: float) -> tuple[np.ndarray, np.ndarray]:
    """Directions in a frustum's frame turned by its roll, pitch and yaw to Bridge's yaw and pitch."""
    r, u, f = _turn(right, up, forward, yaw, pitch, roll)
    return direction_to_yaw_pitch(r, f, u)


def _turn(right, up, forward, yaw: float, pitch: float, roll: float):
    """(right, up, forward) components in the world of vectors given in the frustum's frame."""
    ro, pi, ya = (math.radians(a) for a in (roll, pitch, yaw))
    r = right * math.cos(ro) + up * math.sin(ro)
    u = -right * math.sin(ro) + up * math.cos(ro)
    f = forward
    u, f = u * math.cos(pi) + f * math.sin(pi), f * math.cos(pi) - u * math.sin(pi)
    r, f = r * math.cos(ya) + f * math.sin(ya), f * math.cos(ya) - r * math.sin(ya)
    return r, u, f


def frustum_directions(frustum: dict[str, float], u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(yaw, pitch) seen at (u, v) of a frustum's picture, v = 0 at its bottom."""
    t_l, t_r = math.tan(math.radians(frustum["leftAngle"])), math.tan(math.radians(frustum["rightAngle"]))
    t_d, t_u = math.tan(math.radians(frustum["downAngle"])), math.tan(math.radians(frustum["upAngle"]))
    right = t_l + u * (t_r - t_l)
    up = t_d + v * (t_u - t_d)
    return rotate(right, up, np.ones_like(right), frustum["yaw"], frustum["pitch"], frustum["roll"])


def frustum_for_pixels(p, yaw: np.ndarray, pitch: np.ndarray, room) -> tuple[dict, np.ndarray]:
    """A frustum just holding every pixel's direction, and each pixel's (u, v, 0) in it (v = 0 at the bottom).

    A projector with a warp map is turned as its pixels say (see the module's docstring); one
    with Bridge's own geometry looks level along its centre yaw, as its columns do."""
    world = _unit_vectors(yaw, pitch)
    axes = _axes_of(world) if p.warp_map is not None else None
    if axes is None:
        # Bridge's own geometry: level, along the projector's centre yaw (or a wall's normal, straight ahead).
        centre = mean_yaw(yaw) if p.warp_map is not None else 0.0 if room.screen.shape == "wall" else p.yaw_centre
        axes = np.array([_turn(a, b, c, centre, 0.0, 0.0) for a, b, c in np.eye(3)])
    r, u, f = (world @ axis for axis in axes)
    del world
    where = f"projectors[{p.number - 1}]"
    if not np.nanmin(f) > math.cos(math.radians(89.5)):
        widest = math.degrees(math.acos(max(-1.0, float(np.nanmin(f)))))
        raise BridgeError(Problem(room.source, None, where,
                                  f"{p.name} sees {widest:.1f}° from its centre; a 3d frustum (one pinhole view) must "
                                  f"stay within 89.5° of it: export this room with --profile 2d or a3"))
    right, up = r / f, u / f
    if np.nanmax(np.abs(up)) >= _MAX_TAN or np.nanmax(np.abs(right)) >= _MAX_TAN:
        raise BridgeError(Problem(room.source, None, where, f"{p.name} looks too near straight up or down for a 3d "
                                                            f"frustum: export with --profile 2d or a3"))
    # Out to the pixels' edges (half a step past the outermost centres): no pixel sits on the
    # picture's corner, whose (0, 0) readers such as nDisplay take for an unset point.
    half_u = _half_step(right, 1) if p.width > 1 else 1e-3
    half_v = _half_step(up, 0) if p.height > 1 else 1e-3
    frustum = dict(zip(("yaw", "pitch", "roll"), _angles(axes)))
    frustum.update({"leftAngle": math.degrees(math.atan(np.nanmin(right) - half_u)),
                    "rightAngle": math.degrees(math.atan(np.nanmax(right) + half_u)),
                    "upAngle": math.degrees(math.atan(np.nanmax(up) + half_v)),
                    "downAngle": math.degrees(math.atan(np.nanmin(up) - half_v))})
    # The angles as written (and read back): the warp is measured against exactly them.
    t_l, t_r = math.tan(math.radians(frustum["leftAngle"])), math.tan(math.radians(frustum["rightAngle"]))
    t_d, t_u = math.tan(math.radians(frustum["downAngle"])), math.tan(math.radians(frustum["upAngle"]))
    u_out = (right - t_l) / (t_r - t_l)
    v_out = (up - t_d) / (t_u - t_d)
    return frustum, np.dstack([u_out, v_out, np.zeros_like(u_out)])


def _half_step(tangent: np.ndarray, axis: int) -> float:
    steps = np.abs(np.diff(tangent, axis=axis))
    steps = steps[np.isfinite(steps)]
    return float(np.median(steps)) / 2 if steps.size else 1e-3


def _angles(axes: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch and roll (degrees) of a frame given as its right, up and forward axes in the world."""
    right, _, forward = axes
    yaw = math.degrees(math.atan2(forward[0], forward[2]))
    pitch = math.degrees(math.asin(float(np.clip(forward[1], -1, 1))))
    level_right = np.array(_turn(1.0, 0.0, 0.0, yaw, pitch, 0.0))
    level_up = np.array(_turn(0.0, 1.0, 0.0, yaw, pitch, 0.0))
    roll = math.degrees(math.atan2(-float(right @ level_up), float(right @ level_right)))
    return yaw + 0.0, pitch + 0.0, roll + 0.0  # never -0.0 in the XML


def _unit_vectors(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """(…, 3) directions as (right, up, forward) in the world, from yaw and pitch in degrees."""
    ry, rp = np.radians(yaw), np.radians(pitch)
    return np.stack([np.cos(rp) * np.sin(ry), np.sin(rp), np.cos(rp) * np.cos(ry)], axis=-1)


def _axes_of(world: np.ndarray) -> np.ndarray | None:
    """The right, up and forward axes of the pinhole a projector's pixels look through, or None.

    Each column of a pinhole's pixels lies in a plane through the eye holding its up axis, and
    each row in one holding its right axis: the axis is what all those planes share."""
    lit = np.isfinite(world).all(axis=2)
    up = _shared_axis(world, lit)
    right = _shared_axis(np.swapaxes(world, 0, 1), lit.T)
    if up is None or right is None:
        return None
    mean = np.nanmean(world[lit], axis=0)
    rows = [r for r in range(world.shape[0]) if lit[r].sum() >= 2]
    cols = [c for c in range(world.shape[1]) if lit[:, c].sum() >= 2]
    if (world[rows[0]][lit[rows[0]]].mean(axis=0) - world[rows[-1]][lit[rows[-1]]].mean(axis=0)) @ up < 0:
        up = -up  # towards the top row
    if (world[:, cols[-1]][lit[:, cols[-1]]].mean(axis=0) - world[:, cols[0]][lit[:, cols[0]]].mean(axis=0)) @ right < 0:
        right = -right  # towards the last column
    right = right - (right @ up) * up
    right /= np.linalg.norm(right)
    forward = np.cross(right, up)
    if forward @ mean < 0:  # a mirrored projector: the warp runs right to left in a frustum that looks ahead
        right, forward = -right, -forward
    return np.array([right, up, forward])


def _shared_axis(world: np.ndarray, lit: np.ndarray) -> np.ndarray | None:
    """The unit vector lying in the planes through the eye of (up to 64 of) the columns, if they fan out."""
    count = world.shape[1]
    normals = []
    for c in np.unique(np.linspace(0, count - 1, min(count, 64)).round().astype(int)):
        points = world[lit[:, c], c]
        if len(points) >= 3:
            normals.append(np.linalg.svd(points, full_matrices=False)[2][-1])
        elif len(points) == 2:
            n = np.cross(points[0], points[-1])
            if np.linalg.norm(n) > 1e-9:
                normals.append(n / np.linalg.norm(n))
    if len(normals) < 2:
        return None
    _, s, vt = np.linalg.svd(np.asarray(normals), full_matrices=False)
    if len(s) < 3 or s[1] < 1e-3 * s[0]:  # the planes barely turn: their common axis is not found
        return None
    return vt[-1]
