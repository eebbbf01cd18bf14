"""How long from saving an edit to seeing it in `bridge preview`'s page, measured in the browser.

`edit_to_preview(quick)` starts the preview of a copy of scenes/finding-dave.yaml (and of the sample
data it reads), opens its page in Chromium (Playwright, as the web tests do), and times four kinds
of save, each on a step that shows what it changes, alternately there and back:

  title     a panel's title (dave-bar, step 7)
  colour    a map's colour scale (dave-map's palette, step 4)
  where     a panel's `where:` filter (ward-areas, step 6)
  dataset   a value in a data file the scene reads (the falls CSV: falls-line and falls-kpi, step 7)

A save's time runs from just before the file is written to the moment both the flat frame and the
360° view on the page show the new picture (each page marks it two animation frames after the
picture is set: it has been painted).  Returns the median and 90th percentile in ms.
Run alone: .venv/bin/python bench/_author_preview.py [--quick]  (bench/author.py includes it)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_room, percentile, quick_option  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
FALLS_ROW = "E06000051,Shropshire,2017/18,"  # a row of the falls CSV whose value is edited
# name, step (1-based), file (relative to the copy), text as shipped, text edited
EDITS = [
    ("title", 7, "scenes/finding-dave.yaml", "title: The fifteen areas to visit first",
     "title: The fifteen areas to visit soonest"),
    ("colour", 4, "scenes/finding-dave.yaml", "palette: inferno", "palette: magma"),
    ("where", 6, "scenes/finding-dave.yaml", "where: wards.ward24_name == params.ward",
     "where: wards.ward24_name == params.ward and older_in_cold_homes > 10"),
    ("dataset", 7, "data/sample/admissions_falls_shropshire.csv", None, None),
]
FIRST_PICTURE_MS = 180_000


def _copy(into: Path) -> Path:
    """The sample briefing and its data, copied so that edits never touch the checkout."""
    (into / "scenes").mkdir(parents=True)
    shutil.copy2(ROOT / "scenes" / "finding-dave.yaml", into / "scenes")
    shutil.copytree(ROOT / "data" / "sample", into / "data" / "sample")
    return into / "scenes" / "finding-dave.yaml"


def _edited(path: Path, shipped: str | None, edited: str | None, forward: bool) -> str:
    """The file's text with the edit made (forward) or undone."""
    text = path.read_text(encoding="utf-8")
    if shipped is None:  # the data file: the Shropshire 2017/18 value, up by 100 or back
        lines = text.splitlines(keepends=True)
        k = next(i for i, line in enumerate(lines) if line.startswith(FALLS_ROW))
        value = int(lines[k][len(FALLS_ROW):].split(",", 1)[0])
        rest = lines[k][len(FALLS_ROW):].split(",", 1)[1]
        lines[k] = f"{FALLS_ROW}{value + (100 if forward else -100)},{rest}"
        return "".join(lines)
    old, new = (shipped, edited) if forward else (edited, shipped)
    assert old is not None and new is not None and old in text, f"the sample scene no longer has {old!r}"
    return text.replace(old, new, 1)


def _shown(page, frame: int, timeout_ms: float) -> float:
    """Wait for both views to show picture `frame`; when the later one was painted (epoch ms)."""
    page.wait_for_selector(f"#flat[data-shown='{frame}']", timeout=timeout_ms)
    page.wait_for_selector(f"#pano[data-shown='{frame}']", timeout=timeout_ms)
    return page.evaluate("() => Math.max(window.bridgeFlatShown.at, window.bridgeShown.at)")


def edit_to_preview(quick: bool) -> dict:
    """{"edit_to_preview_ms_median", "edit_to_preview_ms_p90", and each save's ms by kind}."""
    from playwright.sync_api import sync_playwright

    from bridge.preview.app import PreviewServer

    passes, size = (1, (1024, 512)) if quick else (6, (2048, 1024))  # each pass saves each edit once, there or back
    times: dict[str, list[float]] = {name: [] for name, *_ in EDITS}
    with tempfile.TemporaryDirectory(prefix="bridge-preview-bench-") as tmp:
        scene = _copy(Path(tmp))
        server = PreviewServer(scene, bench_room(quick), size)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.url)
                frame = 1
                _shown(page, frame, FIRST_PICTURE_MS)
                for r in range(passes):
                    for name, step, file, shipped, edited in EDITS:
                        if page.get_attribute("body", "data-step") != str(step):
                            page.select_option("#step-picker", str(step))
                            frame += 1
                            _shown(page, frame, 60_000)
                        text = _edited(Path(tmp) / file, shipped, edited, forward=r % 2 == 0)
                        saved = time.time() * 1000
                        (Path(tmp) / file).write_text(text, encoding="utf-8")
                        frame += 1
                        times[name].append(_shown(page, frame, 60_000) - saved)
                browser.close()
        finally:
            server.close()
    every = [t for ts in times.values() for t in ts]
    return {"edit_to_preview_ms_median": round(statistics.median(every)),
            "edit_to_preview_ms_p90": round(percentile(every, 0.9)),
            "edit_to_preview_saves": len(every),
            **{f"edit_to_preview_{name}_ms_median": round(statistics.median(ts)) for name, ts in times.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    quick_option(parser)
    args = parser.parse_args()
    record = edit_to_preview(args.quick)
    for key, value in record.items():
        print(f"{key:40}{value:>8}")
    print("targets: median ≤ 1000 ms, p90 ≤ 1500 ms")


if __name__ == "__main__":
    main()
