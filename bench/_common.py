"""What every benchmark here shares: timing with a warm-up, and writing bench/results/NAME.json."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, repeat: int):
    """(last result, first call ms, median ms of `repeat` further calls): the first call pays warm-up."""
    t = time.perf_counter()
    out = fn()
    first = (time.perf_counter() - t) * 1000
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return out, first, statistics.median(times)


def percentile(values, q):
    """The q-quantile (0..1) of `values`, interpolated between the two nearest."""
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(len(values) - 1, int(k) + 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def write_result(name: str, record: dict) -> Path:
    path = ROOT / "bench" / "results" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def need_tools(*tools: str) -> None:
    """Stop with the set-up's hint when a program the benchmark drives is missing."""
    import shutil
    import sys

    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed: bash scripts/setup.sh installs it")


def room_display(room, extra_height: int = 0):
    """A private Xvfb as large as the room's desktop (plus `extra_height` rows below it): a
    context manager giving its DISPLAY."""
    from bridge.show.xvfb import virtual_display

    x, y, w, h = room.desktop()
    return virtual_display(x + w, y + h + extra_height)


def print_rows(record: dict, rows, label_width: int) -> None:
    """One line per (label, key in `record`, target text)."""
    for label, key, target in rows:
        print(f"{label:{label_width}}{record[key]!s:>10}  {target}")
