"""What every benchmark here shares: timing with a warm-up, the quick mode, and writing its result.

Every benchmark runs from any environment: it imports Bridge from this checkout (ROOT goes first on
`sys.path`, and child processes get it in PYTHONPATH), starts Bridge with the running interpreter
(`sys.executable -m bridge`), and names files from ROOT, so neither the working folder nor a `.venv`
matters.  `--quick` runs each on its smallest sizes and fewest repeats (a small room, the sample
data) and prints the same table: tests/test_benchmarks.py runs every quick mode so a change that
breaks a benchmark fails the tests.

Results go to bench/results/NAME.json, or to the folder named by BRIDGE_BENCH_RESULTS when it is set
(the tests set it to a temporary folder).  A quick run never writes bench/results/: without
BRIDGE_BENCH_RESULTS its figures go to a temporary folder, so they cannot replace a real result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_ENV = "BRIDGE_BENCH_RESULTS"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The quick mode's room: two small projectors round a cylinder, so frames are 1024×512, windows tiny
# and a cluster three ranks.
QUICK_ROOM = """name: Quick benchmark room (two 320×200 projectors)
screen: {shape: cylinder, radius_m: 2.0, height_m: 1.6, eye_height_m: 1.0}
projectors:
  - {name: front, yaw: 0,   span_deg: 200, resolution: [320, 200]}
  - {name: back,  yaw: 180, span_deg: 200, resolution: [320, 200]}
"""


def quick_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="smallest sizes and fewest repeats (a check that the benchmark runs, not a measurement)")


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


def results_dir(quick: bool | None = None) -> Path:
    """BRIDGE_BENCH_RESULTS when set; else bench/results/, or a temporary folder for a quick run
    (`quick` None: whether the benchmark was started with --quick)."""
    if quick is None:
        quick = "--quick" in sys.argv[1:]
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    if quick:
        return Path(tempfile.gettempdir()) / "bridge-bench-quick"
    return ROOT / "bench" / "results"


def write_result(name: str, record: dict, quick: bool | None = None) -> Path:
    """Write NAME.json into results_dir(quick) and say where."""
    path = results_dir(quick) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def bridge_command(*args) -> list[str]:
    """`bridge ARGS` with the running interpreter, whatever environment it is."""
    return [sys.executable, "-m", "bridge", *map(str, args)]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this one, with this checkout first on PYTHONPATH."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def need_tools(*tools: str) -> None:
    """Stop with the set-up's hint when a program the benchmark drives is missing."""
    import shutil

    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed: bash scripts/setup.sh installs it")


def bench_room(quick: bool):
    """The room a benchmark measures: the default one, or the quick mode's small one."""
    from bridge.room.compositor import cache_dir
    from bridge.room.load import load_room

    if not quick:
        return load_room()
    path = cache_dir().parent / "bench" / "quick-room.yaml"
    if not path.exists() or path.read_text() != QUICK_ROOM:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(QUICK_ROOM)
        os.replace(partial, path)
    return load_room(path)


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
