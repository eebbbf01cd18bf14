"""The room on the web: how long the remote and the watch page take, against the keyboard.

Starts its own Xvfb (big enough for the default room's combined desktop), prepares the
sample briefing at the room's resolution (cached after the first run), opens the show in
its room layout with the web server on a free port, and drives Debian's Chromium with
Playwright: a phone-sized remote page and a laptop-sized watch page.  Presses alternate
between the remote's Next/Previous button and the same key sent to the show's window by
xdotool, stepping back and forth through the briefing:

- remote → room: from the button's click in the browser (the page's clock) to the new
  step presented in every window (the show's clock: both are this machine's wall clock);
- key → frame (the peer, same run): from the key event reaching the show to the new step
  presented in every window, as bench/show.py measures it; also from xdotool started;
- room → watch: from the new step presented in the room to the watch page having painted
  the new 360° view (the JPEG fetched and shown in pannellum, two animation frames later).

Targets: remote → room median ≤ 1.3 × key → frame median; room → watch median ≤ 1000 ms.
Prints a table and writes bench/results/web.json.
Run: .venv/bin/python bench/web.py [--presses N] [--quick]
(--quick: a room of two 320×200 projectors, 1024×512 frames, 2 presses of each kind)
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
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
REMOTE_TARGET = 1.3  # remote → room median at most this many times the key path's
WATCH_TARGET_MS = 1000.0
CLICK = "(id) => { const t = performance.timeOrigin + performance.now(); document.getElementById(id).click(); return t; }"


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.002)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def measure(room, prepared, size, presses: int) -> dict:
    from playwright.sync_api import sync_playwright

    from bridge.show.live import Live
    from bridge.web.server import start_web

    live = Live(SCENE, room, prepared, size, room.layout, poll_interval=3600)
    web = start_web(live, remote=False, port=0)
    presented: list[tuple[float, int]] = []  # (wall-clock ms, step shown) after each frame reached every window
    original_render = live.windows.render

    def render_and_stamp():
        original_render()
        view = live.windows.view
        presented.append((time.time() * 1000, view.step if view is not None and view.kind == "step" else -1))

    live.windows.render = render_and_stamp
    samples = {"remote_ms": [], "remote_from_show_ms": [], "key_ms": [], "key_sent_ms": [], "watch_ms": [],
               "press_to_watch_ms": []}
    done, failure, info = threading.Event(), [], {}

    def room_time(after_ms: float, step: int) -> float:
        return wait(lambda: next((t for t, s in presented if t > after_ms and s == step), None), 15,
                    f"step {step + 1} in the room")

    def driver():
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                remote = browser.new_page(viewport={"width": 390, "height": 844})
                remote.goto(web.control_url)
                remote.wait_for_selector("body[data-connection=connected]")
                watch = browser.new_page(viewport={"width": 1280, "height": 720})
                watch.goto(web.watch_url)
                watch.wait_for_selector("#pano[data-shown]", timeout=60000)
                target = hex(live.windows.windows[0].x_id)
                last, forward = prepared.step_count - 1, True
                for k in range(2 * presses):
                    step = live.presenter.step
                    if step == last:
                        forward = False
                    elif step == 0:
                        forward = True
                    want = step + (1 if forward else -1)
                    frame = live.web_state()["frame"]
                    by_remote = k % 2 == 0
                    keys_before = len(live.latencies)
                    if by_remote:
                        pressed = remote.evaluate(CLICK, "next" if forward else "previous")
                    else:
                        pressed = time.time() * 1000
                        subprocess.run(["xdotool", "key", "--window", target, "Right" if forward else "Left"],
                                       check=True, stderr=subprocess.DEVNULL)
                    shown = room_time(pressed, want)
                    wait(lambda keys_before=keys_before: len(live.latencies) > keys_before, 10, "the show's own latency")
                    from_event = live.latencies[-1] * 1000
                    if by_remote:
                        samples["remote_ms"].append(shown - pressed)
                        samples["remote_from_show_ms"].append(from_event)
                    else:
                        samples["key_ms"].append(from_event)
                        samples["key_sent_ms"].append(shown - pressed)
                    new_frame = wait(
                        lambda frame=frame: live.web_state()["frame"] if live.web_state()["frame"] != frame else None,
                        10, "the new frame version")
                    seen = wait(lambda new_frame=new_frame: (lambda s: s if s and s["frame"] >= new_frame else None)(
                        watch.evaluate("() => window.bridgeShown || null")), 20, "the watch page's new view")
                    samples["watch_ms"].append(seen["at"] - shown)
                    samples["press_to_watch_ms"].append(seen["at"] - pressed)
                    time.sleep(0.15)
                info["jpeg_bytes"] = len(live.view_jpeg() or b"")
                info["page_errors"] = []
                browser.close()
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
        finally:
            done.set()

    try:
        for _ in range(3):
            live.tick()
        thread = threading.Thread(target=driver, daemon=True)
        thread.start()
        live.run(until=done.is_set)
        thread.join()
    finally:
        web.close()
        live.close()
    if failure:
        raise failure[0]
    result = {name: [round(v, 1) for v in values] for name, values in samples.items()}
    result["jpeg_bytes"] = info.get("jpeg_bytes")
    return result


def one(presses: int, quick: bool) -> int:
    """Child mode: measure on the X server in DISPLAY and print JSON."""
    from bridge.show.preparer import default_size, prepare

    room = bench_room(quick)
    size = default_size(room)
    prepared = prepare(SCENE, room, size)
    print(json.dumps(measure(room, prepared, size, presses)))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="presses of each kind (remote, key)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    quick_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.presses = min(args.presses, 2)
    if args.one:
        return one(args.presses, args.quick)
    need_tools("Xvfb", "xdotool")
    if not Path(CHROMIUM).exists():
        sys.exit("Chromium is needed: bash scripts/setup.sh installs Debian's chromium")

    from bridge.show.preparer import default_size, prepare

    room = bench_room(args.quick)
    with room_display(room) as display:
        os.environ["DISPLAY"] = display
        size = default_size(room)
        t = time.perf_counter()
        prepared = prepare(SCENE, room, size)
        prepare_s = time.perf_counter() - t
        child = subprocess.run([sys.executable, __file__, "--one", "--presses", str(args.presses),
                                *(["--quick"] if args.quick else [])], capture_output=True, text=True, env=child_env())
        if child.returncode != 0:
            sys.exit(f"the measuring process failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
        raw = json.loads(child.stdout.strip().splitlines()[-1])

    med = {name: statistics.median(values) for name, values in raw.items() if isinstance(values, list)}
    p90 = {name: percentile(values, 0.9) for name, values in raw.items() if isinstance(values, list)}
    ratio = med["remote_ms"] / med["key_ms"]
    remote_met = ratio <= REMOTE_TARGET
    watch_met = med["watch_ms"] <= WATCH_TARGET_MS
    print(f"Web on {display} (Xvfb, software GL; Chromium with SwiftShader WebGL), room '{room.name}', "
          f"{len(room.projectors)}×{room.projectors[0].width}×{room.projectors[0].height}, frames {size[0]}×{size[1]}, "
          f"{prepared.step_count} steps ({'cached' if prepared.from_cache else 'prepared'} in {prepare_s:.1f} s), "
          f"360° view JPEG {raw['jpeg_bytes'] / 1e6:.1f} MB, {os.cpu_count()} cores")
    rows = [("remote button → new step in every window", "remote_ms"),
            ("  of which: command in the show → new frame", "remote_from_show_ms"),
            ("key event in the show → new step in every window (peer)", "key_ms"),
            ("xdotool started → new step in every window", "key_sent_ms"),
            ("room shows the step → watch page shows its view", "watch_ms"),
            ("press → watch page shows the new view", "press_to_watch_ms")]
    print(f"{'':58}{'median ms':>12}{'p90 ms':>10}{'n':>5}")
    for label, key in rows:
        print(f"{label:58}{med[key]:>12.1f}{p90[key]:>10.1f}{len(raw[key]):>5}")
    print(f"target: remote → room ≤ {REMOTE_TARGET} × key → frame: {ratio:.2f}× — {'met' if remote_met else 'MISSED'}")
    print(f"target: room → watch ≤ {WATCH_TARGET_MS:.0f} ms: {med['watch_ms']:.0f} ms — {'met' if watch_met else 'MISSED'}")
    record = {
        "remote_to_room_ms_median": round(med["remote_ms"], 1),
        "room_to_watch_ms_median": round(med["watch_ms"], 1),
        "key_to_frame_ms_median": round(med["key_ms"], 1),
        "remote_to_room_ms_p90": round(p90["remote_ms"], 1),
        "room_to_watch_ms_p90": round(p90["watch_ms"], 1),
        "remote_command_to_frame_ms_median": round(med["remote_from_show_ms"], 1),
        "key_sent_to_frame_ms_median": round(med["key_sent_ms"], 1),
        "press_to_watch_ms_median": round(med["press_to_watch_ms"], 1),
        "remote_over_key": round(ratio, 3),
        "targets": {"remote_to_room_over_key_max": REMOTE_TARGET, "room_to_watch_ms_max": WATCH_TARGET_MS,
                    "remote_met": remote_met, "watch_met": watch_met},
        "samples": raw,
        "layout": room.layout, "frame": f"{size[0]}x{size[1]}",
        "projectors": f"{len(room.projectors)}x{room.projectors[0].width}x{room.projectors[0].height}",
        "display": "Xvfb + Mesa llvmpipe; Chromium headless, SwiftShader WebGL", "cores": os.cpu_count(),
    }
    write_result("web", record, args.quick)
    return 0


if __name__ == "__main__":  # the preparer spawns processes: keep imports side-effect free
    sys.exit(main())
