"""How much the live show adds to the display's own cost, in the default room at full resolution.

Starts its own Xvfb (big enough for the combined desktop), prepares the sample briefing for
the default room (cached after the first run), opens the show and measures, per layout:

- floor: redrawing every projector window with nothing changed (the display's own cost);
- key to frame: from the key event reaching the show (sent by xdotool to the window) to
  the new step presented in every window, median and 99th percentile; also from the
  moment xdotool was started, which adds the X round trip and xdotool's own start-up;
- cross-fade: frames drawn per second during a 3 s cross-fade.

Prints a table and writes bench/results/show.json; its top-level keys are for the room's
own layout.  Run: .venv/bin/python bench/show.py [--keys N] [--layouts span,per-projector] [--quick]
(--quick: a room of two 320×200 projectors, 1024×512 frames, 4 keys, a 0.5 s cross-fade)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_room, child_env, need_tools, percentile, quick_option, room_display, write_result  # noqa: E402

SCENE = ROOT / "scenes" / "finding-dave.yaml"


def measure(layout: str, room, prepared, size, keys: int, floor_repeat: int, fade_ms: int = 3000) -> dict:
    from bridge.show.live import Live

    live = Live(SCENE, room, prepared, size, layout, poll_interval=3600)
    try:
        for _ in range(3):
            live.tick()
        windows = live.windows
        # Floor: every window redrawn and presented, nothing changed (half before the keys, half after).
        floor = []

        def sample_floor(n):
            for _ in range(n):
                t = time.perf_counter()
                windows.render()
                floor.append(time.perf_counter() - t)

        sample_floor(floor_repeat // 2)
        # Keys from xdotool, one at a time, each after the previous frame is up.
        env = dict(os.environ)
        target = hex(windows.windows[0].x_id)
        sent: list[float] = []
        live.latencies.clear()
        done = threading.Event()

        def sender():
            for k in range(keys):
                key = "Right" if (k // (prepared.step_count - 1)) % 2 == 0 else "Left"
                want = len(live.latencies) + 1
                sent.append(time.perf_counter())
                subprocess.run(["xdotool", "key", "--window", target, key], env=env, stderr=subprocess.DEVNULL, check=True)
                deadline = time.monotonic() + 10
                while len(live.latencies) < want and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(0.05)
            done.set()

        presented: list[float] = []
        original_render = windows.render

        def render_and_stamp():
            original_render()
            presented.append(time.perf_counter())

        windows.render = render_and_stamp
        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        live.run(until=done.is_set)
        thread.join()
        windows.render = original_render
        sample_floor(floor_repeat - floor_repeat // 2)
        from_event = [s * 1000 for s in live.latencies]
        from_send = [min(p for p in presented if p > s) - s for s in sent if any(p > s for p in presented)]
        from_send = [v * 1000 for v in from_send]
        # Cross-fade: frames drawn while one fade runs.
        live.prepared.transition_ms = fade_ms
        windows.render = original_render
        live.key("Right" if live.presenter.step < prepared.step_count - 1 else "Left")
        frames0, t0 = live.frames_drawn, time.perf_counter()
        live.tick()
        while windows.fade is not None:
            live.tick()
        fade_s = time.perf_counter() - t0
        fade_frames = live.frames_drawn - frames0
        window_count = len(windows.windows)
    finally:
        live.close()
    floor_ms = statistics.median(floor) * 1000
    return {
        "floor_ms": round(floor_ms, 1),
        "key_to_frame_ms_median": round(statistics.median(from_event), 1),
        "key_to_frame_ms_p99": round(percentile(from_event, 0.99), 1),
        "key_sent_to_frame_ms_median": round(statistics.median(from_send), 1),
        "crossfade_fps": round(fade_frames / fade_s, 2),
        "floor_fps": round(1000 / floor_ms, 2),
        "keys": len(from_event),
        "windows": window_count,
    }


def one_layout(layout: str, keys: int, floor_repeat: int, quick: bool) -> int:
    """Child mode: measure one layout on the X server in DISPLAY and print JSON."""
    from bridge.show.preparer import default_size, prepare

    room = bench_room(quick)
    size = default_size(room)
    prepared = prepare(SCENE, room, size)
    print(json.dumps(measure(layout, room, prepared, size, keys, floor_repeat, 500 if quick else 3000)))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--floor-repeat", type=int, default=20)
    parser.add_argument("--layouts", default="span,per-projector")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    quick_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.keys, args.floor_repeat = min(args.keys, 4), min(args.floor_repeat, 4)
    if args.one:
        return one_layout(args.one, args.keys, args.floor_repeat, args.quick)
    need_tools("Xvfb", "xdotool")

    room = bench_room(args.quick)
    with room_display(room) as display:
        os.environ["DISPLAY"] = display
        from bridge.show.preparer import default_size, prepare

        size = default_size(room)
        t = time.perf_counter()
        prepared = prepare(SCENE, room, size)
        prepare_s = time.perf_counter() - t
        results = {}
        for layout in args.layouts.split(","):  # one process each: a fresh set of windows and X connections
            child = subprocess.run([sys.executable, __file__, "--one", layout, "--keys", str(args.keys),
                                    "--floor-repeat", str(args.floor_repeat), *(["--quick"] if args.quick else [])],
                                   capture_output=True, text=True, env=child_env())
            if child.returncode:
                sys.exit(f"measuring the {layout} layout failed:\n{child.stdout[-2000:]}\n{child.stderr[-3000:]}")
            results[layout] = json.loads(child.stdout.strip().splitlines()[-1])

    rows = [("floor: redraw all windows, nothing changed (ms)", "floor_ms"),
            ("key → new frame in all windows, median (ms)", "key_to_frame_ms_median"),
            ("key → new frame in all windows, p99 (ms)", "key_to_frame_ms_p99"),
            ("xdotool started → new frame, median (ms)", "key_sent_to_frame_ms_median"),
            ("cross-fade (frames/s)", "crossfade_fps"),
            ("floor frame rate (frames/s)", "floor_fps")]
    layouts = list(results)
    print(f"Show on {display} (Xvfb, software GL), room '{room.name}', {len(room.projectors)}×"
          f"{room.projectors[0].width}×{room.projectors[0].height}, frames {size[0]}×{size[1]}, "
          f"{prepared.step_count} steps ({'cached' if prepared.from_cache else 'prepared'} in {prepare_s:.1f} s)")
    print(f"{'':52}" + "".join(f"{name:>16}" for name in layouts))
    for label, key in rows:
        print(f"{label:52}" + "".join(f"{results[name][key]:>16}" for name in layouts))
    main_layout = room.layout if room.layout in results else layouts[0]
    r = results[main_layout]
    print(f"targets ({main_layout}): key-to-frame median / floor = {r['key_to_frame_ms_median'] / r['floor_ms']:.2f} "
          f"(≤ 1.25); cross-fade / floor rate = {r['crossfade_fps'] / r['floor_fps']:.2f} (≥ 0.8)")
    out = {k: r[k] for k in ("floor_ms", "key_to_frame_ms_median", "key_to_frame_ms_p99", "crossfade_fps")}
    out.update({"layout": main_layout, "layouts": results, "frame": f"{size[0]}x{size[1]}",
                "projectors": f"{len(room.projectors)}x{room.projectors[0].width}x{room.projectors[0].height}",
                "display": "Xvfb + Mesa llvmpipe", "cores": os.cpu_count()})
    write_result("show", out, args.quick)
    return 0


if __name__ == "__main__":  # the preparer spawns processes: keep imports side-effect free
    sys.exit(main())
