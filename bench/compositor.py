"""How fast is a full room frame: 8192×4096 equirectangular in, five 1920×1200 projector images out?

Measured in one run, on the same frame:
  cylinder      Bridge's CPU compositor, default room (curved wall), bilinear + blended
  flat          Bridge's CPU compositor, pentagon room (five flat walls), bilinear + blended
  mpcdi_*       the same two rooms exported as MPCDI (`bridge room export`) and imported back
                with `--keep-maps`, so the compositor samples through the files' per-pixel warp
                and alpha maps (timed alternately with the native profile)
  py360convert  py360convert.e2p for the same five flat views, called as its users call it
  cv2_remap     a bare cv2.remap (float maps, bilinear) over the flat room's lookup, no blending
  floor         copying the five output images once (the memory-bandwidth floor)
and how far each room's sampling lies from the exact one, cv2.remap through the float lookup
table, on the sample briefing's own frames (all seven steps rendered at 2048×1024): the most,
the 99.9th percentile and the mean difference in grey levels over every projector
(`*_max_levels`, `*_p999_levels`, `*_mean_levels`; tests/test_fast_paths.py holds the bounds).
Prints a table and writes bench/results/compositor.json.
Run: .venv/bin/python bench/compositor.py [--quick]
(--quick: a 2048×1024 frame, the rooms' projectors at 480×300, three repeats, and a synthetic frame of
text and boxes at 1024×512 for the accuracy)
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bridge_command, child_env, quick_option, timed, write_result  # noqa: E402
from bridge.room.compositor import Compositor  # noqa: E402
from bridge.room.load import load_room  # noqa: E402


def test_frame(w: int, h: int) -> np.ndarray:
    yaw, pitch = np.meshgrid(np.linspace(-np.pi, np.pi, w, endpoint=False, dtype=np.float32),
                             np.linspace(np.pi / 2, -np.pi / 2, h, dtype=np.float32))
    noise = np.random.default_rng(0).integers(0, 40, (h, w), dtype=np.uint8).astype(np.float32)
    r = 110 + 90 * np.sin(3 * yaw) * np.cos(pitch) + noise
    g = 110 + 90 * np.cos(5 * pitch + yaw) + noise
    b = 110 + 80 * np.sin(40 * yaw + 20 * pitch) + noise
    return np.clip(np.dstack([r, g, b]), 0, 255).astype(np.uint8)


def room_profiles(folder: Path, quick: bool) -> dict[str, Path]:
    """The shipped cylinder and flat rooms, or (quick) copies with 480×300 projectors."""
    profiles = {}
    for kind, name in (("cylinder", "bridge"), ("flat", "pentagon")):
        shipped = ROOT / "bridge" / "rooms" / f"{name}.yaml"
        if quick:
            profiles[kind] = folder / f"{name}.yaml"
            profiles[kind].write_text(shipped.read_text().replace("resolution: [1920, 1200]", "resolution: [480, 300]"))
        else:
            profiles[kind] = shipped
    return profiles


def through_mpcdi(profile: Path, folder: Path) -> Path:
    """`bridge room export` the room, then `bridge room import --keep-maps` it: the new profile."""
    archive, imported = folder / f"{profile.stem}.mpcdi", folder / f"{profile.stem}-imported.yaml"
    for args in (("room", "export", profile, "--out", archive),
                 ("room", "import", archive, "--out", imported, "--keep-maps")):
        done = subprocess.run(bridge_command(*args), capture_output=True, text=True, env=child_env())
        if done.returncode:
            sys.exit(f"bridge {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return imported


def alternately(first, second, repeat: int) -> tuple[float, float]:
    """Median ms of each of two calls, run turn about (after one warm-up each) so that load on
    the machine falls on both alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, spent in zip((first, second), times):
            t = time.perf_counter()
            fn()
            spent.append((time.perf_counter() - t) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def sharp_frame(w: int, h: int) -> np.ndarray:
    """White text and one-pixel boxes on black: the quick mode's stand-in for the sample's frames."""
    frame = np.zeros((h, w, 3), np.uint8)
    rng = np.random.default_rng(7)
    for _ in range(160):
        x, y = int(rng.integers(-40, w)), int(rng.integers(8, h))
        cv2.putText(frame, "Shropshire 65+", (x, y), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.3, 1.2)), (255, 255, 255), 1)
        cv2.rectangle(frame, (x, y - 30), (x + 60, y + 5), (220, 240, 255), 1)
    return frame


def sample_frames(folder: Path, quick: bool) -> list[np.ndarray]:
    """The sample briefing's equirectangular frames, rendered by `bridge render` (quick: a sharp
    synthetic frame instead, as rendering takes most of half a minute)."""
    from PIL import Image

    if quick:
        return [sharp_frame(1024, 512)]
    done = subprocess.run(bridge_command("render", ROOT / "scenes" / "finding-dave.yaml", "--out", folder / "sample",
                                         "--size", "2048x1024"), capture_output=True, text=True, env=child_env())
    if done.returncode:
        sys.exit(f"bridge render failed:\n{done.stdout}{done.stderr}")
    return [np.asarray(Image.open(path).convert("RGB")) for path in sorted((folder / "sample").glob("step-*/equirect.png"))]


def accuracy(room, frames: list[np.ndarray]) -> dict[str, float]:
    """Differences in grey levels between the compositor's sampling and cv2.remap through the
    float lookup table, over every projector and frame: the most, 99.9th percentile and mean."""
    h, w = frames[0].shape[:2]
    comp = Compositor(room, w, h)
    diffs = [np.abs(comp.sample(frame, lut).astype(np.int16) - cv2.remap(
        frame, lut.map_x, lut.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP).astype(np.int16)).ravel()
        for lut in comp.lookups for frame in frames]
    values = np.concatenate(diffs)
    return {"max_levels": int(values.max()), "p999_levels": float(np.percentile(values, 99.9)),
            "mean_levels": round(float(values.mean()), 4)}


def peer_py360convert(frame: np.ndarray, flat_room, repeat: int) -> float:
    try:
        import py360convert
    except ImportError:
        return float("nan")
    screen = flat_room.screen
    vfov = 2 * math.degrees(math.atan(screen.height_m / 2 / screen.distance_m))
    views = [(p.yaw_centre, (p.height, p.width)) for p in flat_room.projectors]
    return timed(lambda: [py360convert.e2p(frame, fov_deg=(84, vfov), u_deg=u, v_deg=0, out_hw=hw, mode="bilinear")
                          for u, hw in views], repeat)[2]


def splitting(comp: Compositor, frame: np.ndarray):
    """A call that splits `frame` into the images of an earlier split, as a live show does."""
    out = comp.split(frame)
    return lambda: comp.split(frame, out)


def measure(frame: np.ndarray, rooms: dict, repeat: int, peer_repeat: int) -> dict[str, float]:
    """Milliseconds per room frame of each path, and the ratios the docs quote."""
    h, w = frame.shape[:2]
    comps = {kind: Compositor(room, w, h) for kind, room in rooms.items()}
    results: dict[str, float] = {}
    for kind in ("cylinder", "flat"):
        native, imported = comps[kind], comps[f"mpcdi_{kind}"]
        results[f"{kind}_ms"], results[f"mpcdi_{kind}_ms"] = alternately(
            splitting(native, frame), splitting(imported, frame), repeat)
    flat = comps["flat"]
    maps = [(lut.map_x, lut.map_y) for lut in flat.lookups]
    bare = [np.empty((lut.projector.height, lut.projector.width, 3), np.uint8) for lut in flat.lookups]
    _, _, results["cv2_remap_ms"] = timed(
        lambda: [cv2.remap(frame, mx, my, cv2.INTER_LINEAR, dst=d, borderMode=cv2.BORDER_WRAP)
                 for (mx, my), d in zip(maps, bare)], repeat)
    results["py360convert_ms"] = peer_py360convert(frame, rooms["flat"], peer_repeat)
    sources = [b.copy() for b in bare]
    _, _, results["floor_ms"] = timed(lambda: [np.copyto(d, s) for d, s in zip(bare, sources)], repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--peer-repeat", type=int, default=5, help="repeats for py360convert (slow)")
    quick_option(parser)
    args = parser.parse_args()
    (w, h), repeat, peer_repeat = ((2048, 1024), 3, 1) if args.quick else ((8192, 4096), args.repeat, args.peer_repeat)
    with tempfile.TemporaryDirectory(prefix="bridge-bench-compositor-") as tmp:
        profiles = room_profiles(Path(tmp), args.quick)
        rooms = {kind: load_room(path) for kind, path in profiles.items()}
        rooms.update({f"mpcdi_{kind}": load_room(through_mpcdi(path, Path(tmp))) for kind, path in profiles.items()})
        results = measure(test_frame(w, h), rooms, repeat, peer_repeat)
        frames = sample_frames(Path(tmp), args.quick)
        for kind in ("cylinder", "flat"):
            results.update({f"{kind}_{key}": value for key, value in accuracy(rooms[kind], frames).items()})
    accuracy_frame = f"{frames[0].shape[1]}x{frames[0].shape[0]}"
    p = rooms["flat"].projectors[0]
    out = f"{len(rooms['flat'].projectors)}x{p.width}x{p.height}"
    rows = [
        ("Bridge CPU, cylinder room (blended)", results["cylinder_ms"]),
        ("  the same, imported MPCDI (maps)", results["mpcdi_cylinder_ms"]),
        ("Bridge CPU, flat-wall room (blended)", results["flat_ms"]),
        ("  the same, imported MPCDI (maps)", results["mpcdi_flat_ms"]),
        ("bare cv2.remap, float maps, no blend", results["cv2_remap_ms"]),
        ("py360convert e2p ×5", results["py360convert_ms"]),
        ("copy of the output (floor)", results["floor_ms"]),
    ]
    print(f"full room frame: {w}×{h} in → {out.replace('x', ' × ', 1)} out; median of {repeat} "
          f"({peer_repeat} for py360convert); OpenCV {cv2.__version__}, threads {cv2.getNumThreads()}, cores {os.cpu_count()}")
    print(f"{'path':<40}{'ms':>9}{'fps':>8}")
    for name, ms in rows:
        print(f"{name:<40}{ms:>9.1f}{1000 / ms:>8.1f}")
    print(f"sampling against cv2.remap through the float table, grey levels on {len(frames)} frame(s) "
          f"at {frames[0].shape[1]}×{frames[0].shape[0]}" + (" (text and boxes):" if args.quick else " (the sample's steps):"))
    for kind in ("cylinder", "flat"):
        print(f"  {kind}: max {results[f'{kind}_max_levels']}, 99.9th percentile {results[f'{kind}_p999_levels']:.0f}, "
              f"mean {results[f'{kind}_mean_levels']:.4f}")
    ratios = {
        "py360convert_over_cylinder": results["py360convert_ms"] / results["cylinder_ms"],
        "py360convert_over_flat": results["py360convert_ms"] / results["flat_ms"],
        "flat_over_cv2_remap": results["flat_ms"] / results["cv2_remap_ms"],
        "cylinder_over_floor": results["cylinder_ms"] / results["floor_ms"],
        "mpcdi_cylinder_over_native": results["mpcdi_cylinder_ms"] / results["cylinder_ms"],
        "mpcdi_flat_over_native": results["mpcdi_flat_ms"] / results["flat_ms"],
    }
    for name, value in ratios.items():
        print(f"  {name.replace('_', ' ')}: {value:.2f}×")
    record = {k: v if k.endswith("_mean_levels") else round(v, 2) for k, v in {**results, **ratios}.items()}
    record.update({"frame": f"{w}x{h}", "accuracy_frame": accuracy_frame, "projectors": out, "repeat": repeat,
                   "cores": os.cpu_count(), "opencv": cv2.__version__})
    write_result("compositor", record, args.quick)


if __name__ == "__main__":
    main()
