"""How fast is a full room frame: 8192×4096 equirectangular in, five 1920×1200 projector images out?

Measured in one run, on the same frame:
  cylinder      Bridge's CPU compositor, default room (curved wall), bilinear + blended
  flat          Bridge's CPU compositor, pentagon room (five flat walls), bilinear + blended
  py360convert  py360convert.e2p for the same five flat views, called as its users call it
  cv2_remap     a bare cv2.remap (float maps, bilinear) over the flat room's lookup, no blending
  floor         copying the five output images once (the memory-bandwidth floor)
Prints a table and writes bench/results/compositor.json.  Run: .venv/bin/python bench/compositor.py
"""

from __future__ import annotations

import argparse
import math
import os

import cv2
import numpy as np

from _common import timed, write_result
from bridge.room.compositor import Compositor
from bridge.room.load import load_room

W, H = 8192, 4096


def test_frame() -> np.ndarray:
    yaw, pitch = np.meshgrid(np.linspace(-np.pi, np.pi, W, endpoint=False, dtype=np.float32),
                             np.linspace(np.pi / 2, -np.pi / 2, H, dtype=np.float32))
    noise = np.random.default_rng(0).integers(0, 40, (H, W), dtype=np.uint8).astype(np.float32)
    r = 110 + 90 * np.sin(3 * yaw) * np.cos(pitch) + noise
    g = 110 + 90 * np.cos(5 * pitch + yaw) + noise
    b = 110 + 80 * np.sin(40 * yaw + 20 * pitch) + noise
    return np.clip(np.dstack([r, g, b]), 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--peer-repeat", type=int, default=5, help="repeats for py360convert (slow)")
    args = parser.parse_args()
    frame = test_frame()
    cylinder_room, flat_room = load_room("bridge"), load_room("pentagon")
    cylinder = Compositor(cylinder_room, W, H)
    flat = Compositor(flat_room, W, H)
    results: dict[str, float] = {}

    out = cylinder.split(frame)
    _, _, results["cylinder_ms"] = timed(lambda: cylinder.split(frame, out), args.repeat)
    out = flat.split(frame)
    _, _, results["flat_ms"] = timed(lambda: flat.split(frame, out), args.repeat)

    maps = [(lut.map_x, lut.map_y) for lut in flat.lookups]
    bare = [np.empty_like(o) for o in out]
    _, _, results["cv2_remap_ms"] = timed(
        lambda: [cv2.remap(frame, mx, my, cv2.INTER_LINEAR, dst=d, borderMode=cv2.BORDER_WRAP)
                 for (mx, my), d in zip(maps, bare)],
        args.repeat)

    try:
        import py360convert
    except ImportError:
        py360convert = None
    if py360convert is not None:
        screen = flat_room.screen
        vfov = 2 * math.degrees(math.atan(screen.height_m / 2 / screen.distance_m))
        views = [(p.yaw_centre, (p.height, p.width)) for p in flat_room.projectors]
        _, _, results["py360convert_ms"] = timed(
            lambda: [py360convert.e2p(frame, fov_deg=(84, vfov), u_deg=u, v_deg=0, out_hw=hw, mode="bilinear")
                     for u, hw in views],
            args.peer_repeat)
    else:
        results["py360convert_ms"] = float("nan")

    sources = [o.copy() for o in out]
    _, _, results["floor_ms"] = timed(lambda: [np.copyto(d, s) for d, s in zip(bare, sources)], args.repeat)

    rows = [
        ("Bridge CPU, cylinder room (blended)", results["cylinder_ms"]),
        ("Bridge CPU, flat-wall room (blended)", results["flat_ms"]),
        ("bare cv2.remap, float maps, no blend", results["cv2_remap_ms"]),
        ("py360convert e2p ×5", results["py360convert_ms"]),
        ("copy of the output (floor)", results["floor_ms"]),
    ]
    print(f"full room frame: {W}×{H} in → 5 × 1920×1200 out; median of {args.repeat} "
          f"({args.peer_repeat} for py360convert); OpenCV threads {cv2.getNumThreads()}, cores {os.cpu_count()}")
    print(f"{'path':<40}{'ms':>9}{'fps':>8}")
    for name, ms in rows:
        print(f"{name:<40}{ms:>9.1f}{1000 / ms:>8.1f}")
    ratios = {
        "py360convert_over_cylinder": results["py360convert_ms"] / results["cylinder_ms"],
        "py360convert_over_flat": results["py360convert_ms"] / results["flat_ms"],
        "flat_over_cv2_remap": results["flat_ms"] / results["cv2_remap_ms"],
        "cylinder_over_floor": results["cylinder_ms"] / results["floor_ms"],
    }
    for name, value in ratios.items():
        print(f"  {name.replace('_', ' ')}: {value:.2f}×")
    record = {k: round(v, 2) for k, v in {**results, **ratios}.items()}
    record.update({"frame": f"{W}x{H}", "projectors": "5x1920x1200", "repeat": args.repeat, "cores": os.cpu_count()})
    write_result("compositor", record)


if __name__ == "__main__":
    main()
