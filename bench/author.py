"""How fast is the analyst's loop: check, render, render again, see an edit in the preview?

  validate_s                 `bridge validate scenes/finding-dave.yaml`, a new process (drawn panels cached)
  cold_render_s              `bridge render scenes/finding-dave.yaml --draft` (4096×2048), every cache empty
  cold_render_full_s         the same at the room's own density (the default: 8192×4096 for the bridge room)
  warm_render_s              the draft render again into the same folder, nothing changed
  help_s                     `bridge --help`
  edit_to_preview_ms_median  a saved edit → the preview page's picture has changed, in the browser
  edit_to_preview_ms_p90     (bench/_author_preview.py measures these two)
  bare_matplotlib_s          the machine's peer from bench/render.py in the same run: bare matplotlib
                             drawing the big map's polygons, so a busy day can be told from a slow change
Targets (issue 23): validate ≤ 1.0 s, cold ≤ 6 s, full ≤ 15 s, warm ≤ 1.5 s, help ≤ 0.5 s,
edit-to-preview median ≤ 1000 ms and p90 ≤ 1500 ms.  Medians of several runs; each cold run has a
fresh, empty BRIDGE_CACHE (lookup tables, drawn panels, prepared steps) and output folder.
Writes bench/results/author.json.
Run: .venv/bin/python bench/author.py [--quick]
(--quick: one run of each, step 1 at 1024×512 for the renders and the quick room for the full one)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_room, bridge_command, child_env, quick_option, write_result  # noqa: E402

SCENE = ROOT / "scenes" / "finding-dave.yaml"
TARGETS = {"validate_s": 1.0, "cold_render_s": 6.0, "cold_render_full_s": 15.0, "warm_render_s": 1.5, "help_s": 0.5,
           "edit_to_preview_ms_median": 1000, "edit_to_preview_ms_p90": 1500}


def run_bridge(*args, cache: Path) -> float:
    """Seconds for one `bridge ARGS` in a new process with BRIDGE_CACHE=`cache`; stops the bench if it fails."""
    t = time.perf_counter()
    done = subprocess.run(bridge_command(*args), capture_output=True, text=True, env=child_env(BRIDGE_CACHE=str(cache)))
    seconds = time.perf_counter() - t
    if done.returncode:
        sys.exit(f"bridge {' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def renders(tmp: Path, runs: int, quick: bool) -> dict[str, float]:
    """Cold (draft and full) and warm render times, medians of `runs`."""
    draft = ("--step", "1", "--size", "1024x512") if quick else ("--draft",)
    full = ("--step", "1", "--room", str(bench_room(True).source)) if quick else ()
    cold, cold_full, warm = [], [], []
    for n in range(runs):
        cache, out = tmp / f"cache-{n}", tmp / f"out-{n}"
        cold.append(run_bridge("render", SCENE, *draft, "--out", out, cache=cache))
        warm.append(run_bridge("render", SCENE, *draft, "--out", out, cache=cache))
        cold_full.append(run_bridge("render", SCENE, *full, "--out", tmp / f"full-{n}", cache=tmp / f"cache-full-{n}"))
    return {"cold_render_s": statistics.median(cold), "cold_render_full_s": statistics.median(cold_full),
            "warm_render_s": statistics.median(warm)}


def peer(quick: bool) -> float:
    """bench/render.py's bare-matplotlib peer: the big map's polygons drawn by matplotlib alone (median of 3)."""
    import render as render_bench
    from bridge.render.briefing import load_briefing
    from bridge.scene.containment import allow

    boundaries, fuel, _ = render_bench.big_map_files(quick)
    allow([render_bench.SHARED, render_bench.SAMPLE])
    with tempfile.TemporaryDirectory() as tmp:
        scene = Path(tmp) / "map.yaml"
        colour = "'homes[\"Proportion of households fuel poor (%)\"]'"
        scene.write_text(f"""
title: Peer
datasets:
  areas: {{path: {boundaries}, key: lsoa21_code}}
  homes: {{path: {fuel}, key: LSOA Code}}
panels:
  - {{id: map, type: map, colour: {colour}, width: 80, height: 45}}
steps:
  - {{title: All, show: [map]}}
""")
        briefing = load_briefing(scene)
    return statistics.median(render_bench.bare_polygons(briefing) for _ in range(3))


def preview(quick: bool) -> dict:
    """The preview's edit-to-picture times from bench/_author_preview.py; None where it is missing."""
    try:
        from _author_preview import edit_to_preview
    except ImportError as exc:
        print(f"bench/_author_preview.py: {exc}; edit-to-preview not measured")
        return {"edit_to_preview_ms_median": None, "edit_to_preview_ms_p90": None}
    measured = edit_to_preview(quick)
    return {key: measured.get(key) for key in ("edit_to_preview_ms_median", "edit_to_preview_ms_p90")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick_option(parser)
    quick = parser.parse_args().quick
    runs = 1 if quick else 3
    record: dict = {"runs": runs}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        record["help_s"] = statistics.median(run_bridge("--help", cache=tmp / "cache-help") for _ in range(runs))
        record.update(renders(tmp, runs, quick))
        # validate with the drawn panels the first render cached, as the analyst runs it between renders
        record["validate_s"] = statistics.median(run_bridge("validate", SCENE, cache=tmp / "cache-0") for _ in range(runs))
    record["bare_matplotlib_s"] = peer(quick)
    record.update(preview(quick))
    record = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in record.items()}
    print(f"the analyst's loop on this machine (medians of {runs}; seconds unless ms)")
    print(f"{'measure':<28}{'value':>10}  target")
    for key, target in TARGETS.items():
        value = record[key]
        shown = "—" if value is None else f"{value:g}"
        verdict = "" if value is None else ("met" if value <= target else f"over by {value - target:g}")
        print(f"{key:<28}{shown:>10}  ≤ {target:g}  {verdict}")
    print(f"{'bare matplotlib peer':<28}{record['bare_matplotlib_s']:>10g}  (bench/render.py's, this run)")
    write_result("author", record, quick)


if __name__ == "__main__":
    main()
