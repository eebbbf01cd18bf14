"""A room on several PCs, rehearsed on one: key to every rank, swap skew, and the one-PC peer.

Starts its own Xvfb (the default room's desktop, with room below it for the controller's
preview), prepares the sample briefing for the default room (5 × 1920×1200, cached after
the first run) and measures, the same run:

- peer: the single-machine show (`bridge launch`'s `Live`, span layout) — key event to the
  new step presented in all five windows, keys sent with xdotool one at a time;
- cluster: `mpirun -np 6` on loopback — the controller (rank 0, `ClusterShow`) and one render
  node per projector; key event on the controller's preview window to the new step swapped
  on every node (`key_to_all_ranks_ms`), and how far apart the nodes' swaps began for each
  change (`swap_skew_ms`; also where they ended: a swap under Xvfb is a software copy,
  ~10–30 ms, which the ranks share two cores for);
- the lock's release alone (no drawing, 100 times): how far apart the nodes hear it;
- a node's frames from its own cache entry against the same images sent by the controller.

Prints a table and writes bench/results/cluster.json.
Run: .venv/bin/python bench/cluster.py [--keys N] [--quick]
(--quick: a room of two 320×200 projectors, so three ranks, 1024×512 frames, 3 keys, 10 releases)
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
PREVIEW = (640, 360)


def press_keys(live, keys: int, latencies: list) -> None:
    """Send `keys` arrow keys with xdotool to the show's first window, one after each frame; run the show meanwhile."""
    target = hex(live.windows.windows[0].x_id)
    done = threading.Event()
    steps = live.prepared.step_count

    def sender():
        for k in range(keys):
            key = "Right" if (k // (steps - 1)) % 2 == 0 else "Left"
            want = len(latencies) + 1
            subprocess.run(["xdotool", "key", "--window", target, key], stderr=subprocess.DEVNULL, check=True)
            deadline = time.monotonic() + 10
            while len(latencies) < want and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.1)
        done.set()

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    live.run(until=done.is_set)
    thread.join()


def summary(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"median": round(statistics.median(ms), 2), "p90": round(percentile(ms, 0.9), 2),
            "p99": round(percentile(ms, 0.99), 2), "n": len(ms)}


def peer(keys: int, quick: bool) -> dict:
    """Child mode: the single-machine show on DISPLAY."""
    from bridge.show.live import Live
    from bridge.show.preparer import default_size, prepare

    room = bench_room(quick)
    size = default_size(room)
    live = Live(SCENE, room, prepare(SCENE, room, size), size, "span", poll_interval=3600)
    try:
        for _ in range(3):
            live.tick()
        press_keys(live, keys, live.latencies)
        return {"key_to_frame": summary(live.latencies)}
    finally:
        live.close()


def cluster_rank(keys: int, quick: bool) -> dict | None:
    """Under mpirun: rank 0 runs the controller and measures; the others are render nodes."""
    from mpi4py import MPI

    from bridge.show.cluster.controller import ClusterShow
    from bridge.show.cluster.hub import Hub
    from bridge.show.cluster.node import serve_node

    if MPI.COMM_WORLD.Get_rank() != 0:
        serve_node()
        return None
    from bridge.show.preparer import default_size, prepare

    room = bench_room(quick)
    hub = Hub(room, MPI.COMM_WORLD)
    hub.handshake()
    hub.keep_alive()
    size = default_size(room)
    prepared = prepare(SCENE, room, size)
    live = ClusterShow(hub, SCENE, room, prepared, size, fit=PREVIEW, poll_interval=3600)
    try:
        deadline = time.monotonic() + 300
        while len(hub.live()) < len(hub.nodes) and time.monotonic() < deadline:
            live.tick()
            time.sleep(0.01)
        for _ in range(3):
            live.tick()
        hub.skews.clear()
        hub.swap_spans.clear()
        press_keys(live, keys, live.rank_latencies)
        result = {"key_to_all_ranks": summary(live.rank_latencies), "key_to_all_ranks_and_preview": summary(live.latencies),
                  "swap_skew": summary(hub.skews), "swap_end_spread": summary(hub.swap_spans)}
        releases = []
        for _ in range(10 if quick else 100):  # the lock's release alone: message latency and wake-up, no drawing
            skew = hub.release_skew()
            if skew is not None:
                releases.append(skew)
            time.sleep(0.02)
        result["release_skew"] = summary(releases)
        result.update(frames_by_cache_or_message(live, hub))
        return result
    finally:
        live.close()


def frames_by_cache_or_message(live, hub) -> dict:
    """One node's frames again: mapped from its own cache entry, then sent over MPI by the controller."""
    import dataclasses

    import numpy as np

    node = hub.nodes[0]
    meta = dataclasses.replace(hub.prepared, frames=[], watched=[])
    images = [np.asarray(hub.prepared.frames[i]) for i in node.group.projectors]
    timings = {}
    for how, message in (("from_cache", ("frames", meta)), ("sent", ("images", meta.key, images))):
        loads, t = node.loads, time.perf_counter()
        node.link.send(message)
        while node.loads == loads:
            hub.poll()
            time.sleep(0.001)
        timings[f"node_frames_{how}_ms"] = round((time.perf_counter() - t) * 1000, 1)
    timings["node_frames_mb"] = round(sum(a.nbytes for a in images) / 1e6, 1)
    return timings


def run_both(keys: int, quick: list[str], ranks: int) -> tuple[dict, dict]:
    """(the one-PC peer's figures, the cluster's), each measured in its own processes on DISPLAY."""
    from bridge.show.cluster.launch import mpirun_command

    child = subprocess.run([sys.executable, __file__, "--peer", "--keys", str(keys), *quick], capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"the one-PC peer failed:\n{child.stdout[-2000:]}\n{child.stderr[-3000:]}")
    single = json.loads(child.stdout.strip().splitlines()[-1])
    command = mpirun_command([], ranks, None)
    command = (command[:command.index(sys.executable)] + ["-x", "PYTHONPATH"]
               + [sys.executable, __file__, "--rank", "--keys", str(keys), *quick])
    ran = subprocess.run(command, capture_output=True, text=True, timeout=900)
    lines = [line for line in ran.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        sys.exit(f"the cluster run printed no result (exit {ran.returncode}):\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["console"] = [line for line in ran.stdout.splitlines() if " lost: " in line or "answers again" in line]
    return single, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=24)
    parser.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rank", action="store_true", help=argparse.SUPPRESS)
    quick_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.keys = min(args.keys, 3)
    quick = ["--quick"] if args.quick else []
    if args.peer:
        print(json.dumps(peer(args.keys, args.quick)))
        return 0
    if args.rank:
        result = cluster_rank(args.keys, args.quick)
        if result is not None:
            print("RESULT " + json.dumps(result), flush=True)
        return 0
    need_tools("Xvfb", "xdotool", "mpirun")

    from bridge.show.preparer import default_size, prepare

    room = bench_room(args.quick)
    with room_display(room, PREVIEW[1] + 40) as display:
        os.environ["DISPLAY"] = display
        os.environ.pop("VTK_DEFAULT_OPENGL_WINDOW", None)
        size = default_size(room)
        t = time.perf_counter()
        prepared = prepare(SCENE, room, size)
        prepare_s = time.perf_counter() - t
        os.environ.update(child_env())  # this checkout first on PYTHONPATH, for the peer and every rank
        single, ranks = run_both(args.keys, quick, len(room.projectors) + 1)

    peer_ms = single["key_to_frame"]["median"]
    ranks_ms = ranks["key_to_all_ranks"]["median"]
    skew_p99 = ranks["swap_skew"]["p99"]
    ratio = ranks_ms / peer_ms
    print(f"Cluster rehearsal on {display} (Xvfb, software GL, {os.cpu_count()} cores), room '{room.name}', "
          f"{len(room.projectors)}×{room.projectors[0].width}×{room.projectors[0].height}, frames {size[0]}×{size[1]}, "
          f"{prepared.step_count} steps ({'cached' if prepared.from_cache else 'prepared'} in {prepare_s:.1f} s), "
          f"{args.keys} keys each")
    n = len(room.projectors)
    rows = [(f"one PC: key → new frame in all {n} windows (peer)", single["key_to_frame"]),
            (f"cluster: key → new frame swapped on all {n} ranks", ranks["key_to_all_ranks"]),
            ("cluster: the same, and the controller's preview", ranks["key_to_all_ranks_and_preview"]),
            ("cluster: spread of the ranks' swap starts", ranks["swap_skew"]),
            ("cluster: spread of the ranks' swap ends", ranks["swap_end_spread"]),
            ("cluster: spread of a bare release (no drawing)", ranks["release_skew"])]
    print(f"{'(ms)':52}{'median':>10}{'p90':>10}{'p99':>10}")
    for label, row in rows:
        print(f"{label:52}{row['median']:>10}{row['p90']:>10}{row['p99']:>10}")
    print(f"a node's {ranks['node_frames_mb']} MB of frames: from its cache {ranks['node_frames_from_cache_ms']} ms, "
          f"sent by the controller {ranks['node_frames_sent_ms']} ms (both include building its textures)")
    for line in ranks["console"]:
        print(f"controller console: {line}")
    speed = f"{ratio:.2f}× the peer's time ({'slower' if ratio > 1 else 'faster'})"
    print(f"targets: key → all ranks ≤ 1.25× the one-PC path: {speed}, {'met' if ratio <= 1.25 else 'NOT met'}; "
          f"swap skew p99 ≤ 5 ms: {skew_p99} ms, {'met' if skew_p99 <= 5 else 'NOT met'}")
    write_result("cluster", quick=args.quick, record={
        "key_to_all_ranks_ms_median": ranks_ms,
        "swap_skew_ms_p99": skew_p99,
        "single_process_key_to_frame_ms_median": peer_ms,
        "key_to_all_ranks_over_single": round(ratio, 3),
        "targets": {"swap_skew_ms_p99": 5, "key_to_all_ranks_over_single": 1.25},
        "cluster": ranks, "single_process": single,
        "ranks": len(room.projectors) + 1, "transport": "Open MPI on loopback (one machine)",
        "frame": f"{size[0]}x{size[1]}",
        "projectors": f"{len(room.projectors)}x{room.projectors[0].width}x{room.projectors[0].height}",
        "display": "Xvfb + Mesa llvmpipe", "cores": os.cpu_count(),
    })
    return 0


if __name__ == "__main__":  # the preparer spawns processes: keep imports side-effect free
    sys.exit(main())
