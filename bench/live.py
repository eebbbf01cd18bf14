"""Live questions: from a parameter change to the new picture in every projector window.

Starts its own Xvfb, prepares the sample briefing for the default room at the show's
default frame (8192×4096; cached after the first run), opens the show's real windows and
changes the sample's `ward` parameter with the show's own keys (Tab picks it, + and -
step through its values), waiting after each change until the answer is on every window:

- param_change_ms: the presenter's key → the new images presented in every window, on the
  step whose panels of most types read the parameter (median and 90th percentile);
- param_change_extruded_ms_median: the same on a step whose extruded (3D) map reads it;
- floor_ms: redrawing every window with nothing changed (as bench/show.py);
- cold_step_s, the peer, in the same run: a cold `bridge render --step N --size 8192x4096`
  of the same step (a new process that loads, draws and captures everything).

Prints a table and writes bench/results/live.json.
Run: .venv/bin/python bench/live.py [--changes 24] [--extruded-changes 6] [--quick]
(--quick: a room of two 320×200 projectors, 1024×512 frames, 2 changes, 1 on the extruded
map, 1 cold render)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT,
    bench_room,
    bridge_command,
    child_env,
    need_tools,
    percentile,
    print_rows,
    quick_option,
    room_display,
    write_result,
)

SCENE = ROOT / "scenes" / "finding-dave.yaml"
PARAM = "ward"


def _steps(prepared, briefing) -> tuple[int, int | None, list[str]]:
    """(the step whose parameter-reading panels are of most types, a step whose extruded map reads
    it, those types)."""
    types = {p.id: p.type for p in briefing.scene.panels}
    best, best_types, extruded = None, [], None
    for s, step in enumerate(briefing.scene.steps):
        reading = sorted({types[p] for p in step.show if PARAM in briefing.reads(p)})
        if len(reading) > len(best_types):
            best, best_types = s, reading
        if extruded is None and any(types[p] == "extruded" and PARAM in briefing.reads(p) for p in step.show):
            extruded = s
    return best, extruded, best_types


def _changes(live, step: int, count: int) -> list[float]:
    """Go to `step`, pick the parameter, then + and - in turn; ms from each key to its answer on every window."""
    live.presenter.go(step)
    live._dirty = True
    live.tick()
    names = list(live.presenter.params)
    while live.presenter.picked_name != PARAM:
        live.key("Tab")
    out = []
    for k in range(count):
        before = len(live.answer_latencies)
        live.key("plus" if (k // 3) % 2 == 0 else "minus")  # three steps up, three down
        deadline = time.monotonic() + 60
        while len(live.answer_latencies) == before and time.monotonic() < deadline:
            if not live.tick():
                time.sleep(0.001)
        if len(live.answer_latencies) > before:
            out.append(live.answer_latencies[-1] * 1000)
        else:
            print(f"no answer within 60 s ({live.status}; {live.problems})", file=sys.stderr)
    assert names  # the scene has parameters
    return out


def one_run(changes: int, extruded_changes: int, quick: bool = False) -> dict:
    from bridge.render.briefing import load_briefing
    from bridge.show.live import Live
    from bridge.show.preparer import default_size, prepare

    room = bench_room(quick)
    size = default_size(room)
    prepared = prepare(SCENE, room, size)
    briefing = load_briefing(SCENE)
    step, extruded, types = _steps(prepared, briefing)
    live = Live(SCENE, room, prepared, size, "span", poll_interval=3600)
    try:
        for _ in range(3):
            live.tick()
        # Unmeasured: the worker loads and renders the frames it keeps, as while a show opens.
        _changes(live, step, 1 if quick else 2)
        if extruded is not None and not quick:
            _changes(live, extruded, 2)
        main = _changes(live, step, changes)
        three_d = _changes(live, extruded, extruded_changes) if extruded is not None else []
        floor = []
        for _ in range(4 if quick else 20):
            t = time.perf_counter()
            live.windows.render()
            floor.append((time.perf_counter() - t) * 1000)
    finally:
        live.close()
    return {"step": step + 1, "types": types, "extruded_step": None if extruded is None else extruded + 1,
            "main": main, "extruded": three_d, "floor_ms": statistics.median(floor),
            "size": list(size), "room": room.name}


def cold_step(step: int, size: tuple[int, int], repeat: int) -> list[float]:
    """The peer: `bridge render --step N` in a new process, as an analyst would run it."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run(bridge_command("render", SCENE, "--step", step, "--size", f"{size[0]}x{size[1]}", "--out", out),
                           check=True, capture_output=True, env=child_env())
            times.append(time.perf_counter() - t)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=24)
    parser.add_argument("--extruded-changes", type=int, default=6)
    parser.add_argument("--cold", type=int, default=3, help="cold renders of the peer")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    quick_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.changes, args.extruded_changes, args.cold = min(args.changes, 2), min(args.extruded_changes, 1), 1
    if args.one:
        print(json.dumps(one_run(args.changes, args.extruded_changes, args.quick)))
        return 0
    need_tools("Xvfb")

    room = bench_room(args.quick)
    with room_display(room) as display:
        child = subprocess.run([sys.executable, __file__, "--one", "--changes", str(args.changes),
                                "--extruded-changes", str(args.extruded_changes), *(["--quick"] if args.quick else [])],
                               capture_output=True, text=True, env=child_env(DISPLAY=display))
        if child.returncode:
            sys.exit(child.stderr[-3000:])
        run = json.loads(child.stdout.strip().splitlines()[-1])
    cold = cold_step(run["step"], tuple(run["size"]), args.cold)
    main_ms, three_d = run["main"], run["extruded"]
    record = {
        "param_change_ms_median": round(statistics.median(main_ms), 1),
        "param_change_ms_p90": round(percentile(main_ms, 0.9), 1),
        "param_change_extruded_ms_median": round(statistics.median(three_d), 1) if three_d else None,
        "cold_step_s": round(statistics.median(cold), 2),
        "floor_ms": round(run["floor_ms"], 1),
        "changes": len(main_ms), "extruded_changes": len(three_d), "step": run["step"],
        "extruded_step": run["extruded_step"], "panel_types": run["types"],
        "frame": f"{run['size'][0]}x{run['size'][1]}", "room": run["room"],
        "display": "Xvfb + Mesa llvmpipe", "cores": os.cpu_count(),
    }
    print(f"Live questions on Xvfb (software GL), room '{run['room']}', frames {record['frame']}, "
          f"parameter '{PARAM}' on step {run['step']} ({', '.join(run['types'])}) and step {run['extruded_step']} (extruded)")
    rows = [("parameter change → every window, median (ms)", "param_change_ms_median", "≤ 1000"),
            ("parameter change → every window, p90 (ms)", "param_change_ms_p90", "≤ 1500"),
            ("change redrawing the extruded map, median (ms)", "param_change_extruded_ms_median", "≤ 2500"),
            ("peer: cold bridge render --step N (s)", "cold_step_s", ""),
            ("floor: redraw all windows, nothing changed (ms)", "floor_ms", "")]
    print_rows(record, rows, 52)
    met = {
        "median": record["param_change_ms_median"] <= 1000,
        "p90": record["param_change_ms_p90"] <= 1500,
        "extruded": record["param_change_extruded_ms_median"] is not None and record["param_change_extruded_ms_median"] <= 2500,
    }
    record["targets_met"] = met
    cold_ms = record["cold_step_s"] * 1000
    print(f"a change is {cold_ms / record['param_change_ms_median']:.1f}× faster than the cold render; targets met: "
          + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in met.items()))
    write_result("live", record, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
