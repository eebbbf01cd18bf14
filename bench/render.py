"""How long do big maps and the sample take to render?

  england_lsoa_s     every LSOA in England and Wales (35,672 polygons) as a choropleth of
                     the England-wide fuel-poverty table: YAML → data → panel → frame
  million_points_s   a point layer of 1,000,000 points: YAML → data → panel → frame
  sample_briefing_s  `bridge render scenes/finding-dave.yaml`, all steps, a cold process,
                     from the YAML file to the projector images on disk
Peers in the same run: the bare matplotlib draw of the same polygons / points (no loading,
joining, projection or 3D capture) — what any pipeline built on matplotlib pays at least.
Writes bench/results/render.json.  Needs ../shared/data (the England-wide files).
Run: .venv/bin/python bench/render.py [--quick]   (BRIDGE_SHARED_DATA names another folder for those files)
(--quick: data/sample alone — Shropshire's 198 LSOAs for the big map, 10,000 points, a 1024×512
frame, and one step of the sample briefing)
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bridge_command, child_env, quick_option, write_result  # noqa: E402

SHARED = Path(os.environ.get("BRIDGE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = ROOT / "data" / "sample"


def warm_imports() -> float:
    """Import what a render imports (VTK and pyvista for the capture, matplotlib for the panels), once,
    and say how long it took: a process pays it once whatever it renders (bench/author.py's help_s and
    validate_s measure it), and the bare-matplotlib peer is timed with matplotlib already imported, so
    the parts below count the work on the map, not the imports (which Bridge now defers to first use,
    and which had moved into the capture's part: 0.55 s → 2.35 s of it)."""
    t = time.perf_counter()
    import bridge.panels.common.canvas  # noqa: F401
    import bridge.render.panorama  # noqa: F401
    import bridge.render.pipeline  # noqa: F401
    import bridge.room.compositor  # noqa: F401
    return time.perf_counter() - t


def frame_of(scene_path: Path, width: int = 4096) -> tuple[float, dict]:
    """Seconds from the YAML file to the equirectangular frame of step 1, and a breakdown (drawn
    panels are not taken from the cache: every panel is drawn)."""
    from bridge.render.briefing import load_briefing
    from bridge.scene.containment import allow

    allow([SHARED, SAMPLE])  # the scenes are written to a temporary folder: the operator's --allow
    from bridge.render.pipeline import PanelArt, add_panels, make_renderer, render_step

    gc.collect()  # each timed part starts with no collector debt left by what ran before it (see bare_polygons)
    t0 = time.perf_counter()
    briefing = load_briefing(scene_path)
    t1 = time.perf_counter()
    art = PanelArt(briefing, width, use_cache=False)
    for panel in briefing.scene.panels:
        art.image(panel.id)
    t2 = time.perf_counter()
    with make_renderer(briefing, width, width // 2) as renderer:
        add_panels(renderer, briefing, art)
        frame = render_step(renderer, briefing, art, 0)
    t3 = time.perf_counter()
    assert frame.max() > 100, "nothing was drawn"
    return t3 - t0, {"load": t1 - t0, "draw": t2 - t1, "capture": t3 - t2}


def bare_polygons(briefing) -> float:
    """The peer: matplotlib drawing the same, already projected polygons."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    from bridge.panels.common.geo import compound_path

    content = briefing.contents[0]
    gc.collect()  # a full collection owed by the load before it would otherwise land in this timing (0.09 s)
    t = time.perf_counter()
    fig = Figure(figsize=(19.2, 10.8), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    paths = [compound_path(p) for p in content.polygons]
    ax.add_collection(PathCollection(paths, facecolors="C0", linewidths=0.3))
    ax.autoscale_view()
    FigureCanvasAgg(fig).draw()
    return time.perf_counter() - t


def bare_points(xy: np.ndarray) -> float:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    gc.collect()
    t = time.perf_counter()
    fig = Figure(figsize=(19.2, 10.8), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.scatter(xy[:, 0], xy[:, 1], s=1, linewidths=0, rasterized=True)
    FigureCanvasAgg(fig).draw()
    return time.perf_counter() - t


def big_map_files(quick: bool) -> tuple[Path, Path, str]:
    """(boundaries, fuel-poverty table, what they are): England and Wales from the shared data, or the sample's."""
    if quick:
        return SAMPLE / "shropshire_lsoa21.geojson", SAMPLE / "fuel_poverty_2022_shropshire.csv", "Shropshire LSOAs (198)"
    boundaries = SHARED / "boundaries" / "lsoa21_england_wales.geojson.gz"
    if not boundaries.exists():
        sys.exit(f"missing {boundaries}: set BRIDGE_SHARED_DATA to the shared data folder, or run with --quick")
    return boundaries, SHARED / "fuel_poverty" / "fuel_poverty_lsoa_2022_england.csv", "England+Wales LSOAs (35,672)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick_option(parser)
    quick = parser.parse_args().quick
    width, n = (1024, 10_000) if quick else (4096, 1_000_000)
    from bridge.render.briefing import load_briefing

    results: dict = {"imports_s": warm_imports()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        boundaries, fuel, what = big_map_files(quick)
        england = tmp / "england.yaml"
        colour = "'homes[\"Proportion of households fuel poor (%)\"]'"
        england.write_text(f"""
title: England and Wales
datasets:
  areas: {{path: {boundaries}, key: lsoa21_code}}
  homes: {{path: {fuel}, key: LSOA Code}}
panels:
  - {{id: map, type: map, title: Households in fuel poverty, colour: {colour}, legend: "%", width: 80, height: 45}}
steps:
  - {{title: All areas, show: [map]}}
""")
        seconds, parts = frame_of(england, width)
        results["england_lsoa_s"] = seconds
        results["england_lsoa_parts"] = parts
        results["england_bare_matplotlib_s"] = bare_polygons(load_briefing(england))

        rng = np.random.default_rng(0)
        xy = np.column_stack([rng.uniform(330000, 380000, n), rng.uniform(270000, 345000, n)])
        pd.DataFrame({"easting": xy[:, 0], "northing": xy[:, 1], "value": rng.random(n)}).to_parquet(tmp / "points.parquet")
        points = tmp / "points.yaml"
        points.write_text(f"""
title: A million points
datasets:
  areas: {{path: {SAMPLE / 'shropshire_lsoa21.geojson'}, key: lsoa21_code}}
  dots: {{path: {tmp / 'points.parquet'}, points: {{x: easting, y: northing, crs: EPSG:27700}}, join: false}}
panels:
  - {{id: dots, type: points, data: dots, colour: value, size: 0.5, width: 80, height: 45}}
steps:
  - {{title: Points, show: [dots]}}
""")
        seconds, parts = frame_of(points, width)
        results["million_points_s"] = seconds
        results["million_points_parts"] = parts
        results["million_points_bare_matplotlib_s"] = bare_points(xy)

        t = time.perf_counter()
        # 4096×2048 as this measure always was (`render`'s default is now the room's own density: bench/author.py),
        # with every cache empty (lookup tables, drawn panels)
        size_args = ("--step", "1", "--size", "1024x512") if quick else ("--size", "4096x2048")
        run = subprocess.run(bridge_command("render", ROOT / "scenes" / "finding-dave.yaml", "--out", tmp / "sample",
                                            *size_args), capture_output=True, text=True,
                             env=child_env(BRIDGE_CACHE=str(tmp / "cache")))
        results["sample_briefing_s"] = time.perf_counter() - t
        if run.returncode:
            sys.exit(run.stderr)

    results["england_over_bare"] = results["england_lsoa_s"] / results["england_bare_matplotlib_s"]
    print(f"render times on this machine ({width}×{width // 2} frame; seconds; one run each, cold caches; "
          f"imports done first: {results['imports_s']:.2f} s)")
    print(f"{'case':<44}{'Bridge':>9}{'bare matplotlib':>17}")
    print(f"{what + ' choropleth':<44}{results['england_lsoa_s']:>9.2f}{results['england_bare_matplotlib_s']:>17.2f}"
          f"  ({results['england_over_bare']:.1f}× the peer; target ≤ 2.5 s and ≤ 3×)")
    print(f"{f'{n:,} points':<44}{results['million_points_s']:>9.2f}{results['million_points_bare_matplotlib_s']:>17.2f}")
    print(f"{'sample briefing, ' + ('step 1' if quick else 'all steps') + ', cold process':<44}"
          f"{results['sample_briefing_s']:>9.2f}{'':>17}")
    for key in ("england_lsoa_parts", "million_points_parts"):
        print(f"  {key}: " + ", ".join(f"{k} {v:.2f}" for k, v in results[key].items()))
    write_result("render", {k: (round(v, 3) if isinstance(v, float) else {a: round(b, 3) for a, b in v.items()})
                            for k, v in results.items()}, quick)


if __name__ == "__main__":
    main()
