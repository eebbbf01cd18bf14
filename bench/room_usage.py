"""How much of the room each step lights: the share of the screen's band whose pixels differ from
the theme's background (bridge/render/room_usage.py, the same function the tests use).

For every sample scene in scenes/ and for every Power BI report in FOLDER that holds visuals
(imported with `bridge import`, then rendered as written), each step's share, the median step and
`steps_at_least_half`.  Targets: finding-dave at least 5 of its 7 steps at 50% or more; each
imported report's median step at 50% or more.  The peer is the frame itself: what is measured is
what `bridge render` wrote (step-NN/equirect.png), in the default room.

Run: .venv/bin/python bench/room_usage.py [FOLDER] [--quick]
FOLDER (default: pbix/ in the shared data folder beside the checkout, or BRIDGE_SHARED_DATA, if it is there;
else data/sample) holds the .pbix files.
(--quick: finding-dave and the sample's .pbix at 1024×512.)  Writes bench/results/room_usage.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bridge_command, child_env, quick_option, write_result  # noqa: E402

FULL_SIZE = "4096x2048"  # --draft's frame: the share of the band does not depend on the density
QUICK_SIZE = "1024x512"
TARGET_FINDING_DAVE = 5  # steps at 50% or more


def default_folder() -> Path:
    shared = Path(os.environ.get("BRIDGE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "pbix"
    return shared if shared.is_dir() else ROOT / "data" / "sample"


def run(*args) -> str:
    done = subprocess.run(bridge_command(*args), cwd=ROOT, capture_output=True, text=True, env=child_env())
    if done.returncode != 0:
        sys.exit(f"bridge {' '.join(map(str, args))} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def usage(scene: Path, size: str, work: Path) -> list[float]:
    """Each step's share of the band, from the frames `bridge render` writes."""
    from bridge.render.briefing import load_briefing
    from bridge.render.output import read_equirect
    from bridge.render.room_usage import background_rgb, band_mask, band_usage
    from bridge.room.load import load_room

    out = work / f"render-{scene.stem}"
    run("render", scene, "--size", size, "--out", out)
    room = load_room()
    background = background_rgb(load_briefing(scene, room=room).theme)
    frames = [read_equirect(folder / "equirect.png") for folder in sorted(out.glob("step-*"))]
    mask = band_mask(room, frames[0].shape[1], frames[0].shape[0])
    return [round(band_usage(frame, room, background, mask), 3) for frame in frames]


def summary(shares: list[float]) -> dict:
    return {"steps": shares, "median": round(statistics.median(shares), 3),
            "steps_at_least_half": sum(s >= 0.5 for s in shares)}


def imported(pbix: Path, size: str, work: Path) -> dict | None:
    """The report imported and measured, or None when it holds nothing to import."""
    folder = work / f"import-{pbix.stem}"
    done = subprocess.run(bridge_command("import", pbix, "--out", folder), cwd=ROOT, capture_output=True,
                          text=True, env=child_env())
    if done.returncode != 0:
        return None
    converted = next(line for line in done.stdout.splitlines() if line.startswith("visuals converted:"))
    got, total = (int(n) for n in converted.split(":")[1].split(" of "))
    scene, = folder.glob("*.yaml")
    return {**summary(usage(scene, size, work)), "visuals_converted": got, "visuals_total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=None)
    quick_option(parser)
    args = parser.parse_args()
    size = QUICK_SIZE if args.quick else FULL_SIZE
    folder = ROOT / "data" / "sample" if args.quick and args.folder is None else (args.folder or default_folder())
    scenes = [ROOT / "scenes" / "finding-dave.yaml"] if args.quick else sorted((ROOT / "scenes").glob("*.yaml"))
    record: dict = {"size": size, "room": "bridge", "scenes": {}, "imported": {}}
    with tempfile.TemporaryDirectory(prefix="bridge-room-usage-") as tmp:
        work = Path(tmp)
        for scene in scenes:
            record["scenes"][scene.stem] = summary(usage(scene, size, work))
        for pbix in sorted(folder.glob("*.pbix")):
            if (result := imported(pbix, size, work)) is not None:
                record["imported"][pbix.name] = result
    dave = record["scenes"]["finding-dave"]
    record["finding_dave_steps_at_least_half"] = dave["steps_at_least_half"]
    record["finding_dave_steps"] = len(dave["steps"])
    record["imported_lowest_median"] = min((r["median"] for r in record["imported"].values()), default=None)

    print(f"{'scene':44}{'steps ≥ 50%':>12}{'median':>8}  each step")
    for name, r in [*record["scenes"].items(), *(("import: " + k, v) for k, v in record["imported"].items())]:
        extra = f"  visuals {r['visuals_converted']}/{r['visuals_total']}" if "visuals_total" in r else ""
        print(f"{name[:43]:44}{r['steps_at_least_half']:>6}/{len(r['steps']):<5}{r['median']:>8.0%}  "
              f"{' '.join(f'{s:.0%}' for s in r['steps'])}{extra}")
    lowest = record["imported_lowest_median"]
    print(f"finding-dave: {dave['steps_at_least_half']} of {len(dave['steps'])} steps at 50% or more "
          f"(target {TARGET_FINDING_DAVE}); imported reports' lowest median step: "
          f"{'none imported' if lowest is None else format(lowest, '.0%')} (target 50%)")
    write_result("room_usage", record, args.quick)


if __name__ == "__main__":
    main()
